// SPDX-License-Identifier: GPL-2.0
/*
 * A model-checked random test of mempool_mod: random sequences of
 * operations, drawn from a seed, run against pools through the public API
 * alone, while a small model says what each pool must answer.  After every
 * step each block held is checked (distinct, aligned, inside its pool, its
 * contents as left) and every statistic compared with the model's.  The
 * model, the operations and the checks are mpool_model.c's, which the
 * host build of the pool's core (tools/testing/mpool/) runs too; this
 * file runs them in the kernel: the seeds, the CPUs and the kthreads.
 *
 * The sequence runs on one CPU at a time and moves between CPUs as the
 * seed says, so that a seed replays exactly: which block an alloc returns
 * depends on which CPU's cache it uses.  A second case runs random
 * operations from one kthread per online CPU on one shared pool, each
 * thread with a model of what it did, and reconciles the pool's counters
 * with their sum once they stop.
 *
 * Module parameters: seed=0 and seconds=0 (the default, as `make check`
 * loads it) run a fixed list of seeds, briefly; seed=S seconds=N runs from
 * seed S, then S+1, S+2 ... until N seconds pass, in each case.  Every
 * seed run is printed, and a failure names the seed, the step and the
 * operation, to be replayed with seed=S.
 */

#include <kunit/test.h>

#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_stats.h"

#include "mpool_model.h"
/* One source for both runners: see mpool_model.h. */
#include "mpool_model.c"

static unsigned long model_seed;
module_param_named(seed, model_seed, ulong, 0444);
MODULE_PARM_DESC(seed, "first seed; 0: the fixed list of seeds");

static unsigned int model_seconds;
module_param_named(seconds, model_seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "run seeds for this long in each case; 0: one pass");

static unsigned int model_steps = 1000;
module_param_named(steps, model_steps, uint, 0444);
MODULE_PARM_DESC(steps, "steps per seed (sequence), operations per thread (threads)");

/* The seeds `make check` runs: fixed, so that a failure replays. */
static const u64 model_fixed_seeds[] = {
	1, 2, 3, 0x5eed, 20261128, 0x9e3779b97f4a7c15ULL,
};

/* The threads case runs fewer fixed seeds: each one runs on every CPU. */
#define MODEL_FIXED_SMP_SEEDS	3

/*
 * A timed run is cut into parameters of at most this many seconds: KUnit
 * gives a case 300 s, and the hung-task detector reports insmod, which
 * waits for each case uninterruptibly, after 120 s.
 */
#define MODEL_CHUNK_SECONDS	30

/* mpool_model.c's failures end the case, naming the seed to replay. */
void model_abort(struct model *m, const char *why)
{
	/* 6.12's macro writes test->last_seen: it takes a name, not a cast. */
	struct kunit *test = m->runner;

	KUNIT_FAIL_AND_ABORT(test,
			     "seed %llu step %lu (%s%s): %s; replay with seed=%llu",
			     m->seed, m->step, m->op, m->what, why, m->seed);
}

static int model_resource_init(struct kunit_resource *res, void *m)
{
	res->data = m;
	return 0;
}

/* However the case ends: see model_release(). */
static void model_resource_release(struct kunit_resource *res)
{
	struct model *m = res->data;

	model_release(m);
	kfree(m);
}

static struct model *model_create(struct kunit *test)
{
	struct model *m = kzalloc(sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	if (!kunit_alloc_resource(test, model_resource_init,
				  model_resource_release, GFP_KERNEL, m)) {
		kfree(m);
		KUNIT_FAIL_AND_ABORT(test, "cannot track the model");
	}
	m->runner = test;
	m->name = test->name;
	m->steps = model_steps;
	return m;
}

/* ---- the runs: fixed seeds, or seeds for a time -------------------------- */

/*
 * A timed run, cut into chunks of MODEL_CHUNK_SECONDS, each a parameter of
 * its own: a chunk runs seeds from @next_seed until its time is up.
 */
struct model_run {
	unsigned int chunk;
	unsigned int nr_chunks;
	u64 next_seed;
};

static struct model_run model_seq_run, model_smp_run, model_regions_run;
static u64 model_one_seed;

/*
 * seconds=0: the fixed seeds, the first @nr_fixed of them, or the one
 * seed= names.  seconds=N: chunks of one @run, from seed= or the first
 * fixed seed.
 */
static const void *model_gen_params(struct model_run *run, size_t nr_fixed,
				    const void *prev, char *desc)
{
	const u64 *seed = prev;

	if (model_seconds) {
		if (!prev) {
			run->chunk = 0;
			run->nr_chunks = DIV_ROUND_UP(model_seconds,
						      MODEL_CHUNK_SECONDS);
			run->next_seed = model_seed ?: model_fixed_seeds[0];
		} else if (++run->chunk == run->nr_chunks) {
			return NULL;
		}
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u s of seeds, part %u of %u",
			 model_seconds, run->chunk + 1, run->nr_chunks);
		return run;
	}
	if (model_seed) {
		if (prev)
			return NULL;
		model_one_seed = model_seed;
		seed = &model_one_seed;
	} else {
		seed = prev ? seed + 1 : model_fixed_seeds;
		if (seed == model_fixed_seeds + nr_fixed)
			return NULL;
	}
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "seed %llu", *seed);
	return seed;
}

static MPOOL_KUNIT_GEN_PARAMS(model_seq_gen_params)
{
	return model_gen_params(&model_seq_run, ARRAY_SIZE(model_fixed_seeds),
				prev, desc);
}

static MPOOL_KUNIT_GEN_PARAMS(model_regions_gen_params)
{
	return model_gen_params(&model_regions_run,
				ARRAY_SIZE(model_fixed_seeds), prev, desc);
}

static MPOOL_KUNIT_GEN_PARAMS(model_smp_gen_params)
{
	return model_gen_params(&model_smp_run, MODEL_FIXED_SMP_SEEDS, prev,
				desc);
}

/* This chunk's share of seconds=, from now. */
static unsigned long model_chunk_deadline(const struct model_run *run)
{
	unsigned int secs = min_t(unsigned int, MODEL_CHUNK_SECONDS,
				  model_seconds - run->chunk * MODEL_CHUNK_SECONDS);

	return jiffies + secs * HZ;
}

/*
 * Random operations on up to MODEL_POOLS pools, from one seed or, in a
 * timed run, seed after seed; every step checked against the model.
 */
static void model_run_case(struct kunit *test, bool regions)
{
	struct model *m = model_create(test);
	struct model_run *run;
	unsigned long deadline;
	u64 first;

	m->regions = regions;
	if (!model_seconds) {
		model_run_seed(m, *(const u64 *)test->param_value);
		kunit_info(test, "seed %llu: %lu blocks, %lu corruptions, %lu regions grown, %lu given back\n",
			   m->seed, m->nr_allocs, m->nr_corruptions,
			   m->nr_grows, m->nr_shrunk);
		return;
	}
	run = (struct model_run *)test->param_value;
	deadline = model_chunk_deadline(run);
	first = run->next_seed;
	do {
		model_run_seed(m, run->next_seed++);
	} while (time_before(jiffies, deadline));
	kunit_info(test, "seeds %llu to %llu\n", first, run->next_seed - 1);
}

static void sequence_matches_model(struct kunit *test)
{
	model_run_case(test, false);
}

/*
 * The same, with pools that grow: mpool_grow() and mpool_shrink() among
 * the operations, and the pool's grow worker adding regions meanwhile,
 * which the model learns of from the statistics.  A seed draws other
 * operations here than in sequence_matches_model, which keeps drawing
 * what it drew before regions.
 */
static void regions_match_model(struct kunit *test)
{
	model_run_case(test, true);
}

/* ---- threads on every CPU, one shared pool ------------------------------- */

/* How long the threads may take beyond their work before it is a hang. */
#define SMP_GRACE		(60 * HZ)

/* A thread's kthread, and its end. */
struct smp_kthread {
	struct task_struct *task;
	struct completion done;
};

struct smp_case {
	struct smp_pool sp;
	struct completion start;
	unsigned long deadline;	/* a timed run's end, or 0 */
	struct smp_thread threads[SMP_MAX_THREADS];
	struct smp_kthread kt[SMP_MAX_THREADS];
};

/* Park a thread that has done its work until kthread_stop() reaps it. */
static void smp_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int smp_thread_fn(void *data)
{
	struct smp_thread *t = data;
	struct smp_case *c = container_of(t->sp, struct smp_case, sp);

	wait_for_completion(&c->start);
	for (t->step = 1; t->step <= model_steps; t->step++) {
		if (kthread_should_stop() ||
		    (c->deadline && time_after(jiffies, c->deadline)))
			break;
		smp_step(t);
		if (!(t->step % 16))
			cond_resched();
	}
	smp_free_all(t);
	complete(&c->kt[t->id].done);
	smp_wait_for_stop();
	return 0;
}

static int smp_resource_init(struct kunit_resource *res, void *c)
{
	res->data = c;
	return 0;
}

/* The threads are stopped before any assertion: only the pool is left. */
static void smp_resource_release(struct kunit_resource *res)
{
	struct smp_case *c = res->data;

	smp_pool_destroy(&c->sp);
	kfree(c);
}

static struct smp_case *smp_case_create(struct kunit *test)
{
	struct smp_case *c = kzalloc(sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	if (!kunit_alloc_resource(test, smp_resource_init,
				  smp_resource_release, GFP_KERNEL, c)) {
		kfree(c);
		KUNIT_FAIL_AND_ABORT(test, "cannot track the threads' pool");
	}
	return c;
}

/* The shared pool of a seed, its geometry checked, its blocks located. */
static void smp_create_pool(struct kunit *test, struct smp_case *c,
			    u64 seed, unsigned int nr_threads)
{
	char why[320] = "";

	KUNIT_ASSERT_EQ_MSG(test, smp_pool_create(&c->sp, seed, nr_threads,
						  why, sizeof(why)), 0,
			    "seed %llu: %s", seed, why);
	init_completion(&c->start);
}

/*
 * Start a thread bound to each online CPU (up to SMP_MAX_THREADS), let them
 * run, wait for them, and stop them all: no assertion from the first
 * kthread_create() to the last kthread_stop().  Returns the threads
 * created, or a negative errno.
 */
static int smp_run_threads(struct smp_case *c, u64 seed,
			   unsigned int nr_threads, unsigned int *stuck)
{
	unsigned long limit;
	struct smp_kthread *kt;
	struct smp_thread *t;
	unsigned int created = 0, i, cpu;
	int err = 0;

	for_each_online_cpu(cpu) {
		if (created == nr_threads)
			break;
		t = &c->threads[created];
		kt = &c->kt[created];
		smp_thread_init(t, &c->sp, created, seed);
		init_completion(&kt->done);
		kt->task = kthread_create(smp_thread_fn, t, "mpool_model/%u",
					  cpu);
		if (IS_ERR(kt->task)) {
			err = PTR_ERR(kt->task);
			break;
		}
		kthread_bind(kt->task, cpu);
		created++;
	}
	*stuck = 0;
	if (!err) {
		for (i = 0; i < created; i++)
			wake_up_process(c->kt[i].task);
		complete_all(&c->start);
		limit = (c->deadline ?: jiffies) + SMP_GRACE;
		for (i = 0; i < created; i++) {
			if (!wait_for_completion_timeout(&c->kt[i].done,
							 max_t(long, limit - jiffies, 1)))
				(*stuck)++;
		}
	}
	/* Threads never woken are stopped before they run. */
	for (i = 0; i < created; i++)
		kthread_stop(c->kt[i].task);
	return err ?: created;
}

/* The pool's counters against the sum of what the threads did. */
static void smp_reconcile(struct kunit *test, struct smp_case *c, u64 seed,
			  unsigned int nr_threads)
{
	struct smp_pool *sp = &c->sp;
	struct mpool_stats st, exp;
	unsigned int i;
	/* Off the stack: struct mpool_stats grew, 32-bit arm's frames are 1K. */
	char *diff = kunit_kzalloc(test, MPOOL_KUNIT_DIFF_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, diff);
	for (i = 0; i < nr_threads; i++)
		KUNIT_EXPECT_EQ_MSG(test, c->threads[i].nr_errors, 0UL,
				    "seed %llu: %s; replay with seed=%llu",
				    seed, c->threads[i].error, seed);
	KUNIT_EXPECT_TRUE_MSG(test, bitmap_empty(sp->claimed,
						 sp->geo.nr_blocks),
			      "seed %llu: blocks still claimed; replay with seed=%llu",
			      seed, seed);

	mpool_get_stats(sp->pool, &st);
	smp_expected(sp, c->threads, nr_threads, &st, &exp);
	mpool_kunit_stats_diff(&st, &exp, diff, MPOOL_KUNIT_DIFF_SIZE);
	KUNIT_EXPECT_STREQ_MSG(test, diff, "",
			       "seed %llu: the pool against the threads' sum; replay with seed=%llu",
			       seed, seed);
}

static void smp_run_seed(struct kunit *test, struct smp_case *c, u64 seed,
			 unsigned long deadline)
{
	unsigned int nr_threads = min_t(unsigned int, num_online_cpus(),
					SMP_MAX_THREADS);
	unsigned int stuck;
	int created;

	smp_create_pool(test, c, seed, nr_threads);
	pr_info("mpool_model: %s: seed %llu: %u threads, %zu blocks of %zu bytes, flags %#x\n",
		test->name, seed, nr_threads, c->sp.geo.nr_blocks,
		c->sp.geo.block_size, c->sp.geo.flags);
	c->deadline = deadline;
	created = smp_run_threads(c, seed, nr_threads, &stuck);
	KUNIT_ASSERT_EQ_MSG(test, stuck, 0U,
			    "seed %llu: threads still running after the deadline",
			    seed);
	KUNIT_ASSERT_GE_MSG(test, created, 0, "seed %llu: kthread_create(): %d",
			    seed, created);
	smp_reconcile(test, c, seed, created);

	smp_pool_destroy(&c->sp);
}

/*
 * A thread per online CPU, each bound to it, runs random operations on one
 * pool; each keeps its own model, and the pool must add up to their sum.
 */
static void threads_match_their_models(struct kunit *test)
{
	struct smp_case *c;
	struct model_run *run;
	unsigned long deadline;
	u64 first;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs online");
	c = smp_case_create(test);
	if (!model_seconds) {
		smp_run_seed(test, c, *(const u64 *)test->param_value, 0);
		kunit_info(test, "seed %llu\n", *(const u64 *)test->param_value);
		return;
	}
	run = (struct model_run *)test->param_value;
	deadline = model_chunk_deadline(run);
	first = run->next_seed;
	do {
		smp_run_seed(test, c, run->next_seed++, deadline);
	} while (time_before(jiffies, deadline));
	kunit_info(test, "seeds %llu to %llu\n", first, run->next_seed - 1);
}

static struct kunit_case mpool_model_cases[] = {
	KUNIT_CASE_PARAM(sequence_matches_model, model_seq_gen_params),
	KUNIT_CASE_PARAM(regions_match_model, model_regions_gen_params),
	KUNIT_CASE_PARAM(threads_match_their_models, model_smp_gen_params),
	{}
};

static struct kunit_suite mpool_model_suite = {
	.name = "mpool_model",
	.test_cases = mpool_model_cases,
};

static struct kunit_suite *mpool_model_suites[] = { &mpool_model_suite };

/*
 * Not kunit_test_suites(): 6.1 runs a module's suites when it is COMING,
 * before its parameters are parsed, and seed= and seconds= would be 0.
 * Running them from the module's init, as kunit_test_suites() itself did
 * before 6.0, sees the parameters on every kernel.  run_tests is true:
 * loading this module is asking for its suites, whatever kunit.autorun=.
 */
static int __init mpool_model_init(void)
{
	return __kunit_test_suites_init(mpool_model_suites,
					ARRAY_SIZE(mpool_model_suites), true);
}
module_init(mpool_model_init);

static void __exit mpool_model_exit(void)
{
	__kunit_test_suites_exit(mpool_model_suites,
				 ARRAY_SIZE(mpool_model_suites));
}
module_exit(mpool_model_exit);

MODULE_DESCRIPTION("KUnit model-checked random test of mempool_mod");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
