# SPDX-License-Identifier: GPL-2.0
#
# Compare two `make bench` CSVs, cell by cell, on one allocator's speed
# relative to kmem_cache in its own boot (the only comparison QEMU allows):
#
#	awk -v alloc=mpool -f bench/compare.awk BEFORE.csv AFTER.csv
#
# Prints every cell both measured, with both ratios and their difference,
# then the median, 90th percentile and largest absolute difference: what
# to hold against the spread between two boots of the same code (the
# speed log in Documentation/bench.rst has it).  A cell is a kernel, an
# init_on_alloc, a test, a block size and a thread count.  Plain POSIX
# awk.

BEGIN { FS = "," }

FNR == 1 {
	file++
	for (i = 1; i <= NF; i++)
		col[file, $i] = i
	next
}

$col[file, "allocator"] == alloc && $col[file, "relative_to"] == "kmem_cache" &&
    $col[file, "relative_speed"] != "" {
	key = $col[file, "kernel"] " ioa=" $col[file, "init_on_alloc"] " " \
	      $col[file, "test"] " " $col[file, "block_size"] " B " \
	      $col[file, "threads"] " thr"
	speed[file, key] = $col[file, "relative_speed"]
	if (file == 1)
		keys[++nkeys] = key
}

# The value at fraction F of the n sorted values d[1..n].
function quantile(d, n, f,    i) {
	i = int(f * (n - 1) + 0.5) + 1
	return d[i]
}

END {
	printf "| cell | before | after | after - before |\n|---|--:|--:|--:|\n"
	for (k = 1; k <= nkeys; k++) {
		key = keys[k]
		if (!((2, key) in speed))
			continue
		diff = speed[2, key] - speed[1, key]
		printf "| %s | %s | %s | %+.2f |\n", key, speed[1, key],
		       speed[2, key], diff
		x = diff < 0 ? -diff : diff
		for (j = n; j >= 1 && d[j] > x; j--)
			d[j + 1] = d[j]
		d[j + 1] = x
		n++
		sum += diff
	}
	if (!n) {
		print "compare.awk: no cell of " alloc " in both files" > "/dev/stderr"
		exit 1
	}
	printf "\n%d cells of %s: mean change %+.3f; absolute change median %.2f, 90th percentile %.2f, largest %.2f\n",
	       n, alloc, sum / n, quantile(d, n, 0.5), quantile(d, n, 0.9), d[n]
}
