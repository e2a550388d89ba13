# SPDX-License-Identifier: GPL-2.0
#
# make bench NATIVE=1: turn bench_native's sample lines into the medians
# of bench/results/native.csv and the tables of native.md.  Variables:
# md, csv (files to write), cpu, cores, kversion (the peers' source),
# tree, date, reps, ops.
#
# A sample: sample VARIANT ZERO WORKLOAD ALLOC SIZE ALIGN THREADS REP OPS NS BULK

function remember(list, value) {
	if (!((list, value) in known)) {
		known[list, value] = 1
		order[list, ++norder[list]] = value
	}
}

# The median of the n values of key k, and their spread into lo and hi.
function median(k,    n, i, j, v, t) {
	n = count[k]
	for (i = 1; i <= n; i++)
		v[i] = val[k, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	lo[k] = v[1]
	hi[k] = v[n]
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

function cell(variant, zero, w, a, size, threads) {
	return variant SUBSEP zero SUBSEP w SUBSEP a SUBSEP size SUBSEP threads
}

function has(k) {
	return k in med
}

# What an allocator is compared with, in a workload.
function peer(w, a) {
	if (a == "floor" || a == "objpool" || a == "dma_pool" || a == "gen_pool")
		return ""
	if (w == "dma")
		return "dma_pool"
	if (a == "mpool_nopcpu")
		return "gen_pool"
	return "objpool"
}

function fmt(x) {
	return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x)
}

# "median (lo–hi)" of a cell's ns.
function spread(k) {
	return fmt(med[k]) " (" fmt(lo[k]) "–" fmt(hi[k]) ")"
}

$1 == "sample" {
	k = cell($2, $3, $4, $5, $6, $8)
	val[k, ++count[k]] = $11
	bulk[$4, $5] = $12
	align[$4, $6] = $7
	remember("variant", $2)
	remember("zero", $3)
	remember("w", $4)
	remember("a", $5)
	# A workload's rows: its sizes, and each size's thread counts.
	remember("row " $4, $6 SUBSEP $8)
	next
}

END {
	for (k in count)
		med[k] = median(k)

	print "variant,init_on_alloc,workload,allocator,block_size,align,threads,reps,ns_per_op,ns_min,ns_max,relative_to,time_ratio,x_floor,bulk_api" >csv
	for (vi = 1; vi <= norder["variant"]; vi++) {
		v = order["variant", vi]
		for (zi = 1; zi <= norder["zero"]; zi++) {
			z = order["zero", zi]
			for (wi = 1; wi <= norder["w"]; wi++) {
				w = order["w", wi]
				for (ri = 1; ri <= norder["row " w]; ri++) {
					split(order["row " w, ri], row, SUBSEP)
					s = row[1]
					t = row[2]
					for (ai = 1; ai <= norder["a"]; ai++) {
						a = order["a", ai]
						k = cell(v, z, w, a, s, t)
						if (!has(k))
							continue
						p = peer(w, a)
						pk = cell("product", z, w, p, s, t)
						fk = cell("product", z, w, "floor", s, t)
						ratio = p != "" && has(pk) ? sprintf("%.3f", med[k] / med[pk]) : ""
						xf = has(fk) ? sprintf("%.2f", med[k] / med[fk]) : ""
						printf "%s,%s,%s,%s,%s,%s,%s,%d,%.2f,%.2f,%.2f,%s,%s,%s,%s\n",
							v, z, w, a, s, align[w, s] + 0, t, count[k],
							med[k], lo[k], hi[k], ratio != "" ? p : "",
							ratio, xf, bulk[w, a] >csv
					}
				}
			}
		}
	}

	print "# mempool_mod on a real CPU: `make bench NATIVE=1`" >md
	print "" >md
	printf "CPU: %s, %d cores, one pinned thread per core.  Generated on %s\n", cpu, cores, date >md
	printf "from tree %s: %d interleaved repetitions of %d operations a\n", tree, reps, ops >md
	print "cell and thread; raw lines in out/bench-native/latest.txt." >md
	print "" >md
	print "These are **user-space runs of the kernel code**: src/'s allocator" >md
	print "files, unchanged, and objpool, dma_pool and gen_pool compiled unchanged" >md
	printf "from Debian's linux-source-%s (lib/objpool.c, mm/dmapool.c,\n", kversion >md
	print "lib/genalloc.c), all built with gcc -O2 against the shim of" >md
	print "tools/testing/mpool/shim in its production mode: no lockdep, a" >md
	print "spinlock whose uncontended path is qspinlock's (one locked exchange;" >md
	print "contended, it spins on the word rather than queueing as qspinlock" >md
	print "does), this_cpu ops without a lock prefix, IRQ masking as a per-thread" >md
	print "flag (no interrupt is ever delivered).  A thread is a CPU.  What" >md
	print "differs from a kernel: no preempt_count in %gs, trace events behind a" >md
	print "flag rather than a static key, vmalloc memory as anonymous pages." >md
	print "" >md
	print "- **ns/op**: one alloc and one free of a block, median over the" >md
	print "  repetitions, with the spread (min–max) in brackets.  Each thread" >md
	print "  times its own loop; two-thread cells give the mean of the threads." >md
	print "  `remote` is one pipeline of two threads: the slower one's time per block." >md
	print "- **pair**: alloc, write a word, free.  **batch32**: 32 allocs, then 32" >md
	print "  frees in order.  **bulk16**: mpool_alloc_bulk()/mpool_free_bulk() of" >md
	print "  16; the peers have no bulk API and do 16 singles.  **remote**: CPU 0" >md
	print "  allocates, writes a word and posts the block on a ring; CPU 1 takes" >md
	print "  and frees it.  **dma**: mm/dmapool_test.c's workload: a pool's worth" >md
	print "  of blocks allocated, then all freed, 100 rounds (mpool ignores the" >md
	print "  68/32 row's 4096-byte boundary)." >md
	print "- **floor**: a per-CPU array stack, no atomic, no check: the least a" >md
	print "  pair can cost.  **mpool**: mpool_create(flags 0), every check on;" >md
	print "  **mpool_nopcpu**: MPOOL_NO_PERCPU.  **objpool**: objpool_init() with" >md
	print "  the pool's blocks; **dma_pool**: a shim device, dma_alloc_coherent()" >md
	print "  as an aligned page allocation; **gen_pool**: one chunk, order" >md
	print "  ilog2(size).  Pools of 4096 blocks, GFP_KERNEL." >md
	print "- **x objpool** etc.: mpool's time divided by the peer's in the same" >md
	print "  cell and run: below 1 is faster.  **x floor**: the same against the floor." >md

	print "" >md
	print "## Targets" >md
	print "" >md
	print "| init_on_alloc | target | cell | mpool ns | peer ns | ratio | met |" >md
	print "|---|---|---|---|---|---|---|" >md
	for (zi = 1; zi <= norder["zero"]; zi++) {
		z = order["zero", zi]
		for (wi = 1; wi <= norder["w"]; wi++) {
			w = order["w", wi]
			for (ri = 1; ri <= norder["row " w]; ri++) {
				split(order["row " w, ri], row, SUBSEP)
				s = row[1]
				t = row[2]
				target_row(z, w, s, t, "mpool")
				target_row(z, w, s, t, "mpool_nopcpu")
			}
		}
	}
	printf "\n%d of %d target cells met.\n", met, targets >md

	for (zi = 1; zi <= norder["zero"]; zi++) {
		z = order["zero", zi]
		for (wi = 1; wi <= norder["w"]; wi++) {
			w = order["w", wi]
			printf "\n## %s, init_on_alloc=%s: ns/op\n\n", w, z >md
			line = "| size | threads |"
			rule = "|---|---|"
			for (ai = 1; ai <= norder["a"]; ai++) {
				a = order["a", ai]
				if (!((w, a) in bulk))
					continue
				line = line " " a " |"
				rule = rule "---|"
			}
			line = line " mpool x " (w == "dma" ? "dma_pool" : "objpool") " | mpool x floor |"
			rule = rule "---|---|"
			print line >md
			print rule >md
			for (ri = 1; ri <= norder["row " w]; ri++) {
				split(order["row " w, ri], row, SUBSEP)
				s = row[1]
				t = row[2]
				line = "| " s (w == "dma" ? "/" align[w, s] : "") " | " t " |"
				for (ai = 1; ai <= norder["a"]; ai++) {
					a = order["a", ai]
					if (!((w, a) in bulk))
						continue
					k = cell("product", z, w, a, s, t)
					line = line " " (has(k) ? spread(k) : "") " |"
				}
				k = cell("product", z, w, "mpool", s, t)
				pk = cell("product", z, w, w == "dma" ? "dma_pool" : "objpool", s, t)
				fk = cell("product", z, w, "floor", s, t)
				line = line " " (has(k) && has(pk) ? sprintf("%.2f", med[k] / med[pk]) : "") " |"
				line = line " " (has(k) && has(fk) ? sprintf("%.1f", med[k] / med[fk]) : "") " |"
				print line >md
			}
		}
	}

	print "\n## What each guarantee costs: the ablations\n" >md
	print "mpool's ns/op built from src/ patched with bench/ablate/NAME.patch (NOT" >md
	print "the product), against the product's in the same run; **saves** is the" >md
	print "product's median minus the ablation's, in ns per alloc+free." >md
	for (zi = 1; zi <= norder["zero"]; zi++) {
		z = order["zero", zi]
		printf "\n### init_on_alloc=%s\n\n", z >md
		line = "| workload | size | threads | allocator | product |"
		rule = "|---|---|---|---|---|"
		for (vi = 1; vi <= norder["variant"]; vi++) {
			v = order["variant", vi]
			if (v == "product")
				continue
			line = line " " v " | saves |"
			rule = rule "---|---|"
		}
		print line >md
		print rule >md
		for (wi = 1; wi <= norder["w"]; wi++) {
			w = order["w", wi]
			for (ri = 1; ri <= norder["row " w]; ri++) {
				split(order["row " w, ri], row, SUBSEP)
				s = row[1]
				t = row[2]
				for (ai = 1; ai <= 2; ai++) {
					a = ai == 1 ? "mpool" : "mpool_nopcpu"
					k = cell("product", z, w, a, s, t)
					if (!has(k))
						continue
					line = "| " w " | " s " | " t " | " a " | " fmt(med[k]) " |"
					for (vi = 1; vi <= norder["variant"]; vi++) {
						v = order["variant", vi]
						if (v == "product")
							continue
						ak = cell(v, z, w, a, s, t)
						line = line " " (has(ak) ? fmt(med[ak]) " | " sprintf("%+.1f", med[k] - med[ak]) : " | ") " |"
					}
					print line >md
				}
			}
		}
	}
}

# One row of the targets table, if the cell has a target.
function target_row(z, w, s, t, a,    k, p, pk, r, goal, ok, what) {
	k = cell("product", z, w, a, s, t)
	if (!has(k))
		return
	if (a == "mpool" && w == "pair") {
		p = "objpool"; goal = 1.15; what = "pairs ≤ 1.15 × objpool"
	} else if (a == "mpool" && w == "remote") {
		p = "objpool"; goal = 1.0; what = "remote ≤ 1.0 × objpool"
	} else if (a == "mpool" && w == "dma") {
		p = "dma_pool"; goal = 0.5; what = "dma ≤ 0.5 × dma_pool"
	} else if (a == "mpool_nopcpu" && w != "dma") {
		p = "gen_pool"; goal = 1 / 3; what = "NO_PERCPU ≥ 3 × gen_pool throughput"
	} else
		return
	pk = cell("product", z, w, p, s, t)
	if (!has(pk))
		return
	r = med[k] / med[pk]
	ok = r <= goal
	targets++
	met += ok
	printf "| %s | %s | %s %s%s, %s thr | %s | %s | %.2f | %s |\n", z, what, w, s,
		w == "dma" ? "/" align[w, s] : "", t, fmt(med[k]), fmt(med[pk]), r,
		ok ? "yes" : "**no**" >md
}
