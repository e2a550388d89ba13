// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: how an alloc waits for a free when every block is taken, by gfp
 * and by variant.  GFP_KERNEL sleeps until a free; __GFP_NORETRY and
 * __GFP_RETRY_MAYFAIL, which ask to fail rather than wait long, and a
 * gfp that may not block, fail at once; mpool_alloc_timeout() gives up
 * when its time runs out and mpool_alloc_killable() on a fatal signal,
 * and a waiter that gave up leaves the next free to wake the others.
 *
 * Each alloc that may wait runs in a thread of its own, so that a wait
 * that never ends fails the case at the hang guard instead of hanging it.
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_wait.h"

#define WAIT_NR_BLOCKS		8
#define WAIT_BLOCK_SIZE		64

/* Which of the single allocs a thread calls. */
enum wait_call {
	WAIT_ALLOC,		/* mpool_alloc() */
	WAIT_TIMEOUT,		/* mpool_alloc_timeout() */
	WAIT_KILLABLE,		/* mpool_alloc_killable() */
};

/*
 * One alloc in a thread of its own.  Not the case's memory: a thread
 * that never ends must not outlive what it writes to.
 */
struct wait_job {
	struct mpool *pool;
	enum wait_call call;
	gfp_t gfp;
	unsigned long timeout;
	void *block;
	unsigned long began, ended;	/* jiffies around the call */
	struct task_struct *task;
	struct completion started;
	struct completion done;
};

/* A case's pool, every block taken, and the blocks in @blocks. */
struct wait_fixture {
	struct mpool *pool;
	void *blocks[WAIT_NR_BLOCKS];
	size_t held;
};

static int wait_job_fn(void *arg)
{
	struct wait_job *job = arg;

	/* A kthread ignores every signal unless it allows it. */
	if (job->call == WAIT_KILLABLE)
		allow_signal(SIGKILL);
	complete(&job->started);
	job->began = jiffies;
	switch (job->call) {
	case WAIT_ALLOC:
		job->block = mpool_alloc(job->pool, job->gfp);
		break;
	case WAIT_TIMEOUT:
		job->block = mpool_alloc_timeout(job->pool, job->gfp,
						 job->timeout);
		break;
	case WAIT_KILLABLE:
		job->block = mpool_alloc_killable(job->pool, job->gfp);
		break;
	}
	job->ended = jiffies;
	complete(&job->done);
	return 0;
}

static int wait_fixture_init(struct kunit *test)
{
	struct wait_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->pool = mpool_create("kunit_wait", WAIT_BLOCK_SIZE, 0,
			       WAIT_NR_BLOCKS, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->pool);
	for (f->held = 0; f->held < WAIT_NR_BLOCKS; f->held++) {
		f->blocks[f->held] = mpool_alloc(f->pool, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->blocks[f->held]);
	}
	test->priv = f;
	return 0;
}

static void wait_fixture_exit(struct kunit *test)
{
	struct wait_fixture *f = test->priv;

	if (!f || IS_ERR_OR_NULL(f->pool))
		return;
	mpool_free_bulk(f->pool, f->held, f->blocks);
	mpool_destroy(f->pool);
}

static u64 wait_failures(struct mpool *pool)
{
	struct mpool_stats st;

	mpool_get_stats(pool, &st);
	return st.alloc_failures;
}

/* Start @job's thread; NULL, with the case failed, if it cannot be. */
static struct wait_job *wait_start(struct kunit *test, struct mpool *pool,
				   enum wait_call call, gfp_t gfp,
				   unsigned long timeout)
{
	struct wait_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, job);
	job->pool = pool;
	job->call = call;
	job->gfp = gfp;
	job->timeout = timeout;
	init_completion(&job->started);
	init_completion(&job->done);
	job->task = kthread_create(wait_job_fn, job, "kunit_mpool_wait");
	if (IS_ERR(job->task)) {
		kfree(job);
		KUNIT_FAIL_AND_ABORT(test, "kthread_create failed");
	}
	/* Its state is read until the case is done with it, even after it exits. */
	get_task_struct(job->task);
	wake_up_process(job->task);
	wait_for_completion(&job->started);
	return job;
}

/*
 * Wait for @job's alloc to return; true if it did.  If it does not by the
 * hang guard, free a block to end it, and leak the job if even that fails.
 * The block the job got is the fixture's to free.
 */
static bool wait_finish(struct kunit *test, struct wait_job *job)
{
	struct wait_fixture *f = test->priv;
	bool returned;

	returned = wait_for_completion_timeout(&job->done,
					       MPOOL_KUNIT_HANG_GUARD);
	if (!returned && f->held) {
		mpool_free(f->pool, f->blocks[--f->held]);
		if (!wait_for_completion_timeout(&job->done,
						 MPOOL_KUNIT_CLEANUP_WAIT)) {
			put_task_struct(job->task);
			KUNIT_FAIL_AND_ABORT(test, "the alloc never returned, even after a free");
		}
	}
	if (job->block)
		f->blocks[f->held++] = job->block;
	put_task_struct(job->task);
	return returned;
}

/* ---- what fails at once ---------------------------------------------- */

struct wait_at_once_case {
	const char *desc;
	enum wait_call call;
	gfp_t gfp;
	unsigned long timeout;
};

static const struct wait_at_once_case wait_at_once_cases[] = {
	{ "GFP_KERNEL | __GFP_NORETRY", WAIT_ALLOC,
	  GFP_KERNEL | __GFP_NORETRY },
	{ "GFP_KERNEL | __GFP_RETRY_MAYFAIL", WAIT_ALLOC,
	  GFP_KERNEL | __GFP_RETRY_MAYFAIL },
	{ "GFP_NOWAIT", WAIT_ALLOC, GFP_NOWAIT },
	{ "mpool_alloc_timeout(GFP_KERNEL, 0)", WAIT_TIMEOUT, GFP_KERNEL, 0 },
	{ "mpool_alloc_timeout(GFP_KERNEL | __GFP_NORETRY, long)",
	  WAIT_TIMEOUT, GFP_KERNEL | __GFP_NORETRY, 1000 * HZ },
	{ "mpool_alloc_killable(GFP_ATOMIC)", WAIT_KILLABLE, GFP_ATOMIC },
};

static void wait_at_once_desc(const struct wait_at_once_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(wait_at_once, wait_at_once_cases, wait_at_once_desc);

/*
 * A gfp that asks to fail rather than wait long, or may not block, or a
 * zero timeout: NULL on an empty pool without a wait, counted as a failure.
 * The hang guard is what fails a call that waits for a free that never
 * comes (until the guard frees one).
 */
static void empty_pool_fails_at_once(struct kunit *test)
{
	const struct wait_at_once_case *c = test->param_value;
	struct wait_fixture *f = test->priv;
	u64 failures = wait_failures(f->pool);
	struct wait_job *job;

	job = wait_start(test, f->pool, c->call, c->gfp, c->timeout);
	KUNIT_EXPECT_TRUE_MSG(test, wait_finish(test, job),
			      "%s waited for a free on an empty pool", c->desc);
	KUNIT_EXPECT_NULL(test, job->block);
	KUNIT_EXPECT_EQ(test, wait_failures(f->pool), failures + 1);
	kfree(job);
}

/* ---- what waits, and for how long -------------------------------------- */

/*
 * mpool_alloc_timeout(): NULL once its time ran out, not before, counted
 * as a failure; the time is the jiffies the call spanned, which can only
 * be at least the timeout in a correct run, however slow the guest.
 */
static void timeout_gives_up_when_time_runs_out(struct kunit *test)
{
	const unsigned long timeout = HZ / 10 ?: 1;
	struct wait_fixture *f = test->priv;
	u64 failures = wait_failures(f->pool);
	struct wait_job *job;

	job = wait_start(test, f->pool, WAIT_TIMEOUT, GFP_KERNEL, timeout);
	KUNIT_EXPECT_TRUE(test, wait_finish(test, job));
	KUNIT_EXPECT_NULL(test, job->block);
	KUNIT_EXPECT_TRUE_MSG(test,
			      time_after_eq(job->ended, job->began + timeout),
			      "gave up after %lu of %lu jiffies",
			      job->ended - job->began, timeout);
	KUNIT_EXPECT_EQ(test, wait_failures(f->pool), failures + 1);
	kfree(job);
}

/* Freed while the waiter sleeps in @state: the waiter gets that block. */
static void wait_woken_by_free(struct kunit *test, enum wait_call call,
			       unsigned int state)
{
	struct wait_fixture *f = test->priv;
	struct wait_job *job;
	void *freed;
	bool asleep;

	job = wait_start(test, f->pool, call, GFP_KERNEL, 1000 * HZ);
	asleep = mpool_kunit_wait_for_state(job->task, state, &job->done);
	freed = f->blocks[--f->held];
	mpool_free(f->pool, freed);
	KUNIT_EXPECT_TRUE(test, wait_finish(test, job));
	KUNIT_EXPECT_TRUE_MSG(test, asleep, "the alloc did not sleep in the pool");
	KUNIT_EXPECT_PTR_EQ(test, job->block, freed);
	kfree(job);
}

static void timeout_woken_by_free(struct kunit *test)
{
	wait_woken_by_free(test, WAIT_TIMEOUT, TASK_IDLE);
}

static void killable_woken_by_free(struct kunit *test)
{
	wait_woken_by_free(test, WAIT_KILLABLE, TASK_KILLABLE);
}

/*
 * A fatal signal ends a killable wait with NULL, counted as a failure, and
 * the pool does not count the task as waiting any more: a later sleeper
 * is woken by the next free, and the pool is destroyed without a word
 * about waiters.
 */
static void killable_ends_on_fatal_signal(struct kunit *test)
{
	struct wait_fixture *f = test->priv;
	u64 failures = wait_failures(f->pool);
	struct wait_job *job;
	bool asleep;

	job = wait_start(test, f->pool, WAIT_KILLABLE, GFP_KERNEL, 0);
	asleep = mpool_kunit_wait_for_state(job->task, TASK_KILLABLE,
					    &job->done);
	send_sig(SIGKILL, job->task, 1);
	KUNIT_EXPECT_TRUE(test, wait_finish(test, job));
	KUNIT_EXPECT_TRUE_MSG(test, asleep, "the alloc did not sleep in the pool");
	KUNIT_EXPECT_NULL(test, job->block);
	KUNIT_EXPECT_EQ(test, wait_failures(f->pool), failures + 1);
	kfree(job);

	/* The next sleeper gets the next free. */
	wait_woken_by_free(test, WAIT_ALLOC, TASK_IDLE);
}

static struct kunit_case mpool_wait_cases[] = {
	KUNIT_CASE_PARAM(empty_pool_fails_at_once, wait_at_once_gen_params),
	KUNIT_CASE(timeout_gives_up_when_time_runs_out),
	KUNIT_CASE(timeout_woken_by_free),
	KUNIT_CASE(killable_woken_by_free),
	KUNIT_CASE(killable_ends_on_fatal_signal),
	{}
};

static struct kunit_suite mpool_wait_suite = {
	.name = "mempool_mod_wait",
	.init = wait_fixture_init,
	.exit = wait_fixture_exit,
	.test_cases = mpool_wait_cases,
};

kunit_test_suite(mpool_wait_suite);

MODULE_DESCRIPTION("KUnit tests of how mempool_mod's allocs wait for a free");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
