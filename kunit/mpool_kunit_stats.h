/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KUnit modules share: comparing a pool's statistics with the
 * model a case keeps of them.  Included by each module, once.
 */
#ifndef _MPOOL_KUNIT_STATS_H
#define _MPOOL_KUNIT_STATS_H

#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/types.h>

#include "mempool_mod.h"

/* Room for what mpool_kunit_stats_diff() writes of every field. */
#define MPOOL_KUNIT_DIFF_SIZE	320

/* The most free blocks the CPUs' caches can hold. */
static u64 mpool_kunit_max_cached(const struct mpool_stats *st)
{
	return (u64)num_possible_cpus() * st->cache_size;
}

/*
 * What the peak may exceed the model's by.  It counts the blocks out of
 * the depot, and each possible CPU may cache cache_size of them.  A
 * MPOOL_NO_PERCPU pool's is what it carved, when its stack was empty, to
 * the end of a run: MPOOL_CACHE_MAX / 2 blocks, as src/mpool.h's
 * MPOOL_RUN_MAX, for a pool without caches.
 */
static u64 mpool_kunit_peak_slack(const struct mpool_stats *st)
{
	if (st->flags & MPOOL_NO_PERCPU)
		return MPOOL_CACHE_MAX / 2 - 1;
	return mpool_kunit_max_cached(st);
}

/*
 * Write into @buf each field of @st that differs from @exp, with both;
 * every field the model knows, and the pool's own invariants.  The
 * model knows no cache: a cached peak may exceed the model's by what the
 * CPUs can cache, and the caches' sizes must fit the pool.
 */
static void mpool_kunit_stats_diff(const struct mpool_stats *st,
				   const struct mpool_stats *exp,
				   char *buf, size_t size)
{
	u64 peak = clamp_t(u64, st->peak_in_use, exp->peak_in_use,
			   exp->peak_in_use + mpool_kunit_peak_slack(st));
	u64 max_cache = st->flags & MPOOL_NO_PERCPU ? 0 : MPOOL_CACHE_MAX;
	const struct {
		const char *name;
		u64 got, want;
	} f[] = {
		{ "block_size", st->block_size, exp->block_size },
		{ "align", st->align, exp->align },
		{ "stride", st->stride, exp->stride },
		{ "nr_blocks", st->nr_blocks, exp->nr_blocks },
		{ "region_bytes", st->region_bytes, exp->region_bytes },
		{ "in_use", st->in_use, exp->in_use },
		{ "peak_in_use", st->peak_in_use, peak },
		{ "allocs", st->allocs, exp->allocs },
		{ "frees", st->frees, exp->frees },
		{ "alloc_failures", st->alloc_failures, exp->alloc_failures },
		{ "invalid_frees", st->invalid_frees, exp->invalid_frees },
		{ "double_frees", st->double_frees, exp->double_frees },
		{ "poison_errors", st->poison_errors, exp->poison_errors },
		{ "redzone_errors", st->redzone_errors, exp->redzone_errors },
		{ "freelist_errors", st->freelist_errors,
		  exp->freelist_errors },
		{ "quarantined", st->quarantined, exp->quarantined },
		{ "flags", st->flags, exp->flags },
		{ "redzone_bytes", st->redzone_bytes, exp->redzone_bytes },
		/* The pool's own invariants, whatever the model says. */
		{ "allocs - frees", st->allocs - st->frees, st->in_use },
		{ "cache_size", st->cache_size,
		  min_t(u64, st->cache_size, max_cache) },
		{ "cached", st->cached,
		  min_t(u64, st->cached, mpool_kunit_max_cached(st)) },
		{ "meta_bytes: a state byte per block at least",
		  st->meta_bytes, max_t(u64, st->meta_bytes, st->nr_blocks) },
		{ "in_use + cached + quarantined",
		  st->in_use + st->cached + st->quarantined,
		  min_t(u64, st->in_use + st->cached + st->quarantined,
			st->nr_blocks) },
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (f[i].got != f[i].want)
			len += scnprintf(buf + len, size - len,
					 " %s %llu, not %llu;",
					 f[i].name, f[i].got, f[i].want);
	}
}

#endif /* _MPOOL_KUNIT_STATS_H */
