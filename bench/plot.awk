# SPDX-License-Identifier: GPL-2.0
#
# Write a gnuplot script, data included, that draws bench/results'
# latest.csv into the PNG named by the variable png: for the pair test,
# Mpairs/s against threads, one line per allocator, one panel per kernel,
# boot and block size.  The titles say where each ran: the accel column
# (files older than it have none, and ran under TCG).

function remember(list, value) {
	if (!((list, value) in known)) {
		known[list, value] = 1
		order[list, ++norder[list]] = value
	}
}

BEGIN { FS = "," }
NR == 1 { next }
$4 == "pair" {
	run = $1 " init_on_alloc=" $3 (NF >= 15 ? ", " $15 : "")
	remember("run", run)
	remember("size", $6)
	remember("alloc", $5)
	remember("threads", $7)
	mops[run, $6, $5, $7] = $10
	has[run, $5] = 1
	remember("accel", NF >= 15 ? $15 : "TCG")
}

END {
	rows = norder["run"]
	cols = norder["size"]
	printf "set terminal pngcairo size %d,%d font \",10\"\n", 520 * cols, 330 * rows
	printf "set output \"%s\"\n", png
	print "set termoption noenhanced"
	print "set datafile missing \"-\""
	print "set key outside right top font \",8\" samplen 2"
	print "set xlabel \"threads\""
	print "set ylabel \"Mpairs/s\""
	print "set yrange [0:*]"
	print "set grid ytics"
	xt = ""
	for (t = 1; t <= norder["threads"]; t++)
		xt = xt (t > 1 ? ", " : "") order["threads", t]
	printf "set xtics (%s)\n", xt
	printf "set xrange [0.5:%s + 0.5]\n", order["threads", norder["threads"]]

	for (r = 1; r <= rows; r++)
	for (s = 1; s <= cols; s++) {
		run = order["run", r]
		size = order["size", s]
		# Only the allocators this kernel has: objpool came in 6.7.
		printf "$d%d_%d << EOD\nthreads", r, s
		nalloc[r] = 0
		for (a = 1; a <= norder["alloc"]; a++)
			if ((run, order["alloc", a]) in has) {
				printf " %s", order["alloc", a]
				nalloc[r]++
			}
		print ""
		for (t = 1; t <= norder["threads"]; t++) {
			thr = order["threads", t]
			printf "%s", thr
			for (a = 1; a <= norder["alloc"]; a++) {
				if (!((run, order["alloc", a]) in has))
					continue
				key = run SUBSEP size SUBSEP order["alloc", a] SUBSEP thr
				printf " %s", key in mops ? mops[key] : "-"
			}
			print ""
		}
		print "EOD"
	}

	where = ""
	for (a = 1; a <= norder["accel"]; a++) {
		x = order["accel", a]
		where = where (a > 1 ? ", " : "") (x == "host" ? "on the host" : \
			x == "TCG" ? "QEMU TCG (ratios only)" : "QEMU " x)
	}
	printf "set multiplot layout %d,%d title \"mempool_mod benchmark: " \
	       "alloc+free pairs, %s\"\n", rows, cols, where
	for (r = 1; r <= rows; r++)
	for (s = 1; s <= cols; s++) {
		printf "set title \"%s, %s-byte blocks\" font \",9\"\n", \
		       order["run", r], order["size", s]
		printf "plot for [c=2:%d] $d%d_%d using 1:c with linespoints " \
		       "title columnheader(c)\n", nalloc[r] + 1, r, s
	}
	print "unset multiplot"
}
