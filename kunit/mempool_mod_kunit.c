// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mempool_mod: pool creation, block layout, alloc and free,
 * statistics, refused frees and concurrent use from several contexts.
 */

#include <kunit/test.h>

#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_create_cases.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_stats.h"
#include "mpool_kunit_wait.h"
#ifdef MPOOL_TEST_HOOKS
#include "src/test_hooks.h"
#endif

/*
 * A pool that a test case owns, and the blocks the case holds from it.
 * Registered as a KUnit resource: when the case ends, also when an
 * assertion stops it early, the blocks still held are freed and the pool
 * is destroyed, so no pool outlives its case and no name stays taken.
 */
struct mpool_kunit_pool {
	struct mpool *pool;
	void **held;		/* blocks handed out to the case, NULL if none */
	size_t nr_slots;	/* one more than the pool's blocks */
};

static int mpool_kunit_pool_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void mpool_kunit_pool_release(struct kunit_resource *res)
{
	struct mpool_kunit_pool *tp = res->data;
	size_t i;

	if (!tp->pool)
		return;
	for (i = 0; i < tp->nr_slots; i++)
		mpool_free(tp->pool, tp->held[i]);
	mpool_destroy(tp->pool);
}

static struct mpool_kunit_pool *mpool_kunit_create(struct kunit *test,
						   const char *name,
						   size_t block_size,
						   size_t align,
						   size_t nr_blocks)
{
	struct mpool_kunit_pool *tp;
	struct mpool *pool;

	/* Allocated before the resource, so released after the pool. */
	tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tp);
	tp->nr_slots = nr_blocks + 1;
	tp->held = kunit_kcalloc(test, tp->nr_slots, sizeof(*tp->held),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tp->held);

	pool = mpool_create(name, block_size, align, nr_blocks, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "mpool_create(%s): %pe",
					 name, pool);
	tp->pool = pool;
	if (!kunit_alloc_resource(test, mpool_kunit_pool_init,
				  mpool_kunit_pool_release, GFP_KERNEL, tp)) {
		mpool_destroy(pool);
		KUNIT_FAIL_AND_ABORT(test, "cannot track pool %s", name);
	}
	return tp;
}

/*
 * Take the pool back from the case's cleanup, for a case that destroys it
 * itself.  The blocks it held are forgotten: they stay handed out.
 */
static struct mpool *mpool_kunit_disown(struct mpool_kunit_pool *tp)
{
	struct mpool *pool = tp->pool;

	tp->pool = NULL;
	memset(tp->held, 0, tp->nr_slots * sizeof(*tp->held));
	return pool;
}

/* Remember a block the case holds, so that cleanup frees it. */
static void mpool_kunit_hold(struct kunit *test, struct mpool_kunit_pool *tp,
			     void *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < tp->nr_slots; i++) {
		if (!tp->held[i]) {
			tp->held[i] = p;
			return;
		}
	}
	mpool_free(tp->pool, p);
	KUNIT_FAIL_AND_ABORT(test, "pool handed out more than %zu blocks",
			     tp->nr_slots - 1);
}

/* Allocate a block and remember it; NULL when the pool gave none. */
static void *mpool_kunit_alloc(struct kunit *test, struct mpool_kunit_pool *tp,
			       gfp_t gfp)
{
	void *p = mpool_alloc(tp->pool, gfp);

	mpool_kunit_hold(test, tp, p);
	return p;
}

/* Allocate @n blocks, each of which the pool must have. */
static void mpool_kunit_fill(struct kunit *test, struct mpool_kunit_pool *tp,
			     size_t n, gfp_t gfp)
{
	size_t i;
	void *p;

	for (i = 0; i < n; i++) {
		p = mpool_kunit_alloc(test, tp, gfp);
		KUNIT_ASSERT_NOT_NULL_MSG(test, p, "allocation %zu of %zu",
					  i + 1, n);
	}
}

/* Free a block the case holds, and forget it. */
static void mpool_kunit_free(struct kunit *test, struct mpool_kunit_pool *tp,
			     void *p)
{
	size_t i;

	for (i = 0; i < tp->nr_slots; i++) {
		if (tp->held[i] == p) {
			tp->held[i] = NULL;
			mpool_free(tp->pool, p);
			return;
		}
	}
	KUNIT_FAIL(test, "freeing %p, which the test does not hold", p);
}

static void mpool_kunit_free_all(struct mpool_kunit_pool *tp)
{
	size_t i;

	for (i = 0; i < tp->nr_slots; i++) {
		mpool_free(tp->pool, tp->held[i]);
		tp->held[i] = NULL;
	}
}

static size_t mpool_kunit_nr_held(const struct mpool_kunit_pool *tp)
{
	size_t i, n = 0;

	for (i = 0; i < tp->nr_slots; i++)
		n += !!tp->held[i];
	return n;
}

static void *mpool_kunit_lowest(const struct mpool_kunit_pool *tp)
{
	void *lowest = NULL;
	size_t i;

	for (i = 0; i < tp->nr_slots; i++) {
		if (tp->held[i] && (!lowest || tp->held[i] < lowest))
			lowest = tp->held[i];
	}
	return lowest;
}

/*
 * Expect the blocks the case holds to be blocks of its pool, all distinct,
 * a whole number of strides apart.
 */
static void mpool_kunit_expect_distinct(struct kunit *test,
					const struct mpool_kunit_pool *tp)
{
	unsigned long lowest = (unsigned long)mpool_kunit_lowest(tp);
	size_t i, j, foreign = 0, off_stride = 0, twice = 0;
	struct mpool_stats st;

	mpool_get_stats(tp->pool, &st);
	for (i = 0; i < tp->nr_slots; i++) {
		if (!tp->held[i])
			continue;
		foreign += !mpool_owns(tp->pool, tp->held[i]);
		off_stride += !!(((unsigned long)tp->held[i] - lowest) %
				 st.stride);
		for (j = i + 1; j < tp->nr_slots; j++)
			twice += tp->held[i] == tp->held[j];
	}
	KUNIT_EXPECT_EQ_MSG(test, foreign, 0UL, "blocks outside the region");
	KUNIT_EXPECT_EQ_MSG(test, off_stride, 0UL, "blocks off the stride");
	KUNIT_EXPECT_EQ_MSG(test, twice, 0UL, "blocks handed out twice");
}

/*
 * Check every field of a snapshot of statistics against @exp, the model
 * the case keeps of what it did.  Once they differ, the model is wrong from
 * there on and later checks would only repeat the news: stop the case.
 */
static void mpool_kunit_assert_snapshot(struct kunit *test,
					const struct mpool_stats *st,
					const struct mpool_stats *exp,
					const char *when)
{
	char diff[320];

	mpool_kunit_stats_diff(st, exp, diff, sizeof(diff));
	KUNIT_ASSERT_STREQ_MSG(test, diff, "", "%s", when);
}

static void mpool_kunit_assert_stats(struct kunit *test, struct mpool *pool,
				     const struct mpool_stats *exp,
				     const char *when)
{
	struct mpool_stats st;

	mpool_get_stats(pool, &st);
	mpool_kunit_assert_snapshot(test, &st, exp, when);
}

/*
 * Take every block the pool still has: the case must then hold exactly
 * nr_blocks distinct blocks, the proof that the pool neither lost a block
 * nor hands one out twice.  @exp follows the allocations made.
 */
static void mpool_kunit_drain(struct kunit *test, struct mpool_kunit_pool *tp,
			      struct mpool_stats *exp)
{
	size_t held = mpool_kunit_nr_held(tp);
	size_t got = 0;

	while (held + got < tp->nr_slots) {
		if (!mpool_kunit_alloc(test, tp, GFP_NOWAIT)) {
			exp->alloc_failures++;
			break;
		}
		got++;
	}
	exp->allocs += got;
	exp->in_use += got;
	exp->peak_in_use = max(exp->peak_in_use, exp->in_use);

	KUNIT_EXPECT_EQ(test, held + got, exp->nr_blocks);
	mpool_kunit_expect_distinct(test, tp);
}

/* Park a kthread that has done its work until kthread_stop() reaps it. */
static void mpool_kunit_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

/* ---- mpool_create ------------------------------------------------------ */

static void create_param_desc(const struct create_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(create_valid, create_valid_params, create_param_desc);
KUNIT_ARRAY_PARAM(create_bad_args, create_bad_args_params, create_param_desc);
KUNIT_ARRAY_PARAM(create_bad_name, create_bad_name_params, create_param_desc);
KUNIT_ARRAY_PARAM(create_overflow, create_overflow_params, create_param_desc);

/* Expect mpool_create() to fail with @err; destroy what it made if not. */
static void create_expect_error(struct kunit *test, int err, const char *name,
				size_t block_size, size_t align,
				size_t nr_blocks, unsigned int flags)
{
	struct mpool *pool;

	pool = mpool_create(name, block_size, align, nr_blocks, flags);
	if (!IS_ERR_OR_NULL(pool))
		mpool_destroy(pool);
	KUNIT_EXPECT_NOT_NULL(test, pool);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), err);
}

static void create_accepts(struct kunit *test)
{
	const struct create_param *p = test->param_value;
	struct mpool_stats st;
	struct mpool *pool;

	pool = mpool_create(p->name, p->block_size, p->align, p->nr_blocks,
			    p->flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "%pe", pool);

	mpool_get_stats(pool, &st);
	mpool_destroy(pool);
	KUNIT_EXPECT_EQ(test, st.block_size, p->block_size);
	KUNIT_EXPECT_EQ(test, st.nr_blocks, p->nr_blocks);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
}

static void create_rejects(struct kunit *test)
{
	const struct create_param *p = test->param_value;

	create_expect_error(test, p->err, p->name, p->block_size, p->align,
			    p->nr_blocks, p->flags);
}

static void create_rejects_args(struct kunit *test)
{
	create_rejects(test);
}

static void create_rejects_name(struct kunit *test)
{
	create_rejects(test);
}

static void create_rejects_overflow(struct kunit *test)
{
	create_rejects(test);
}

static void create_refuses_live_name(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats st;

	tp = mpool_kunit_create(test, "kunit_dup", 64, 0, 4);
	create_expect_error(test, -EEXIST, "kunit_dup", 64, 0, 4, 0);
	create_expect_error(test, -EEXIST, "kunit_dup", 32, 8, 2, 0);

	/* Names are compared whole: a prefix or an extension is another. */
	mpool_kunit_create(test, "kunit_du", 64, 0, 4);
	mpool_kunit_create(test, "kunit_dup2", 64, 0, 4);

	/* The refused creates left the live pool alone. */
	mpool_get_stats(tp->pool, &st);
	KUNIT_EXPECT_EQ(test, st.block_size, 64UL);
	KUNIT_EXPECT_EQ(test, st.nr_blocks, 4UL);
	mpool_kunit_fill(test, tp, 4, GFP_NOWAIT);
	mpool_kunit_expect_distinct(test, tp);
}

static void create_reuses_destroyed_name(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 128, .align = 64, .stride = 128,
		.nr_blocks = 2, .region_bytes = 2 * 128,
	};

	tp = mpool_kunit_create(test, "kunit_reuse", 64, 0, 4);
	mpool_kunit_fill(test, tp, 2, GFP_NOWAIT);
	mpool_kunit_free_all(tp);
	mpool_destroy(mpool_kunit_disown(tp));

	/* A new pool under the old name: new geometry, counters from zero. */
	tp = mpool_kunit_create(test, "kunit_reuse", 128, 64, 2);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "recreated pool");
}

static void create_fails_larger_than_ram(struct kunit *test)
{
	/* Twice the RAM: vmalloc refuses at once, without a warning. */
	size_t nr_blocks = 2 * (totalram_pages() << PAGE_SHIFT) / 64;

	create_expect_error(test, -ENOMEM, "kunit_enomem", 64, 0, nr_blocks,
			    0);
}

#ifdef MPOOL_TEST_HOOKS
/*
 * A pool's sysfs directory may be released after the module is gone
 * (by the last holder of a reference; CONFIG_DEBUG_KOBJECT_RELEASE, as on
 * 6.12-rt, delays every release), and module exit cannot wait for a
 * release to return: the release must be the core kernel's code.
 * kallsyms names a module's symbol with the module's name after it, in
 * brackets.
 */
static void create_sysfs_dir_released_by_kernel(struct kunit *test)
{
	char sym[KSYM_SYMBOL_LEN];
	struct mpool_kunit_pool *tp;
	struct kobject *kobj;

	if (!IS_ENABLED(CONFIG_KALLSYMS))
		kunit_skip(test, "no kallsyms to tell a module's code");
	tp = mpool_kunit_create(test, "kunit_sysfs", 64, 0, 4);
	kobj = mpool_test_kobj(tp->pool);
	KUNIT_ASSERT_NOT_NULL(test, kobj);
	KUNIT_EXPECT_STREQ(test, kobject_name(kobj), "kunit_sysfs");
	KUNIT_ASSERT_NOT_NULL(test, kobj->ktype);
	KUNIT_ASSERT_NOT_NULL(test, kobj->ktype->release);
	sprint_symbol(sym, (unsigned long)kobj->ktype->release);
	KUNIT_EXPECT_NULL_MSG(test, strchr(sym, '['),
			      "the directory's release is %s", sym);
}
#endif

static struct kunit_case mpool_create_cases[] = {
	KUNIT_CASE_PARAM(create_accepts, create_valid_gen_params),
	KUNIT_CASE_PARAM(create_rejects_args, create_bad_args_gen_params),
	KUNIT_CASE_PARAM(create_rejects_name, create_bad_name_gen_params),
	KUNIT_CASE_PARAM(create_rejects_overflow, create_overflow_gen_params),
	KUNIT_CASE(create_refuses_live_name),
	KUNIT_CASE(create_reuses_destroyed_name),
	KUNIT_CASE(create_fails_larger_than_ram),
#ifdef MPOOL_TEST_HOOKS
	KUNIT_CASE(create_sysfs_dir_released_by_kernel),
#endif
	{}
};

static struct kunit_suite mpool_create_suite = {
	.name = "mpool_create",
	.test_cases = mpool_create_cases,
};

/* ---- mpool_layout ------------------------------------------------------ */

#define LAYOUT_NR_BLOCKS	8

struct layout_param {
	size_t block_size;
	size_t align;		/* as passed to mpool_create() */
	size_t block_align;	/* what every block is aligned to */
	size_t stride;
};

/*
 * stride = ALIGN(max(block_size, sizeof(void *)), align), where align 0 or
 * below sizeof(void *) means sizeof(void *): worked out by hand for 64-bit.
 */
static const struct layout_param layout_pointer_align_params[] = {
	{ 1, 0, 8, 8 },
	{ 8, 1, 8, 8 },
	{ 3, 2, 8, 8 },
	{ 9, 4, 8, 16 },
	{ 17, 0, 8, 24 },
	{ 4097, 0, 8, 4104 },
};

static const struct layout_param layout_larger_align_params[] = {
	{ 24, 16, 16, 32 },
	{ 64, 64, 64, 64 },
	{ 100, 32, 32, 128 },
	{ 1000, 512, 512, 1024 },
	{ 4096, 4096, 4096, 4096 },
	{ 5000, 4096, 4096, 8192 },
	{ 64, 8192, 8192, 8192 },
};

static void layout_param_desc(const struct layout_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "block_size %zu, align %zu",
		 p->block_size, p->align);
}

KUNIT_ARRAY_PARAM(layout_pointer_align, layout_pointer_align_params,
		  layout_param_desc);
KUNIT_ARRAY_PARAM(layout_larger_align, layout_larger_align_params,
		  layout_param_desc);

static void layout_check(struct kunit *test)
{
	const struct layout_param *p = test->param_value;
	size_t misaligned = 0, off_stride = 0, outside = 0, twice = 0;
	size_t i, offset, overlapped = 0;
	struct mpool_kunit_pool *tp;
	unsigned long *seen;
	struct mpool_stats exp = {
		.block_size = p->block_size, .align = p->block_align,
		.stride = p->stride, .nr_blocks = LAYOUT_NR_BLOCKS,
		.region_bytes = LAYOUT_NR_BLOCKS * p->stride,
	};
	char *first, *last, *b;

	KUNIT_ASSERT_EQ_MSG(test, sizeof(void *), 8UL,
			    "the strides above are for 64-bit pointers");
	seen = kunit_kcalloc(test, BITS_TO_LONGS(LAYOUT_NR_BLOCKS),
			     sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, seen);

	tp = mpool_kunit_create(test, "kunit_layout", p->block_size, p->align,
				LAYOUT_NR_BLOCKS);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "new pool");

	mpool_kunit_fill(test, tp, LAYOUT_NR_BLOCKS, GFP_KERNEL);
	first = mpool_kunit_lowest(tp);
	for (i = 0; i < LAYOUT_NR_BLOCKS; i++) {
		b = tp->held[i];
		offset = b - first;
		misaligned += !IS_ALIGNED((unsigned long)b, p->block_align);
		off_stride += !!(offset % p->stride);
		if (!mpool_owns(tp->pool, b) ||
		    !mpool_owns(tp->pool, b + p->block_size - 1) ||
		    offset / p->stride >= LAYOUT_NR_BLOCKS)
			outside++;
		else
			twice += test_and_set_bit(offset / p->stride, seen);
	}
	KUNIT_EXPECT_EQ_MSG(test, misaligned, 0UL, "blocks not aligned");
	KUNIT_EXPECT_EQ_MSG(test, off_stride, 0UL, "blocks off the stride");
	KUNIT_EXPECT_EQ_MSG(test, twice, 0UL, "blocks handed out twice");
	KUNIT_ASSERT_EQ_MSG(test, outside, 0UL, "blocks outside the region");

	/* Write every block whole, KASAN watching, then read them back. */
	for (i = 0; i < LAYOUT_NR_BLOCKS; i++)
		memset(tp->held[i], i + 1, p->block_size);
	for (i = 0; i < LAYOUT_NR_BLOCKS; i++)
		overlapped += !!memchr_inv(tp->held[i], i + 1, p->block_size);
	KUNIT_EXPECT_EQ_MSG(test, overlapped, 0UL, "blocks overlap");

	last = first + (LAYOUT_NR_BLOCKS - 1) * p->stride;
	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, last + p->stride - 1));
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, last + p->stride));

	exp.allocs = LAYOUT_NR_BLOCKS;
	exp.in_use = LAYOUT_NR_BLOCKS;
	exp.peak_in_use = LAYOUT_NR_BLOCKS;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "all blocks handed out");
}

/* Alignments up to a pointer's size are raised to it. */
static void layout_pointer_align(struct kunit *test)
{
	layout_check(test);
}

/* Larger alignments are kept, beyond PAGE_SIZE too. */
static void layout_larger_align(struct kunit *test)
{
	layout_check(test);
}

static struct kunit_case mpool_layout_cases[] = {
	KUNIT_CASE_PARAM(layout_pointer_align, layout_pointer_align_gen_params),
	KUNIT_CASE_PARAM(layout_larger_align, layout_larger_align_gen_params),
	{}
};

static struct kunit_suite mpool_layout_suite = {
	.name = "mpool_layout",
	.test_cases = mpool_layout_cases,
};

/* ---- mpool_alloc_free -------------------------------------------------- */

#define EXHAUST_NR_BLOCKS	8

static void alloc_exhausts_then_reuses(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 32, .align = sizeof(void *), .stride = 32,
		.nr_blocks = EXHAUST_NR_BLOCKS,
		.region_bytes = EXHAUST_NR_BLOCKS * 32,
	};
	void **first, *victim, *p;
	size_t i, j, unknown = 0;

	tp = mpool_kunit_create(test, "kunit_exhaust", 32, 0, EXHAUST_NR_BLOCKS);
	first = kunit_kcalloc(test, EXHAUST_NR_BLOCKS, sizeof(*first),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, first);

	/* With blocks free, even GFP_KERNEL returns at once. */
	mpool_kunit_fill(test, tp, EXHAUST_NR_BLOCKS, GFP_KERNEL);
	mpool_kunit_expect_distinct(test, tp);
	memcpy(first, tp->held, EXHAUST_NR_BLOCKS * sizeof(*first));
	exp.allocs = EXHAUST_NR_BLOCKS;
	exp.in_use = EXHAUST_NR_BLOCKS;
	exp.peak_in_use = EXHAUST_NR_BLOCKS;

	/* Empty: a caller that cannot sleep gets NULL, counted each time. */
	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NULL(test, p);
	exp.alloc_failures++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "GFP_NOWAIT, empty");

	p = mpool_kunit_alloc(test, tp, GFP_ATOMIC);
	KUNIT_ASSERT_NULL(test, p);
	exp.alloc_failures++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "GFP_ATOMIC, empty");

	/* The one block freed is the one handed out next. */
	victim = tp->held[3];
	mpool_kunit_free(test, tp, victim);
	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_EXPECT_PTR_EQ(test, p, victim);

	/* Freed blocks come back: the same blocks, each once. */
	mpool_kunit_free_all(tp);
	mpool_kunit_fill(test, tp, EXHAUST_NR_BLOCKS, GFP_NOWAIT);
	mpool_kunit_expect_distinct(test, tp);
	for (i = 0; i < EXHAUST_NR_BLOCKS; i++) {
		for (j = 0; j < EXHAUST_NR_BLOCKS; j++) {
			if (tp->held[i] == first[j])
				break;
		}
		unknown += j == EXHAUST_NR_BLOCKS;
	}
	KUNIT_EXPECT_EQ_MSG(test, unknown, 0UL, "blocks not seen before");
	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_EXPECT_NULL(test, p);
}

struct zero_param {
	const char *desc;
	gfp_t gfp;
};

static const struct zero_param zero_params[] = {
	{ "GFP_KERNEL | __GFP_ZERO", GFP_KERNEL | __GFP_ZERO },
	{ "GFP_ATOMIC | __GFP_ZERO", GFP_ATOMIC | __GFP_ZERO },
	{ "GFP_NOWAIT | __GFP_ZERO", GFP_NOWAIT | __GFP_ZERO },
};

static void zero_param_desc(const struct zero_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(zero, zero_params, zero_param_desc);

static void alloc_gfp_zero_clears_block(struct kunit *test)
{
	const struct zero_param *z = test->param_value;
	struct mpool_kunit_pool *tp;
	void *p, *q;

	/* One block, so the dirty one comes back; 100 is not a stride. */
	tp = mpool_kunit_create(test, "kunit_zero", 100, 0, 1);
	p = mpool_kunit_alloc(test, tp, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, 100);
	mpool_kunit_free(test, tp, p);

	q = mpool_kunit_alloc(test, tp, z->gfp);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 100));
}

struct alloc_waiter {
	struct mpool *pool;
	struct completion started;
	struct completion done;
	void *block;
};

static int alloc_waiter_thread(void *data)
{
	struct alloc_waiter *w = data;

	complete(&w->started);
	w->block = mpool_alloc(w->pool, GFP_KERNEL);
	complete(&w->done);
	mpool_kunit_wait_for_stop();
	return 0;
}

/*
 * True once @task sleeps on the pool's wait queue (TASK_IDLE, see
 * mpool_kunit_wait_for_state()) before @done: freeing earlier would not
 * prove that a free wakes a sleeper, and mpool_alloc() sleeps otherwise
 * (TASK_UNINTERRUPTIBLE) only in the grace period before its last look.
 */
static bool alloc_waiter_sleeps(struct task_struct *task,
				struct completion *done)
{
	return mpool_kunit_wait_for_state(task, TASK_IDLE, done);
}

static void alloc_blocks_until_free(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct alloc_waiter *w;
	struct task_struct *task;
	struct mpool_stats exp = {
		.block_size = 64, .align = sizeof(void *), .stride = 64,
		.nr_blocks = 2, .region_bytes = 2 * 64,
		.allocs = 3, .frees = 1, .in_use = 2, .peak_in_use = 2,
		.alloc_failures = 1,
	};
	bool waited, woken;
	void *freed, *p;

	tp = mpool_kunit_create(test, "kunit_blocking", 64, 0, 2);
	mpool_kunit_fill(test, tp, 2, GFP_KERNEL);
	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NULL(test, p);

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w);
	w->pool = tp->pool;
	init_completion(&w->started);
	init_completion(&w->done);
	task = kthread_run(alloc_waiter_thread, w, "mpool_waiter");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);

	/* Until kthread_stop(), nothing may end the case. */
	wait_for_completion(&w->started);
	waited = alloc_waiter_sleeps(task, &w->done);
	freed = tp->held[1];
	mpool_kunit_free(test, tp, freed);
	woken = waited && wait_for_completion_timeout(&w->done,
						      MPOOL_KUNIT_HANG_GUARD);
	if (!woken) {
		/* Give it every block, so that it can be stopped. */
		mpool_kunit_free_all(tp);
		wait_for_completion(&w->done);
	}
	kthread_stop(task);
	/* The block the waiter got is the case's to free now. */
	mpool_kunit_hold(test, tp, w->block);

	KUNIT_ASSERT_TRUE_MSG(test, waited,
			      "GFP_KERNEL on an empty pool did not wait");
	KUNIT_ASSERT_TRUE_MSG(test, woken, "a free did not wake the waiter");
	KUNIT_ASSERT_PTR_EQ(test, w->block, freed);
	/* A wait that ended with a block is no failure. */
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after the wait");
}

static void destroy_refuses_default_pool(struct kunit *test)
{
	struct mpool *pool = mpool_default();
	struct mpool_stats before, after;
	void *p;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	mpool_get_stats(pool, &before);
	mpool_destroy(pool);

	/* Had it been destroyed, KASAN would report what follows. */
	KUNIT_EXPECT_PTR_EQ(test, mpool_default(), pool);
	p = mpool_alloc(pool, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, mpool_owns(pool, p));
	mpool_free(pool, p);
	mpool_get_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.allocs, before.allocs + 1);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees + 1);
	KUNIT_EXPECT_EQ(test, after.in_use, before.in_use);
}

static void free_and_destroy_accept_null(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 64, .align = sizeof(void *), .stride = 64,
		.nr_blocks = 4, .region_bytes = 4 * 64,
		.allocs = 2, .frees = 1, .in_use = 1, .peak_in_use = 2,
	};

	tp = mpool_kunit_create(test, "kunit_null", 64, 0, 4);
	mpool_kunit_fill(test, tp, 2, GFP_NOWAIT);
	mpool_kunit_free(test, tp, tp->held[0]);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "before the NULL free");

	mpool_free(tp->pool, NULL);
	mpool_destroy(NULL);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after the NULL free");

	mpool_kunit_drain(test, tp, &exp);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after draining");
}

static void destroy_with_blocks_in_use(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	void *kept;

	tp = mpool_kunit_create(test, "kunit_outstanding", 64, 0, 4);
	mpool_kunit_fill(test, tp, 2, GFP_NOWAIT);
	kept = tp->held[0];
	mpool_kunit_free(test, tp, tp->held[1]);

	/* Reported, but the region stays: the kept block is still memory. */
	mpool_destroy(mpool_kunit_disown(tp));
	memset(kept, 0x5a, 64);
	KUNIT_EXPECT_NULL(test, memchr_inv(kept, 0x5a, 64));

	/* The name is free again. */
	tp = mpool_kunit_create(test, "kunit_outstanding", 64, 0, 4);
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, kept));
	mpool_kunit_fill(test, tp, 4, GFP_NOWAIT);
	mpool_kunit_expect_distinct(test, tp);
}

static void owns_only_its_region(struct kunit *test)
{
	struct mpool_kunit_pool *tp, *other;
	char *first, *last, *theirs, *foreign;
	struct mpool_stats st;

	/* block_size 40 at align 16: a stride of 48, with padding. */
	tp = mpool_kunit_create(test, "kunit_owns", 40, 16, 4);
	other = mpool_kunit_create(test, "kunit_owns_other", 40, 16, 4);
	mpool_get_stats(tp->pool, &st);
	KUNIT_ASSERT_EQ(test, st.stride, 48UL);

	mpool_kunit_fill(test, tp, 4, GFP_NOWAIT);
	first = mpool_kunit_lowest(tp);
	last = first + 3 * st.stride;

	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, first));
	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, first + 40 - 1));
	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, first + 40));
	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, last));
	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, last + st.stride - 1));
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, last + st.stride));
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, first - 1));
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, NULL));

	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, foreign);
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, foreign));

	theirs = mpool_kunit_alloc(test, other, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, theirs);
	KUNIT_EXPECT_FALSE(test, mpool_owns(tp->pool, theirs));
	KUNIT_EXPECT_TRUE(test, mpool_owns(other->pool, theirs));
	KUNIT_EXPECT_FALSE(test, mpool_owns(other->pool, first));

	/* Ownership is about the region: a free block is still owned. */
	mpool_kunit_free(test, tp, last);
	KUNIT_EXPECT_TRUE(test, mpool_owns(tp->pool, last));
}

static struct kunit_case mpool_alloc_free_cases[] = {
	KUNIT_CASE(alloc_exhausts_then_reuses),
	KUNIT_CASE_PARAM(alloc_gfp_zero_clears_block, zero_gen_params),
	KUNIT_CASE(alloc_blocks_until_free),
	KUNIT_CASE(free_and_destroy_accept_null),
	KUNIT_CASE(destroy_refuses_default_pool),
	KUNIT_CASE(destroy_with_blocks_in_use),
	KUNIT_CASE(owns_only_its_region),
	{}
};

static struct kunit_suite mpool_alloc_free_suite = {
	.name = "mpool_alloc_free",
	.test_cases = mpool_alloc_free_cases,
};

/* ---- mpool_stats ------------------------------------------------------- */

#define STATS_NR_BLOCKS		10

static void stats_of_new_pool(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 24, .align = 16, .stride = 32,
		.nr_blocks = STATS_NR_BLOCKS,
		.region_bytes = STATS_NR_BLOCKS * 32,
	};

	tp = mpool_kunit_create(test, "kunit_stats_new", 24, 16,
				STATS_NR_BLOCKS);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "new pool");
}

static void stats_follow_operations(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 48, .align = 16, .stride = 48,
		.nr_blocks = STATS_NR_BLOCKS,
		.region_bytes = STATS_NR_BLOCKS * 48,
	};
	char *foreign, *p;

	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, foreign);
	tp = mpool_kunit_create(test, "kunit_stats", 48, 16, STATS_NR_BLOCKS);

	mpool_kunit_fill(test, tp, 5, GFP_KERNEL);
	exp.allocs = 5;
	exp.in_use = 5;
	exp.peak_in_use = 5;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "5 allocations");

	mpool_kunit_free(test, tp, tp->held[1]);
	mpool_kunit_free(test, tp, tp->held[3]);
	exp.frees = 2;
	exp.in_use = 3;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "2 frees");

	mpool_kunit_fill(test, tp, STATS_NR_BLOCKS - 3, GFP_NOWAIT);
	exp.allocs += STATS_NR_BLOCKS - 3;
	exp.in_use = STATS_NR_BLOCKS;
	exp.peak_in_use = STATS_NR_BLOCKS;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "pool full");

	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_EXPECT_NULL(test, p);
	p = mpool_kunit_alloc(test, tp, GFP_ATOMIC);
	KUNIT_EXPECT_NULL(test, p);
	exp.alloc_failures = 2;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "2 failed allocations");

	/* Refused frees count, and move nothing else. */
	p = tp->held[0];
	mpool_free(tp->pool, NULL);
	mpool_kunit_free(test, tp, p);
	mpool_free(tp->pool, p);
	mpool_free(tp->pool, foreign);
	mpool_free(tp->pool, (char *)tp->held[2] + 1);
	exp.frees += 1;
	exp.in_use -= 1;
	exp.double_frees = 1;
	exp.invalid_frees = 2;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "refused frees");

	/* The peak stays when blocks go back. */
	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_EXPECT_NOT_NULL(test, p);
	mpool_kunit_free_all(tp);
	exp.allocs += 1;
	exp.frees += STATS_NR_BLOCKS;
	exp.in_use = 0;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "all blocks freed");
}

static void stats_of_default_pool(struct kunit *test)
{
	struct mpool_stats exp, held;
	struct mpool *pool;
	bool owned, aligned;
	void *p;

	pool = mpool_default();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_EXPECT_PTR_EQ(test, mpool_default(), pool);

	/*
	 * The module is loaded with its defaults: 1 MiB of 64-byte blocks.
	 * The counters are whatever other users made them; no other user
	 * allocates from it during this case.
	 */
	mpool_get_stats(pool, &exp);
	KUNIT_EXPECT_GE(test, exp.block_size, 1UL);
	KUNIT_EXPECT_GE(test, exp.nr_blocks, 1UL);
	exp.block_size = 64;
	exp.align = sizeof(void *);
	exp.stride = 64;
	exp.nr_blocks = SZ_1M / 64;
	exp.region_bytes = SZ_1M;
	mpool_kunit_assert_stats(test, pool, &exp, "default pool");

	p = mpool_alloc(pool, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, p);
	owned = mpool_owns(pool, p);
	aligned = IS_ALIGNED((unsigned long)p, sizeof(void *));
	mpool_get_stats(pool, &held);
	mpool_free(pool, p);

	KUNIT_EXPECT_TRUE(test, owned);
	KUNIT_EXPECT_TRUE(test, aligned);
	exp.allocs++;
	exp.in_use++;
	exp.peak_in_use = max(exp.peak_in_use, exp.in_use);
	mpool_kunit_assert_snapshot(test, &held, &exp, "one block out");
	exp.frees++;
	exp.in_use--;
	mpool_kunit_assert_stats(test, pool, &exp, "block back");
}

static struct kunit_case mpool_stats_cases[] = {
	KUNIT_CASE(stats_of_new_pool),
	KUNIT_CASE(stats_follow_operations),
	KUNIT_CASE(stats_of_default_pool),
	{}
};

static struct kunit_suite mpool_stats_suite = {
	.name = "mpool_stats",
	.test_cases = mpool_stats_cases,
};

/* ---- mpool_misuse ------------------------------------------------------ */

#define MISUSE_NR_BLOCKS	4

/*
 * Hand out every block to learn where the region is, then give back all
 * but the lowest: the case then holds the first block of the region.
 * @exp comes with the pool's geometry; its counters are set here.
 */
static char *misuse_setup(struct kunit *test, struct mpool_kunit_pool *tp,
			  struct mpool_stats *exp)
{
	char *first;
	size_t i;

	mpool_kunit_fill(test, tp, MISUSE_NR_BLOCKS, GFP_NOWAIT);
	first = mpool_kunit_lowest(tp);
	for (i = 0; i < tp->nr_slots; i++) {
		if (tp->held[i] && tp->held[i] != first)
			mpool_kunit_free(test, tp, tp->held[i]);
	}

	exp->allocs = MISUSE_NR_BLOCKS;
	exp->frees = MISUSE_NR_BLOCKS - 1;
	exp->in_use = 1;
	exp->peak_in_use = MISUSE_NR_BLOCKS;
	mpool_kunit_assert_stats(test, tp->pool, exp, "after setup");
	return first;
}

static void misuse_free_outside_region(struct kunit *test)
{
	struct mpool_kunit_pool *tp, *other;
	struct mpool_stats other_st;
	struct mpool_stats exp = {
		.block_size = 64, .align = sizeof(void *), .stride = 64,
		.nr_blocks = MISUSE_NR_BLOCKS,
		.region_bytes = MISUSE_NR_BLOCKS * 64,
	};
	char *first, *foreign, *theirs;

	foreign = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, foreign);
	tp = mpool_kunit_create(test, "kunit_outside", 64, 0, MISUSE_NR_BLOCKS);
	other = mpool_kunit_create(test, "kunit_outside_other", 64, 0, 1);
	theirs = mpool_kunit_alloc(test, other, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, theirs);
	first = misuse_setup(test, tp, &exp);

	mpool_free(tp->pool, foreign);
	exp.invalid_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "kmalloc'd pointer");

	mpool_free(tp->pool, first - exp.stride);
	exp.invalid_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "block before region");

	mpool_free(tp->pool, first + exp.region_bytes);
	exp.invalid_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "block after region");

	mpool_free(tp->pool, theirs);
	exp.invalid_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "other pool's block");

	/* Refused by this pool, and still handed out by its own. */
	mpool_get_stats(other->pool, &other_st);
	KUNIT_EXPECT_EQ(test, other_st.in_use, 1UL);
	KUNIT_EXPECT_EQ(test, other_st.frees, 0ULL);
	KUNIT_EXPECT_EQ(test, other_st.invalid_frees, 0ULL);

	mpool_kunit_drain(test, tp, &exp);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after draining");
}

static void misuse_free_interior_pointer(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	/* block_size 40 at align 16: a stride of 48, with padding. */
	struct mpool_stats exp = {
		.block_size = 40, .align = 16, .stride = 48,
		.nr_blocks = MISUSE_NR_BLOCKS,
		.region_bytes = MISUSE_NR_BLOCKS * 48,
	};
	char *first;

	tp = mpool_kunit_create(test, "kunit_interior", 40, 16,
				MISUSE_NR_BLOCKS);
	first = misuse_setup(test, tp, &exp);

	mpool_free(tp->pool, first + 1);
	mpool_free(tp->pool, first + sizeof(void *));
	mpool_free(tp->pool, first + 40 - 1);
	mpool_free(tp->pool, first + 40);
	mpool_free(tp->pool, first + 48 - 1);
	exp.invalid_frees += 5;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "inside a held block");

	/* Not a block start is invalid, also inside a free block. */
	mpool_free(tp->pool, first + 48 + sizeof(void *));
	exp.invalid_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "inside a free block");

	/* The first block is still handed out: draining does not get it. */
	mpool_kunit_drain(test, tp, &exp);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after draining");

	/* And it can still be freed properly. */
	mpool_kunit_free(test, tp, first);
	exp.frees++;
	exp.in_use--;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "proper free");
}

/*
 * Strides that are no power of two: a free finds its block's index with
 * a multiply by the stride's reciprocal, not a divide.  Every offset of
 * the region is tried: each one inside a block is refused, each block
 * start is accepted, so the index is exact wherever a free can land.
 */
struct odd_stride_param {
	const char *desc;
	size_t block_size, align, stride;
};

static const struct odd_stride_param odd_stride_params[] = {
	{ "68/32: stride 96, dma_pool's odd one", 68, 32, 96 },
	{ "24/8: stride 24", 24, 8, 24 },
	{ "40/8: stride 40", 40, 8, 40 },
	{ "100/4: stride 104", 100, 4, 104 },
	{ "4000/8: stride 4000", 4000, 8, 4000 },
	{ "4097/8: stride 4104, past a page", 4097, 8, 4104 },
};

static void odd_stride_param_desc(const struct odd_stride_param *p,
				  char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(odd_stride, odd_stride_params, odd_stride_param_desc);

#define ODD_STRIDE_BLOCKS	16

static void misuse_every_offset_of_odd_strides(struct kunit *test)
{
	const struct odd_stride_param *p = test->param_value;
	struct mpool_kunit_pool *tp;
	struct mpool_stats st;
	size_t offset, i, refused = 0;
	char *base;

	tp = mpool_kunit_create(test, "kunit_odd_stride", p->block_size,
				p->align, ODD_STRIDE_BLOCKS);
	mpool_kunit_fill(test, tp, ODD_STRIDE_BLOCKS, GFP_NOWAIT);
	base = mpool_kunit_lowest(tp);
	mpool_get_stats(tp->pool, &st);
	KUNIT_ASSERT_EQ(test, st.stride, p->stride);

	for (offset = 0; offset < st.region_bytes; offset++) {
		if (offset % p->stride == 0)
			continue;
		mpool_free(tp->pool, base + offset);
		refused++;
	}
	mpool_get_stats(tp->pool, &st);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, refused);
	KUNIT_EXPECT_EQ(test, st.in_use, ODD_STRIDE_BLOCKS);

	for (i = 0; i < ODD_STRIDE_BLOCKS; i++)
		mpool_kunit_free(test, tp, base + i * p->stride);
	mpool_get_stats(tp->pool, &st);
	KUNIT_EXPECT_EQ(test, st.frees, ODD_STRIDE_BLOCKS);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, refused);
	KUNIT_EXPECT_EQ(test, st.in_use, 0);
}

static void misuse_free_twice(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 64, .align = sizeof(void *), .stride = 64,
		.nr_blocks = MISUSE_NR_BLOCKS,
		.region_bytes = MISUSE_NR_BLOCKS * 64,
	};
	char *first;

	tp = mpool_kunit_create(test, "kunit_twice", 64, 0, MISUSE_NR_BLOCKS);
	first = misuse_setup(test, tp, &exp);

	mpool_kunit_free(test, tp, first);
	exp.frees++;
	exp.in_use--;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "first free");

	mpool_free(tp->pool, first);
	exp.double_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "second free");

	mpool_free(tp->pool, first);
	exp.double_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "third free");

	/* The block twice freed comes back once. */
	mpool_kunit_drain(test, tp, &exp);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after draining");
}

static void misuse_free_never_allocated(struct kunit *test)
{
	struct mpool_kunit_pool *tp;
	struct mpool_stats exp = {
		.block_size = 64, .align = sizeof(void *), .stride = 64,
		.nr_blocks = MISUSE_NR_BLOCKS,
		.region_bytes = MISUSE_NR_BLOCKS * 64,
		.allocs = 1, .in_use = 1, .peak_in_use = 1,
	};
	char *p, *next;

	tp = mpool_kunit_create(test, "kunit_unused", 64, 0, MISUSE_NR_BLOCKS);
	p = mpool_kunit_alloc(test, tp, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, p);

	/* A neighbour of the only block ever handed out. */
	next = mpool_owns(tp->pool, p + 64) ? p + 64 : p - 64;
	KUNIT_ASSERT_TRUE(test, mpool_owns(tp->pool, next));
	mpool_free(tp->pool, next);
	exp.double_frees++;
	mpool_kunit_assert_stats(test, tp->pool, &exp, "free of a free block");

	mpool_kunit_drain(test, tp, &exp);
	mpool_kunit_assert_stats(test, tp->pool, &exp, "after draining");
}

static struct kunit_case mpool_misuse_cases[] = {
	KUNIT_CASE(misuse_free_outside_region),
	KUNIT_CASE(misuse_free_interior_pointer),
	KUNIT_CASE(misuse_free_twice),
	KUNIT_CASE_PARAM(misuse_every_offset_of_odd_strides,
			 odd_stride_gen_params),
	KUNIT_CASE(misuse_free_never_allocated),
	{}
};

static struct kunit_suite mpool_misuse_suite = {
	.name = "mpool_misuse",
	.test_cases = mpool_misuse_cases,
};

/* ---- mpool_concurrency ------------------------------------------------- */

#define RACE_ITERATIONS		20000
/*
 * A worker stops at RACE_ITERATIONS steps, or at RACE_TIME_LIMIT once it
 * did RACE_MIN_STEPS: the limit bounds the case's time, never what it
 * tests.  RACE_MIN_STEPS is a few hundredths of a second of work for
 * one worker on a slow guest (QEMU TCG with KASAN and lockdep, 4 vCPUs
 * on a busy two-core host, where a step takes well under a millisecond),
 * and enough for every worker to meet the others on the pool many times.
 */
#define RACE_MIN_STEPS		500
#define RACE_MAX_BATCH		4
#define RACE_BLOCKS_PER_WORKER	2
#define RACE_RESCHED_EVERY	8
#define RACE_TIME_LIMIT		(10 * HZ)
#define RACE_BLOCK_SIZE		64

/*
 * The hard interrupt fires IRQ_CALLBACKS times at least, and on until the
 * task did IRQ_TASK_MIN_STEPS steps, all of them with the timer running:
 * a few tenths of a second on the slowest guest, as RACE_MIN_STEPS.
 */
#define IRQ_CALLBACKS		200
#define IRQ_TASK_MIN_STEPS	1000
#define IRQ_PERIOD_NS		NSEC_PER_MSEC
#define IRQ_NR_BLOCKS		(RACE_MAX_BATCH + 4)

/* A pool shared by workers, and which of its blocks a worker claimed. */
struct mpool_race {
	struct mpool *pool;
	char *base;		/* lowest block */
	size_t stride;
	size_t nr_blocks;
	unsigned long *claimed;	/* bit set: a worker holds the block */
	struct completion start;
	unsigned long deadline;
};

/* What a worker writes in each block it holds. */
struct mpool_race_stamp {
	u64 owner;
	u64 seq;
};

struct mpool_race_block {
	void *p;
	unsigned long index;
	u64 seq;
};

/* Context that a worker allocates or frees in. */
enum mpool_race_context {
	RACE_TASK,
	RACE_BH_OFF,
	RACE_IRQ_OFF,
	RACE_NR_CONTEXTS,
};

/* What a worker did, and what it saw go wrong. */
struct mpool_race_counts {
	unsigned long steps;
	u64 allocs;		/* blocks the pool handed out */
	u64 failures;		/* NULLs from the pool */
	u64 handed_twice;	/* block held by another worker */
	u64 bad_blocks;		/* pointer not on a block of the pool */
	u64 bad_stamps;		/* block changed while held */
};

struct mpool_race_worker {
	struct mpool_race *race;
	struct task_struct *task;
	struct completion done;
	unsigned int id;
	u64 seq;
	struct mpool_race_counts n;
};

/* Learn where the blocks are, and make the claim bitmap. */
static void race_setup(struct kunit *test, struct mpool_race *race,
		       struct mpool_kunit_pool *tp)
{
	struct mpool_stats st;

	mpool_get_stats(tp->pool, &st);
	mpool_kunit_fill(test, tp, st.nr_blocks, GFP_NOWAIT);
	race->base = mpool_kunit_lowest(tp);
	mpool_kunit_free_all(tp);

	race->pool = tp->pool;
	race->stride = st.stride;
	race->nr_blocks = st.nr_blocks;
	race->claimed = kunit_kcalloc(test, BITS_TO_LONGS(st.nr_blocks),
				      sizeof(*race->claimed), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, race->claimed);
	init_completion(&race->start);
}

/* Take a block, claim it and stamp it; false if there is none to hold. */
static bool race_get(struct mpool_race_worker *w, struct mpool_race_block *b)
{
	struct mpool_race *race = w->race;
	struct mpool_race_stamp *stamp;
	unsigned long offset;
	void *p;

	p = mpool_alloc(race->pool, GFP_ATOMIC);
	if (!p) {
		w->n.failures++;
		return false;
	}
	w->n.allocs++;

	offset = (unsigned long)p - (unsigned long)race->base;
	if (offset % race->stride || offset / race->stride >= race->nr_blocks) {
		w->n.bad_blocks++;
		return false;
	}
	b->index = offset / race->stride;
	if (test_and_set_bit(b->index, race->claimed)) {
		w->n.handed_twice++;
		return false;
	}

	b->p = p;
	b->seq = ++w->seq;
	stamp = p;
	stamp->owner = w->id;
	stamp->seq = b->seq;
	return true;
}

/* Check a held block's stamp, unclaim it and give it back. */
static void race_put(struct mpool_race_worker *w, struct mpool_race_block *b)
{
	const struct mpool_race_stamp *stamp = b->p;

	if (stamp->owner != w->id || stamp->seq != b->seq)
		w->n.bad_stamps++;
	/* Unclaim first: once freed, the block may be handed out at once. */
	clear_bit(b->index, w->race->claimed);
	mpool_free(w->race->pool, b->p);
}

static unsigned int race_get_batch(struct mpool_race_worker *w,
				   struct mpool_race_block *blocks,
				   unsigned int n)
{
	unsigned int got;

	for (got = 0; got < n; got++) {
		if (!race_get(w, &blocks[got]))
			break;
	}
	return got;
}

static void race_put_batch(struct mpool_race_worker *w,
			   struct mpool_race_block *blocks, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		race_put(w, &blocks[i]);
}

static unsigned int race_get_in(struct mpool_race_worker *w,
				struct mpool_race_block *blocks,
				unsigned int n, enum mpool_race_context ctx)
{
	unsigned long flags;
	unsigned int got;

	switch (ctx) {
	case RACE_BH_OFF:
		local_bh_disable();
		got = race_get_batch(w, blocks, n);
		local_bh_enable();
		break;
	case RACE_IRQ_OFF:
		local_irq_save(flags);
		got = race_get_batch(w, blocks, n);
		local_irq_restore(flags);
		break;
	default:
		got = race_get_batch(w, blocks, n);
		break;
	}
	return got;
}

static void race_put_in(struct mpool_race_worker *w,
			struct mpool_race_block *blocks, unsigned int n,
			enum mpool_race_context ctx)
{
	unsigned long flags;

	switch (ctx) {
	case RACE_BH_OFF:
		local_bh_disable();
		race_put_batch(w, blocks, n);
		local_bh_enable();
		break;
	case RACE_IRQ_OFF:
		local_irq_save(flags);
		race_put_batch(w, blocks, n);
		local_irq_restore(flags);
		break;
	default:
		race_put_batch(w, blocks, n);
		break;
	}
}

/*
 * Take 1 to RACE_MAX_BATCH blocks, maybe let another task run while they
 * are held, and give them back; the contexts rotate from one step to the
 * next.
 */
static void race_step(struct mpool_race_worker *w, unsigned long step)
{
	struct mpool_race_block blocks[RACE_MAX_BATCH];
	unsigned int n = get_random_u32_inclusive(1, RACE_MAX_BATCH);
	unsigned int got;

	got = race_get_in(w, blocks, n, step % RACE_NR_CONTEXTS);
	if (!(step % RACE_RESCHED_EVERY))
		cond_resched();
	race_put_in(w, blocks, got, (step + 1) % RACE_NR_CONTEXTS);
}

static int race_worker_thread(void *data)
{
	struct mpool_race_worker *w = data;
	struct mpool_race *race = w->race;
	unsigned long step;

	wait_for_completion(&race->start);
	for (step = 0; step < RACE_ITERATIONS; step++) {
		if (kthread_should_stop() ||
		    (step >= RACE_MIN_STEPS &&
		     time_after(jiffies, race->deadline)))
			break;
		race_step(w, step);
	}
	w->n.steps = step;
	complete(&w->done);
	mpool_kunit_wait_for_stop();
	return 0;
}

static void race_add(struct mpool_race_counts *sum,
		     const struct mpool_race_counts *n)
{
	sum->steps += n->steps;
	sum->allocs += n->allocs;
	sum->failures += n->failures;
	sum->handed_twice += n->handed_twice;
	sum->bad_blocks += n->bad_blocks;
	sum->bad_stamps += n->bad_stamps;
}

/*
 * Expect every block to have been its holder's alone, and the pool to have
 * counted exactly what the workers did.
 */
static void race_check(struct kunit *test, const struct mpool_race *race,
		       const struct mpool_stats *before,
		       const struct mpool_race_counts *sum)
{
	struct mpool_stats st, exp = *before;

	KUNIT_EXPECT_EQ_MSG(test, sum->handed_twice, 0ULL,
			    "blocks handed out twice");
	KUNIT_EXPECT_EQ_MSG(test, sum->bad_blocks, 0ULL,
			    "pointers not on a block");
	KUNIT_EXPECT_EQ_MSG(test, sum->bad_stamps, 0ULL,
			    "blocks changed while held");
	KUNIT_EXPECT_TRUE(test, bitmap_empty(race->claimed, race->nr_blocks));

	mpool_get_stats(race->pool, &st);
	KUNIT_EXPECT_LE(test, st.peak_in_use, race->nr_blocks);
	exp.allocs += sum->allocs;
	exp.frees += sum->allocs;
	exp.alloc_failures += sum->failures;
	exp.in_use = 0;
	/* How high it went depends on the schedule: bounded above. */
	exp.peak_in_use = st.peak_in_use;
	mpool_kunit_assert_snapshot(test, &st, &exp, "after the race");
}

/*
 * Two workers per online CPU, bound to it, share a pool of two blocks per
 * worker, so that it runs out now and then.  Each does RACE_MIN_STEPS
 * steps at least, however slow the guest.
 */
static void race_many_workers(struct kunit *test)
{
	unsigned int nr_workers = 2 * num_online_cpus();
	unsigned int i, created = 0, cpu, stuck = 0;
	struct mpool_race_worker *workers, *w;
	struct mpool_race_counts sum = {};
	unsigned long fewest = ULONG_MAX;
	struct mpool_kunit_pool *tp;
	struct mpool_stats before;
	struct task_struct *task;
	struct mpool_race *race;
	long left;
	int err = 0;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, race);
	workers = kunit_kcalloc(test, nr_workers, sizeof(*workers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, workers);
	tp = mpool_kunit_create(test, "kunit_race", RACE_BLOCK_SIZE, 0,
				RACE_BLOCKS_PER_WORKER * nr_workers);
	race_setup(test, race, tp);
	mpool_get_stats(tp->pool, &before);

	/* From the first kthread to the last kthread_stop(), no assertion. */
	for_each_online_cpu(cpu) {
		for (i = 0; i < 2 && created < nr_workers && !err; i++) {
			w = &workers[created];
			w->race = race;
			w->id = created;
			init_completion(&w->done);
			task = kthread_create(race_worker_thread, w,
					      "mpool_race/%u", w->id);
			if (IS_ERR(task)) {
				err = PTR_ERR(task);
				break;
			}
			kthread_bind(task, cpu);
			w->task = task;
			created++;
		}
	}
	if (!err) {
		race->deadline = jiffies + RACE_TIME_LIMIT;
		for (i = 0; i < created; i++)
			wake_up_process(workers[i].task);
		complete_all(&race->start);
		/* A hang guard: the workers' minimum has no deadline. */
		for (i = 0; i < created; i++) {
			left = (long)(race->deadline + MPOOL_KUNIT_HANG_GUARD -
				      jiffies);
			if (!wait_for_completion_timeout(&workers[i].done,
							 max(left, 1L)))
				stuck++;
		}
	}
	/* Workers never woken up are stopped before they run. */
	for (i = 0; i < created; i++)
		kthread_stop(workers[i].task);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "kthread_create() failed");
	KUNIT_EXPECT_EQ_MSG(test, stuck, 0U,
			    "workers still running at the hang guard");

	for (i = 0; i < created; i++) {
		race_add(&sum, &workers[i].n);
		fewest = min(fewest, workers[i].n.steps);
	}
	KUNIT_EXPECT_GE_MSG(test, fewest, (unsigned long)RACE_MIN_STEPS,
			    "a worker did too few steps to test anything");
	KUNIT_EXPECT_GT(test, sum.allocs, 0ULL);
	race_check(test, race, &before, &sum);
	kunit_info(test, "%u workers, %lu steps (fewest %lu), %llu blocks, %llu times empty\n",
		   created, sum.steps, fewest, sum.allocs, sum.failures);
}

/* A hard interrupt that takes a block each time it fires. */
struct mpool_irq_user {
	struct hrtimer timer;
	struct mpool_race_worker w;
	struct mpool_race_block block;
	bool holding;
	unsigned int left;	/* of the IRQ_CALLBACKS it must make */
	unsigned int calls;	/* that took a block, or tried to */
	unsigned long task_steps; /* the task's, written by the task */
	struct completion done;
};

static enum hrtimer_restart irq_user_fire(struct hrtimer *timer)
{
	struct mpool_irq_user *u = container_of(timer, struct mpool_irq_user,
						timer);

	if (u->holding)
		race_put(&u->w, &u->block);
	u->holding = false;
	if (!u->left && READ_ONCE(u->task_steps) >= IRQ_TASK_MIN_STEPS) {
		complete(&u->done);
		return HRTIMER_NORESTART;
	}
	if (u->left)
		u->left--;
	u->calls++;
	u->holding = race_get(&u->w, &u->block);
	hrtimer_forward_now(timer, ns_to_ktime(IRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

/*
 * A task allocates and frees, with interrupts and bottom halves on and
 * off, while a hard interrupt on its CPU does the same: the pool's lock
 * must be taken with interrupts off, or lockdep tells.  The pool has more
 * blocks than both can hold, so neither is ever refused one.  Both go on
 * until each did its minimum, however slow the guest: only a hang ends
 * the case early.
 */
static void race_task_and_hardirq(struct kunit *test)
{
	struct mpool_race_worker *tw;
	struct mpool_kunit_pool *tp;
	struct mpool_irq_user *u;
	struct mpool_race_counts sum = {};
	struct mpool_stats before;
	struct mpool_race *race;
	unsigned long step, deadline;
	bool finished;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, race);
	tw = kunit_kzalloc(test, sizeof(*tw), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tw);
	u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, u);
	tp = mpool_kunit_create(test, "kunit_hardirq", RACE_BLOCK_SIZE, 0,
				IRQ_NR_BLOCKS);
	race_setup(test, race, tp);
	mpool_get_stats(tp->pool, &before);

	tw->race = race;
	tw->id = 0;
	u->w.race = race;
	u->w.id = 1;
	u->left = IRQ_CALLBACKS;
	init_completion(&u->done);
	hrtimer_setup(&u->timer, irq_user_fire, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);

	/* From hrtimer_start() to hrtimer_cancel(), no assertion. */
	deadline = jiffies + MPOOL_KUNIT_HANG_GUARD;
	hrtimer_start(&u->timer, ns_to_ktime(IRQ_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	for (step = 0; !completion_done(&u->done); step++) {
		if (time_after(jiffies, deadline))
			break;
		race_step(tw, step);
		WRITE_ONCE(u->task_steps, step + 1);
	}
	hrtimer_cancel(&u->timer);
	finished = completion_done(&u->done);
	if (u->holding)
		race_put(&u->w, &u->block);
	u->holding = false;

	KUNIT_EXPECT_TRUE_MSG(test, finished,
			      "at the hang guard: %u timer callbacks left, %lu task steps",
			      u->left, step);
	KUNIT_EXPECT_GE(test, step, (unsigned long)IRQ_TASK_MIN_STEPS);
	KUNIT_EXPECT_GE(test, u->calls, (unsigned int)IRQ_CALLBACKS);
	/* More blocks than both can hold: each of the interrupts got one. */
	KUNIT_EXPECT_EQ(test, u->w.n.allocs, (u64)u->calls);
	race_add(&sum, &tw->n);
	race_add(&sum, &u->w.n);
	KUNIT_EXPECT_EQ(test, sum.failures, 0ULL);
	race_check(test, race, &before, &sum);
	kunit_info(test, "%lu task steps, %llu blocks in hard interrupts\n",
		   step, u->w.n.allocs);
}

static struct kunit_case mpool_concurrency_cases[] = {
	KUNIT_CASE(race_many_workers),
	KUNIT_CASE(race_task_and_hardirq),
	{}
};

static struct kunit_suite mpool_concurrency_suite = {
	.name = "mpool_concurrency",
	.test_cases = mpool_concurrency_cases,
};

kunit_test_suites(&mpool_create_suite, &mpool_layout_suite,
		  &mpool_alloc_free_suite, &mpool_stats_suite,
		  &mpool_misuse_suite, &mpool_concurrency_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
