// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for a mempool_t over a pool, made by
 * mempool_create_mpool_pool(): its reserve comes out of the pool at
 * create, a create one block short fails rather than waits, pool and
 * reserve together hand out every block and no more, a GFP_KERNEL
 * mempool_alloc() that must wait does so on the mempool_t's own wait
 * queue and is woken by one mempool_free(), and mempool_destroy() gives
 * every block back.  Each case runs on a pool with per-CPU caches and on
 * one without (MPOOL_NO_PERCPU).
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "mempool_mod.h"
#include "mpool_kunit_wait.h"

/* Enough for per-CPU caches: 2 blocks a CPU, from half the pool, up to 16. */
#define MP_NR_BLOCKS		64
#define MP_BLOCK_SIZE		64
#define MP_MIN_NR		4

struct mp_param {
	const char *desc;
	unsigned int flags;
};

static const struct mp_param mp_params[] = {
	{ "per-CPU caches", 0 },
	{ "MPOOL_NO_PERCPU", MPOOL_NO_PERCPU },
};

static void mp_param_desc(const struct mp_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mp, mp_params, mp_param_desc);

/* A case's pool, its mempool_t, and the elements the case holds. */
struct mp_ctx {
	struct mpool *pool;
	mempool_t *mempool;	/* NULL once the case destroyed it */
	void *held[MP_NR_BLOCKS];
	size_t nr_held;
};

static int mp_init(struct kunit *test)
{
	const struct mp_param *p = test->param_value;
	struct mp_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx);
	test->priv = ctx;
	ctx->pool = mpool_create("kunit_mempool", MP_BLOCK_SIZE, 0,
				 MP_NR_BLOCKS, p->flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->pool);
	ctx->mempool = mempool_create_mpool_pool(MP_MIN_NR, ctx->pool);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->mempool);
	return 0;
}

/* Also after a failed assertion: nothing outlives its case. */
static void mp_exit(struct kunit *test)
{
	struct mp_ctx *ctx = test->priv;

	if (!ctx || IS_ERR_OR_NULL(ctx->pool))
		return;
	while (ctx->nr_held) {
		if (ctx->mempool)
			mempool_free(ctx->held[--ctx->nr_held], ctx->mempool);
		else
			mpool_free(ctx->pool, ctx->held[--ctx->nr_held]);
	}
	mempool_destroy(ctx->mempool);
	mpool_destroy(ctx->pool);
}

/* Take elements with @gfp until there are @nr held or one is refused. */
static void mp_take(struct mp_ctx *ctx, gfp_t gfp, size_t nr)
{
	void *p;

	while (ctx->nr_held < nr) {
		p = mempool_alloc(ctx->mempool, gfp);
		if (!p)
			return;
		ctx->held[ctx->nr_held++] = p;
	}
}

static void reserve_taken_at_create(struct kunit *test)
{
	const struct mp_param *p = test->param_value;
	struct mp_ctx *ctx = test->priv;
	struct mpool_stats st;

	mpool_get_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, !st.cache_size, !!(p->flags & MPOOL_NO_PERCPU));
	KUNIT_EXPECT_EQ(test, st.in_use, MP_MIN_NR);
	KUNIT_EXPECT_EQ(test, st.allocs, MP_MIN_NR);
	KUNIT_EXPECT_EQ(test, st.frees, 0);
	KUNIT_EXPECT_EQ(test, ctx->mempool->curr_nr, MP_MIN_NR);
}

static void pool_then_reserve_then_null(struct kunit *test)
{
	struct mp_ctx *ctx = test->priv;
	void *reserve[MP_MIN_NR];
	struct mpool_stats st;
	size_t i;

	memcpy(reserve, ctx->mempool->elements, sizeof(reserve));

	/* The pool's blocks first: the reserve stays whole. */
	mp_take(ctx, GFP_NOWAIT, MP_NR_BLOCKS - MP_MIN_NR);
	KUNIT_ASSERT_EQ(test, ctx->nr_held, MP_NR_BLOCKS - MP_MIN_NR);
	KUNIT_EXPECT_EQ(test, ctx->mempool->curr_nr, MP_MIN_NR);

	/* Then the reserve's, last in first out. */
	mp_take(ctx, GFP_NOWAIT, MP_NR_BLOCKS);
	KUNIT_ASSERT_EQ(test, ctx->nr_held, MP_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, ctx->mempool->curr_nr, 0);
	for (i = 0; i < MP_MIN_NR; i++)
		KUNIT_EXPECT_PTR_EQ(test, ctx->held[MP_NR_BLOCKS - 1 - i],
				    reserve[i]);

	KUNIT_EXPECT_NULL(test, mempool_alloc(ctx->mempool, GFP_NOWAIT));

	for (i = 0; i < ctx->nr_held; i++)
		KUNIT_EXPECT_TRUE(test, mpool_owns(ctx->pool, ctx->held[i]));
	mpool_get_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, MP_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, st.allocs, MP_NR_BLOCKS);
}

/* A task that calls mempool_create() or mempool_alloc() for a case. */
struct mp_thread {
	struct mpool *pool;
	mempool_t *mempool;	/* made by it, or where it allocates */
	int min_nr;		/* what it creates the mempool_t with */
	void *element;		/* what it allocated */
	struct completion done;	/* its call returned */
};

/* Park a kthread that has done its work until kthread_stop() reaps it. */
static void mp_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int mp_creator_thread(void *data)
{
	struct mp_thread *t = data;

	t->mempool = mempool_create_mpool_pool(t->min_nr, t->pool);
	complete(&t->done);
	mp_wait_for_stop();
	return 0;
}

static int mp_waiter_thread(void *data)
{
	struct mp_thread *t = data;

	t->element = mempool_alloc(t->mempool, GFP_KERNEL);
	complete(&t->done);
	mp_wait_for_stop();
	return 0;
}

static struct mp_thread *mp_thread_alloc(struct kunit *test)
{
	struct mp_thread *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	init_completion(&t->done);
	return t;
}

/*
 * mempool_create() fills its reserve with GFP_KERNEL: one block short, it
 * must fail, not wait in the pool for a block that may never come.  Run
 * in a task of its own, so that a create that waits fails the case
 * instead of hanging it: the case then gives the pool the missing block.
 */
static void create_fails_on_a_short_pool(struct kunit *test)
{
	struct mp_ctx *ctx = test->priv;
	struct task_struct *task;
	struct mpool_stats st;
	struct mp_thread *t;
	mempool_t *created;
	bool returned;
	void *spare;

	spare = mpool_alloc(ctx->pool, GFP_NOWAIT);
	KUNIT_ASSERT_NOT_NULL(test, spare);
	t = mp_thread_alloc(test);
	t->pool = ctx->pool;
	/* One more than the pool has free. */
	t->min_nr = MP_NR_BLOCKS - MP_MIN_NR;
	task = kthread_run(mp_creator_thread, t, "mpool_mempool_creator");
	if (IS_ERR(task))
		mpool_free(ctx->pool, spare);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);

	/* Until kthread_stop(), nothing may end the case. */
	/* A create that waits in the pool never returns: a hang guard. */
	returned = wait_for_completion_timeout(&t->done,
					       MPOOL_KUNIT_HANG_GUARD);
	if (!returned) {
		mpool_free(ctx->pool, spare);
		spare = NULL;
		wait_for_completion(&t->done);
	}
	kthread_stop(task);
	created = t->mempool;
	mempool_destroy(created);
	mpool_free(ctx->pool, spare);

	KUNIT_ASSERT_TRUE_MSG(test, returned,
			      "mempool_create() waited in the pool instead of failing");
	KUNIT_EXPECT_NULL(test, created);
	/* What it took on the way is back in the pool. */
	mpool_get_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, MP_MIN_NR);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1);
}

/*
 * True once a task waits on @mempool's own queue, where mempool_free()
 * wakes it, before @done: a waiter asleep in the pool's queue instead
 * never gets there.
 */
static bool mp_waiter_queued(mempool_t *mempool, struct completion *done)
{
	unsigned long deadline = jiffies + MPOOL_KUNIT_HANG_GUARD;

	while (!completion_done(done) && time_before(jiffies, deadline)) {
		/* Polled without the lock: prepare_to_wait() shows soon. */
		if (waitqueue_active(&mempool->wait))
			return !completion_done(done);
		schedule_timeout_uninterruptible(1);
	}
	return false;
}

/*
 * A GFP_KERNEL mempool_alloc() on an empty pool and reserve waits on the
 * mempool_t's queue, and one mempool_free() wakes it with its element.
 * That free must put the element in the reserve, which is what wakes the
 * queue: a free that went back to the pool would wake nobody there, and
 * the waiter would find the block only at its 5 s retry.  So the pool's
 * in_use must not move at the free, and the waiter must get the element.
 * No timing: the pool's figure tells where the element went.
 */
static void kernel_alloc_woken_by_one_free(struct kunit *test)
{
	struct mp_ctx *ctx = test->priv;
	struct task_struct *task;
	struct mpool_stats st;
	struct mp_thread *w;
	bool queued, woken = false;
	size_t in_use_after_free = 0;
	void *freed = NULL;

	mp_take(ctx, GFP_NOWAIT, MP_NR_BLOCKS);
	KUNIT_ASSERT_EQ(test, ctx->nr_held, MP_NR_BLOCKS);

	w = mp_thread_alloc(test);
	w->mempool = ctx->mempool;
	task = kthread_run(mp_waiter_thread, w, "mpool_mempool_waiter");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);

	/* Until kthread_stop(), nothing may end the case. */
	queued = mp_waiter_queued(ctx->mempool, &w->done);
	if (queued) {
		freed = ctx->held[--ctx->nr_held];
		mempool_free(freed, ctx->mempool);
		mpool_get_stats(ctx->pool, &st);
		in_use_after_free = st.in_use;
		woken = wait_for_completion_timeout(&w->done,
						    MPOOL_KUNIT_HANG_GUARD);
	}
	if (!woken) {
		/*
		 * A block for the pool, behind the mempool_t's back: a task
		 * asleep in the pool's queue gets it at once, one in the
		 * mempool_t's at its next retry.
		 */
		mpool_free(ctx->pool, ctx->held[--ctx->nr_held]);
		wait_for_completion(&w->done);
	}
	kthread_stop(task);
	/* The waiter's element is the case's to free now. */
	ctx->held[ctx->nr_held++] = w->element;

	KUNIT_ASSERT_TRUE_MSG(test, queued,
			      "mempool_alloc(GFP_KERNEL) did not wait on the mempool_t's queue");
	KUNIT_EXPECT_EQ_MSG(test, in_use_after_free, MP_NR_BLOCKS,
			    "mempool_free() gave the element back to the pool, not to the waiting reserve");
	KUNIT_ASSERT_TRUE_MSG(test, woken,
			      "the waiter never returned after mempool_free()");
	KUNIT_EXPECT_PTR_EQ(test, w->element, freed);
	mpool_get_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, MP_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, ctx->mempool->curr_nr, 0);
}

static void destroy_gives_every_block_back(struct kunit *test)
{
	struct mp_ctx *ctx = test->priv;
	struct mpool_stats st;

	mp_take(ctx, GFP_NOWAIT, MP_NR_BLOCKS);
	KUNIT_ASSERT_EQ(test, ctx->nr_held, MP_NR_BLOCKS);
	/* The reserve refills first, the rest goes back to the pool. */
	while (ctx->nr_held)
		mempool_free(ctx->held[--ctx->nr_held], ctx->mempool);
	KUNIT_EXPECT_EQ(test, ctx->mempool->curr_nr, MP_MIN_NR);
	mpool_get_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, MP_MIN_NR);

	mempool_destroy(ctx->mempool);
	ctx->mempool = NULL;
	mpool_get_stats(ctx->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	KUNIT_EXPECT_EQ(test, st.allocs, MP_NR_BLOCKS);
}

static struct kunit_case mpool_mempool_cases[] = {
	KUNIT_CASE_PARAM(reserve_taken_at_create, mp_gen_params),
	KUNIT_CASE_PARAM(create_fails_on_a_short_pool, mp_gen_params),
	KUNIT_CASE_PARAM(pool_then_reserve_then_null, mp_gen_params),
	KUNIT_CASE_PARAM(kernel_alloc_woken_by_one_free, mp_gen_params),
	KUNIT_CASE_PARAM(destroy_gives_every_block_back, mp_gen_params),
	{}
};

static struct kunit_suite mpool_mempool_suite = {
	.name = "mempool_mod_mempool",
	.init = mp_init,
	.exit = mp_exit,
	.test_cases = mpool_mempool_cases,
};

kunit_test_suite(mpool_mempool_suite);

MODULE_DESCRIPTION("KUnit tests for a mempool_t over a mempool_mod pool");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
