# SPDX-License-Identifier: GPL-2.0
#
# make check's quick run of make bench NATIVE=1: no time is judged, but
# every variant must have run mpool and mpool_nopcpu on every workload,
# the product every peer too, and every time must be a positive, finite
# number of ns below a second a block.  Prints what is wrong; exits 1 if
# anything is.

$1 == "sample" {
	if (NF != 12 || $11 !~ /^[0-9]+(\.[0-9]+)?$/ || $11 <= 0 || $11 >= 1e9) {
		print "native bench: insane line: " $0
		bad = 1
	}
	seen[$2, $4, $5] = 1
	variants[$2] = 1
	next
}

$1 == "error" {
	print "native bench: " $0
	bad = 1
}

END {
	split("pair batch32 bulk16 remote dma", workloads, " ")
	split("floor objpool dma_pool gen_pool", peers, " ")
	split("product unchecked unchecked-unzeroed untraced", wanted, " ")
	for (vi in wanted) {
		v = wanted[vi]
		if (!(v in variants)) {
			print "native bench: variant " v " did not run"
			bad = 1
			continue
		}
		for (wi in workloads) {
			w = workloads[wi]
			for (ai = 1; ai <= 2; ai++) {
				a = ai == 1 ? "mpool" : "mpool_nopcpu"
				if (!((v, w, a) in seen)) {
					print "native bench: no " a " " w " in " v
					bad = 1
				}
			}
		}
	}
	for (pi in peers) {
		p = peers[pi]
		found = 0
		for (wi in workloads)
			found += (("product", workloads[wi], p) in seen)
		if (!found) {
			print "native bench: peer " p " never ran"
			bad = 1
		}
	}
	exit bad
}
