// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit proof that one mempool_mod pool works in every context at once: on
 * each online CPU, a hard interrupt (a pinned hrtimer), a softirq (a pinned
 * timer_list) and a task (a kthread bound to the CPU) allocate and free
 * from the same pool at the same time, all CPUs together.
 *
 * Each block is stamped with its holder when handed out and the stamp is
 * checked before it goes back; a shared claim bitmap catches a block
 * handed out to two holders.  At the end every user must have done its
 * number of steps, however slow the guest, so that the case cannot pass
 * by doing little, and the pool's counters must match what the users
 * did, with no debug check having fired.
 *
 * And a consumer that misuses a pool in its hard IRQ handler gets its
 * reports, not a lockdep splat: make check fails on any splat.
 *
 * Timers are used by mainline's names, hrtimer_setup(), timer_delete_sync()
 * and timer_container_of(): mpool_kunit_compat.h gives them to older
 * kernels.
 */

#include <kunit/test.h>

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timer.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_wait.h"
#ifdef MPOOL_TEST_HOOKS
#include "mpool_kunit_stats.h"
#include "src/test_hooks.h"
#endif

/* Not a power of two: with MPOOL_REDZONE, the red zone starts mid-word. */
#define CTX_BLOCK_SIZE		56
/* Blocks a user holds at once: up to this many, from one step to the next. */
#define CTX_MAX_HELD		4
/*
 * The pool has twice the blocks all users can hold: a correct pool never
 * runs out, and a broken one that quarantines a few blocks still does not
 * leave a task asleep in GFP_KERNEL for ever.
 */
#define CTX_BLOCKS_PER_USER	(2 * CTX_MAX_HELD)
/*
 * The steps each user of each CPU does, every one of them asserted: the
 * run has no deadline but a hang guard.  About a second of timer ticks
 * (the softirq steps once a jiffy), and a fraction of one for the task,
 * on the slowest guest (QEMU TCG with KASAN and lockdep, on a busy
 * two-core host), where a step takes well under a millisecond.
 */
#define CTX_HARDIRQ_STEPS	300
#define CTX_HARDIRQ_PERIOD_NS	(500 * NSEC_PER_USEC)
#define CTX_SOFTIRQ_STEPS	100
/* The task goes on at least this long, and while its timers still run. */
#define CTX_TASK_MIN_STEPS	300
#define CTX_TASK_MAX_STEPS	100000
#define CTX_POLL_MS		20

enum ctx_kind {
	CTX_HARDIRQ,
	CTX_SOFTIRQ,
	CTX_TASK,
	CTX_NR_KINDS,
};

static const char *const ctx_kind_name[CTX_NR_KINDS] = {
	[CTX_HARDIRQ] = "hard IRQ",
	[CTX_SOFTIRQ] = "softirq",
	[CTX_TASK] = "task",
};

/* The pool all users share, and which of its blocks a user holds. */
struct ctx_run {
	struct mpool *pool;
	char *base;		/* lowest block */
	size_t stride;
	size_t nr_blocks;
	unsigned long *claimed;	/* bit set: a user holds the block */
	bool stop;		/* set once: every user winds down */
	bool trouble;		/* set once: the pool lost a block */
};

/* What a user writes at the start of each block it holds. */
struct ctx_stamp {
	u64 owner;
	u64 seq;
};

struct ctx_block {
	char *p;
	unsigned long index;
	u64 seq;
};

/* What a user did, and what it saw go wrong. */
struct ctx_counts {
	unsigned long steps;
	u64 allocs;		/* blocks the pool handed out */
	u64 failures;		/* NULLs from the pool */
	u64 handed_twice;	/* block held by another user */
	u64 bad_blocks;		/* pointer not on a block of the pool */
	u64 bad_stamps;		/* block changed while held */
	u64 wrong_context;	/* ran on another CPU or in another context */
};

/* One context on one CPU, allocating and freeing. */
struct ctx_user {
	struct ctx_run *run;
	unsigned int cpu;
	enum ctx_kind kind;
	u64 owner;		/* never 0: a fresh block may hold 0 */
	u64 seq;
	unsigned int nr_held;
	struct ctx_block held[CTX_MAX_HELD];
	bool done;		/* set once, by the user itself */
	struct ctx_counts n;
};

/* The three users of one CPU and what runs them. */
struct ctx_cpu {
	struct ctx_user user[CTX_NR_KINDS];
	struct hrtimer hrtimer;
	struct timer_list timer;
	struct task_struct *thread;
};

/* Each block is written whole: a block shared with anyone shows. */
static u8 ctx_fill_byte(const struct ctx_user *u, u64 seq)
{
	return (u8)(u->owner * 31 + seq) | 1;
}

/* Take a block, claim it and stamp it; false if there is none to hold. */
static bool ctx_get(struct ctx_user *u, struct ctx_block *b, gfp_t gfp)
{
	struct ctx_run *run = u->run;
	struct ctx_stamp *stamp;
	unsigned long offset;
	char *p;

	p = mpool_alloc(run->pool, gfp);
	if (!p) {
		u->n.failures++;
		return false;
	}
	u->n.allocs++;

	offset = (unsigned long)p - (unsigned long)run->base;
	if (offset % run->stride || offset / run->stride >= run->nr_blocks) {
		/* Not a block: leave it, the stats will not add up. */
		u->n.bad_blocks++;
		WRITE_ONCE(run->trouble, true);
		return false;
	}
	b->index = offset / run->stride;
	if (test_and_set_bit(b->index, run->claimed)) {
		/* Its other holder frees it: leave it. */
		u->n.handed_twice++;
		WRITE_ONCE(run->trouble, true);
		return false;
	}

	b->p = p;
	b->seq = ++u->seq;
	memset(p, ctx_fill_byte(u, b->seq), CTX_BLOCK_SIZE);
	stamp = (struct ctx_stamp *)p;
	stamp->owner = u->owner;
	stamp->seq = b->seq;
	return true;
}

/* Check a held block's stamp and fill, unclaim it and give it back. */
static void ctx_put(struct ctx_user *u, struct ctx_block *b)
{
	const struct ctx_stamp *stamp = (const struct ctx_stamp *)b->p;

	if (stamp->owner != u->owner || stamp->seq != b->seq ||
	    memchr_inv(b->p + sizeof(*stamp), ctx_fill_byte(u, b->seq),
		       CTX_BLOCK_SIZE - sizeof(*stamp)))
		u->n.bad_stamps++;
	/* Unclaim first: once freed, the block may be handed out at once. */
	clear_bit(b->index, u->run->claimed);
	mpool_free(u->run->pool, b->p);
}

static void ctx_put_all(struct ctx_user *u)
{
	while (u->nr_held)
		ctx_put(u, &u->held[--u->nr_held]);
}

static bool ctx_in_kind(enum ctx_kind kind)
{
	switch (kind) {
	case CTX_HARDIRQ:
		return in_hardirq();
	case CTX_SOFTIRQ:
		return in_serving_softirq() && !in_hardirq();
	default:
		return in_task();
	}
}

/*
 * Give back what the last step took and take 1 to CTX_MAX_HELD new
 * blocks, kept until the next step so that the other contexts run while
 * they are held.  The count cycles instead of being random: the entropy
 * pool's local lock is not for hard interrupts on PREEMPT_RT.
 */
static void ctx_step(struct ctx_user *u, gfp_t gfp)
{
	unsigned int want = 1 + (u->n.steps + u->cpu) % CTX_MAX_HELD;

	if (raw_smp_processor_id() != u->cpu || !ctx_in_kind(u->kind))
		u->n.wrong_context++;
	ctx_put_all(u);
	while (u->nr_held < want && ctx_get(u, &u->held[u->nr_held], gfp))
		u->nr_held++;
	u->n.steps++;
}

/* A timer user's last step: give everything back, and say so. */
static bool ctx_timer_user_finished(struct ctx_user *u, unsigned long limit)
{
	if (u->n.steps < limit && !READ_ONCE(u->run->stop))
		return false;
	ctx_put_all(u);
	WRITE_ONCE(u->done, true);
	return true;
}

static enum hrtimer_restart ctx_hardirq_fire(struct hrtimer *timer)
{
	struct ctx_cpu *c = container_of(timer, struct ctx_cpu, hrtimer);
	struct ctx_user *u = &c->user[CTX_HARDIRQ];

	if (ctx_timer_user_finished(u, CTX_HARDIRQ_STEPS))
		return HRTIMER_NORESTART;
	ctx_step(u, GFP_ATOMIC);
	hrtimer_forward_now(timer, ns_to_ktime(CTX_HARDIRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void ctx_softirq_fire(struct timer_list *timer)
{
	struct ctx_cpu *c = timer_container_of(c, timer, timer);
	struct ctx_user *u = &c->user[CTX_SOFTIRQ];

	if (ctx_timer_user_finished(u, CTX_SOFTIRQ_STEPS))
		return;
	ctx_step(u, GFP_NOWAIT);
	timer->expires = jiffies + 1;
	add_timer_on(timer, u->cpu);
}

/* The task goes on while its CPU's timers run, so the three overlap. */
static bool ctx_task_finished(const struct ctx_cpu *c)
{
	const struct ctx_user *u = &c->user[CTX_TASK];

	if (READ_ONCE(u->run->stop) || u->n.steps >= CTX_TASK_MAX_STEPS)
		return true;
	return u->n.steps >= CTX_TASK_MIN_STEPS &&
	       READ_ONCE(c->user[CTX_HARDIRQ].done) &&
	       READ_ONCE(c->user[CTX_SOFTIRQ].done);
}

/* Park a kthread that has done its work until kthread_stop() reaps it. */
static void ctx_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * A task may sleep, so every other step asks for GFP_KERNEL: the pool has
 * a block for every user's every hold, so it never waits.  Once the pool
 * has lost blocks (quarantined, or handed out twice), GFP_KERNEL could
 * wait for ever: from then on the task asks only for GFP_NOWAIT.
 */
static gfp_t ctx_task_gfp(const struct ctx_user *u)
{
	struct mpool_stats st;

	if (u->n.steps % 2 || READ_ONCE(u->run->trouble))
		return GFP_NOWAIT;
	mpool_get_stats(u->run->pool, &st);
	return st.quarantined ? GFP_NOWAIT : GFP_KERNEL;
}

/*
 * Bound to its CPU, the task arms the CPU's two timers there (a pinned
 * hrtimer is queued on the CPU that starts it), then works alongside.
 */
static int ctx_task_thread(void *data)
{
	struct ctx_cpu *c = data;
	struct ctx_user *u = &c->user[CTX_TASK];

	hrtimer_start(&c->hrtimer, ns_to_ktime(CTX_HARDIRQ_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	c->timer.expires = jiffies + 1;
	add_timer_on(&c->timer, u->cpu);

	while (!ctx_task_finished(c)) {
		ctx_step(u, ctx_task_gfp(u));
		cond_resched();
	}
	ctx_put_all(u);
	WRITE_ONCE(u->done, true);
	ctx_wait_for_stop();
	return 0;
}

/*
 * Learn where the blocks are, and make the claim bitmap.  Every block is
 * handed out and given back once first, so that, on a poisoned pool, all
 * the blocks the users get come off the free list and are checked.
 */
static void ctx_setup_run(struct kunit *test, struct ctx_run *run)
{
	struct mpool_stats st;
	void **all;
	size_t i;

	mpool_get_stats(run->pool, &st);
	all = kunit_kcalloc(test, st.nr_blocks, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, all);
	for (i = 0; i < st.nr_blocks; i++) {
		all[i] = mpool_alloc(run->pool, GFP_NOWAIT);
		if (!all[i])
			break;
		if (!run->base || (char *)all[i] < run->base)
			run->base = all[i];
	}
	while (i--)
		mpool_free(run->pool, all[i]);
	mpool_get_stats(run->pool, &st);
	KUNIT_ASSERT_EQ_MSG(test, st.frees, (u64)st.nr_blocks,
			    "could not take every block once");

	run->stride = st.stride;
	run->nr_blocks = st.nr_blocks;
	run->claimed = kunit_kcalloc(test, BITS_TO_LONGS(st.nr_blocks),
				     sizeof(*run->claimed), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, run->claimed);
}

static void ctx_init_cpu(struct ctx_run *run, struct ctx_cpu *c,
			 unsigned int cpu)
{
	enum ctx_kind kind;

	for (kind = 0; kind < CTX_NR_KINDS; kind++) {
		c->user[kind].run = run;
		c->user[kind].cpu = cpu;
		c->user[kind].kind = kind;
		c->user[kind].owner = cpu * CTX_NR_KINDS + kind + 1;
	}
	hrtimer_setup(&c->hrtimer, ctx_hardirq_fire, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_PINNED_HARD);
	timer_setup(&c->timer, ctx_softirq_fire, 0);
}

static bool ctx_all_users_done(struct ctx_cpu *cpus)
{
	enum ctx_kind kind;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		for (kind = 0; kind < CTX_NR_KINDS; kind++) {
			if (!READ_ONCE(cpus[cpu].user[kind].done))
				return false;
		}
	}
	return true;
}

/*
 * Start a bound kthread per online CPU, let them and their timers work
 * until every user is done or the hang guard expires, and stop
 * everything.  No assertion may end the case in here: timers and threads
 * would outlive it.
 */
static int ctx_run_all(struct ctx_run *run, struct ctx_cpu *cpus)
{
	unsigned long deadline;
	struct task_struct *t;
	unsigned int cpu;
	int err = 0;

	/* All timers ready first: each one is cancelled at the end. */
	for_each_online_cpu(cpu)
		ctx_init_cpu(run, &cpus[cpu], cpu);
	for_each_online_cpu(cpu) {
		t = kthread_create(ctx_task_thread, &cpus[cpu], "mpool_ctx/%u",
				   cpu);
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			break;
		}
		kthread_bind(t, cpu);
		cpus[cpu].thread = t;
	}
	if (!err) {
		for_each_online_cpu(cpu)
			wake_up_process(cpus[cpu].thread);
		deadline = jiffies + MPOOL_KUNIT_HANG_GUARD;
		while (!ctx_all_users_done(cpus) &&
		       time_before(jiffies, deadline))
			msleep(CTX_POLL_MS);
	}
	WRITE_ONCE(run->stop, true);
	/* Callbacks seen running finish; re-armed ones are taken off. */
	for_each_online_cpu(cpu) {
		hrtimer_cancel(&cpus[cpu].hrtimer);
		timer_delete_sync(&cpus[cpu].timer);
	}
	/* Threads never woken are stopped before they run. */
	for_each_online_cpu(cpu) {
		if (cpus[cpu].thread)
			kthread_stop(cpus[cpu].thread);
	}
	/* A timer cancelled while pending still holds its last blocks. */
	for_each_online_cpu(cpu) {
		ctx_put_all(&cpus[cpu].user[CTX_HARDIRQ]);
		ctx_put_all(&cpus[cpu].user[CTX_SOFTIRQ]);
	}
	return err;
}

static void ctx_add(struct ctx_counts *sum, const struct ctx_counts *n)
{
	sum->steps += n->steps;
	sum->allocs += n->allocs;
	sum->failures += n->failures;
	sum->handed_twice += n->handed_twice;
	sum->bad_blocks += n->bad_blocks;
	sum->bad_stamps += n->bad_stamps;
	sum->wrong_context += n->wrong_context;
}

/* The steps a user of @kind must have done. */
static const unsigned long ctx_min_steps[CTX_NR_KINDS] = {
	[CTX_HARDIRQ] = CTX_HARDIRQ_STEPS,
	[CTX_SOFTIRQ] = CTX_SOFTIRQ_STEPS,
	[CTX_TASK] = CTX_TASK_MIN_STEPS,
};

/*
 * Each context on each CPU must have done its steps, and taken and given
 * back blocks.  One short line of figures: 6.1 keeps only 512 bytes of a
 * case's log.
 */
static void ctx_expect_all_worked(struct kunit *test, struct ctx_cpu *cpus,
				  struct ctx_counts *sum)
{
	unsigned long fewest[CTX_NR_KINDS] = { ULONG_MAX, ULONG_MAX, ULONG_MAX };
	const struct ctx_user *u;
	enum ctx_kind kind;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		for (kind = 0; kind < CTX_NR_KINDS; kind++) {
			u = &cpus[cpu].user[kind];
			KUNIT_EXPECT_GE_MSG(test, u->n.steps, ctx_min_steps[kind],
					    "%s on CPU %u: too few steps by the hang guard",
					    ctx_kind_name[kind], cpu);
			KUNIT_EXPECT_GT_MSG(test, u->n.allocs, 0ULL,
					    "%s on CPU %u took no block",
					    ctx_kind_name[kind], cpu);
			fewest[kind] = min(fewest[kind], u->n.steps);
			ctx_add(sum, &u->n);
		}
	}
	kunit_info(test, "fewest steps on a CPU: %lu hard IRQ, %lu softirq, %lu task\n",
		   fewest[CTX_HARDIRQ], fewest[CTX_SOFTIRQ], fewest[CTX_TASK]);
}

/*
 * Every block its holder's alone, every block back, and the pool's
 * counters exactly what the users did, no debug check having fired.
 */
static void ctx_check(struct kunit *test, const struct ctx_run *run,
		      const struct mpool_stats *before,
		      const struct ctx_counts *sum)
{
	struct mpool_stats st;

	KUNIT_EXPECT_EQ_MSG(test, sum->handed_twice, 0ULL,
			    "blocks handed out twice");
	KUNIT_EXPECT_EQ_MSG(test, sum->bad_blocks, 0ULL,
			    "pointers not on a block");
	KUNIT_EXPECT_EQ_MSG(test, sum->bad_stamps, 0ULL,
			    "blocks changed while held");
	KUNIT_EXPECT_EQ_MSG(test, sum->wrong_context, 0ULL,
			    "steps on another CPU or in another context");
	/* The pool has more blocks than all can hold: it never ran out. */
	KUNIT_EXPECT_EQ(test, sum->failures, 0ULL);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(run->claimed, run->nr_blocks));

	mpool_get_stats(run->pool, &st);
	KUNIT_EXPECT_EQ(test, st.poison_errors, 0ULL);
	KUNIT_EXPECT_EQ(test, st.redzone_errors, 0ULL);
	KUNIT_EXPECT_EQ(test, st.freelist_errors, 0ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 0UL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0ULL);
	KUNIT_EXPECT_EQ(test, st.double_frees, 0ULL);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, before->alloc_failures);
	KUNIT_EXPECT_EQ(test, st.allocs, before->allocs + sum->allocs);
	KUNIT_EXPECT_EQ(test, st.frees, before->frees + sum->allocs);
	KUNIT_EXPECT_EQ(test, st.allocs - st.frees, (u64)st.in_use);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_LE(test, st.peak_in_use, run->nr_blocks);
}

struct ctx_param {
	const char *desc;
	unsigned int flags;
};

static const struct ctx_param ctx_params[] = {
	{ "plain pool", 0 },
	{ "MPOOL_NO_PERCPU: the lock-free stack", MPOOL_NO_PERCPU },
	{ "MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER",
	  MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER },
};

static void ctx_param_desc(const struct ctx_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ctx, ctx_params, ctx_param_desc);

static int ctx_pool_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void ctx_pool_release(struct kunit_resource *res)
{
	mpool_destroy(res->data);
}

static struct mpool *ctx_create_pool(struct kunit *test, size_t nr_blocks,
				     unsigned int flags)
{
	struct kunit_resource *res;
	struct mpool *pool;

	pool = mpool_create("kunit_ctx", CTX_BLOCK_SIZE, 0, nr_blocks, flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "mpool_create: %pe",
					 pool);
	res = kunit_alloc_resource(test, ctx_pool_init, ctx_pool_release,
				   GFP_KERNEL, pool);
	if (!res)
		mpool_destroy(pool);
	KUNIT_ASSERT_NOT_NULL_MSG(test, res, "cannot track the pool");
	return pool;
}

static void ctx_every_context_every_cpu(struct kunit *test)
{
	const struct ctx_param *p = test->param_value;
	unsigned int nr_users = CTX_NR_KINDS * num_online_cpus();
	struct ctx_counts sum = {};
	struct mpool_stats before;
	struct ctx_cpu *cpus;
	struct ctx_run *run;
	int err;

	run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, run);
	cpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cpus);
	run->pool = ctx_create_pool(test, nr_users * CTX_BLOCKS_PER_USER,
				    p->flags);
	ctx_setup_run(test, run);
	mpool_get_stats(run->pool, &before);
	/* The checks this run is about are really on. */
	KUNIT_ASSERT_EQ(test, before.flags, p->flags);
	KUNIT_ASSERT_EQ(test, !before.redzone_bytes,
			!(p->flags & MPOOL_REDZONE));

	err = ctx_run_all(run, cpus);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "kthread_create() failed");

	ctx_expect_all_worked(test, cpus, &sum);
	ctx_check(test, run, &before, &sum);
}

/* ---- misuse in hard IRQ context ---------------------------------------- */

#define MISUSE_BLOCKS		4

/* What a consumer's hard IRQ handler does wrong, and what it saw. */
struct misuse_irq {
	struct hrtimer timer;
	struct mpool *pool;
	char *held;		/* freed twice, written after free */
	char *interior;		/* freed by a pointer inside it */
	void *got;		/* the alloc that meets the block written after free */
	bool in_hardirq;
	struct completion done;
};

static enum hrtimer_restart misuse_irq_fire(struct hrtimer *timer)
{
	struct misuse_irq *m = container_of(timer, struct misuse_irq, timer);

	m->in_hardirq = in_hardirq();
	mpool_free(m->pool, m->held);
	mpool_free(m->pool, m->held);
	m->held[1] = 0;
	mpool_free(m->pool, m->interior + 1);
	m->got = mpool_alloc(m->pool, GFP_ATOMIC);
	complete(&m->done);
	return HRTIMER_NORESTART;
}

/*
 * A double free, an interior free, and a write after free found by an
 * alloc, all in a hard IRQ (HRTIMER_MODE_HARD: on PREEMPT_RT too), each
 * reported from there: counted, and the pool goes on.
 */
static void misuse_reported_from_hard_irq(struct kunit *test)
{
	struct mpool_stats st;
	struct misuse_irq *m;
	bool fired;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	/* No caches: the block freed last is the next one handed out. */
	m->pool = ctx_create_pool(test, MISUSE_BLOCKS, MPOOL_POISON |
				  MPOOL_TRACK_CALLER | MPOOL_NO_PERCPU);
	m->held = mpool_alloc(m->pool, GFP_KERNEL);
	m->interior = mpool_alloc(m->pool, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, m->held && m->interior);

	init_completion(&m->done);
	hrtimer_setup(&m->timer, misuse_irq_fire, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	hrtimer_start(&m->timer, ns_to_ktime(NSEC_PER_MSEC),
		      HRTIMER_MODE_REL_HARD);
	fired = wait_for_completion_timeout(&m->done, MPOOL_KUNIT_HANG_GUARD);
	/* Before any assertion: the timer is the case's memory. */
	hrtimer_cancel(&m->timer);
	KUNIT_ASSERT_TRUE_MSG(test, fired, "the hrtimer never fired");

	KUNIT_EXPECT_TRUE(test, m->in_hardirq);
	KUNIT_EXPECT_NOT_NULL(test, m->got);
	KUNIT_EXPECT_PTR_NE(test, m->got, (void *)m->held);
	mpool_get_stats(m->pool, &st);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.poison_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 1UL);
	mpool_free(m->pool, m->got);
	mpool_free(m->pool, m->interior);
	mpool_get_stats(m->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
}

/* ---- statistics read from an NMI --------------------------------------- */

/* Counting the lock's holds needs make check's test hooks. */
#ifdef MPOOL_TEST_HOOKS

#define NMI_BLOCKS		64
#define NMI_HELD		5

/*
 * An NMI may come while its CPU holds the pool's lock, in the middle of
 * an alloc: a stats read from the NMI that takes the lock spins for ever.
 * It must read without it, and on an idle pool read what a read in task
 * context does.  A real NMI cannot be had on demand here: the read runs
 * as one would, IRQs off and NMI_OFFSET in the preempt count, so that
 * in_nmi() is true, and the test hooks count the lock's holds around it.
 * Counted outside that section: mpool_test_holds() takes the lock.
 */
static void read_stats_in_nmi_takes_no_lock(struct kunit *test)
{
	struct mpool_stats st, st_nmi;
	void *held[NMI_HELD];
	unsigned long flags;
	struct mpool *pool;
	u64 holds;
	size_t i;
	/* Off the stack: struct mpool_stats grew, 32-bit arm's frames are 1K. */
	char *diff = kunit_kzalloc(test, MPOOL_KUNIT_DIFF_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, diff);
	pool = ctx_create_pool(test, NMI_BLOCKS, 0);
	for (i = 0; i < NMI_HELD; i++) {
		held[i] = mpool_alloc(pool, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, held[i]);
	}
	/* One back: frees counted too, and maybe a block cached. */
	mpool_free(pool, held[--i]);
	mpool_get_stats(pool, &st);

	local_irq_save(flags);
	holds = mpool_test_holds(pool);
	__preempt_count_add(NMI_OFFSET);
	mpool_get_stats(pool, &st_nmi);
	__preempt_count_sub(NMI_OFFSET);
	holds = mpool_test_holds(pool) - holds;
	local_irq_restore(flags);

	KUNIT_EXPECT_EQ_MSG(test, holds, 0ULL,
			    "a stats read in NMI took the pool's lock %llu times",
			    holds);
	mpool_kunit_stats_diff(&st_nmi, &st, diff, MPOOL_KUNIT_DIFF_SIZE);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(&st_nmi, &st, sizeof(st)), 0,
			    "the read in NMI differs from the one in task:%s",
			    diff);
	while (i--)
		mpool_free(pool, held[i]);
	mpool_get_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
}
#endif /* MPOOL_TEST_HOOKS */

static struct kunit_case mpool_context_cases[] = {
	KUNIT_CASE_PARAM(ctx_every_context_every_cpu, ctx_gen_params),
	KUNIT_CASE(misuse_reported_from_hard_irq),
#ifdef MPOOL_TEST_HOOKS
	KUNIT_CASE(read_stats_in_nmi_takes_no_lock),
#endif
	{}
};

static struct kunit_suite mpool_context_suite = {
	.name = "mpool_context",
	.test_cases = mpool_context_cases,
};

kunit_test_suites(&mpool_context_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod in hard IRQ, softirq and task");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
