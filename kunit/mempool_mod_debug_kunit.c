// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mempool_mod's debug flags: each case breaks one rule on
 * purpose (a write after free, an overrun into the red zone, a corrupt
 * free-list link, a refused free) and checks that the pool counts it,
 * quarantines what it must, and afterwards still hands out only good,
 * distinct blocks of its region.
 *
 * The pool's region is one vmalloc area, so KASAN does not see these
 * deliberate writes: they stay inside memory the pool owns.
 */

#include <kunit/test.h>

#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_stats.h"
#ifdef MPOOL_TEST_HOOKS
#include "src/test_hooks.h"
#else
/* Only the hardened list's suite asks for it, and only in make check's build. */
static void mpool_test_make_small(bool small)
{
}
#endif

/*
 * Enough for per-CPU caches on up to 8 possible CPUs: every check runs
 * with blocks passing through the caches, as a consumer's would.
 */
#define DBG_NR_BLOCKS		128
/* Not a multiple of a pointer: the red zone starts mid-word. */
#define DBG_BLOCK_SIZE		52
#define DBG_PZU			(MPOOL_POISON | MPOOL_REDZONE | \
				 MPOOL_TRACK_CALLER)
/*
 * For the cases that need the depot's order of reuse, last freed first,
 * which the per-CPU caches do not keep: its lock-free stack.
 */
#define DBG_DEPOT_ONLY		MPOOL_NO_PERCPU

/*
 * Where the spec puts things in a block, worked out here from its formulas
 * and never read back from the pool, so that a pool and a test that are
 * wrong in the same way cannot agree.
 */
struct dbg_layout {
	size_t align;		/* every block's alignment */
	size_t stride;		/* distance between blocks */
	size_t redzone_bytes;	/* guard bytes after the usable ones */
	size_t link_off;	/* where a free block keeps its link */
};

static void dbg_expected_layout(size_t block_size, size_t align,
				unsigned int flags, struct dbg_layout *lay)
{
	const size_t word = sizeof(void *);

	lay->align = max(align, word);
	if (flags & (MPOOL_POISON | MPOOL_REDZONE)) {
		/* The link moves past the usable bytes and the red zone. */
		lay->link_off = ALIGN(block_size, word);
		if (flags & MPOOL_REDZONE)
			lay->link_off += word;
		lay->redzone_bytes = (flags & MPOOL_REDZONE) ?
				     lay->link_off - block_size : 0;
		lay->stride = ALIGN(lay->link_off + word, lay->align);
	} else {
		lay->link_off = 0;
		lay->redzone_bytes = 0;
		lay->stride = ALIGN(max(block_size, word), lay->align);
	}
}

/*
 * A pool a case owns, the blocks the case holds from it, and the model of
 * what the pool's counters must say.  Registered as a KUnit resource, so
 * that the pool is emptied and destroyed also when an assertion ends the
 * case early.
 */
struct dbg_pool {
	struct mpool *pool;
	struct mpool_stats exp;	/* every field of the next snapshot */
	struct dbg_layout lay;
	char *base;		/* block 0: a new pool hands it out first */
	void **held;		/* blocks the case holds; NULL: free slot */
	unsigned long *seen;	/* scratch bitmap, one bit per block */
};

static int dbg_pool_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void dbg_destroy(struct dbg_pool *tp)
{
	size_t i;

	if (!tp->pool)
		return;
	for (i = 0; i < DBG_NR_BLOCKS; i++)
		mpool_free(tp->pool, tp->held[i]);
	mpool_destroy(tp->pool);
	tp->pool = NULL;
}

static void dbg_pool_release(struct kunit_resource *res)
{
	dbg_destroy(res->data);
}

/*
 * Check every counter against the model.  Once they differ, the model is
 * wrong from there on and later checks would only repeat it: stop.
 */
static void dbg_assert_stats(struct kunit *test, struct dbg_pool *tp,
			     const char *when)
{
	struct mpool_stats st;
	char diff[320];

	mpool_get_stats(tp->pool, &st);
	mpool_kunit_stats_diff(&st, &tp->exp, diff, sizeof(diff));
	KUNIT_ASSERT_STREQ_MSG(test, diff, "", "%s", when);
}

/* @nr_blocks: DBG_NR_BLOCKS at most; @small: as mpool_test_make_small(). */
static struct dbg_pool *dbg_create_as(struct kunit *test, const char *name,
				      size_t block_size, size_t align,
				      unsigned int flags, bool small,
				      size_t nr_blocks)
{
	struct kunit_resource *res;
	struct mpool_stats st;
	struct dbg_pool *tp;
	struct mpool *pool;

	/* Allocated before the resource, so released after the pool. */
	tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tp);
	tp->held = kunit_kcalloc(test, DBG_NR_BLOCKS, sizeof(*tp->held),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tp->held);
	tp->seen = kunit_kcalloc(test, BITS_TO_LONGS(DBG_NR_BLOCKS),
				 sizeof(*tp->seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tp->seen);

	dbg_expected_layout(block_size, align, flags, &tp->lay);
	tp->exp.block_size = block_size;
	tp->exp.align = tp->lay.align;
	tp->exp.stride = tp->lay.stride;
	tp->exp.nr_blocks = nr_blocks;
	tp->exp.region_bytes = nr_blocks * tp->lay.stride;
	/* The module is loaded without debug=, which would add flags. */
	tp->exp.flags = flags;
	tp->exp.redzone_bytes = tp->lay.redzone_bytes;

	mpool_test_make_small(small);
	pool = mpool_create(name, block_size, align, nr_blocks, flags);
	mpool_test_make_small(false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "mpool_create(%s): %pe",
					 name, pool);
	tp->pool = pool;
	res = kunit_alloc_resource(test, dbg_pool_init, dbg_pool_release,
				   GFP_KERNEL, tp);
	if (!res)
		dbg_destroy(tp);
	KUNIT_ASSERT_NOT_NULL_MSG(test, res, "cannot track pool %s", name);
	dbg_assert_stats(test, tp, "new pool");
	mpool_get_stats(pool, &st);
	if (small || (flags & MPOOL_NO_PERCPU))
		KUNIT_ASSERT_EQ_MSG(test, st.cache_size, 0UL,
				    "%s has per-CPU caches", name);
	else
		KUNIT_ASSERT_GT_MSG(test, st.cache_size, 0UL,
				    "%s has no per-CPU caches", name);
	return tp;
}

static struct dbg_pool *dbg_create(struct kunit *test, const char *name,
				   size_t block_size, size_t align,
				   unsigned int flags)
{
	return dbg_create_as(test, name, block_size, align, flags, false,
			     DBG_NR_BLOCKS);
}

static void dbg_hold(struct kunit *test, struct dbg_pool *tp, void *p)
{
	size_t i;

	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		if (!tp->held[i]) {
			tp->held[i] = p;
			return;
		}
	}
	mpool_free(tp->pool, p);
	KUNIT_ASSERT_LT_MSG(test, i, (size_t)DBG_NR_BLOCKS,
			    "pool handed out more than %d blocks",
			    DBG_NR_BLOCKS);
}

/* Allocate, hold and count a block; NULL when the pool gave none. */
static char *dbg_alloc(struct kunit *test, struct dbg_pool *tp, gfp_t gfp)
{
	char *p = mpool_alloc(tp->pool, gfp);

	if (!p) {
		tp->exp.alloc_failures++;
		return NULL;
	}
	/* Block 0 of a new pool is the base every other block is from. */
	if (!tp->base)
		tp->base = p;
	dbg_hold(test, tp, p);
	tp->exp.allocs++;
	tp->exp.in_use++;
	tp->exp.peak_in_use = max(tp->exp.peak_in_use, tp->exp.in_use);
	return p;
}

/* Free a block the case holds, as the pool must accept it. */
static void dbg_free(struct kunit *test, struct dbg_pool *tp, void *p)
{
	size_t i;

	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		if (tp->held[i] == p) {
			tp->held[i] = NULL;
			mpool_free(tp->pool, p);
			tp->exp.frees++;
			tp->exp.in_use--;
			return;
		}
	}
	KUNIT_FAIL(test, "freeing %p, which the test does not hold", p);
}

static void dbg_free_all(struct kunit *test, struct dbg_pool *tp)
{
	size_t i;

	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		if (tp->held[i])
			dbg_free(test, tp, tp->held[i]);
	}
}

/* The address of block @index, by the spec's layout. */
static char *dbg_block(const struct dbg_pool *tp, size_t index)
{
	return tp->base + index * tp->lay.stride;
}

/*
 * Expect every block the case holds to be a block of the region: on the
 * stride from block 0, aligned, below the end, never the quarantined
 * block, and no two the same.
 */
static void dbg_expect_good_blocks(struct kunit *test, struct dbg_pool *tp,
				   const void *quarantined)
{
	size_t i, outside = 0, off_stride = 0, misaligned = 0, twice = 0;
	size_t handed_quarantined = 0;
	unsigned long offset;
	char *p;

	bitmap_zero(tp->seen, DBG_NR_BLOCKS);
	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		p = tp->held[i];
		if (!p)
			continue;
		offset = (unsigned long)p - (unsigned long)tp->base;
		misaligned += !IS_ALIGNED((unsigned long)p, tp->lay.align);
		handed_quarantined += p == quarantined;
		if (p < tp->base || offset / tp->lay.stride >= tp->exp.nr_blocks ||
		    !mpool_owns(tp->pool, p))
			outside++;
		else if (offset % tp->lay.stride)
			off_stride++;
		else
			twice += test_and_set_bit(offset / tp->lay.stride,
						  tp->seen);
	}
	KUNIT_EXPECT_EQ_MSG(test, outside, 0UL, "blocks outside the region");
	KUNIT_EXPECT_EQ_MSG(test, off_stride, 0UL, "blocks off the stride");
	KUNIT_EXPECT_EQ_MSG(test, misaligned, 0UL, "blocks not aligned");
	KUNIT_EXPECT_EQ_MSG(test, twice, 0UL, "blocks handed out twice");
	KUNIT_EXPECT_EQ_MSG(test, handed_quarantined, 0UL,
			    "quarantined block handed out");
}

/*
 * After the damage: take every block the pool still has, which must be
 * exactly nr_blocks - in_use - quarantined good ones, then give all back.
 * The counters must match the model at each step.
 */
static void dbg_drain_and_check(struct kunit *test, struct dbg_pool *tp,
				const void *quarantined)
{
	size_t left = tp->exp.nr_blocks - tp->exp.in_use - tp->exp.quarantined;
	size_t got = 0;

	while (dbg_alloc(test, tp, GFP_NOWAIT))
		got++;
	KUNIT_EXPECT_EQ_MSG(test, got, left, "blocks left to hand out");
	dbg_expect_good_blocks(test, tp, quarantined);
	dbg_assert_stats(test, tp, "pool drained");

	dbg_free_all(test, tp);
	dbg_assert_stats(test, tp, "all blocks back");
}

static const char *dbg_flag_letters(unsigned int flags, char *buf)
{
	char *s = buf;

	if (flags & MPOOL_POISON)
		*s++ = 'P';
	if (flags & MPOOL_REDZONE)
		*s++ = 'Z';
	if (flags & MPOOL_TRACK_CALLER)
		*s++ = 'U';
	if (s == buf)
		*s++ = '-';
	*s = '\0';
	return buf;
}

/* ---- mpool_debug_flags ------------------------------------------------- */

struct flags_param {
	const char *desc;
	unsigned int flags;
};

static const struct flags_param flags_valid_params[] = {
	{ "none", 0 },
	{ "MPOOL_POISON", MPOOL_POISON },
	{ "MPOOL_REDZONE", MPOOL_REDZONE },
	{ "MPOOL_TRACK_CALLER", MPOOL_TRACK_CALLER },
	{ "MPOOL_POISON | MPOOL_REDZONE", MPOOL_POISON | MPOOL_REDZONE },
	{ "all three", DBG_PZU },
	{ "MPOOL_NO_PERCPU", MPOOL_NO_PERCPU },
	{ "all four", DBG_PZU | MPOOL_NO_PERCPU },
	{ "MPOOL_SHRINKABLE", MPOOL_SHRINKABLE },
};

static const struct flags_param flags_unknown_params[] = {
	{ "BIT(6)", BIT(6) },
	{ "BIT(31)", BIT(31) },
	{ "valid flags and BIT(6)", MPOOL_VALID_FLAGS | BIT(6) },
	{ "MPOOL_POISON and BIT(16)", MPOOL_POISON | BIT(16) },
	{ "every bit", ~0U },
};

static void flags_param_desc(const struct flags_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(flags_valid, flags_valid_params, flags_param_desc);
KUNIT_ARRAY_PARAM(flags_unknown, flags_unknown_params, flags_param_desc);

/* dbg_create() checks stats.flags against the flags asked for. */
static void flags_accepted(struct kunit *test)
{
	const struct flags_param *p = test->param_value;

	dbg_create(test, "kunit_dbg_flags", DBG_BLOCK_SIZE, 0, p->flags);
}

static void flags_unknown_refused(struct kunit *test)
{
	const struct flags_param *p = test->param_value;
	struct mpool *pool;

	pool = mpool_create("kunit_dbg_badflags", DBG_BLOCK_SIZE, 0,
			    DBG_NR_BLOCKS, p->flags);
	if (!IS_ERR_OR_NULL(pool))
		mpool_destroy(pool);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), -EINVAL);
}

static struct kunit_case mpool_debug_flags_cases[] = {
	KUNIT_CASE_PARAM(flags_accepted, flags_valid_gen_params),
	KUNIT_CASE_PARAM(flags_unknown_refused, flags_unknown_gen_params),
	{}
};

static struct kunit_suite mpool_debug_flags_suite = {
	.name = "mpool_debug_flags",
	.test_cases = mpool_debug_flags_cases,
};

/* ---- mpool_debug_layout ------------------------------------------------ */

struct layout_param {
	size_t block_size;
	size_t align;		/* as passed to mpool_create() */
};

static const struct layout_param layout_params[] = {
	{ 1, 0 }, { 8, 0 }, { 52, 0 }, { 64, 0 }, { 24, 16 }, { 100, 32 },
	{ 52, 64 }, { 1000, 512 }, { 4097, 0 }, { 64, 4096 },
};

static void layout_param_desc(const struct layout_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "block_size %zu, align %zu",
		 p->block_size, p->align);
}

KUNIT_ARRAY_PARAM(layout, layout_params, layout_param_desc);

/*
 * Blocks are carved in index order from block 0, a stride apart; a handed
 * out block's red zone holds MPOOL_REDZONE_ACTIVE; a free block's usable
 * bytes hold MPOOL_POISON_FREE; a block written whole and freed comes back
 * without an error: the link is not among the usable bytes.
 */
static void layout_check_flags(struct kunit *test, size_t block_size,
			       size_t align, unsigned int flags)
{
	size_t i, misplaced = 0, bad_redzone = 0, bad_poison = 0, got = 0;
	struct dbg_pool *tp;
	char letters[8];
	char *p;

	tp = dbg_create(test, "kunit_dbg_layout", block_size, align, flags);
	/*
	 * In order only from one CPU's cache: on a preemptible kernel
	 * (PREEMPT_RT) the case's thread may otherwise move to another CPU
	 * half way, whose cache takes the next batch from the depot.
	 */
	migrate_disable();
	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		p = dbg_alloc(test, tp, GFP_NOWAIT);
		if (!p)
			break;
		got++;
		misplaced += p != dbg_block(tp, i);
		if (flags & MPOOL_REDZONE)
			bad_redzone += !!memchr_inv(p + block_size,
						    MPOOL_REDZONE_ACTIVE,
						    tp->lay.redzone_bytes);
		memset(p, 0x5a, block_size);
	}
	migrate_enable();
	KUNIT_ASSERT_EQ(test, got, (size_t)DBG_NR_BLOCKS);
	dbg_expect_good_blocks(test, tp, NULL);
	dbg_free_all(test, tp);
	if (flags & MPOOL_POISON) {
		for (i = 0; i < DBG_NR_BLOCKS; i++)
			bad_poison += !!memchr_inv(dbg_block(tp, i),
						   MPOOL_POISON_FREE,
						   block_size);
	}
	KUNIT_EXPECT_EQ_MSG(test, misplaced, 0UL, "flags %s: blocks misplaced",
			    dbg_flag_letters(flags, letters));
	KUNIT_EXPECT_EQ_MSG(test, bad_redzone, 0UL,
			    "flags %s: red zones not armed",
			    dbg_flag_letters(flags, letters));
	KUNIT_EXPECT_EQ_MSG(test, bad_poison, 0UL,
			    "flags %s: free blocks not poisoned",
			    dbg_flag_letters(flags, letters));
	dbg_drain_and_check(test, tp, NULL);
	dbg_destroy(tp);
}

/* Every combination of the three flags, on one geometry. */
static void layout_follows_spec(struct kunit *test)
{
	const struct layout_param *p = test->param_value;
	unsigned int flags;

	for (flags = 0; flags <= MPOOL_VALID_FLAGS; flags++)
		layout_check_flags(test, p->block_size, p->align, flags);
}

/*
 * A few layouts worked out by hand, for 64-bit pointers: they keep the
 * formula in dbg_expected_layout() honest.
 */
static void layout_worked_examples(struct kunit *test)
{
	static const struct {
		size_t block_size, align;
		unsigned int flags;
		size_t stride, redzone_bytes, link_off;
	} ex[] = {
		{ 52, 0, 0, 56, 0, 0 },
		{ 52, 0, MPOOL_TRACK_CALLER, 56, 0, 0 },
		{ 52, 0, MPOOL_POISON, 64, 0, 56 },
		{ 52, 0, MPOOL_REDZONE, 72, 12, 64 },
		{ 64, 0, MPOOL_REDZONE, 80, 8, 72 },
		{ 1, 0, MPOOL_REDZONE, 24, 15, 16 },
		{ 52, 64, DBG_PZU, 128, 12, 64 },
	};
	struct dbg_layout lay;
	size_t i;

	KUNIT_ASSERT_EQ(test, sizeof(void *), 8UL);
	for (i = 0; i < ARRAY_SIZE(ex); i++) {
		dbg_expected_layout(ex[i].block_size, ex[i].align, ex[i].flags,
				    &lay);
		KUNIT_EXPECT_EQ_MSG(test, lay.stride, ex[i].stride,
				    "row %zu", i);
		KUNIT_EXPECT_EQ_MSG(test, lay.redzone_bytes,
				    ex[i].redzone_bytes, "row %zu", i);
		KUNIT_EXPECT_EQ_MSG(test, lay.link_off, ex[i].link_off,
				    "row %zu", i);
	}
}

static struct kunit_case mpool_debug_layout_cases[] = {
	KUNIT_CASE(layout_worked_examples),
	KUNIT_CASE_PARAM(layout_follows_spec, layout_gen_params),
	{}
};

static struct kunit_suite mpool_debug_layout_suite = {
	.name = "mpool_debug_layout",
	.test_cases = mpool_debug_layout_cases,
};

/* ---- mpool_debug_poison ------------------------------------------------ */

struct poison_param {
	const char *desc;
	unsigned int flags;
	size_t offset;		/* of the byte written after free */
};

static const struct poison_param poison_write_params[] = {
	{ "P, first byte", MPOOL_POISON, 0 },
	{ "P, middle byte", MPOOL_POISON, DBG_BLOCK_SIZE / 2 },
	{ "P, last usable byte", MPOOL_POISON, DBG_BLOCK_SIZE - 1 },
	{ "PZU, first byte", DBG_PZU, 0 },
	{ "PZU, middle byte", DBG_PZU, DBG_BLOCK_SIZE / 2 },
	{ "PZU, last usable byte", DBG_PZU, DBG_BLOCK_SIZE - 1 },
};

static const struct poison_param poison_flags_params[] = {
	{ "P", MPOOL_POISON, 0 },
	{ "PZ", MPOOL_POISON | MPOOL_REDZONE, 0 },
	{ "PZU", DBG_PZU, 0 },
};

static void poison_param_desc(const struct poison_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(poison_write, poison_write_params, poison_param_desc);
KUNIT_ARRAY_PARAM(poison_flags, poison_flags_params, poison_param_desc);

/*
 * Free blocks 0 then 1, so that LIFO makes block 1 the next one handed
 * out, write one byte of it, and allocate: the pool must find the write,
 * quarantine block 1 and hand out another block.
 */
static void poison_catches_write_after_free(struct kunit *test)
{
	const struct poison_param *p = test->param_value;
	char *b0, *b1, *got;
	struct dbg_pool *tp;

	tp = dbg_create(test, "kunit_dbg_uaf", DBG_BLOCK_SIZE, 0,
			p->flags | DBG_DEPOT_ONLY);
	b0 = dbg_alloc(test, tp, GFP_NOWAIT);
	b1 = dbg_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	KUNIT_ASSERT_NOT_NULL(test, b1);
	dbg_free(test, tp, b0);
	dbg_free(test, tp, b1);
	dbg_assert_stats(test, tp, "two blocks freed");
	/* The byte about to change holds the poison: the write is a change. */
	KUNIT_ASSERT_NULL(test, memchr_inv(b1, MPOOL_POISON_FREE,
					   DBG_BLOCK_SIZE));

	b1[p->offset] = ~MPOOL_POISON_FREE;
	got = dbg_alloc(test, tp, GFP_NOWAIT);
	KUNIT_EXPECT_NOT_NULL(test, got);
	KUNIT_EXPECT_PTR_NE(test, got, b1);
	tp->exp.poison_errors++;
	tp->exp.quarantined++;
	dbg_assert_stats(test, tp, "after the write after free");

	/* The pool never handed it back: to the pool, it is free. */
	mpool_free(tp->pool, b1);
	tp->exp.double_frees++;
	dbg_assert_stats(test, tp, "free of the quarantined block");

	dbg_drain_and_check(test, tp, b1);
}

/*
 * The only free block is the written one: a caller that cannot sleep gets
 * NULL, and the pool has one block fewer from then on.
 */
static void poison_last_free_block_gives_null(struct kunit *test)
{
	const struct poison_param *p = test->param_value;
	struct dbg_pool *tp;
	char *victim;
	size_t i;

	tp = dbg_create(test, "kunit_dbg_uaf_last", DBG_BLOCK_SIZE, 0,
			p->flags);
	for (i = 0; i < DBG_NR_BLOCKS; i++)
		KUNIT_ASSERT_NOT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	victim = dbg_block(tp, 3);
	dbg_free(test, tp, victim);
	victim[1] ^= 0xff;

	KUNIT_EXPECT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	KUNIT_EXPECT_NULL(test, dbg_alloc(test, tp, GFP_ATOMIC));
	tp->exp.poison_errors++;
	tp->exp.quarantined++;
	dbg_assert_stats(test, tp, "only free block written after free");

	dbg_free(test, tp, dbg_block(tp, 5));
	KUNIT_EXPECT_PTR_EQ(test, dbg_alloc(test, tp, GFP_NOWAIT),
			    dbg_block(tp, 5));
	dbg_free_all(test, tp);
	dbg_assert_stats(test, tp, "all blocks back");
	dbg_drain_and_check(test, tp, victim);
}

/*
 * Take every block, writing each whole as soon as it is handed out, then
 * check that the allocations which followed left every block as written.
 */
static size_t poison_fill_and_verify(struct kunit *test, struct dbg_pool *tp,
				     u8 seed)
{
	size_t i, changed = 0;
	char *b;

	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		b = dbg_alloc(test, tp, GFP_NOWAIT);
		KUNIT_ASSERT_NOT_NULL(test, b);
		memset(b, seed + (b - tp->base) / tp->lay.stride,
		       DBG_BLOCK_SIZE);
	}
	dbg_expect_good_blocks(test, tp, NULL);
	for (i = 0; i < DBG_NR_BLOCKS; i++)
		changed += !!memchr_inv(dbg_block(tp, i), seed + i,
					DBG_BLOCK_SIZE);
	return changed;
}

/*
 * No false alarm: blocks written whole while handed out, freed and handed
 * out again, over and over, give no error and keep what the case writes.
 */
static void poison_no_false_alarm(struct kunit *test)
{
	const struct poison_param *p = test->param_value;
	size_t round, changed, not_lifo = 0;
	struct dbg_pool *tp;
	char *b;

	tp = dbg_create(test, "kunit_dbg_reuse", DBG_BLOCK_SIZE, 0, p->flags);
	/* Freshly carved blocks are not checked: none was poisoned yet. */
	changed = poison_fill_and_verify(test, tp, 1);
	dbg_assert_stats(test, tp, "fresh blocks");
	for (round = 1; round <= 3; round++) {
		dbg_free_all(test, tp);
		/* Every block now comes off the free list and is checked. */
		changed += poison_fill_and_verify(test, tp, 16 * round);
		dbg_assert_stats(test, tp, "reused blocks");
	}

	/* One block freed and taken again, the same block each time. */
	b = dbg_block(tp, 3);
	for (round = 0; round < 2 * DBG_NR_BLOCKS; round++) {
		memset(b, round, DBG_BLOCK_SIZE);
		dbg_free(test, tp, b);
		not_lifo += dbg_alloc(test, tp, GFP_NOWAIT) != b;
	}
	KUNIT_EXPECT_EQ_MSG(test, changed, 0UL, "blocks changed while held");
	KUNIT_EXPECT_EQ_MSG(test, not_lifo, 0UL, "freed block not next out");
	dbg_assert_stats(test, tp, "one block reused");
	dbg_free_all(test, tp);
	dbg_drain_and_check(test, tp, NULL);
}

/*
 * __GFP_ZERO wins over the poison, and leaves the red zone armed.  Only
 * the reuse of a block known to be free asks for GFP_KERNEL: a pool that
 * wrongly refuses blocks must fail the case, not put it to sleep for ever.
 */
static void poison_gfp_zero_still_zeroes(struct kunit *test)
{
	const struct poison_param *p = test->param_value;
	const gfp_t gfps[] = { GFP_KERNEL | __GFP_ZERO, GFP_ATOMIC | __GFP_ZERO,
			       GFP_NOWAIT | __GFP_ZERO };
	size_t i, rz;
	struct dbg_pool *tp;
	char *b, *z, *fresh;

	tp = dbg_create(test, "kunit_dbg_zero", DBG_BLOCK_SIZE, 0,
			p->flags | DBG_DEPOT_ONLY);
	rz = tp->lay.redzone_bytes;
	b = dbg_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, b);
	for (i = 0; i < ARRAY_SIZE(gfps); i++) {
		memset(b, 0xa5, DBG_BLOCK_SIZE);
		dbg_free(test, tp, b);
		/* Poisoned now: the zeroing has something to undo. */
		KUNIT_ASSERT_NULL(test, memchr_inv(b, MPOOL_POISON_FREE,
						   DBG_BLOCK_SIZE));
		z = dbg_alloc(test, tp, gfps[i]);
		KUNIT_ASSERT_PTR_EQ(test, z, b);
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(z, 0, DBG_BLOCK_SIZE),
				      "gfp %pGg", &gfps[i]);
		KUNIT_EXPECT_NULL(test, memchr_inv(z + DBG_BLOCK_SIZE,
						   MPOOL_REDZONE_ACTIVE, rz));
	}

	/* A freshly carved block too. */
	fresh = dbg_alloc(test, tp, GFP_NOWAIT | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, fresh);
	KUNIT_EXPECT_NULL(test, memchr_inv(fresh, 0, DBG_BLOCK_SIZE));
	KUNIT_EXPECT_NULL(test, memchr_inv(fresh + DBG_BLOCK_SIZE,
					   MPOOL_REDZONE_ACTIVE, rz));
	dbg_free_all(test, tp);
	dbg_assert_stats(test, tp, "zeroed blocks freed");
	dbg_drain_and_check(test, tp, NULL);
}

static struct kunit_case mpool_debug_poison_cases[] = {
	KUNIT_CASE_PARAM(poison_catches_write_after_free,
			 poison_write_gen_params),
	KUNIT_CASE_PARAM(poison_last_free_block_gives_null,
			 poison_flags_gen_params),
	KUNIT_CASE_PARAM(poison_no_false_alarm, poison_flags_gen_params),
	KUNIT_CASE_PARAM(poison_gfp_zero_still_zeroes, poison_flags_gen_params),
	{}
};

static struct kunit_suite mpool_debug_poison_suite = {
	.name = "mpool_debug_poison",
	.test_cases = mpool_debug_poison_cases,
};

/* ---- mpool_debug_redzone ----------------------------------------------- */

struct redzone_param {
	const char *desc;
	unsigned int flags;
	bool last;		/* the last red-zone byte, else the first */
};

static const struct redzone_param redzone_params[] = {
	{ "Z, first red-zone byte", MPOOL_REDZONE, false },
	{ "Z, last red-zone byte", MPOOL_REDZONE, true },
	{ "PZU, first red-zone byte", DBG_PZU, false },
	{ "PZU, last red-zone byte", DBG_PZU, true },
};

static void redzone_param_desc(const struct redzone_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(redzone, redzone_params, redzone_param_desc);

/*
 * An overrun is reported at free, and the free still goes through: the
 * block is not quarantined, and LIFO hands it out next, red zone re-armed.
 */
static void redzone_catches_overrun(struct kunit *test)
{
	const struct redzone_param *p = test->param_value;
	struct dbg_pool *tp;
	char *b, *again;
	size_t rz, at;

	tp = dbg_create(test, "kunit_dbg_overrun", DBG_BLOCK_SIZE, 0,
			p->flags | DBG_DEPOT_ONLY);
	rz = tp->lay.redzone_bytes;
	at = DBG_BLOCK_SIZE + (p->last ? rz - 1 : 0);
	b = dbg_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	KUNIT_ASSERT_NOT_NULL(test, b);
	/* The byte about to change is in the armed red zone. */
	KUNIT_ASSERT_NULL(test, memchr_inv(b + DBG_BLOCK_SIZE,
					   MPOOL_REDZONE_ACTIVE, rz));

	/* Up to the last usable byte is the caller's; one more is not. */
	memset(b, 0x5a, DBG_BLOCK_SIZE);
	b[at] = 0;
	dbg_free(test, tp, b);
	tp->exp.redzone_errors++;
	dbg_assert_stats(test, tp, "overrun block freed");

	again = dbg_alloc(test, tp, GFP_NOWAIT);
	KUNIT_EXPECT_PTR_EQ(test, again, b);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_NULL(test, memchr_inv(again + DBG_BLOCK_SIZE,
					   MPOOL_REDZONE_ACTIVE, rz));
	memset(again, 0xa5, DBG_BLOCK_SIZE);
	dbg_free(test, tp, again);
	dbg_assert_stats(test, tp, "block reused without overrun");

	dbg_drain_and_check(test, tp, NULL);
}

static struct kunit_case mpool_debug_redzone_cases[] = {
	KUNIT_CASE_PARAM(redzone_catches_overrun, redzone_gen_params),
	{}
};

static struct kunit_suite mpool_debug_redzone_suite = {
	.name = "mpool_debug_redzone",
	.test_cases = mpool_debug_redzone_cases,
};

/* ---- mpool_debug_freelist ---------------------------------------------- */

/* A pool made as if too small to share needs make check's test hooks. */
#ifdef MPOOL_TEST_HOOKS

static bool dbg_holds(const struct dbg_pool *tp, const void *p)
{
	size_t i;

	for (i = 0; i < DBG_NR_BLOCKS; i++) {
		if (tp->held[i] == p)
			return true;
	}
	return false;
}

enum link_damage {
	LINK_TO_BLOCK_IN_USE,	/* a plain pointer to a handed-out block */
	LINK_BIT0_FLIPPED,	/* the decoded link is off the stride */
	LINK_BIT40_FLIPPED,	/* the decoded link is far outside */
	LINK_ZEROED,
};

struct freelist_param {
	const char *desc;
	unsigned int flags;
	enum link_damage damage;
};

static const struct freelist_param freelist_params[] = {
	{ "-, pointer to a block in use", 0, LINK_TO_BLOCK_IN_USE },
	{ "-, bit 0 flipped", 0, LINK_BIT0_FLIPPED },
	{ "-, bit 40 flipped", 0, LINK_BIT40_FLIPPED },
	{ "-, zeroed", 0, LINK_ZEROED },
	{ "U, bit 0 flipped", MPOOL_TRACK_CALLER, LINK_BIT0_FLIPPED },
	{ "P, bit 0 flipped", MPOOL_POISON, LINK_BIT0_FLIPPED },
	{ "Z, zeroed", MPOOL_REDZONE, LINK_ZEROED },
	{ "PZU, pointer to a block in use", DBG_PZU, LINK_TO_BLOCK_IN_USE },
	{ "PZU, bit 40 flipped", DBG_PZU, LINK_BIT40_FLIPPED },
};

static void freelist_param_desc(const struct freelist_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(freelist, freelist_params, freelist_param_desc);

static void freelist_damage_link(unsigned long *link, enum link_damage how,
				 void *in_use)
{
	switch (how) {
	case LINK_TO_BLOCK_IN_USE:
		*link = (unsigned long)in_use;
		break;
	case LINK_BIT0_FLIPPED:
		*link ^= 1UL;
		break;
	case LINK_BIT40_FLIPPED:
		/* Bit 16 of the pointer once swab()bed: bit 8 on 32-bit. */
		*link ^= BIT(BITS_PER_LONG - 24);
		break;
	case LINK_ZEROED:
		*link = 0;
		break;
	}
}

/*
 * Blocks 0-5 handed out, then 1, 4 and 2 freed: the free list is
 * 2 -> 4 -> 1.  Damage block 2's link; the alloc that pops block 2 must
 * not follow it, quarantine block 2 and still find blocks 4 and 1 behind
 * it, so that the pool hands out 1, 4, 6 and 7, each once, and nothing
 * else.
 */
static void freelist_catches_corrupt_link(struct kunit *test)
{
	const struct freelist_param *p = test->param_value;
	unsigned long *link;
	struct dbg_pool *tp;
	char *got;
	size_t i;

	/* The depot's hardened list alone, last freed first. */
	tp = dbg_create_as(test, "kunit_dbg_link", 64, 0, p->flags, true,
			   DBG_NR_BLOCKS);
	for (i = 0; i < 6; i++)
		KUNIT_ASSERT_NOT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	dbg_free(test, tp, dbg_block(tp, 1));
	dbg_free(test, tp, dbg_block(tp, 4));
	dbg_free(test, tp, dbg_block(tp, 2));
	dbg_assert_stats(test, tp, "three blocks freed");

	link = (unsigned long *)(dbg_block(tp, 2) + tp->lay.link_off);
	/* Hardened: the link to block 4 is not stored in the clear. */
	KUNIT_EXPECT_NE(test, *link, (unsigned long)dbg_block(tp, 4));
	freelist_damage_link(link, p->damage, dbg_block(tp, 0));

	got = dbg_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_EXPECT_PTR_NE(test, got, dbg_block(tp, 2));
	tp->exp.freelist_errors++;
	tp->exp.quarantined++;
	dbg_assert_stats(test, tp, "after popping the damaged block");

	mpool_free(tp->pool, dbg_block(tp, 2));
	tp->exp.double_frees++;
	dbg_assert_stats(test, tp, "free of the quarantined block");

	while (dbg_alloc(test, tp, GFP_NOWAIT))
		;
	KUNIT_EXPECT_TRUE_MSG(test, dbg_holds(tp, dbg_block(tp, 1)) &&
			      dbg_holds(tp, dbg_block(tp, 4)),
			      "blocks behind the damaged link were lost");
	KUNIT_EXPECT_TRUE(test, dbg_holds(tp, dbg_block(tp, 6)) &&
			  dbg_holds(tp, dbg_block(tp, 7)));
	dbg_expect_good_blocks(test, tp, dbg_block(tp, 2));
	dbg_assert_stats(test, tp, "drained");
	dbg_free_all(test, tp);
	dbg_assert_stats(test, tp, "all blocks back");
	dbg_drain_and_check(test, tp, dbg_block(tp, 2));
}

/* Few enough blocks that one batch of a rebuild lists them all. */
#define REPLAY_BLOCKS		8
/* B, D and C; with a NULL or two while the pool notices C is missing. */
#define REPLAY_WANT		3
#define REPLAY_TRIES		(REPLAY_WANT + 1)

/*
 * A link that passes every check and still loses blocks: B's link to D,
 * saved while the list was B -> D, written back after the list became
 * B -> C -> D.  D is a free block in the depot, so the link is followed,
 * and C is off the list while the pool counts it free.  Once the list
 * runs dry with blocks counted free, the pool must see that, count a
 * free-list error and rebuild the list from the blocks' states, so that
 * every free block is handed out.  One expectation, one short line of
 * figures: 6.1 keeps only 512 bytes of a case's log.
 */
static void freelist_replayed_link_loses_no_block(struct kunit *test)
{
	size_t i, got = 0, tries, of_bcd = 0, free;
	unsigned long saved, *link;
	void *taken[REPLAY_WANT];
	struct mpool_stats st;
	struct dbg_pool *tp;
	char *b, *c, *d, *p;

	tp = dbg_create_as(test, "kunit_dbg_replay", 64, 0, 0, true,
			   REPLAY_BLOCKS);
	/* Every block carved and held: the list is all there is. */
	for (i = 0; i < REPLAY_BLOCKS; i++)
		KUNIT_ASSERT_NOT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	b = dbg_block(tp, 1);
	c = dbg_block(tp, 2);
	d = dbg_block(tp, 3);
	link = (unsigned long *)(b + tp->lay.link_off);

	dbg_free(test, tp, d);
	dbg_free(test, tp, b);
	saved = *link;
	KUNIT_ASSERT_PTR_EQ(test, (void *)dbg_alloc(test, tp, GFP_NOWAIT),
			    (void *)b);
	dbg_free(test, tp, c);
	dbg_free(test, tp, b);
	/* B -> C -> D becomes B -> D, the link B once had. */
	*link = saved;

	for (tries = 0; got < REPLAY_WANT && tries < REPLAY_TRIES; tries++) {
		p = dbg_alloc(test, tp, GFP_ATOMIC);
		if (p)
			taken[got++] = p;
	}
	for (i = 0; i < got; i++)
		of_bcd += taken[i] == b || taken[i] == c || taken[i] == d;
	mpool_get_stats(tp->pool, &st);
	free = st.nr_blocks - st.in_use - st.quarantined;
	KUNIT_EXPECT_TRUE_MSG(test, got == REPLAY_WANT && of_bcd == got &&
			      dbg_holds(tp, c) && st.freelist_errors == 1 &&
			      st.in_use == REPLAY_BLOCKS && !free,
			      "%zu allocs: %zu of B C D, C %s; freelist_errors %llu, in_use %zu, free %zu",
			      tries, of_bcd, dbg_holds(tp, c) ? "out" : "lost",
			      st.freelist_errors, st.in_use, free);
	dbg_expect_good_blocks(test, tp, NULL);
	dbg_free_all(test, tp);
}

static struct kunit_case mpool_debug_freelist_cases[] = {
	KUNIT_CASE_PARAM(freelist_catches_corrupt_link, freelist_gen_params),
	KUNIT_CASE(freelist_replayed_link_loses_no_block),
	{}
};

static struct kunit_suite mpool_debug_freelist_suite = {
	.name = "mpool_debug_freelist",
	.test_cases = mpool_debug_freelist_cases,
};
#endif /* MPOOL_TEST_HOOKS */

/* ---- mpool_debug_misuse ------------------------------------------------ */

/*
 * With every check on, refused frees stay refused: they are counted, and
 * touch neither the block, nor its red zone, nor the free list.
 */
static void misuse_refused_frees_with_all_checks(struct kunit *test)
{
	size_t rz, interior[5];
	struct dbg_pool *tp;
	char *b, *foreign;
	size_t i;

	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, foreign);
	tp = dbg_create(test, "kunit_dbg_misuse", DBG_BLOCK_SIZE, 0, DBG_PZU);
	rz = tp->lay.redzone_bytes;
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_NOT_NULL(test, dbg_alloc(test, tp, GFP_NOWAIT));
	b = dbg_block(tp, 0);
	memset(b, 0x11, DBG_BLOCK_SIZE);

	dbg_free(test, tp, dbg_block(tp, 2));
	mpool_free(tp->pool, dbg_block(tp, 2));
	mpool_free(tp->pool, dbg_block(tp, 2));
	tp->exp.double_frees += 2;
	/* Never handed out, so free already. */
	mpool_free(tp->pool, dbg_block(tp, DBG_NR_BLOCKS - 1));
	tp->exp.double_frees++;
	dbg_assert_stats(test, tp, "double frees");

	mpool_free(tp->pool, foreign);
	mpool_free(tp->pool, dbg_block(tp, DBG_NR_BLOCKS));
	mpool_free(tp->pool, tp->base - tp->lay.stride);
	tp->exp.invalid_frees += 3;
	dbg_assert_stats(test, tp, "foreign pointers");

	/* Inside block 0: usable bytes, red zone, link, padding. */
	interior[0] = 1;
	interior[1] = DBG_BLOCK_SIZE - 1;
	interior[2] = DBG_BLOCK_SIZE;
	interior[3] = tp->lay.link_off;
	interior[4] = tp->lay.stride - 1;
	for (i = 0; i < ARRAY_SIZE(interior); i++)
		mpool_free(tp->pool, b + interior[i]);
	tp->exp.invalid_frees += ARRAY_SIZE(interior);
	dbg_assert_stats(test, tp, "interior pointers");

	KUNIT_EXPECT_NULL(test, memchr_inv(b, 0x11, DBG_BLOCK_SIZE));
	KUNIT_EXPECT_NULL(test, memchr_inv(b + DBG_BLOCK_SIZE,
					   MPOOL_REDZONE_ACTIVE, rz));
	dbg_drain_and_check(test, tp, NULL);
}

static struct kunit_case mpool_debug_misuse_cases[] = {
	KUNIT_CASE(misuse_refused_frees_with_all_checks),
	{}
};

static struct kunit_suite mpool_debug_misuse_suite = {
	.name = "mpool_debug_misuse",
	.test_cases = mpool_debug_misuse_cases,
};

kunit_test_suites(&mpool_debug_flags_suite, &mpool_debug_layout_suite,
		  &mpool_debug_poison_suite, &mpool_debug_redzone_suite,
		  &mpool_debug_misuse_suite);
#ifdef MPOOL_TEST_HOOKS
kunit_test_suite(mpool_debug_freelist_suite);
#endif

MODULE_DESCRIPTION("KUnit tests for mempool_mod's debug checks");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
