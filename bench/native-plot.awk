# SPDX-License-Identifier: GPL-2.0
#
# Write a gnuplot script, data included, that draws native.csv into the
# PNG named by the variable png: ns per alloc+free of each allocator, the
# product's cells, one panel per workload and init_on_alloc, a cluster
# of bars per block size and threads.  Lower is faster.

function remember(list, value) {
	if (!((list, value) in known)) {
		known[list, value] = 1
		order[list, ++norder[list]] = value
	}
}

NR == 1 { next }
$1 == "product" {
	panel = $3 ", init_on_alloc=" $2
	x = $5 ($3 == "dma" ? "/" $6 : "") ($3 == "pair" || $3 == "batch32" ? " " $7 "T" : "")
	remember("panel", panel)
	remember("x " panel, x)
	remember("a " panel, $4)
	ns[panel, x, $4] = $9
}

# One colour per allocator, whichever panels it is in.
function color(a) {
	if (a == "floor") return "#999999"
	if (a == "mpool") return "#1b9e77"
	if (a == "mpool_nopcpu") return "#66c2a5"
	if (a == "objpool") return "#d95f02"
	if (a == "dma_pool") return "#e6ab02"
	return "#7570b3"
}

END {
	rows = int((norder["panel"] + 1) / 2)
	printf "set terminal pngcairo size 1400,%d font ',9'\n", 330 * rows
	printf "set output '%s'\n", png
	print "set termoption noenhanced"
	printf "set multiplot layout %d,2 title 'mempool_mod native: ns per alloc+free (lower is faster), %s'\n", rows, cpu
	print "set style data histogram"
	print "set style histogram clustered gap 1"
	print "set style fill solid 0.8 border -1"
	print "set logscale y"
	print "set yrange [1:*]"
	print "set ylabel 'ns/op'"
	print "set key top left horizontal font ',8'"
	print "set grid ytics"
	for (pi = 1; pi <= norder["panel"]; pi++) {
		panel = order["panel", pi]
		printf "set title '%s'\n", panel
		cmd = "plot"
		for (ai = 1; ai <= norder["a " panel]; ai++)
			cmd = cmd (ai > 1 ? "," : "") " '-' using 2:xtic(1) title '" \
			      order["a " panel, ai] "' lc rgb '" color(order["a " panel, ai]) "'"
		print cmd
		for (ai = 1; ai <= norder["a " panel]; ai++) {
			a = order["a " panel, ai]
			for (xi = 1; xi <= norder["x " panel]; xi++) {
				x = order["x " panel, xi]
				printf "\"%s\" %s\n", x, ((panel, x, a) in ns) ? ns[panel, x, a] : "NaN"
			}
			print "e"
		}
	}
	print "unset multiplot"
}
