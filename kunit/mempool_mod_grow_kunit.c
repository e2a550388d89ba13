// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pools of several regions: mpool_create_args()'s checks,
 * mpool_grow(), the watermark worker, a sleeping alloc that waits for a
 * growth, mpool_shrink() and the shrinker, and growth under load from
 * every CPU.  Every check of a free stays exact across regions, and a
 * region goes back only when every one of its blocks is free in the
 * depot.  The interleavings that matter are made certain at the pool's
 * test points (src/test_hooks.h, in make check's build): the grow worker
 * parked before it adds a region, a shrink parked after it emptied the
 * CPUs' rings.
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_wait.h"
#include "src/test_hooks.h"

#define GROW_BLOCK_SIZE		64
/* A hang guard (mpool_kunit_wait.h): no test waits this long when it passes. */
#define GROW_TIMEOUT		MPOOL_KUNIT_HANG_GUARD

/* ---- pools, and where their blocks lie ---------------------------------- */

/*
 * A pool of the case's, destroyed when the case ends, however it ends,
 * and what the case knows of it: its first region, from block 0, which
 * a new pool hands out first (as the debug suite relies on too).
 */
struct grow_pool {
	struct mpool *pool;
	struct mpool_args args;
	char *base;		/* block 0: the first region's start */
	size_t stride;
	size_t min_blocks;
};

static int grow_pool_init(struct kunit_resource *res, void *pool)
{
	res->data = pool;
	return 0;
}

static void grow_pool_release(struct kunit_resource *res)
{
	mpool_destroy(res->data);
}

static struct mpool *grow_track(struct kunit *test, const char *name,
				struct mpool *pool)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "create %s: %pe", name,
					 pool);
	if (!kunit_alloc_resource(test, grow_pool_init, grow_pool_release,
				  GFP_KERNEL, pool)) {
		mpool_destroy(pool);
		KUNIT_FAIL_AND_ABORT(test, "cannot track pool %s", name);
	}
	return pool;
}

static struct mpool_stats grow_stats(struct mpool *pool)
{
	struct mpool_stats st;

	mpool_get_stats(pool, &st);
	return st;
}

/*
 * A pool of @min blocks that may grow by @grow to @min + @regions * @grow;
 * its block 0 taken and given back, to know where the first region is.
 */
static struct grow_pool *grow_create(struct kunit *test, const char *name,
				     size_t min, size_t grow, size_t regions,
				     size_t low, unsigned int flags)
{
	struct grow_pool *gp = kunit_kzalloc(test, sizeof(*gp), GFP_KERNEL);
	struct mpool_stats st;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gp);
	gp->args.flags = flags;
	gp->args.min_blocks = min;
	gp->args.max_blocks = min + regions * grow;
	gp->args.grow_blocks = grow;
	gp->args.low_blocks = low;
	gp->pool = grow_track(test, name,
			      mpool_create_args(name, GROW_BLOCK_SIZE,
						&gp->args));
	st = grow_stats(gp->pool);
	KUNIT_ASSERT_EQ(test, st.nr_blocks, min);
	KUNIT_ASSERT_EQ(test, st.max_blocks, min + regions * grow);
	gp->stride = st.stride;
	gp->min_blocks = min;
	gp->base = mpool_alloc(gp->pool, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gp->base);
	mpool_free(gp->pool, gp->base);
	return gp;
}

/* Whether @p is a byte of the first region. */
static bool grow_in_first(const struct grow_pool *gp, const void *p)
{
	return (unsigned long)p - (unsigned long)gp->base <
	       gp->min_blocks * gp->stride;
}

static void **grow_array(struct kunit *test, size_t nr)
{
	void **blocks = kunit_kcalloc(test, nr, sizeof(*blocks), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blocks);
	return blocks;
}

/* Take up to @max blocks with GFP_ATOMIC; returns how many it got. */
static size_t grow_drain(struct mpool *pool, void **blocks, size_t max)
{
	size_t n = 0;

	while (n < max && (blocks[n] = mpool_alloc(pool, GFP_ATOMIC)))
		n++;
	return n;
}

/* Give back every block of @blocks that is not NULL. */
static void grow_free_all(struct mpool *pool, void **blocks, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		mpool_free(pool, blocks[i]);
		blocks[i] = NULL;
	}
}

/*
 * Write each block whole with a pattern of its own, then check every
 * one: two blocks that overlap, in one region or two, lose a write.
 * Returns how many blocks lost theirs.
 */
static size_t grow_stamp_and_check(void **blocks, size_t nr)
{
	size_t i, bad = 0;

	for (i = 0; i < nr; i++)
		memset(blocks[i], (u8)(i * 37 + 1), GROW_BLOCK_SIZE);
	for (i = 0; i < nr; i++)
		bad += !!memchr_inv(blocks[i], (u8)(i * 37 + 1),
				    GROW_BLOCK_SIZE);
	return bad;
}

/* The blocks of @blocks outside the first region, lowest first in *@low. */
static size_t grow_far_blocks(const struct grow_pool *gp, void **blocks,
			      size_t nr, char **low)
{
	size_t i, far = 0;

	*low = NULL;
	for (i = 0; i < nr; i++) {
		if (grow_in_first(gp, blocks[i]))
			continue;
		far++;
		if (!*low || (char *)blocks[i] < *low)
			*low = blocks[i];
	}
	return far;
}

/* Expect no refused free, no corruption, nothing in use. */
static void grow_expect_clean(struct kunit *test, struct mpool *pool,
			      const char *when)
{
	struct mpool_stats st = grow_stats(pool);

	KUNIT_EXPECT_EQ_MSG(test, st.in_use, 0UL, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, st.invalid_frees, 0ULL, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, st.double_frees, 0ULL, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, st.poison_errors, 0ULL, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, st.freelist_errors, 0ULL, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, st.quarantined, 0UL, "%s", when);
}

/*
 * The pool is @nr_regions regions: the first and whole others, each
 * added once and given back at most once.  One line when it is not, so
 * that a failing case's log stays short (6.1 keeps 2 KiB of it).
 */
static void grow_expect_regions(struct kunit *test, const struct grow_pool *gp,
				size_t nr_regions)
{
	struct mpool_stats st = grow_stats(gp->pool);

	KUNIT_EXPECT_TRUE_MSG(test, st.nr_regions == nr_regions &&
			      st.nr_blocks == gp->min_blocks + (nr_regions - 1) *
			      gp->args.grow_blocks &&
			      st.grows - st.shrinks == nr_regions - 1,
			      "want %zu regions: %zu regions, %zu blocks, %llu grows, %llu shrinks",
			      nr_regions, st.nr_regions, st.nr_blocks,
			      st.grows, st.shrinks);
}

/* ---- mpool_create_args() ------------------------------------------------ */

/* Arguments with one thing wrong, and the same with it mended. */
struct grow_bad_args {
	const char *desc;
	struct mpool_args bad;
	struct mpool_args good;
};

static const struct grow_bad_args grow_bad_args[] = {
	{ "min_blocks 0",
	  { .min_blocks = 0, .max_blocks = 64 },
	  { .min_blocks = 1, .max_blocks = 64 } },
	{ "max_blocks below min_blocks",
	  { .min_blocks = 64, .max_blocks = 63 },
	  { .min_blocks = 64, .max_blocks = 64 } },
	{ "grow_blocks above max - min",
	  { .min_blocks = 64, .max_blocks = 128, .grow_blocks = 65 },
	  { .min_blocks = 64, .max_blocks = 128, .grow_blocks = 64 } },
	{ "MPOOL_NO_PERCPU that may grow",
	  { .flags = MPOOL_NO_PERCPU, .min_blocks = 64, .max_blocks = 128 },
	  { .flags = MPOOL_NO_PERCPU, .min_blocks = 64, .max_blocks = 64 } },
};

static void grow_bad_args_desc(const struct grow_bad_args *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(grow_bad, grow_bad_args, grow_bad_args_desc);

/*
 * Each bad argument alone is refused with -EINVAL; the same arguments
 * with that one mended make a pool, so that a create refusing everything
 * does not pass.
 */
static void create_args_refuses_bad(struct kunit *test)
{
	const struct grow_bad_args *p = test->param_value;
	struct mpool *pool;

	pool = mpool_create_args("kunit_grow_bad", GROW_BLOCK_SIZE, &p->bad);
	if (!IS_ERR(pool))
		mpool_destroy(pool);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), -EINVAL);
	grow_track(test, "kunit_grow_good",
		   mpool_create_args("kunit_grow_good", GROW_BLOCK_SIZE,
				     &p->good));
}

/*
 * A pool starts at min_blocks, in one region; max_blocks is rounded down
 * to whole regions, and it grows to exactly that and no further.
 */
static void create_args_starts_at_min(struct kunit *test)
{
	struct mpool_args args = {
		.min_blocks = 100,
		.max_blocks = 200,
		.grow_blocks = 32,
	};
	struct mpool_stats st;
	struct mpool *pool;

	pool = grow_track(test, "kunit_grow_min",
			  mpool_create_args("kunit_grow_min", GROW_BLOCK_SIZE,
					    &args));
	st = grow_stats(pool);
	KUNIT_EXPECT_EQ(test, st.nr_blocks, 100UL);
	KUNIT_EXPECT_EQ(test, st.min_blocks, 100UL);
	KUNIT_EXPECT_EQ(test, st.nr_regions, 1UL);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);
	KUNIT_EXPECT_EQ(test, st.shrinks, 0ULL);
	/* 100 + 3 * 32: a fourth region would pass 200. */
	KUNIT_EXPECT_EQ(test, st.max_blocks, 196UL);

	KUNIT_EXPECT_EQ(test, mpool_grow(pool, 96), 0);
	st = grow_stats(pool);
	KUNIT_EXPECT_EQ(test, st.nr_blocks, 196UL);
	KUNIT_EXPECT_EQ(test, st.nr_regions, 4UL);
	KUNIT_EXPECT_EQ(test, mpool_grow(pool, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, grow_stats(pool).nr_blocks, 196UL);
}

/* grow_blocks 0: min_blocks rounded up to a power of two. */
static void create_args_default_grow(struct kunit *test)
{
	struct mpool_args args = { .min_blocks = 100, .max_blocks = 400 };
	struct mpool *pool;

	pool = grow_track(test, "kunit_grow_default",
			  mpool_create_args("kunit_grow_default",
					    GROW_BLOCK_SIZE, &args));
	/* Regions of 128: 100 + 2 * 128. */
	KUNIT_EXPECT_EQ(test, grow_stats(pool).max_blocks, 356UL);
	KUNIT_EXPECT_EQ(test, mpool_grow(pool, 1), 0);
	KUNIT_EXPECT_EQ(test, grow_stats(pool).nr_blocks, 228UL);
}

/* ---- mpool_grow() ------------------------------------------------------- */

/*
 * mpool_grow() adds whole regions, all or none: -EINVAL for 0, -ENOSPC
 * past max_blocks with nothing added.  At max_blocks every block can be
 * had, each once, and then GFP_ATOMIC gets NULL.
 */
static void grow_adds_regions(struct kunit *test)
{
	const size_t max = 64 + 3 * 64;
	struct grow_pool *gp;
	void **blocks;
	char *low;

	gp = grow_create(test, "kunit_grow_add", 64, 64, 3, 0, 0);
	blocks = grow_array(test, max + 1);

	KUNIT_EXPECT_EQ(test, mpool_grow(gp->pool, 0), -EINVAL);
	grow_expect_regions(test, gp, 1);
	KUNIT_EXPECT_EQ(test, mpool_grow(gp->pool, 1), 0);
	grow_expect_regions(test, gp, 2);
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).grows, 1ULL);
	/* Three more do not fit: none is added. */
	KUNIT_EXPECT_EQ(test, mpool_grow(gp->pool, 3 * 64), -ENOSPC);
	grow_expect_regions(test, gp, 2);
	/* 65 blocks: two regions. */
	KUNIT_EXPECT_EQ(test, mpool_grow(gp->pool, 65), 0);
	grow_expect_regions(test, gp, 4);
	KUNIT_EXPECT_EQ(test, mpool_grow(gp->pool, 1), -ENOSPC);
	grow_expect_regions(test, gp, 4);

	/* At max_blocks: every block, then NULL. */
	KUNIT_EXPECT_EQ(test, grow_drain(gp->pool, blocks, max + 1), max);
	KUNIT_EXPECT_NULL(test, mpool_alloc(gp->pool, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, grow_far_blocks(gp, blocks, max, &low),
			max - 64);
	KUNIT_EXPECT_EQ(test, grow_stamp_and_check(blocks, max), 0UL);
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).alloc_failures, 2ULL);
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).in_use, max);
	grow_free_all(gp->pool, blocks, max);
	grow_expect_clean(test, gp->pool, "all given back");
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).frees, (u64)max + 1);
}

/* A pool of mpool_create() is at its bound from the start. */
static void grow_fixed_pool_refused(struct kunit *test)
{
	struct mpool *pool;

	pool = grow_track(test, "kunit_grow_fixed",
			  mpool_create("kunit_grow_fixed", GROW_BLOCK_SIZE, 0,
				       64, 0));
	KUNIT_EXPECT_EQ(test, grow_stats(pool).max_blocks, 64UL);
	KUNIT_EXPECT_EQ(test, mpool_grow(pool, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, mpool_shrink(pool), 0UL);
	KUNIT_EXPECT_EQ(test, grow_stats(pool).nr_blocks, 64UL);
	KUNIT_EXPECT_EQ(test, grow_stats(pool).nr_regions, 1UL);
}

/*
 * The checks of a free, on a grown region's blocks: a double free, an
 * interior pointer, a pointer just past the region's end and a foreign
 * one are each refused and counted, and the pool keeps working.
 */
static void grow_frees_checked_across_regions(struct kunit *test)
{
	const size_t max = 2 * 64;
	struct grow_pool *gp;
	struct mpool_stats st;
	char *low, *end, *f, *g;
	void **blocks, *foreign;
	size_t i, off_stride = 0;

	gp = grow_create(test, "kunit_grow_checks", 64, 64, 1, 0, 0);
	blocks = grow_array(test, max);
	foreign = kunit_kzalloc(test, GROW_BLOCK_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 1), 0);
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_ASSERT_EQ(test, grow_far_blocks(gp, blocks, max, &low), 64UL);
	/* The grown region: 64 blocks, a stride apart, from its lowest. */
	for (i = 0; i < max; i++) {
		if (grow_in_first(gp, blocks[i]))
			continue;
		if ((blocks[i] - (void *)low) % gp->stride ||
		    blocks[i] - (void *)low >= 64 * gp->stride)
			off_stride++;
	}
	KUNIT_ASSERT_EQ_MSG(test, off_stride, 0UL,
			    "grown blocks outside one region of 64");
	end = low + 64 * gp->stride;
	f = low + 5 * gp->stride;
	g = low + 7 * gp->stride;

	KUNIT_EXPECT_TRUE(test, mpool_owns(gp->pool, f));
	KUNIT_EXPECT_TRUE(test, mpool_owns(gp->pool, end - 1));
	KUNIT_EXPECT_FALSE(test, mpool_owns(gp->pool, end));
	KUNIT_EXPECT_FALSE(test, mpool_owns(gp->pool, foreign));

	mpool_free(gp->pool, f);
	mpool_free(gp->pool, f);
	mpool_free(gp->pool, g + 1);
	mpool_free(gp->pool, g + gp->stride / 2);
	mpool_free(gp->pool, end);
	mpool_free(gp->pool, foreign);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 4ULL);
	/* f's, and block 0's in grow_create(). */
	KUNIT_EXPECT_EQ(test, st.frees, 2ULL);
	KUNIT_EXPECT_EQ(test, st.in_use, max - 1);

	/* Still working: the one free block comes back, and g is still out. */
	KUNIT_EXPECT_PTR_EQ(test, mpool_alloc(gp->pool, GFP_ATOMIC), (void *)f);
	KUNIT_EXPECT_NULL(test, mpool_alloc(gp->pool, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, grow_stamp_and_check(blocks, max), 0UL);
	grow_free_all(gp->pool, blocks, max);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 4ULL);
}

/*
 * GFP_KERNEL allocs on a pool at min_blocks get every block up to
 * max_blocks, the pool growing for them; at max_blocks with every block
 * out, GFP_ATOMIC gets NULL and a bounded wait times out.
 */
static void sleeping_allocs_grow_to_max(struct kunit *test)
{
	const size_t max = 32 + 4 * 32;
	struct grow_pool *gp;
	struct mpool_stats st;
	void **blocks;
	size_t i;

	gp = grow_create(test, "kunit_grow_kernel", 32, 32, 4, 0, 0);
	blocks = grow_array(test, max);
	for (i = 0; i < max; i++) {
		blocks[i] = mpool_alloc_timeout(gp->pool, GFP_KERNEL,
						GROW_TIMEOUT);
		if (!blocks[i])
			break;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, max, "GFP_KERNEL got NULL at block %zu",
			    i);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.nr_blocks, max);
	KUNIT_EXPECT_EQ(test, st.nr_regions, 5UL);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 0ULL);
	KUNIT_EXPECT_NULL(test, mpool_alloc(gp->pool, GFP_ATOMIC));
	KUNIT_EXPECT_NULL(test, mpool_alloc_timeout(gp->pool, GFP_KERNEL,
						    HZ / 10));
	KUNIT_EXPECT_EQ(test, grow_stamp_and_check(blocks, i), 0UL);
	grow_free_all(gp->pool, blocks, i);
	grow_expect_clean(test, gp->pool, "all given back");
}

/* ---- mpool_shrink() ----------------------------------------------------- */

/*
 * Every wholly free region goes back, never the first; a stale pointer
 * into a region given back is outside the pool; the pool grows again.
 */
static void shrink_gives_back_free_regions(struct kunit *test)
{
	const size_t max = 64 + 3 * 64;
	struct grow_pool *gp;
	struct mpool_stats st;
	void **blocks;
	char *stale;

	gp = grow_create(test, "kunit_shrink_free", 64, 64, 3, 0, 0);
	blocks = grow_array(test, max);
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 3 * 64), 0);
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_ASSERT_EQ(test, grow_far_blocks(gp, blocks, max, &stale),
			max - 64);
	grow_free_all(gp->pool, blocks, max);

	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), max - 64);
	grow_expect_regions(test, gp, 1);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.shrinks, 3ULL);
	KUNIT_EXPECT_EQ(test, st.cached, 0UL);
	/* Never below min_blocks. */
	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), 0UL);
	grow_expect_regions(test, gp, 1);

	/* Gone: the region's memory is never touched again. */
	KUNIT_EXPECT_FALSE(test, mpool_owns(gp->pool, stale));
	mpool_free(gp->pool, stale);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.double_frees, 0ULL);

	/* And back: grown again, every block once. */
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 3 * 64), 0);
	grow_expect_regions(test, gp, 4);
	KUNIT_EXPECT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_EXPECT_NULL(test, mpool_alloc(gp->pool, GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, grow_stamp_and_check(blocks, max), 0UL);
	grow_free_all(gp->pool, blocks, max);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), max - 64);
}

/* A region with one block handed out stays, and that block stays good. */
static void shrink_keeps_region_with_block_out(struct kunit *test)
{
	const size_t max = 64 + 2 * 64;
	struct grow_pool *gp;
	void **blocks;
	char *kept;
	size_t i;

	gp = grow_create(test, "kunit_shrink_out", 64, 64, 2, 0, 0);
	blocks = grow_array(test, max);
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 2 * 64), 0);
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_ASSERT_EQ(test, grow_far_blocks(gp, blocks, max, &kept),
			2 * 64UL);
	for (i = 0; i < max; i++) {
		if (blocks[i] == kept)
			blocks[i] = NULL;
	}
	grow_free_all(gp->pool, blocks, max);

	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), 64UL);
	grow_expect_regions(test, gp, 2);
	KUNIT_EXPECT_TRUE(test, mpool_owns(gp->pool, kept));
	/* Still the consumer's memory (KASAN says if it was freed). */
	memset(kept, 0x5a, GROW_BLOCK_SIZE);
	mpool_free(gp->pool, kept);
	grow_expect_clean(test, gp->pool, "the kept block given back");
	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), 64UL);
	grow_expect_regions(test, gp, 1);
}

/*
 * A MPOOL_POISON pool: a grown region's block written after free is
 * quarantined at the next alloc, and its region never goes back.
 */
static void shrink_keeps_region_with_quarantined_block(struct kunit *test)
{
	const size_t max = 2 * 64;
	struct grow_pool *gp;
	struct mpool_stats st;
	void **blocks;
	char *victim;
	size_t i;

	gp = grow_create(test, "kunit_shrink_quarantine", 64, 64, 1, 0,
			 MPOOL_POISON);
	blocks = grow_array(test, max);
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 1), 0);
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_ASSERT_EQ(test, grow_far_blocks(gp, blocks, max, &victim),
			64UL);
	for (i = 0; i < max; i++) {
		if (blocks[i] == victim)
			blocks[i] = NULL;
	}
	mpool_free(gp->pool, victim);
	KUNIT_ASSERT_NULL(test, memchr_inv(victim, MPOOL_POISON_FREE,
					   GROW_BLOCK_SIZE));
	victim[1] ^= 0xff;
	/* The only free block: checked, quarantined, none left. */
	KUNIT_EXPECT_NULL(test, mpool_alloc(gp->pool, GFP_ATOMIC));
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.poison_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 1UL);
	grow_free_all(gp->pool, blocks, max);

	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), 0UL);
	grow_expect_regions(test, gp, 2);
	/* Its free is refused as a quarantined block's, not as outside. */
	mpool_free(gp->pool, victim);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0ULL);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
}

/* ---- the shrinker -------------------------------------------------------- */

/*
 * Every shrinker runs as memory pressure runs them, through shrink_slab():
 * what "echo 2 > /proc/sys/vm/drop_caches" does.  From a case, by writing
 * to that file.
 */
static void grow_drop_slab(struct kunit *test)
{
	static const char two[] = "2\n";
	struct file *file;
	loff_t pos = 0;
	ssize_t n;

	file = filp_open("/proc/sys/vm/drop_caches", O_WRONLY, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "drop_caches: %pe", file);
	n = kernel_write(file, two, sizeof(two) - 1, &pos);
	filp_close(file, NULL);
	KUNIT_ASSERT_EQ(test, n, (ssize_t)sizeof(two) - 1);
}

/*
 * A MPOOL_SHRINKABLE pool grown, then given back whole, the blocks freed
 * last still in the CPUs' caches as a consumer leaves them: its grown
 * regions go back under memory pressure, but the one with a block out,
 * and it never goes below min_blocks.  A pool without the flag keeps
 * its regions.
 */
static void shrinker_gives_back_free_regions(struct kunit *test)
{
	const size_t max = 64 + 3 * 64;
	struct grow_pool *gp, *fixed;
	void **blocks;
	char *kept;
	size_t i;

	gp = grow_create(test, "kunit_shrinker", 64, 64, 3, 0,
			 MPOOL_SHRINKABLE);
	fixed = grow_create(test, "kunit_shrinker_not", 64, 64, 3, 0, 0);
	blocks = grow_array(test, max);
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 3 * 64), 0);
	KUNIT_ASSERT_EQ(test, mpool_grow(fixed->pool, 3 * 64), 0);
	KUNIT_ASSERT_EQ(test, grow_drain(fixed->pool, blocks, max), max);
	grow_free_all(fixed->pool, blocks, max);

	/* One block out of one grown region; the rest freed in order. */
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_ASSERT_EQ(test, grow_far_blocks(gp, blocks, max, &kept),
			3 * 64UL);
	for (i = 0; i < max; i++) {
		if (blocks[i] == kept)
			blocks[i] = NULL;
	}
	grow_free_all(gp->pool, blocks, max);

	grow_drop_slab(test);
	grow_expect_regions(test, gp, 2);
	grow_expect_regions(test, fixed, 4);
	KUNIT_EXPECT_TRUE(test, mpool_owns(gp->pool, kept));

	mpool_free(gp->pool, kept);
	grow_drop_slab(test);
	grow_expect_regions(test, gp, 1);
	grow_drop_slab(test);
	grow_expect_regions(test, gp, 1);
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).shrinks, 3ULL);
	grow_expect_clean(test, gp->pool, "after the shrinker");
	grow_expect_regions(test, fixed, 4);
}

static struct kunit_case mpool_grow_cases[] = {
	KUNIT_CASE_PARAM(create_args_refuses_bad, grow_bad_gen_params),
	KUNIT_CASE(create_args_starts_at_min),
	KUNIT_CASE(create_args_default_grow),
	KUNIT_CASE(grow_adds_regions),
	KUNIT_CASE(grow_fixed_pool_refused),
	KUNIT_CASE(grow_frees_checked_across_regions),
	KUNIT_CASE(sleeping_allocs_grow_to_max),
	KUNIT_CASE(shrink_gives_back_free_regions),
	KUNIT_CASE(shrink_keeps_region_with_block_out),
	KUNIT_CASE(shrink_keeps_region_with_quarantined_block),
	KUNIT_CASE(shrinker_gives_back_free_regions),
	{}
};

static struct kunit_suite mpool_grow_suite = {
	.name = "mpool_grow",
	.test_cases = mpool_grow_cases,
};

/* ---- parking the grow worker or a shrink at its test point -------------- */

static struct grow_park {
	struct mpool *pool;
	enum mpool_test_point point;
	bool parked_once;
	struct task_struct *task;	/* who parked */
	bool wq_worker;			/* ... a workqueue's kworker */
	bool in_task;			/* ... in process context */
	struct completion parked;
	struct completion resume;
} grow_park;

static void grow_hook(struct mpool *pool, enum mpool_test_point point)
{
	struct grow_park *p = &grow_park;

	if (pool != READ_ONCE(p->pool) || point != p->point || p->parked_once)
		return;
	p->parked_once = true;
	p->task = current;
	p->wq_worker = current->flags & PF_WQ_WORKER;
	p->in_task = in_task();
	complete(&p->parked);
	wait_for_completion(&p->resume);
}

static void grow_park_arm(struct mpool *pool, enum mpool_test_point point)
{
	struct grow_park *p = &grow_park;

	p->point = point;
	p->parked_once = false;
	p->task = NULL;
	reinit_completion(&p->parked);
	reinit_completion(&p->resume);
	WRITE_ONCE(p->pool, pool);
}

static bool grow_park_wait(void)
{
	return wait_for_completion_timeout(&grow_park.parked, GROW_TIMEOUT);
}

static void grow_resume(void)
{
	WRITE_ONCE(grow_park.pool, NULL);
	complete_all(&grow_park.resume);
}

static int grow_race_init(struct kunit *test)
{
	init_completion(&grow_park.parked);
	init_completion(&grow_park.resume);
	WRITE_ONCE(grow_park.pool, NULL);
	mpool_test_set_hook(grow_hook);
	return 0;
}

/* Whatever the case did, nobody stays parked: before its pools go. */
static void grow_race_exit(struct kunit *test)
{
	grow_resume();
	mpool_test_set_hook(NULL);
}

/* Wait until @pool has at least @nr blocks; false at the hang guard. */
static bool grow_wait_blocks(struct mpool *pool, size_t nr)
{
	unsigned long deadline = jiffies + GROW_TIMEOUT;

	while (grow_stats(pool).nr_blocks < nr) {
		if (time_after(jiffies, deadline))
			return false;
		schedule_timeout_uninterruptible(1);
	}
	return true;
}

/*
 * One call run by a thread of its own.  Not the case's memory: a thread
 * a failing case cannot stop must not outlive it in a freed case.
 */
struct grow_op {
	struct mpool *pool;
	unsigned long timeout;	/* for mpool_alloc_timeout(), or 0 */
	bool shrink;		/* mpool_shrink() rather than an alloc */
	void *block;
	size_t shrunk;
	struct task_struct *task;
	struct completion done;
};

static int grow_op_thread(void *data)
{
	struct grow_op *op = data;

	if (op->shrink)
		op->shrunk = mpool_shrink(op->pool);
	else if (op->timeout)
		op->block = mpool_alloc_timeout(op->pool, GFP_KERNEL,
						op->timeout);
	else
		op->block = mpool_alloc(op->pool, GFP_KERNEL);
	complete(&op->done);
	return 0;
}

static struct grow_op *grow_op_start(struct kunit *test, struct mpool *pool,
				     bool shrink, unsigned long timeout)
{
	struct grow_op *op = kzalloc(sizeof(*op), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, op);
	op->pool = pool;
	op->shrink = shrink;
	op->timeout = timeout;
	init_completion(&op->done);
	op->task = kthread_run(grow_op_thread, op, "kunit_grow");
	if (IS_ERR(op->task)) {
		kfree(op);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run failed");
	}
	/* Its state is read until it is freed, even after it exits. */
	get_task_struct(op->task);
	return op;
}

/* Only for an op that finished: a stuck one is left, and its memory. */
static void grow_op_free(struct grow_op *op)
{
	put_task_struct(op->task);
	kfree(op);
}

/* ---- the watermark worker ------------------------------------------------ */

/* How a case's allocs are atomic: IRQs off, or a spinlock held. */
enum grow_atomic { GROW_IRQS_OFF, GROW_SPINLOCK };

static const enum grow_atomic grow_atomic_params[] = {
	GROW_IRQS_OFF, GROW_SPINLOCK,
};

static void grow_atomic_desc(const enum grow_atomic *p, char *desc)
{
	strscpy(desc, *p == GROW_IRQS_OFF ? "IRQs off" : "spinlock held",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(grow_atomic, grow_atomic_params, grow_atomic_desc);

static DEFINE_SPINLOCK(grow_lock);

/*
 * grow_drain() of @nr blocks in atomic context as @how says, and the
 * pool's nr_blocks read before the context ends.
 */
static size_t grow_drain_atomic(struct mpool *pool, void **blocks, size_t nr,
				enum grow_atomic how, size_t *nr_blocks)
{
	unsigned long flags;
	size_t got;

	if (how == GROW_IRQS_OFF) {
		local_irq_save(flags);
		got = grow_drain(pool, blocks, nr);
		*nr_blocks = grow_stats(pool).nr_blocks;
		local_irq_restore(flags);
	} else {
		spin_lock(&grow_lock);
		got = grow_drain(pool, blocks, nr);
		*nr_blocks = grow_stats(pool).nr_blocks;
		spin_unlock(&grow_lock);
	}
	return got;
}

/*
 * Atomic allocs take the depot below low_blocks: none of them grows the
 * pool; the worker does, in a kworker, once they returned.  Parked at its
 * test point, it shows that nothing grew the pool before it ran.
 */
static void watermark_worker_grows_off_caller(struct kunit *test)
{
	const enum grow_atomic *how = test->param_value;
	const size_t nr = 56;
	struct grow_pool *gp;
	size_t got, inside;
	struct mpool_stats st;
	void **blocks;

	gp = grow_create(test, "kunit_grow_worker", 64, 64, 2, 16, 0);
	blocks = grow_array(test, nr);
	grow_park_arm(gp->pool, MPOOL_TEST_GROW_WORKER);

	got = grow_drain_atomic(gp->pool, blocks, nr, *how, &inside);

	KUNIT_EXPECT_EQ(test, got, nr);
	KUNIT_EXPECT_EQ(test, inside, 64UL);
	st = grow_stats(gp->pool);
	KUNIT_EXPECT_EQ(test, st.nr_blocks, 64UL);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);

	KUNIT_ASSERT_TRUE_MSG(test, grow_park_wait(),
			      "no worker came, %zu of 64 blocks out", got);
	KUNIT_EXPECT_PTR_NE(test, grow_park.task, current);
	KUNIT_EXPECT_TRUE_MSG(test, grow_park.wq_worker,
			      "the worker ran in %s, not a kworker",
			      grow_park.task->comm);
	KUNIT_EXPECT_TRUE(test, grow_park.in_task);
	/* Parked before it adds: nobody else grew the pool meanwhile. */
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).nr_blocks, 64UL);

	grow_resume();
	KUNIT_ASSERT_TRUE_MSG(test, grow_wait_blocks(gp->pool, 128),
			      "the worker added no region");
	grow_expect_regions(test, gp, 2);
	grow_free_all(gp->pool, blocks, got);
	grow_expect_clean(test, gp->pool, "all given back");
}

/*
 * A sleeping alloc on a pool with none free that may grow waits for the
 * growth, not for a free, which never comes: with mpool_alloc(), and
 * with mpool_alloc_timeout() that gives up long before the hang guard.
 */
static const unsigned long grow_sleep_params[] = { 0, 5 * HZ };

static void grow_sleep_desc(const unsigned long *p, char *desc)
{
	strscpy(desc, *p ? "mpool_alloc_timeout(5 s)" : "mpool_alloc()",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(grow_sleep, grow_sleep_params, grow_sleep_desc);

static void sleeping_alloc_waits_for_growth(struct kunit *test)
{
	const unsigned long *timeout = test->param_value;
	struct grow_pool *gp;
	struct grow_op *op;
	void **blocks;
	bool sleeps;

	gp = grow_create(test, "kunit_grow_sleep", 64, 64, 1, 1, 0);
	blocks = grow_array(test, 65);
	grow_park_arm(gp->pool, MPOOL_TEST_GROW_WORKER);
	/* The worker parked: GFP_ATOMIC gets the 64, then NULL. */
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, 65), 64UL);
	KUNIT_ASSERT_TRUE(test, grow_park_wait());

	op = grow_op_start(test, gp->pool, false, *timeout);
	sleeps = mpool_kunit_wait_for_state(op->task, TASK_IDLE, &op->done);
	KUNIT_EXPECT_TRUE_MSG(test, sleeps, "returned %p without a growth",
			      op->block);
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).nr_blocks, 64UL);
	grow_resume();
	if (!wait_for_completion_timeout(&op->done, GROW_TIMEOUT)) {
		/* A block of the case's own, to end the sleep, then fail. */
		mpool_free(gp->pool, blocks[0]);
		blocks[0] = NULL;
		if (wait_for_completion_timeout(&op->done,
						MPOOL_KUNIT_CLEANUP_WAIT))
			grow_op_free(op);
		KUNIT_FAIL_AND_ABORT(test, "the sleeper never woke for the growth");
	}
	KUNIT_EXPECT_NOT_NULL(test, op->block);
	KUNIT_EXPECT_FALSE_MSG(test, grow_in_first(gp, op->block),
			       "%p is not of the new region", op->block);
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).frees, 1ULL);
	grow_expect_regions(test, gp, 2);
	mpool_free(gp->pool, op->block);
	grow_op_free(op);
	grow_free_all(gp->pool, blocks, 64);
	grow_expect_clean(test, gp->pool, "all given back");
}

/* ---- a shrink that finds a block in a ring -------------------------------- */

/*
 * mpool_shrink() empties the rings, and then, before it judges, an
 * alloc and a free leave a run of the grown region in this CPU's ring:
 * the region is not wholly in the depot and must stay.
 */
static void shrink_refuses_ring_held_block(struct kunit *test)
{
	const size_t max = 2 * 64;
	struct grow_pool *gp;
	struct grow_op *op;
	void **blocks, *p;
	char *low;
	size_t i;

	gp = grow_create(test, "kunit_shrink_ring", 64, 64, 1, 0, 0);
	KUNIT_ASSERT_NE(test, grow_stats(gp->pool).cache_size, 0UL);
	blocks = grow_array(test, max);
	KUNIT_ASSERT_EQ(test, mpool_grow(gp->pool, 1), 0);
	KUNIT_ASSERT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_ASSERT_EQ(test, grow_far_blocks(gp, blocks, max, &low), 64UL);
	/* The grown region's blocks back; the first region's all held. */
	for (i = 0; i < max; i++) {
		if (!grow_in_first(gp, blocks[i])) {
			mpool_free(gp->pool, blocks[i]);
			blocks[i] = NULL;
		}
	}

	grow_park_arm(gp->pool, MPOOL_TEST_SHRINK_FLUSHED);
	op = grow_op_start(test, gp->pool, true, 0);
	KUNIT_ASSERT_TRUE(test, grow_park_wait());
	KUNIT_EXPECT_EQ(test, grow_stats(gp->pool).cached, 0UL);
	p = mpool_alloc(gp->pool, GFP_ATOMIC);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, grow_in_first(gp, p));
	mpool_free(gp->pool, p);
	KUNIT_EXPECT_NE(test, grow_stats(gp->pool).cached, 0UL);
	grow_resume();
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&op->done,
							    GROW_TIMEOUT));
	KUNIT_EXPECT_EQ(test, op->shrunk, 0UL);
	grow_op_free(op);
	grow_expect_regions(test, gp, 2);

	/* Every block of both regions still good, each once. */
	grow_free_all(gp->pool, blocks, max);
	KUNIT_EXPECT_EQ(test, grow_drain(gp->pool, blocks, max), max);
	KUNIT_EXPECT_EQ(test, grow_stamp_and_check(blocks, max), 0UL);
	grow_free_all(gp->pool, blocks, max);
	grow_expect_clean(test, gp->pool, "all given back");
	KUNIT_EXPECT_EQ(test, mpool_shrink(gp->pool), 64UL);
}

static struct kunit_case mpool_grow_race_cases[] = {
	KUNIT_CASE_PARAM(watermark_worker_grows_off_caller,
			 grow_atomic_gen_params),
	KUNIT_CASE_PARAM(sleeping_alloc_waits_for_growth,
			 grow_sleep_gen_params),
	KUNIT_CASE(shrink_refuses_ring_held_block),
	{}
};

static struct kunit_suite mpool_grow_race_suite = {
	.name = "mpool_grow_race",
	.init = grow_race_init,
	.exit = grow_race_exit,
	.test_cases = mpool_grow_race_cases,
};

/* ---- growth under load ----------------------------------------------------- */

#define LOAD_MIN		32
#define LOAD_GROW		32
#define LOAD_REGIONS		15
/* Held by each thread at most: four threads hold less than max_blocks. */
#define LOAD_HOLD		96
#define LOAD_OPS		3000

struct grow_load_thread {
	struct mpool *pool;
	unsigned int id;
	u32 seed;
	void *held[LOAD_HOLD];
	u32 stamp[LOAD_HOLD];
	size_t nr_held;
	u64 atomic_nulls;	/* GFP_ATOMIC allocs that got NULL */
	u64 kernel_nulls;	/* GFP_KERNEL allocs that got NULL: none */
	u64 bad_stamps;		/* blocks whose contents changed while held */
	struct task_struct *task;
	struct completion done;
};

static u32 grow_load_next(struct grow_load_thread *t)
{
	/* xorshift32: the same run for a seed, no lock. */
	t->seed ^= t->seed << 13;
	t->seed ^= t->seed >> 17;
	t->seed ^= t->seed << 5;
	return t->seed;
}

static void grow_load_alloc(struct grow_load_thread *t, u32 r)
{
	unsigned long flags;
	void *p;

	switch (r % 3) {
	case 0:
		local_irq_save(flags);
		p = mpool_alloc(t->pool, GFP_ATOMIC);
		local_irq_restore(flags);
		break;
	case 1:
		p = mpool_alloc(t->pool, GFP_ATOMIC);
		break;
	default:
		/* The threads hold less than max_blocks: never NULL. */
		p = mpool_alloc_timeout(t->pool, GFP_KERNEL, GROW_TIMEOUT);
		t->kernel_nulls += !p;
		break;
	}
	if (!p) {
		t->atomic_nulls += r % 3 != 2;
		return;
	}
	t->stamp[t->nr_held] = grow_load_next(t);
	memset(p, (u8)t->stamp[t->nr_held], GROW_BLOCK_SIZE);
	*(u32 *)p = t->stamp[t->nr_held];
	t->held[t->nr_held++] = p;
}

static void grow_load_free(struct grow_load_thread *t, size_t i)
{
	void *p = t->held[i];

	t->bad_stamps += *(u32 *)p != t->stamp[i] ||
			 memchr_inv(p + sizeof(u32), (u8)t->stamp[i],
				    GROW_BLOCK_SIZE - sizeof(u32));
	mpool_free(t->pool, p);
	t->held[i] = t->held[--t->nr_held];
	t->stamp[i] = t->stamp[t->nr_held];
}

static int grow_load_fn(void *data)
{
	struct grow_load_thread *t = data;
	unsigned int op;
	u32 r;

	for (op = 0; op < LOAD_OPS; op++) {
		r = grow_load_next(t);
		/* Mostly allocs while few are held: the pool must grow. */
		if (t->nr_held < LOAD_HOLD &&
		    (!t->nr_held || r % LOAD_HOLD >= t->nr_held / 2))
			grow_load_alloc(t, r >> 8);
		else
			grow_load_free(t, (r >> 8) % t->nr_held);
		if (!(op % 64))
			cond_resched();
	}
	while (t->nr_held)
		grow_load_free(t, t->nr_held - 1);
	complete(&t->done);
	return 0;
}

/* What runs beside the threads: nothing, or mpool_shrink() in a loop. */
static const bool grow_load_params[] = { false, true };

static void grow_load_desc(const bool *p, char *desc)
{
	strscpy(desc, *p ? "and mpool_shrink() meanwhile" : "growth alone",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(grow_load, grow_load_params, grow_load_desc);

/* Shrinks the pool until told to stop; the regions given back, counted. */
struct grow_shrinker_thread {
	struct mpool *pool;
	size_t shrunk;
	struct task_struct *task;
};

static int grow_shrink_fn(void *data)
{
	struct grow_shrinker_thread *s = data;

	while (!kthread_should_stop()) {
		s->shrunk += mpool_shrink(s->pool);
		schedule_timeout_uninterruptible(1);
	}
	return 0;
}

/*
 * mpool_shrink() until the pool is one region, as it must be once it is
 * idle and all free; false at the hang guard.
 */
static bool grow_shrink_to_min(struct mpool *pool)
{
	unsigned long deadline = jiffies + GROW_TIMEOUT;

	for (;;) {
		mpool_shrink(pool);
		if (grow_stats(pool).nr_regions == 1)
			return true;
		if (time_after(jiffies, deadline))
			return false;
		schedule_timeout_uninterruptible(1);
	}
}

/*
 * Threads on up to four CPUs allocate, atomic and sleeping, and free,
 * while the pool grows under them from min_blocks, and, in one run,
 * shrinks too: every block handed out once (the contents each thread
 * writes stay; KASAN says if a region went with a block out), no
 * GFP_KERNEL alloc gets NULL, and at the end all is back, within
 * max_blocks, with no error counted.
 */
static void growth_under_load(struct kunit *test)
{
	unsigned int nr = clamp(num_online_cpus(), 2U, 4U), i, cpu;
	struct grow_shrinker_thread shrinker = {};
	const bool *shrink = test->param_value;
	struct grow_load_thread *threads;
	u64 atomic_nulls = 0;
	struct grow_pool *gp;
	struct mpool_stats st;
	bool stuck = false;

	gp = grow_create(test, "kunit_grow_load", LOAD_MIN, LOAD_GROW,
			 LOAD_REGIONS, 0, 0);
	threads = kcalloc(nr, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < nr; i++) {
		threads[i].pool = gp->pool;
		threads[i].id = i;
		threads[i].seed = get_random_u32() | 1;
		init_completion(&threads[i].done);
		threads[i].task = kthread_create(grow_load_fn, &threads[i],
						 "kunit_grow_load/%u", i);
		if (IS_ERR(threads[i].task)) {
			/* Never woken: stopped before they run. */
			while (i--) {
				kthread_stop(threads[i].task);
				put_task_struct(threads[i].task);
			}
			kfree(threads);
			KUNIT_FAIL_AND_ABORT(test, "kthread_create failed");
		}
		get_task_struct(threads[i].task);
		kthread_bind(threads[i].task, cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	}
	if (*shrink) {
		shrinker.pool = gp->pool;
		shrinker.task = kthread_run(grow_shrink_fn, &shrinker,
					    "kunit_grow_shrink");
		KUNIT_EXPECT_FALSE(test, IS_ERR(shrinker.task));
	}
	for (i = 0; i < nr; i++)
		wake_up_process(threads[i].task);
	for (i = 0; i < nr; i++) {
		if (!wait_for_completion_timeout(&threads[i].done,
						 GROW_TIMEOUT)) {
			stuck = true;
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, threads[i].kernel_nulls, 0ULL,
				    "thread %u", i);
		KUNIT_EXPECT_EQ_MSG(test, threads[i].bad_stamps, 0ULL,
				    "thread %u", i);
		atomic_nulls += threads[i].atomic_nulls;
		put_task_struct(threads[i].task);
	}
	if (!IS_ERR_OR_NULL(shrinker.task))
		kthread_stop(shrinker.task);
	/* A stuck thread keeps its memory: it may still run. */
	if (stuck)
		KUNIT_FAIL_AND_ABORT(test, "a thread never finished");
	kfree(threads);

	st = grow_stats(gp->pool);
	KUNIT_EXPECT_LE(test, st.nr_blocks, st.max_blocks);
	KUNIT_EXPECT_GE_MSG(test, st.grows, 1ULL,
			    "%u threads holding %d each never grew %d blocks",
			    nr, LOAD_HOLD, LOAD_MIN);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, atomic_nulls);
	KUNIT_EXPECT_EQ(test, st.grow_failures, 0ULL);
	/* One snapshot: a worker the last allocs asked for may still grow. */
	KUNIT_EXPECT_EQ(test, st.nr_blocks,
			LOAD_MIN + (st.nr_regions - 1) * LOAD_GROW);
	KUNIT_EXPECT_EQ(test, st.grows - st.shrinks, (u64)st.nr_regions - 1);
	KUNIT_EXPECT_EQ(test, st.shrinks * LOAD_GROW, (u64)shrinker.shrunk);
	grow_expect_clean(test, gp->pool, "after the load");
	/* All free now: every grown region goes, once that worker is done. */
	KUNIT_EXPECT_TRUE_MSG(test, grow_shrink_to_min(gp->pool),
			      "%zu regions left", grow_stats(gp->pool).nr_regions);
}

static struct kunit_case mpool_grow_load_cases[] = {
	KUNIT_CASE_PARAM(growth_under_load, grow_load_gen_params),
	{}
};

static struct kunit_suite mpool_grow_load_suite = {
	.name = "mpool_grow_load",
	.test_cases = mpool_grow_load_cases,
};

kunit_test_suites(&mpool_grow_suite, &mpool_grow_race_suite,
		  &mpool_grow_load_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod's growth and shrink");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
