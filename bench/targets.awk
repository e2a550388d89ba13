# SPDX-License-Identifier: GPL-2.0
#
# The speed targets, cell by cell, from bench/format.awk's CSV: a
# markdown section on stdout that bench.sh appends to latest.md.  Every
# figure is a ratio within one boot, as the rest of the results.
#
#   dma_pool's workload  mpool's time / dma_pool's        at most 0.9
#   pair, batch32        mpool's time / kmem_cache's      at most 0.8
#   bulk16               mpool's time / kmem_cache's      at most 0.8
#   MPOOL_NO_PERCPU      its throughput / gen_pool's      at least 2
#   dma_pool's workload  MPOOL_NO_PERCPU's time, the same  at most 0.9
#
# The last is dma_pool's like: one free list, no per-CPU caches.
#
# A time ratio is the inverse of the CSV's relative_speed, which is a
# throughput ratio (all threads together).
#
# Usage: awk -F, -f targets.awk latest.csv
#        awk -F, -f targets.awk latest.csv ablate-NAME.csv
#
# Given two, the summary is the second's, followed by every cell the
# first misses, with its ratio in both: what the ablation's missing
# guarantee costs in the cells that stand between the product and the
# targets.

function kernel(k,    v) {
	v = k
	sub(/-amd64$/, "", v)
	sub(/\+deb12$/, "", v)
	return v
}

# A missed ratio to 2 decimals, rounded away from the target: a 1.997
# against "at least 2" shows as 1.99, not as 2.00.
function shown(t, ratio,    r) {
	r = int(ratio * 100)
	if (lower[t] && r < ratio * 100)
		r++
	return sprintf("%.2f", r / 100)
}

# Whether RATIO meets target T.
function meets(t, ratio) {
	return lower[t] ? ratio <= limit[t] : ratio >= limit[t]
}

# Record one cell of target T, of file number FI: its label and its
# ratio.  The summary counts the last file's cells.
function cell(t, label, ratio,    met) {
	met = meets(t, ratio)
	ratios[fi, t, label] = ratio
	if (fi == 1 && !met)
		missed_first[t] = missed_first[t] SUBSEP label
	if (fi < nfiles)
		return
	cells[t]++
	if (met)
		nmet[t]++
	else
		missed[t] = missed[t] (missed[t] == "" ? "" : "; ") label " " shown(t, ratio)
	if (!(t in worst) || (lower[t] ? ratio > worst[t] : ratio < worst[t]))
		worst[t] = ratio
}

BEGIN {
	name[1] = "dma_pool's workload: mpool's time / dma_pool's, at most 0.9"
	name[2] = "pairs and batches of 32: mpool's time / kmem_cache's, at most 0.8"
	name[3] = "bulk calls of 16: mpool's time / kmem_cache's, per block, at most 0.8"
	name[4] = "MPOOL_NO_PERCPU: its throughput / gen_pool's, at least 2"
	name[5] = "dma_pool's workload, MPOOL_NO_PERCPU: its time / dma_pool's, at most 0.9"
	lower[1] = lower[2] = lower[3] = lower[5] = 1
	lower[4] = 0
	limit[1] = limit[5] = 0.9
	limit[2] = limit[3] = 0.8
	limit[4] = 2
	short[1] = "dma_pool's workload"
	short[2] = "pairs, batches of 32"
	short[3] = "bulk16"
	short[4] = "MPOOL_NO_PERCPU x gen_pool"
	short[5] = "dma_pool's workload, MPOOL_NO_PERCPU"
	for (i = 1; i < ARGC; i++)
		if (ARGV[i] !~ /=/ && !nfiles++)
			first_file = ARGV[i]
}

FNR == 1 {
	if (fi)
		pair_genpool()
	fi++
	# The gen_pool pairing below is per file.
	delete nopcpu
	delete genpool
	nkeys = 0
	for (i = 1; i <= NF; i++)
		col[$i] = i
	next
}

{
	where = kernel($col["kernel"]) " ioa=" $col["init_on_alloc"] " " $col["test"] " " \
		$col["block_size"] (($col["test"] == "dmapool_fill") ? "" : " B " $col["threads"] " thr")
	rel = $col["relative_speed"]
	if ($col["allocator"] == "mpool_nopcpu" && rel != "" &&
	    $col["test"] == "dmapool_fill")
		cell(5, where, 1 / rel)
	if ($col["allocator"] == "mpool" && rel != "") {
		if ($col["test"] == "dmapool_fill")
			cell(1, where, 1 / rel)
		else if ($col["test"] == "bulk16")
			cell(3, where, 1 / rel)
		else if ($col["test"] == "pair" || $col["test"] == "batch32")
			cell(2, where, 1 / rel)
	}
	key = $col["kernel"] SUBSEP $col["init_on_alloc"] SUBSEP $col["test"] SUBSEP \
	      $col["block_size"] SUBSEP $col["threads"]
	if ($col["test"] != "dmapool_fill" && $col["mpairs_per_s"] != "") {
		if ($col["allocator"] == "mpool_nopcpu") {
			nopcpu[key] = $col["mpairs_per_s"]
			keys[++nkeys] = key
		}
		else if ($col["allocator"] == "gen_pool")
			genpool[key] = $col["mpairs_per_s"]
		label[key] = where
	}
}

# MPOOL_NO_PERCPU against gen_pool, once a file's rows are all read.
function pair_genpool(    k, key) {
	for (k = 1; k <= nkeys; k++)
		if (((key = keys[k]) in genpool) && genpool[key] > 0)
			cell(4, label[key], nopcpu[key] / genpool[key])
}

# Every cell the first file misses, with its ratio in the second.
function compare(    t, n, i, cells_missed, l, r, met, nmet2, total, unmeasured) {
	print "## The cells the product misses, in this build"
	print ""
	print "Each cell that " first_file " misses, its ratio"
	print "there and here (TCG ratios within one boot each)."
	print ""
	print "| target | cell | product | here | met here |"
	print "|---|---|--:|--:|---|"
	for (t = 1; t <= 5; t++) {
		n = split(missed_first[t], cells_missed, SUBSEP)
		for (i = 2; i <= n; i++) {
			l = cells_missed[i]
			if (!((2, t, l) in ratios)) {
				printf "| %s | %s | %s | - | not measured |\n", short[t], l, shown(t, ratios[1, t, l])
				unmeasured++
				continue
			}
			r = ratios[2, t, l]
			met = meets(t, r)
			nmet2 += met
			printf "| %s | %s | %s | %.2f | %s |\n", short[t], l, shown(t, ratios[1, t, l]), r, met ? "yes" : "no"
			total++
		}
	}
	print ""
	printf "%d of the %d cells missed there are met here", nmet2, total
	if (unmeasured)
		printf "; %d more were not measured here", unmeasured
	print "."
	print ""
}

END {
	pair_genpool()
	print "## Against the speed targets"
	print ""
	print "Cell by cell, from the tables above (TCG ratios within one boot)."
	print ""
	print "| target | cells | met | worst |"
	print "|---|--:|--:|--:|"
	for (t = 1; t <= 5; t++)
		if (t in cells)
			printf "| %s | %d | %d | %s |\n", name[t], cells[t], nmet[t], \
			       (nmet[t] < cells[t] ? shown(t, worst[t]) : sprintf("%.2f", worst[t]))
	print ""
	for (t = 1; t <= 5; t++)
		if (missed[t] != "")
			print "- Missed, " name[t] ": " missed[t] "."
	print ""
	if (nfiles == 2)
		compare()
}
