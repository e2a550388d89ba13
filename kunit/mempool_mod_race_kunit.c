// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mempool_mod's races, each made certain rather than
 * likely: a test-only hook (src/test_hooks.h, in make check's build)
 * parks one thread at the racy point until the test has done the other
 * side, with completions the test controls.  Also the bound on the work
 * done under one hold of a pool's lock, counted, not timed.
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_wait.h"
#include "src/test_hooks.h"

#define RACE_BLOCK_SIZE		64
/* Every possible CPU gets the largest cache: MPOOL_CACHE_MAX blocks. */
#define RACE_BLOCKS_PER_CPU	(4 * MPOOL_CACHE_MAX)
/* A hang guard (mpool_kunit_wait.h): no test waits this long when it passes. */
#define RACE_TIMEOUT		MPOOL_KUNIT_HANG_GUARD

/* ---- parking a thread at a racy point ----------------------------------- */

/* One thread to park, once, at one point of one pool. */
static struct race_park {
	struct mpool *pool;
	enum mpool_test_point point;
	struct task_struct *task;	/* NULL: any thread */
	unsigned int skip;		/* visits to let pass first */
	bool parked_once;
	/* Set before the resume: the pool is gone, the thread must end. */
	bool abandon;
	struct completion parked;	/* the thread waits at the point */
	struct completion resume;	/* the test lets it go on */
	struct completion abandoned;	/* it ends, never back in the pool */
} race_park;

static void race_interrupt(struct mpool *pool, enum mpool_test_point point);

static void race_hook(struct mpool *pool, enum mpool_test_point point)
{
	struct race_park *p = &race_park;

	/* Preemption off there: an interrupt comes in, nobody parks. */
	if (point == MPOOL_TEST_RING_FILLING ||
	    point == MPOOL_TEST_STACK_POPPING) {
		race_interrupt(pool, point);
		return;
	}
	if (pool != READ_ONCE(p->pool) || point != p->point ||
	    (p->task && current != p->task) || p->parked_once)
		return;
	if (p->skip) {
		p->skip--;
		return;
	}
	p->parked_once = true;
	complete(&p->parked);
	wait_for_completion(&p->resume);
	/*
	 * The pool was freed while the thread was parked (a destroy that
	 * did not wait for it): ending the thread here, with no lock held,
	 * is the one way on that does not write to freed memory.  Only a
	 * case whose parked thread is a kthread of its own sets this.
	 */
	if (READ_ONCE(p->abandon))
		kthread_complete_and_exit(&p->abandoned, 0);
}

static void race_park_arm(struct mpool *pool, enum mpool_test_point point,
			  struct task_struct *task)
{
	struct race_park *p = &race_park;

	p->point = point;
	p->task = task;
	p->skip = 0;
	p->parked_once = false;
	p->abandon = false;
	reinit_completion(&p->parked);
	reinit_completion(&p->resume);
	reinit_completion(&p->abandoned);
	WRITE_ONCE(p->pool, pool);
}

static bool race_parked(void)
{
	return completion_done(&race_park.parked);
}

static void race_resume(void)
{
	WRITE_ONCE(race_park.pool, NULL);
	complete_all(&race_park.resume);
}

/* ---- an interrupt on a CPU that is filling its ring -------------------- */

/*
 * A hard interrupt, raised on the CPU of a free that has written its
 * ring's slot and not yet published it, that frees another block, or
 * allocates one; or on the CPU of a stack pop that has read the top and
 * its link and not yet swapped them, that allocates two blocks and frees
 * the first.  Real: a self-IPI through irq_work, taken there because
 * both run with IRQs on; waited for before the outer call goes on.  The
 * wait has a hang guard only: a self-IPI with IRQs on comes at once, and
 * only a broken kernel spins the guard out (with preemption off, to RCU
 * stall warnings: the case fails either way).
 */
static struct race_nested {
	struct mpool *pool;	/* armed for this pool's next @point */
	enum mpool_test_point point;
	void *block;		/* what the interrupt frees; NULL: allocates */
	bool aba;		/* instead: allocates two, frees the first */
	void *got;		/* what the interrupt's alloc returned */
	void *got2;		/* with @aba, the second */
	bool raised;
	bool done;		/* the interrupt's call returned */
	bool nested;		/* ... before the interrupted call went on */
} race_nested;

static void race_nested_call(struct irq_work *work)
{
	struct race_nested *n = &race_nested;

	if (n->aba) {
		n->got = mpool_alloc(n->pool, GFP_ATOMIC);
		n->got2 = mpool_alloc(n->pool, GFP_ATOMIC);
		mpool_free(n->pool, n->got);
	} else if (n->block) {
		mpool_free(n->pool, n->block);
	} else {
		n->got = mpool_alloc(n->pool, GFP_ATOMIC);
	}
	WRITE_ONCE(n->done, true);
}

static struct irq_work race_nested_work = IRQ_WORK_INIT_HARD(race_nested_call);

static void race_interrupt(struct mpool *pool, enum mpool_test_point point)
{
	u64 deadline;

	/* With IRQs off it could not come: the case says so. */
	if (pool != READ_ONCE(race_nested.pool) ||
	    point != race_nested.point || race_nested.raised ||
	    irqs_disabled())
		return;
	race_nested.raised = true;
	irq_work_queue(&race_nested_work);
	deadline = ktime_get_ns() +
		   jiffies_to_nsecs(MPOOL_KUNIT_HANG_GUARD);
	while (!READ_ONCE(race_nested.done) && ktime_get_ns() < deadline)
		cpu_relax();
	race_nested.nested = READ_ONCE(race_nested.done);
}

static void race_nested_arm_at(struct mpool *pool,
			       enum mpool_test_point point, void *block,
			       bool aba)
{
	race_nested.point = point;
	race_nested.block = block;
	race_nested.aba = aba;
	race_nested.got = NULL;
	race_nested.got2 = NULL;
	race_nested.raised = false;
	race_nested.done = false;
	race_nested.nested = false;
	WRITE_ONCE(race_nested.pool, pool);
}

/* In the next ring fill, the interrupt frees @block, or allocates. */
static void race_nested_arm(struct mpool *pool, void *block)
{
	race_nested_arm_at(pool, MPOOL_TEST_RING_FILLING, block, false);
}

static void race_nested_disarm(void)
{
	WRITE_ONCE(race_nested.pool, NULL);
	irq_work_sync(&race_nested_work);
}

static int race_case_init(struct kunit *test)
{
	init_completion(&race_park.parked);
	init_completion(&race_park.resume);
	init_completion(&race_park.abandoned);
	race_park.abandon = false;
	WRITE_ONCE(race_park.pool, NULL);
	mpool_test_set_hook(race_hook);
	return 0;
}

/* Whatever the case did, nobody stays parked. */
static void race_case_exit(struct kunit *test)
{
	race_resume();
	race_nested_disarm();
	mpool_test_set_hook(NULL);
}

/* ---- pools and threads ------------------------------------------------ */

static int race_pool_init(struct kunit_resource *res, void *pool)
{
	res->data = pool;
	return 0;
}

static void race_pool_release(struct kunit_resource *res)
{
	mpool_destroy(res->data);
}

static struct mpool *race_create(struct kunit *test, const char *name,
				 size_t block_size, size_t nr_blocks,
				 unsigned int flags)
{
	struct mpool *pool;

	pool = mpool_create(name, block_size, 0, nr_blocks, flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "mpool_create(%s): %pe",
					 name, pool);
	if (!kunit_alloc_resource(test, race_pool_init, race_pool_release,
				  GFP_KERNEL, pool)) {
		mpool_destroy(pool);
		KUNIT_FAIL_AND_ABORT(test, "cannot track pool %s", name);
	}
	return pool;
}

static struct mpool_stats race_stats(struct mpool *pool)
{
	struct mpool_stats st;

	mpool_get_stats(pool, &st);
	return st;
}

static void **race_array(struct kunit *test, size_t nr)
{
	void **blocks = kunit_kcalloc(test, nr, sizeof(*blocks), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blocks);
	return blocks;
}

/* Take every block of @pool into @blocks; returns how many. */
static size_t race_drain(struct mpool *pool, void **blocks, size_t max)
{
	size_t n = 0;

	while (n < max && (blocks[n] = mpool_alloc(pool, GFP_ATOMIC)))
		n++;
	return n;
}

/*
 * One operation run by a thread of its own, on a chosen CPU.  Not the
 * case's memory: a thread a failing case cannot stop must not outlive it
 * in a freed case, so it is freed by whoever finishes last.
 */
struct race_op {
	struct mpool *pool;
	int (*fn)(struct race_op *op);
	gfp_t gfp;
	size_t nr;
	void **blocks;
	void *block;		/* mpool_alloc()'s result */
	int ret;		/* mpool_alloc_bulk()'s result */
	struct task_struct *task;
	struct completion done;
};

static int race_op_thread(void *data)
{
	struct race_op *op = data;

	op->fn(op);
	complete(&op->done);
	return 0;
}

static struct race_op *race_op_start(struct kunit *test, struct mpool *pool,
				     int (*fn)(struct race_op *op), gfp_t gfp,
				     size_t nr, unsigned int cpu, bool start)
{
	struct race_op *op = kzalloc(sizeof(*op), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, op);
	op->pool = pool;
	op->fn = fn;
	op->gfp = gfp;
	op->nr = nr;
	if (nr) {
		op->blocks = kcalloc(nr, sizeof(*op->blocks), GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, op->blocks);
	}
	init_completion(&op->done);
	op->task = kthread_create(race_op_thread, op, "kunit_race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(op->task));
	/* Its state is read until it is freed, even after it exits. */
	get_task_struct(op->task);
	kthread_bind(op->task, cpu);
	if (start)
		wake_up_process(op->task);
	return op;
}

static void race_op_go(struct race_op *op)
{
	wake_up_process(op->task);
}

static bool race_op_wait(struct race_op *op, unsigned long timeout)
{
	return wait_for_completion_timeout(&op->done, timeout);
}

/* Only for an op that finished: a stuck one is left, and its memory. */
static void race_op_free(struct race_op *op)
{
	put_task_struct(op->task);
	kfree(op->blocks);
	kfree(op);
}

static int race_alloc_fn(struct race_op *op)
{
	op->block = mpool_alloc(op->pool, op->gfp);
	return 0;
}

static int race_bulk_fn(struct race_op *op)
{
	op->ret = mpool_alloc_bulk(op->pool, op->gfp, op->nr, op->blocks);
	return 0;
}

/* Wait until @op sleeps in @state, or finishes; true if it sleeps. */
static bool race_op_sleeps(struct race_op *op, unsigned int state)
{
	return mpool_kunit_wait_for_state(op->task, state, &op->done);
}

struct race_cpu_job {
	struct mpool *pool;
	void **blocks;
	size_t nr;
};

static int race_free_here(void *arg)
{
	struct race_cpu_job *job = arg;

	mpool_free_bulk(job->pool, job->nr, job->blocks);
	return 0;
}

/* Alloc and free one block @nr times on this CPU: its ring turns over. */
static int race_cycle_here(void *arg)
{
	struct race_cpu_job *job = arg;
	size_t i;
	void *p;

	for (i = 0; i < job->nr; i++) {
		p = mpool_alloc(job->pool, GFP_ATOMIC);
		if (!p)
			return -ENOMEM;
		mpool_free(job->pool, p);
	}
	return 0;
}

static int race_alloc_here(void *arg)
{
	struct race_cpu_job *job = arg;
	size_t i;

	for (i = 0; i < job->nr; i++) {
		job->blocks[i] = mpool_alloc(job->pool, GFP_ATOMIC);
		if (!job->blocks[i])
			return -ENOMEM;
	}
	return 0;
}

static void race_on_cpu(struct kunit *test, unsigned int cpu,
			int (*fn)(void *), struct race_cpu_job *job)
{
	int err = smp_call_on_cpu(cpu, fn, job, false);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "on CPU %u: %d", cpu, err);
}

static unsigned int race_second_cpu(struct kunit *test)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs online");
	return cpumask_next(cpumask_first(cpu_online_mask), cpu_online_mask);
}

static size_t race_nr_blocks(void)
{
	return RACE_BLOCKS_PER_CPU * num_possible_cpus();
}

/* ---- a bulk alloc that holds blocks and then fails ---------------------- */

/*
 * How many blocks are free, all in the bulk caller's CPU's cache, when it
 * asks for one more: fewer than one hold's batch, and more.
 */
/* Where the few free blocks are: a CPU's ring, or the lock-free stack. */
struct race_bulk_param {
	size_t nr_free;
	unsigned int flags;
};

/* One block; a hold's worth, all gathered at once; more than a hold. */
static const struct race_bulk_param race_bulk_params[] = {
	{ 1, 0 },
	{ MPOOL_HOLD_MAX - 1, 0 },
	{ MPOOL_HOLD_MAX + 7, 0 },
	{ 1, MPOOL_NO_PERCPU },
	{ MPOOL_HOLD_MAX - 1, MPOOL_NO_PERCPU },
	{ MPOOL_HOLD_MAX + 7, MPOOL_NO_PERCPU },
};

static void race_bulk_desc(const struct race_bulk_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu free%s, bulk of %zu",
		 p->nr_free, p->flags ? " on the stack" : "", p->nr_free + 1);
}

KUNIT_ARRAY_PARAM(race_bulk, race_bulk_params, race_bulk_desc);

/* A pool whose every block is out but a few, and a bulk alloc of one more. */
struct race_bulk {
	struct mpool *pool;
	void **held;		/* the blocks the case holds */
	size_t nr_blocks;
	size_t nr_free;		/* in its CPU's cache, or on the stack */
	struct race_op *op;	/* the bulk caller */
};

/*
 * Start the bulk alloc on the second CPU, where the free blocks are (or
 * on the stack, anywhere), and park it if it ever holds blocks outside
 * the lock.
 */
static void race_bulk_park(struct kunit *test, struct race_bulk *b,
			   const char *name)
{
	const struct race_bulk_param *p = test->param_value;
	unsigned int cpu = race_second_cpu(test);
	struct race_cpu_job job = {};
	unsigned long deadline;
	struct mpool_stats st;

	b->nr_free = p->nr_free;
	b->nr_blocks = race_nr_blocks();
	b->held = race_array(test, b->nr_blocks);
	b->pool = race_create(test, name, RACE_BLOCK_SIZE, b->nr_blocks,
			      p->flags);
	KUNIT_ASSERT_EQ(test, race_drain(b->pool, b->held, b->nr_blocks),
			b->nr_blocks);
	job.pool = b->pool;
	job.blocks = b->held + b->nr_blocks - b->nr_free;
	job.nr = b->nr_free;
	race_on_cpu(test, cpu, race_free_here, &job);
	st = race_stats(b->pool);
	KUNIT_ASSERT_EQ(test, st.cached, p->flags ? 0UL : b->nr_free);
	KUNIT_ASSERT_EQ(test, st.in_use, b->nr_blocks - b->nr_free);

	b->op = race_op_start(test, b->pool, race_bulk_fn, GFP_ATOMIC,
			      b->nr_free + 1, cpu, false);
	race_park_arm(b->pool, MPOOL_TEST_BULK_HOLDING, b->op->task);
	race_op_go(b->op);
	/* Parked, or finished without ever holding blocks outside the lock. */
	deadline = jiffies + RACE_TIMEOUT;
	while (!race_parked() && !completion_done(&b->op->done) &&
	       time_before(jiffies, deadline))
		schedule_timeout_uninterruptible(1);
	KUNIT_ASSERT_TRUE_MSG(test, race_parked() ||
			      completion_done(&b->op->done),
			      "the bulk alloc neither parked nor returned");
}

/* Let the bulk caller go on; it must fail: one block too few is free. */
static void race_bulk_finish(struct kunit *test, struct race_bulk *b)
{
	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(b->op, RACE_TIMEOUT));
	KUNIT_EXPECT_EQ(test, b->op->ret, 0);
	race_op_free(b->op);
}

/* Give back the blocks the case held; then none is in use. */
static void race_bulk_free_held(struct kunit *test, struct race_bulk *b)
{
	mpool_free_bulk(b->pool, b->nr_blocks - b->nr_free, b->held);
	KUNIT_EXPECT_EQ(test, race_stats(b->pool).in_use, 0UL);
}

/*
 * A sleeping GFP_KERNEL alloc gets the block a failed bulk alloc held:
 * that bulk alloc must make it findable, or wake the sleeper when it puts
 * it back.
 */
static void bulk_failure_leaves_no_sleeper(struct kunit *test)
{
	struct race_op *sleeper;
	struct race_bulk b;

	race_bulk_park(test, &b, "kunit_race_bulk_sleeper");
	sleeper = race_op_start(test, b.pool, race_alloc_fn, GFP_KERNEL, 0,
				cpumask_first(cpu_online_mask), true);
	/* It finds a block at once, or sleeps: either way, now let go. */
	race_op_sleeps(sleeper, TASK_IDLE);
	race_bulk_finish(test, &b);

	if (!race_op_wait(sleeper, RACE_TIMEOUT)) {
		/* A block of the case's own, to end the sleep before failing. */
		mpool_free(b.pool, b.held[0]);
		race_op_wait(sleeper, MPOOL_KUNIT_CLEANUP_WAIT);
		KUNIT_FAIL_AND_ABORT(test, "lost wakeup: %zu blocks free",
				     b.nr_free);
	}
	KUNIT_EXPECT_NOT_NULL(test, sleeper->block);
	mpool_free(b.pool, sleeper->block);
	race_op_free(sleeper);
	race_bulk_free_held(test, &b);
}

/*
 * While a bulk alloc holds blocks it will give back, a GFP_ATOMIC alloc on
 * another CPU must not return NULL: the blocks are free.
 */
static void bulk_holding_leaves_atomic_a_block(struct kunit *test)
{
	struct race_op *atomic;
	struct race_bulk b;

	race_bulk_park(test, &b, "kunit_race_bulk_atomic");
	atomic = race_op_start(test, b.pool, race_alloc_fn, GFP_ATOMIC, 0,
			       cpumask_first(cpu_online_mask), true);
	KUNIT_ASSERT_TRUE(test, race_op_wait(atomic, RACE_TIMEOUT));
	race_bulk_finish(test, &b);

	KUNIT_EXPECT_NOT_NULL_MSG(test, atomic->block,
				  "GFP_ATOMIC got NULL with %zu blocks free",
				  b.nr_free);
	mpool_free(b.pool, atomic->block);
	race_op_free(atomic);
	/* The bulk alloc's failure, and no other. */
	KUNIT_EXPECT_EQ(test, race_stats(b.pool).alloc_failures, 1ULL);
	race_bulk_free_held(test, &b);
}

/* ---- the ring's indices wrap while a pop is preempted ------------------- */

/*
 * A lock-free pop reads its slot, is preempted, and meanwhile the ring
 * turns over 2^32 times (simulated: as many alloc+free pairs leave the
 * ring as it was, only further on).  The pop must not then claim the
 * stale slot: the block it read is in use by now.
 */
static void ring_pop_survives_index_wrap(struct kunit *test)
{
	size_t nr_blocks = race_nr_blocks();
	unsigned int cpu = cpumask_first(cpu_online_mask);
	struct race_cpu_job job = {};
	struct race_op *popper;
	void *stale, *first[1];
	unsigned int size;
	struct mpool *pool;

	pool = race_create(test, "kunit_race_ring_wrap", RACE_BLOCK_SIZE,
			   nr_blocks, 0);
	size = race_stats(pool).cache_size;
	KUNIT_ASSERT_EQ(test, size, MPOOL_CACHE_MAX);

	/* A refill: one block for us, a batch in @cpu's ring. */
	job.pool = pool;
	job.blocks = first;
	job.nr = 1;
	race_on_cpu(test, cpu, race_alloc_here, &job);

	popper = race_op_start(test, pool, race_alloc_fn, GFP_ATOMIC, 0, cpu,
			       false);
	race_park_arm(pool, MPOOL_TEST_RING_POPPING, popper->task);
	race_op_go(popper);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&race_park.parked,
							    RACE_TIMEOUT));

	/* The block the popper read: ours now. */
	job.blocks = &stale;
	race_on_cpu(test, cpu, race_alloc_here, &job);
	/*
	 * Round the ring to where its head read before, then 2^32 - size
	 * more turns: its head is back at what the popper read, modulo 2^32,
	 * and its low word, a 32-bit kernel's @tail, is exactly that.
	 */
	job.nr = size - 1;
	race_on_cpu(test, cpu, race_cycle_here, &job);
	mpool_test_ring_advance(pool, cpu, BIT_ULL(32) - size);

	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(popper, RACE_TIMEOUT));
	KUNIT_EXPECT_NOT_NULL(test, popper->block);
	KUNIT_EXPECT_PTR_NE_MSG(test, popper->block, stale,
				"a block handed out twice after the ring's indices wrapped");
	KUNIT_EXPECT_PTR_NE(test, popper->block, first[0]);
	if (popper->block != stale)
		mpool_free(pool, popper->block);
	race_op_free(popper);
	mpool_free(pool, stale);
	mpool_free(pool, first[0]);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

/*
 * A lock-free pop of a MPOOL_NO_PERCPU pool's stack reads the top, block
 * a, and the link below it, block b.  An interrupt on its CPU allocates a
 * and b and frees a: a is on top again, b is in use.  The pop must not
 * swap b in as the top on the strength of a's being there: b would be
 * handed out twice.
 */
static void stack_pop_refuses_aba(struct kunit *test)
{
	void *a, *b, *c, *got, *next;
	struct mpool *pool;

	pool = race_create(test, "kunit_race_stack_aba", RACE_BLOCK_SIZE, 4,
			   MPOOL_NO_PERCPU);
	a = mpool_alloc(pool, GFP_KERNEL);
	b = mpool_alloc(pool, GFP_KERNEL);
	c = mpool_alloc(pool, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b && c);
	/* The stack: a, then b, then c. */
	mpool_free(pool, c);
	mpool_free(pool, b);
	mpool_free(pool, a);

	race_nested_arm_at(pool, MPOOL_TEST_STACK_POPPING, NULL, true);
	got = mpool_alloc(pool, GFP_ATOMIC);
	race_nested_disarm();
	KUNIT_ASSERT_TRUE_MSG(test, race_nested.nested,
			      "no interrupt came while the pop held the top (IRQs off?)");
	KUNIT_ASSERT_PTR_EQ(test, race_nested.got, a);
	KUNIT_ASSERT_PTR_EQ(test, race_nested.got2, b);
	KUNIT_EXPECT_PTR_EQ(test, got, a);

	next = mpool_alloc(pool, GFP_ATOMIC);
	KUNIT_EXPECT_PTR_NE_MSG(test, next, b,
				"block b handed out twice: the stale link was swapped in");
	KUNIT_EXPECT_PTR_EQ(test, next, c);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 3UL);

	if (next != b)
		mpool_free(pool, next);
	mpool_free(pool, got);
	mpool_free(pool, b);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

/*
 * A free keeps IRQs on while it adds to its CPU's ring.  An interrupt that
 * frees on that CPU meanwhile must not add to the ring too: both would
 * write the same slot, and one block would be lost to every later alloc.
 */
static void irq_free_during_ring_fill_loses_no_block(struct kunit *test)
{
	size_t nr_blocks = race_nr_blocks(), i;
	void **held = race_array(test, nr_blocks);
	void *again[3] = {};
	struct mpool_stats st;
	struct mpool *pool;
	bool same;
	size_t n;

	pool = race_create(test, "kunit_race_irq_fill", RACE_BLOCK_SIZE,
			   nr_blocks, 0);
	KUNIT_ASSERT_EQ(test, race_drain(pool, held, nr_blocks), nr_blocks);

	race_nested_arm(pool, held[1]);
	mpool_free(pool, held[0]);
	race_nested_disarm();
	KUNIT_ASSERT_TRUE_MSG(test, race_nested.nested,
			      "no interrupt came while the free filled its ring (IRQs off?)");
	/* The interrupt's block went to the depot, the outer one to the ring. */
	KUNIT_EXPECT_EQ(test, race_stats(pool).cached, 1UL);

	/* Both blocks, and no other: every other one is still held. */
	n = race_drain(pool, again, ARRAY_SIZE(again));
	KUNIT_EXPECT_EQ_MSG(test, n, 2UL,
			    "the interrupt's free and the one it interrupted: one block lost");
	same = (again[0] == held[0] && again[1] == held[1]) ||
	       (again[0] == held[1] && again[1] == held[0]);
	KUNIT_EXPECT_TRUE(test, same);
	mpool_free_bulk(pool, n, again);
	for (i = 2; i < nr_blocks; i++)
		mpool_free(pool, held[i]);
	st = race_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.double_frees + st.invalid_frees, 0ULL);
}

/*
 * The same interrupt allocates instead, and finds the ring empty: the
 * slot the free wrote is not published yet.  Its refill must cache
 * nothing in the ring the free is filling, or the two would write the
 * same slots and the free's publication would take the refill's back.
 */
static void irq_refill_during_ring_fill_caches_nothing(struct kunit *test)
{
	size_t nr_blocks = race_nr_blocks(), in_depot = MPOOL_CACHE_MAX / 2;
	size_t in_ring = MPOOL_CACHE_MAX, n, i;
	unsigned int cpu = cpumask_first(cpu_online_mask);
	void **held = race_array(test, nr_blocks);
	void **again = race_array(test, nr_blocks);
	struct race_cpu_job job = {};
	struct mpool *pool;

	pool = race_create(test, "kunit_race_irq_refill", RACE_BLOCK_SIZE,
			   nr_blocks, 0);
	KUNIT_ASSERT_EQ(test, race_stats(pool).cache_size, MPOOL_CACHE_MAX);
	KUNIT_ASSERT_EQ(test, race_drain(pool, held, nr_blocks), nr_blocks);

	/* @cpu's ring full, half a ring flushed to the depot... */
	job.pool = pool;
	job.blocks = held;
	job.nr = in_ring + in_depot;
	race_on_cpu(test, cpu, race_free_here, &job);
	/* ... and the ring emptied again: only the depot has blocks. */
	job.blocks = again;
	job.nr = in_ring;
	race_on_cpu(test, cpu, race_alloc_here, &job);
	KUNIT_ASSERT_EQ(test, race_stats(pool).cached, 0UL);

	race_nested_arm(pool, NULL);
	job.blocks = &held[in_ring + in_depot];
	job.nr = 1;
	race_on_cpu(test, cpu, race_free_here, &job);
	race_nested_disarm();
	KUNIT_ASSERT_TRUE_MSG(test, race_nested.nested,
			      "no interrupt came while the free filled its ring (IRQs off?)");
	KUNIT_EXPECT_NOT_NULL(test, race_nested.got);
	/* The free's block alone is in the ring. */
	KUNIT_EXPECT_EQ(test, race_stats(pool).cached, 1UL);

	/* The depot's half ring, less the interrupt's, and the free's block. */
	n = race_drain(pool, again + in_ring, nr_blocks - in_ring);
	KUNIT_EXPECT_EQ_MSG(test, n, in_depot,
			    "blocks lost where the refill and the free met");
	mpool_free_bulk(pool, in_ring + n, again);
	mpool_free(pool, race_nested.got);
	for (i = in_ring + in_depot + 1; i < nr_blocks; i++)
		mpool_free(pool, held[i]);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

/* ---- statistics read while the pool works ------------------------------- */

/*
 * A snapshot taken while another CPU allocates and frees must hold only
 * possible values: in_use and cached at most nr_blocks, free not wrapped.
 */
static void race_expect_possible(struct kunit *test,
				 const struct mpool_stats *st)
{
	KUNIT_EXPECT_LE(test, st->in_use, st->nr_blocks);
	KUNIT_EXPECT_LE(test, st->cached, st->nr_blocks);
	KUNIT_EXPECT_LE(test, st->cached, st->cache_size * num_possible_cpus());
	KUNIT_EXPECT_LE(test, st->in_use + st->quarantined, st->nr_blocks);
	KUNIT_EXPECT_GE(test, st->allocs, st->frees);
}

/* The reader parks after its first read of the counters, or of a ring. */
static const unsigned int race_stats_skips[] = { 0, 1 };

static void race_stats_desc(const unsigned int *skip, char *desc)
{
	strscpy(desc, *skip ? "cached" : "in_use", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(race_stats, race_stats_skips, race_stats_desc);

static int race_stats_fn(struct race_op *op)
{
	mpool_get_stats(op->pool, op->block);
	return 0;
}

/*
 * The reader is parked inside mpool_get_stats() (after the first of two
 * reads that must agree); on the first CPU it read, blocks are allocated
 * and freed, and the ring's head overtakes the tail the reader saw.
 */
static void stats_snapshot_never_impossible(struct kunit *test)
{
	const unsigned int *skip = test->param_value;
	size_t nr_blocks = race_nr_blocks();
	unsigned int cpu = cpumask_first(cpu_possible_mask);
	struct race_cpu_job job = {};
	struct mpool_stats *st;
	struct race_op *reader;
	struct mpool *pool;
	void **blocks;

	if (!cpu_online(cpu))
		kunit_skip(test, "CPU %u is offline", cpu);
	pool = race_create(test, "kunit_race_stats", RACE_BLOCK_SIZE,
			   nr_blocks, 0);
	blocks = race_array(test, 2 * MPOOL_CACHE_MAX);
	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st);
	/* A few blocks in the ring of the first CPU the reader reads. */
	job.pool = pool;
	job.blocks = blocks;
	job.nr = 1;
	race_on_cpu(test, cpu, race_alloc_here, &job);
	race_on_cpu(test, cpu, race_free_here, &job);

	reader = race_op_start(test, pool, race_stats_fn, 0, 0,
			       race_second_cpu(test), false);
	reader->block = st;
	race_park_arm(pool, MPOOL_TEST_STATS_READING, reader->task);
	race_park.skip = *skip;
	race_op_go(reader);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&race_park.parked,
							    RACE_TIMEOUT));

	/* Empty the ring, refill it, take some: its head passes its old tail. */
	job.nr = 2 * MPOOL_CACHE_MAX;
	race_on_cpu(test, cpu, race_alloc_here, &job);
	race_on_cpu(test, cpu, race_free_here, &job);

	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(reader, RACE_TIMEOUT));
	race_op_free(reader);
	race_expect_possible(test, st);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

/* A pool small enough to drain by hand. */
#define RACE_SMALL_POOL		4

/* ---- in_use: a free counted, and counted as one cut ---------------------- */

static int race_alloc_free_fn(struct race_op *op)
{
	op->block = mpool_alloc(op->pool, op->gfp);
	mpool_free(op->pool, op->block);
	return 0;
}

/*
 * A free gives its block back, and before it is counted, another alloc
 * takes the block and is counted: one block is in use, and the snapshot
 * must say one, not two, more than were ever out at once, with one block
 * fewer free than there is.
 */
static void in_use_counts_free_before_give_back(struct kunit *test)
{
	struct race_op *freer;
	struct mpool_stats st;
	struct mpool *pool;
	void *again;

	pool = race_create(test, "kunit_race_free_counted", RACE_BLOCK_SIZE,
			   RACE_SMALL_POOL, MPOOL_NO_PERCPU);
	freer = race_op_start(test, pool, race_alloc_free_fn, GFP_KERNEL, 0,
			      cpumask_first(cpu_online_mask), false);
	race_park_arm(pool, MPOOL_TEST_FREE_GIVEN_BACK, freer->task);
	race_op_go(freer);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&race_park.parked,
							    RACE_TIMEOUT));
	KUNIT_ASSERT_NOT_NULL(test, freer->block);

	/* The stack's top: the block the parked free just gave back. */
	again = mpool_alloc(pool, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_EQ(test, again, freer->block);
	st = race_stats(pool);
	KUNIT_EXPECT_LE_MSG(test, st.in_use, st.peak_in_use,
			    "in_use above the most blocks ever out at once");
	KUNIT_EXPECT_EQ(test, st.in_use, 1UL);
	/* What sysfs shows as free. */
	KUNIT_EXPECT_EQ(test, st.nr_blocks - st.in_use - st.quarantined,
			(size_t)RACE_SMALL_POOL - 1);

	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(freer, RACE_TIMEOUT));
	race_op_free(freer);
	mpool_free(pool, again);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

/* Larger than in_use can get here: the clamp to the pool's size hides nothing. */
#define RACE_CUT_BLOCKS		64
#define RACE_CUT_PAIRS		10

/*
 * One block is held throughout.  The reader parks between its two sums
 * of the counters (allocs and frees), once, and meanwhile another thread
 * allocates and frees a block RACE_CUT_PAIRS times.  Before the pairs and
 * after them one block is in use: in_use must not be more, nor above the
 * peak the reader saw, as it is from one sum read before the pairs and
 * the other after them.
 */
static void in_use_read_as_one_cut(struct kunit *test)
{
	struct mpool_stats *st;
	struct race_op *reader;
	struct mpool *pool;
	void *held, *p;
	unsigned int i;

	pool = race_create(test, "kunit_race_stats_cut", RACE_BLOCK_SIZE,
			   RACE_CUT_BLOCKS, MPOOL_NO_PERCPU);
	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st);
	held = mpool_alloc(pool, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);

	reader = race_op_start(test, pool, race_stats_fn, 0, 0,
			       cpumask_first(cpu_online_mask), false);
	reader->block = st;
	/* Parks the first time only: a reader that retries goes through. */
	race_park_arm(pool, MPOOL_TEST_STATS_READING, reader->task);
	race_op_go(reader);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&race_park.parked,
							    RACE_TIMEOUT));
	for (i = 0; i < RACE_CUT_PAIRS; i++) {
		p = mpool_alloc(pool, GFP_ATOMIC);
		KUNIT_ASSERT_NOT_NULL(test, p);
		mpool_free(pool, p);
	}
	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(reader, RACE_TIMEOUT));
	race_op_free(reader);

	KUNIT_EXPECT_LE_MSG(test, st->in_use, st->peak_in_use,
			    "in_use from sums read %u alloc+free pairs apart",
			    RACE_CUT_PAIRS);
	KUNIT_EXPECT_LE(test, st->in_use, 1UL);
	mpool_free(pool, held);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

/* ---- destroying a pool a task sleeps on --------------------------------- */

/*
 * A task sleeps in mpool_alloc() on an empty pool, which is destroyed: the
 * caller's bug, made survivable.  The sleeper wakes and gets NULL, and the
 * destroy frees the pool only after the sleeper has left it.
 */
static void destroy_wakes_sleeper(struct kunit *test)
{
	void *held[RACE_SMALL_POOL];
	struct race_op *sleeper;
	struct mpool *pool;

	/* Not the case's: destroyed here, with blocks in use on purpose. */
	pool = mpool_create("kunit_race_destroy_sleeper", RACE_BLOCK_SIZE, 0,
			    RACE_SMALL_POOL, MPOOL_NO_PERCPU);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, race_drain(pool, held, RACE_SMALL_POOL),
			(size_t)RACE_SMALL_POOL);
	sleeper = race_op_start(test, pool, race_alloc_fn, GFP_KERNEL, 0,
				cpumask_first(cpu_online_mask), true);
	KUNIT_ASSERT_TRUE(test, race_op_sleeps(sleeper, TASK_IDLE));

	mpool_destroy(pool);
	/* A sleeper left on a freed pool never wakes: it cannot be ended. */
	KUNIT_ASSERT_TRUE_MSG(test, race_op_wait(sleeper, RACE_TIMEOUT),
			      "the sleeper was left asleep on a destroyed pool");
	KUNIT_EXPECT_NULL(test, sleeper->block);
	race_op_free(sleeper);
}

static int race_destroy_fn(struct race_op *op)
{
	mpool_destroy(op->pool);
	return 0;
}

/*
 * A sleeper is woken by a free and, before it retakes the pool's lock, the
 * pool is destroyed (every block was freed).  The destroy must wait for
 * it: freeing the pool now is a use-after-free once it goes on.  The
 * sleeper is let go once the destroyer sleeps (in wait_var_event(), the
 * only place mpool_destroy() sleeps uninterruptibly before the pool is
 * freed), and not before: a destroy that does not wait returns instead.
 */
static void destroy_waits_for_woken_sleeper(struct kunit *test)
{
	void *held[RACE_SMALL_POOL];
	struct race_op *sleeper, *destroyer;
	unsigned int cpu = cpumask_first(cpu_online_mask);
	struct mpool *pool;
	bool waited;

	pool = mpool_create("kunit_race_destroy_woken", RACE_BLOCK_SIZE, 0,
			    RACE_SMALL_POOL, MPOOL_NO_PERCPU);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, race_drain(pool, held, RACE_SMALL_POOL),
			(size_t)RACE_SMALL_POOL);
	sleeper = race_op_start(test, pool, race_alloc_fn, GFP_KERNEL, 0, cpu,
				false);
	race_park_arm(pool, MPOOL_TEST_WAITER_WOKEN, sleeper->task);
	race_op_go(sleeper);
	KUNIT_ASSERT_TRUE(test, race_op_sleeps(sleeper, TASK_IDLE));

	mpool_free_bulk(pool, RACE_SMALL_POOL, held);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&race_park.parked,
							    RACE_TIMEOUT));
	destroyer = race_op_start(test, pool, race_destroy_fn, 0, 0, cpu, true);
	waited = race_op_sleeps(destroyer, TASK_UNINTERRUPTIBLE);

	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(sleeper, RACE_TIMEOUT));
	KUNIT_ASSERT_TRUE(test, race_op_wait(destroyer, RACE_TIMEOUT));
	KUNIT_EXPECT_TRUE_MSG(test, waited,
			      "mpool_destroy() did not wait for the woken sleeper");
	KUNIT_EXPECT_NULL(test, sleeper->block);
	race_op_free(sleeper);
	race_op_free(destroyer);
}

/* A bulk alloc that gathers more than one hold's batch. */
#define RACE_BULK_GATHER	(2 * MPOOL_CACHE_MAX)
/*
 * How long a destroy gets to return while a bulk alloc is parked.  Not a
 * hang guard: the one wait in this file meant to run out.  A destroy that
 * waits, as it must, never returns in it; one that does not wait returns
 * in a few milliseconds, even under TCG.  A slower guest could only make
 * the case miss the bug, never fail a correct pool.
 */
#define RACE_DESTROY_WINDOW	msecs_to_jiffies(200)

/*
 * A bulk alloc gathers a batch per hold of the lock, and between two it
 * holds no lock; the pool is destroyed then (the caller's bug, as with a
 * sleeping alloc).  The destroy must wait for the bulk alloc to leave the
 * pool, which then fails: freeing the pool now is a use-after-free once
 * the bulk alloc goes on.
 */
static void destroy_waits_for_bulk_alloc(struct kunit *test)
{
	unsigned int cpu = cpumask_first(cpu_online_mask);
	struct race_op *bulk, *destroyer;
	unsigned long left;
	struct mpool *pool;

	/* Not the case's: destroyed here, under the bulk alloc on purpose. */
	pool = mpool_create("kunit_race_destroy_bulk", RACE_BLOCK_SIZE, 0,
			    race_nr_blocks(), 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	/* Every block in the depot: more than a ring, so a batch per hold. */
	bulk = race_op_start(test, pool, race_bulk_fn, GFP_KERNEL,
			     RACE_BULK_GATHER, cpu, false);
	race_park_arm(pool, MPOOL_TEST_BULK_HOLDING, bulk->task);
	race_op_go(bulk);
	if (!wait_for_completion_timeout(&race_park.parked, RACE_TIMEOUT)) {
		if (race_op_wait(bulk, RACE_TIMEOUT)) {
			if (bulk->ret)
				mpool_free_bulk(pool, bulk->ret, bulk->blocks);
			mpool_destroy(pool);
			race_op_free(bulk);
		}
		KUNIT_FAIL_AND_ABORT(test, "bulk alloc of %d: never parked",
				     RACE_BULK_GATHER);
	}

	destroyer = race_op_start(test, pool, race_destroy_fn, 0, 0, cpu, true);
	left = wait_for_completion_timeout(&destroyer->done,
					   RACE_DESTROY_WINDOW);
	KUNIT_EXPECT_EQ_MSG(test, left, 0UL,
			    "mpool_destroy() returned in %u ms while a bulk alloc was in it: the pool is freed under it",
			    jiffies_to_msecs(RACE_DESTROY_WINDOW - left));
	if (left) {
		/* Nowhere to go on: end the bulk alloc's thread where it is. */
		race_op_free(destroyer);
		WRITE_ONCE(race_park.abandon, true);
		race_resume();
		if (wait_for_completion_timeout(&race_park.abandoned,
						RACE_TIMEOUT))
			race_op_free(bulk);
		return;
	}

	race_resume();
	KUNIT_ASSERT_TRUE(test, race_op_wait(bulk, RACE_TIMEOUT));
	KUNIT_ASSERT_TRUE(test, race_op_wait(destroyer, RACE_TIMEOUT));
	/* The pool was dying: nothing for the bulk alloc. */
	KUNIT_EXPECT_EQ(test, bulk->ret, 0);
	race_op_free(bulk);
	race_op_free(destroyer);
}

static struct kunit_case mpool_race_cases[] = {
	KUNIT_CASE_PARAM(bulk_failure_leaves_no_sleeper, race_bulk_gen_params),
	KUNIT_CASE_PARAM(bulk_holding_leaves_atomic_a_block,
			 race_bulk_gen_params),
	KUNIT_CASE(ring_pop_survives_index_wrap),
	KUNIT_CASE(stack_pop_refuses_aba),
	KUNIT_CASE(irq_free_during_ring_fill_loses_no_block),
	KUNIT_CASE(irq_refill_during_ring_fill_caches_nothing),
	KUNIT_CASE_PARAM(stats_snapshot_never_impossible,
			 race_stats_gen_params),
	KUNIT_CASE(in_use_counts_free_before_give_back),
	KUNIT_CASE(in_use_read_as_one_cut),
	KUNIT_CASE(destroy_waits_for_woken_sleeper),
	KUNIT_CASE(destroy_wakes_sleeper),
	KUNIT_CASE(destroy_waits_for_bulk_alloc),
	{}
};

static struct kunit_suite mpool_race_suite = {
	.name = "mpool_race",
	.init = race_case_init,
	.exit = race_case_exit,
	.test_cases = mpool_race_cases,
};

/* ---- the work done under one hold of the lock --------------------------- */

static void hold_expect_bounded(struct kunit *test, struct mpool *pool,
				const char *what)
{
	unsigned int max = mpool_test_max_hold(pool);

	KUNIT_EXPECT_LE_MSG(test, max, MPOOL_HOLD_MAX,
			    "%s: %u units of work under one hold", what, max);
}

static const unsigned int hold_flags[] = { 0, MPOOL_NO_PERCPU };

static void hold_flags_desc(const unsigned int *flags, char *desc)
{
	strscpy(desc, *flags ? "no caches" : "caches", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hold, hold_flags, hold_flags_desc);

/* A bulk alloc and a bulk free of the whole pool, in pieces. */
static void hold_bounded_for_bulk_of_whole_pool(struct kunit *test)
{
	const unsigned int *flags = test->param_value;
	size_t nr_blocks = race_nr_blocks();
	struct mpool *pool;
	void **blocks;

	blocks = race_array(test, nr_blocks + 1);
	pool = race_create(test, "kunit_hold_bulk", RACE_BLOCK_SIZE, nr_blocks,
			   *flags);
	mpool_test_max_hold(pool);
	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, nr_blocks,
					       blocks), (int)nr_blocks);
	hold_expect_bounded(test, pool, "bulk alloc of the whole pool");
	mpool_free_bulk(pool, nr_blocks, blocks);
	hold_expect_bounded(test, pool, "bulk free of the whole pool");
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
	/* And a bulk alloc of one too many, which fails. */
	mpool_test_max_hold(pool);
	KUNIT_EXPECT_EQ(test, mpool_alloc_bulk(pool, GFP_ATOMIC, nr_blocks + 1,
					       blocks), 0);
	hold_expect_bounded(test, pool, "failed bulk alloc of the whole pool");
}

/* With P, a refill of large blocks: no block's bytes under the lock. */
static void hold_bounded_for_poisoned_refill(struct kunit *test)
{
	const size_t block_size = SZ_64K, nr_blocks = 4 * num_possible_cpus();
	struct mpool *pool;
	void **blocks;
	size_t i;

	blocks = race_array(test, nr_blocks);
	pool = race_create(test, "kunit_hold_poison", block_size, nr_blocks,
			   MPOOL_POISON);
	mpool_test_max_hold(pool);
	for (i = 0; i < nr_blocks; i++) {
		blocks[i] = mpool_alloc(pool, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blocks[i]);
	}
	mpool_free_bulk(pool, nr_blocks, blocks);
	/* A refill's batch, and the first block's poison, at most. */
	KUNIT_EXPECT_LE(test, mpool_test_max_hold(pool),
			race_stats(pool).cache_size / 2 + 1);
}

/* A corrupt link in a large pool's depot: the rebuild goes in pieces. */
static void hold_bounded_for_free_list_rebuild(struct kunit *test)
{
	const size_t nr_blocks = 16 * MPOOL_HOLD_MAX;
	struct mpool_stats st;
	struct mpool *pool;
	void **blocks;
	size_t i;

	blocks = race_array(test, nr_blocks);
	/* The depot's hardened list alone: MPOOL_NO_PERCPU has none. */
	mpool_test_make_small(true);
	pool = race_create(test, "kunit_hold_rebuild", RACE_BLOCK_SIZE,
			   nr_blocks, 0);
	mpool_test_make_small(false);
	KUNIT_ASSERT_EQ(test, race_stats(pool).cache_size, 0UL);
	KUNIT_ASSERT_EQ(test, race_drain(pool, blocks, nr_blocks), nr_blocks);
	mpool_free_bulk(pool, nr_blocks, blocks);
	/* The last freed is the list's head: scribble over its link. */
	KUNIT_ASSERT_EQ(test, race_drain(pool, blocks, nr_blocks), nr_blocks);
	for (i = 0; i < nr_blocks; i++)
		mpool_free(pool, blocks[i]);
	memset(blocks[nr_blocks - 1], 0x5a, sizeof(void *));
	mpool_test_max_hold(pool);

	KUNIT_EXPECT_EQ(test, race_drain(pool, blocks, nr_blocks),
			nr_blocks - 1);
	hold_expect_bounded(test, pool, "free-list rebuild");
	st = race_stats(pool);
	KUNIT_EXPECT_EQ(test, st.freelist_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 1UL);
	mpool_free_bulk(pool, nr_blocks - 1, blocks);
}

/* Blocks enough that a rebuild of the free list takes many holds. */
#define HOLD_LARGE_POOL		SZ_64K

/*
 * A GFP_ATOMIC alloc, with IRQs off, finds a corrupt link in a large
 * pool's free list: it may take a step of the rebuild, not all of it,
 * which a later call goes on with.  Each hold is bounded, but a call
 * that takes the lock for every batch of the whole pool keeps IRQs off
 * for as long as the rebuild takes.  A blocking alloc finishes it.
 */
static void atomic_alloc_bounded_holds_after_corrupt_link(struct kunit *test)
{
	const size_t nr_blocks = HOLD_LARGE_POOL;
	struct race_op *blocking;
	unsigned long flags;
	struct mpool_stats st;
	struct mpool *pool;
	void **blocks, *a, *b, *got;
	u64 holds;

	blocks = race_array(test, nr_blocks);
	/* The depot's hardened list alone: MPOOL_NO_PERCPU has none. */
	mpool_test_make_small(true);
	pool = race_create(test, "kunit_hold_atomic_rebuild", RACE_BLOCK_SIZE,
			   nr_blocks, 0);
	mpool_test_make_small(false);
	KUNIT_ASSERT_EQ(test, race_stats(pool).cache_size, 0UL);
	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, nr_blocks,
					       blocks), (int)nr_blocks);
	/* The list is b, then a: every other block is held. */
	a = blocks[0];
	b = blocks[1];
	mpool_free(pool, a);
	mpool_free(pool, b);
	/* No debug flag: the link is b's first word; 0x5a... leads nowhere. */
	memset(b, 0x5a, sizeof(void *));

	holds = mpool_test_holds(pool);
	local_irq_save(flags);
	got = mpool_alloc(pool, GFP_ATOMIC);
	local_irq_restore(flags);
	holds = mpool_test_holds(pool) - holds;
	KUNIT_EXPECT_LE_MSG(test, holds, 2ULL,
			    "one GFP_ATOMIC alloc took the lock %llu times with IRQs off",
			    holds);
	st = race_stats(pool);
	KUNIT_EXPECT_EQ(test, st.freelist_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 1UL);

	/* NULL is allowed: the rebuild was not done.  A blocking alloc ends it. */
	if (!got) {
		blocking = race_op_start(test, pool, race_alloc_fn, GFP_KERNEL,
					 0, cpumask_first(cpu_online_mask),
					 true);
		if (!race_op_wait(blocking, RACE_TIMEOUT)) {
			/* A block of the case's own, to end its sleep. */
			mpool_free(pool, blocks[2]);
			blocks[2] = NULL;
			if (race_op_wait(blocking, MPOOL_KUNIT_CLEANUP_WAIT))
				race_op_free(blocking);
			KUNIT_FAIL_AND_ABORT(test, "GFP_KERNEL never found block a");
		}
		got = blocking->block;
		race_op_free(blocking);
	}
	KUNIT_EXPECT_PTR_EQ(test, got, a);
	/* Everything held back, but b: quarantined, its free is refused. */
	blocks[0] = got;
	blocks[1] = NULL;
	mpool_free_bulk(pool, nr_blocks, blocks);
	KUNIT_EXPECT_EQ(test, race_stats(pool).in_use, 0UL);
}

static struct kunit_case mpool_hold_cases[] = {
	KUNIT_CASE_PARAM(hold_bounded_for_bulk_of_whole_pool, hold_gen_params),
	KUNIT_CASE(hold_bounded_for_poisoned_refill),
	KUNIT_CASE(hold_bounded_for_free_list_rebuild),
	KUNIT_CASE(atomic_alloc_bounded_holds_after_corrupt_link),
	{}
};

/* Whatever the case did, the next pools are made as usual. */
static void hold_case_exit(struct kunit *test)
{
	mpool_test_make_small(false);
}

static struct kunit_suite mpool_hold_suite = {
	.name = "mpool_lock_hold",
	.exit = hold_case_exit,
	.test_cases = mpool_hold_cases,
};

kunit_test_suites(&mpool_race_suite, &mpool_hold_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod's races and lock holds");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
