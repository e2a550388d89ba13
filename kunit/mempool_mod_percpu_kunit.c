// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mempool_mod's per-CPU caches and bulk calls: how big the
 * caches are, that an alloc fails only when no block is free on any CPU,
 * that a sleeping allocator gets a block freed on another CPU, that a CPU
 * going offline gives its cache back, and that the bulk calls are all or
 * nothing and check every block.
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_wait.h"
#ifdef MPOOL_TEST_HOOKS
#include "src/test_hooks.h"
#endif

#define PCP_BLOCK_SIZE		64
/* Enough for every CPU to cache MPOOL_CACHE_MAX blocks, twice over. */
#define PCP_BLOCKS_PER_CPU	(4 * MPOOL_CACHE_MAX)

static int pcp_pool_init(struct kunit_resource *res, void *pool)
{
	res->data = pool;
	return 0;
}

static void pcp_pool_release(struct kunit_resource *res)
{
	mpool_destroy(res->data);
}

/* A pool for one case, destroyed when the case ends, however it ends. */
static struct mpool *pcp_create(struct kunit *test, const char *name,
				size_t nr_blocks, unsigned int flags)
{
	struct mpool *pool;

	pool = mpool_create(name, PCP_BLOCK_SIZE, 0, nr_blocks, flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "mpool_create(%s): %pe",
					 name, pool);
	if (!kunit_alloc_resource(test, pcp_pool_init, pcp_pool_release,
				  GFP_KERNEL, pool)) {
		mpool_destroy(pool);
		KUNIT_FAIL_AND_ABORT(test, "cannot track pool %s", name);
	}
	return pool;
}

static size_t pcp_nr_blocks(void)
{
	return PCP_BLOCKS_PER_CPU * num_possible_cpus();
}

/* Room for @nr block pointers, freed when the case ends. */
static void **pcp_block_array(struct kunit *test, size_t nr)
{
	void **blocks = kunit_kcalloc(test, nr, sizeof(*blocks), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blocks);
	return blocks;
}

static struct mpool_stats pcp_stats(struct mpool *pool)
{
	struct mpool_stats st;

	mpool_get_stats(pool, &st);
	return st;
}

static bool pcp_all_distinct(void **blocks, size_t nr)
{
	size_t i, j;

	for (i = 0; i < nr; i++) {
		for (j = i + 1; j < nr; j++) {
			if (blocks[i] == blocks[j])
				return false;
		}
	}
	return true;
}

/* ---- cache size -------------------------------------------------------- */

struct pcp_size_case {
	const char *desc;
	size_t blocks_per_cpu;	/* the pool's blocks, per possible CPU */
	unsigned int flags;
	size_t cache_size;	/* what each CPU may cache */
};

/* At most half the pool is cached, in powers of two up to the maximum. */
static const struct pcp_size_case pcp_size_cases[] = {
	{ "large pool: the maximum", 4 * MPOOL_CACHE_MAX, 0, MPOOL_CACHE_MAX },
	{ "exactly twice the maximum", 2 * MPOOL_CACHE_MAX, 0,
	  MPOOL_CACHE_MAX },
	{ "a third of the maximum: rounded down", 2 * 21, 0, 16 },
	{ "4 per CPU: caches of 2", 4, 0, 2 },
	{ "3 per CPU: too small to share", 3, 0, 0 },
	{ "1 per CPU: too small to share", 1, 0, 0 },
	{ "large pool with MPOOL_NO_PERCPU", 4 * MPOOL_CACHE_MAX,
	  MPOOL_NO_PERCPU, 0 },
};

static void pcp_size_desc(const struct pcp_size_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pcp_size, pcp_size_cases, pcp_size_desc);

static void cache_size_fits_pool(struct kunit *test)
{
	const struct pcp_size_case *c = test->param_value;
	struct mpool *pool;
	struct mpool_stats st;

	pool = pcp_create(test, "kunit_pcp_size",
			  c->blocks_per_cpu * num_possible_cpus(), c->flags);
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.cache_size, c->cache_size);
	KUNIT_EXPECT_EQ(test, st.cached, 0UL);
	KUNIT_EXPECT_EQ(test, st.flags & MPOOL_NO_PERCPU, c->flags);
}

/* ---- work on a given CPU ----------------------------------------------- */

/* What a function run on one CPU does to a pool, and what it got. */
struct pcp_job {
	struct mpool *pool;
	void **blocks;
	size_t nr;
	size_t done;
};

/* Alloc @nr blocks on this CPU, then free them here: they fill its cache. */
static int pcp_cycle_here(void *arg)
{
	struct pcp_job *job = arg;

	for (job->done = 0; job->done < job->nr; job->done++) {
		job->blocks[job->done] = mpool_alloc(job->pool, GFP_KERNEL);
		if (!job->blocks[job->done])
			break;
	}
	mpool_free_bulk(job->pool, job->done, job->blocks);
	return 0;
}

static int pcp_free_here(void *arg)
{
	struct pcp_job *job = arg;

	mpool_free(job->pool, job->blocks[0]);
	return 0;
}

/* Run @fn on @cpu, in process context; the case fails if it cannot. */
static void pcp_on_cpu(struct kunit *test, unsigned int cpu,
		       int (*fn)(void *), struct pcp_job *job)
{
	int err = smp_call_on_cpu(cpu, fn, job, false);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "smp_call_on_cpu(%u): %d", cpu, err);
}

/* Leave blocks in the caches of the first @nr_cpus online CPUs. */
static void pcp_fill_caches(struct kunit *test, struct mpool *pool,
			    unsigned int nr_cpus, void **scratch)
{
	struct pcp_job job = { .pool = pool, .blocks = scratch };
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu) {
		if (n++ == nr_cpus)
			break;
		/* A few batches: the depot and the cache both see traffic. */
		job.nr = 3 * MPOOL_CACHE_MAX / 2;
		pcp_on_cpu(test, cpu, pcp_cycle_here, &job);
		KUNIT_ASSERT_EQ(test, job.done, job.nr);
	}
}

/* ---- an alloc fails only when every block is handed out ---------------- */

/* The work under one hold of the lock: counted in make check's build only. */
#ifdef MPOOL_TEST_HOOKS
static void pcp_hold_reset(struct mpool *pool)
{
	mpool_test_max_hold(pool);
}

/* Since pcp_hold_reset(), no hold did more than MPOOL_HOLD_MAX. */
static void pcp_expect_hold_bounded(struct kunit *test, struct mpool *pool)
{
	unsigned int max = mpool_test_max_hold(pool);

	KUNIT_EXPECT_LE_MSG(test, max, MPOOL_HOLD_MAX,
			    "%u units of work under one hold, %u CPUs possible",
			    max, num_possible_cpus());
}
#else
static void pcp_hold_reset(struct mpool *pool)
{
}

static void pcp_expect_hold_bounded(struct kunit *test, struct mpool *pool)
{
}
#endif

static const unsigned int pcp_cpu_counts[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* Every CPU count from one to all online CPUs (up to 8). */
static MPOOL_KUNIT_GEN_PARAMS(pcp_cpu_count_gen_params)
{
	const unsigned int *n = prev ? (const unsigned int *)prev + 1 :
				       pcp_cpu_counts;

	if (n == pcp_cpu_counts + ARRAY_SIZE(pcp_cpu_counts) ||
	    *n > num_online_cpus())
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "caches filled on %u CPUs", *n);
	return n;
}

/* Take blocks on this CPU until an alloc fails, @nr at most. */
static int pcp_drain_here(void *arg)
{
	struct pcp_job *job = arg;

	for (job->done = 0; job->done < job->nr; job->done++) {
		job->blocks[job->done] = mpool_alloc(job->pool, GFP_ATOMIC);
		if (!job->blocks[job->done])
			break;
	}
	return 0;
}

/*
 * With blocks cached on 1..N CPUs, one CPU gets every block of the pool
 * before an atomic alloc fails, and the failure is counted once.  That CPU
 * is the last online one, whose cache is filled only when every online
 * CPU's is: some of its blocks are always stolen from another CPU's.  In
 * make check's build, no hold of the lock does more than MPOOL_HOLD_MAX
 * units of work meanwhile, steals included, each of which counts every
 * ring it looks at: a steal must not grow with the possible CPUs, many
 * more than the online ones on some machines.
 */
static void exhaust_steals_every_cache(struct kunit *test)
{
	unsigned int nr_cpus = *(const unsigned int *)test->param_value;
	size_t nr_blocks = pcp_nr_blocks();
	struct pcp_job job = {};
	struct mpool_stats st;
	struct mpool *pool;
	void **blocks;

	/* One more than the pool has: the alloc that must fail. */
	blocks = pcp_block_array(test, nr_blocks + 1);
	pool = pcp_create(test, "kunit_pcp_exhaust", nr_blocks, 0);
	pcp_fill_caches(test, pool, nr_cpus, blocks);
	st = pcp_stats(pool);
	KUNIT_ASSERT_GT_MSG(test, st.cached, 0UL, "no block is cached");

	job.pool = pool;
	job.blocks = blocks;
	job.nr = nr_blocks + 1;
	pcp_hold_reset(pool);
	pcp_on_cpu(test, cpumask_last(cpu_online_mask), pcp_drain_here, &job);
	pcp_expect_hold_bounded(test, pool);
	KUNIT_EXPECT_EQ_MSG(test, job.done, nr_blocks,
			    "NULL with %zu cached blocks left",
			    pcp_stats(pool).cached);
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, job.done);
	KUNIT_EXPECT_EQ(test, st.cached, 0UL);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1ULL);
	mpool_free_bulk(pool, job.done, blocks);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, 0UL);
}

/* ---- a sleeping allocator and a free on another CPU -------------------- */

struct pcp_sleeper {
	struct mpool *pool;
	void *block;
	struct completion started;
	struct completion done;
};

static int pcp_sleeper_fn(void *arg)
{
	struct pcp_sleeper *s = arg;

	complete(&s->started);
	s->block = mpool_alloc(s->pool, GFP_KERNEL);
	complete(&s->done);
	return 0;
}

/*
 * An exhausted pool: a GFP_KERNEL alloc sleeps, and a free on another CPU,
 * which would go to that CPU's cache, wakes it with the block instead.
 * The free comes once the sleeper is on the pool's wait queue, not after
 * a guess at how long it takes to get there: a free that came first would
 * be found by the alloc's steal, and the wake-up would go untested.
 */
static void sleeper_gets_block_freed_elsewhere(struct kunit *test)
{
	size_t nr_blocks = pcp_nr_blocks(), i;
	struct pcp_job job = {};
	struct pcp_sleeper *s;
	bool asleep, woken = false;
	struct task_struct *task;
	unsigned int cpu_a, cpu_b;
	struct mpool *pool;
	void **blocks;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs online");
	cpu_a = cpumask_first(cpu_online_mask);
	cpu_b = cpumask_next(cpu_a, cpu_online_mask);

	blocks = pcp_block_array(test, nr_blocks);
	/* Not the case's: a sleeper that never wakes must not outlive it. */
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	pool = pcp_create(test, "kunit_pcp_sleeper", nr_blocks, 0);
	for (i = 0; i < nr_blocks; i++) {
		blocks[i] = mpool_alloc(pool, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blocks[i]);
	}

	s->pool = pool;
	init_completion(&s->started);
	init_completion(&s->done);
	task = kthread_create(pcp_sleeper_fn, s, "kunit_pcp_sleeper");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	/* Its state is read until the case is done with it, even after it exits. */
	get_task_struct(task);
	kthread_bind(task, cpu_a);
	wake_up_process(task);
	wait_for_completion(&s->started);
	asleep = mpool_kunit_wait_for_state(task, TASK_IDLE, &s->done);

	if (asleep) {
		job.pool = pool;
		job.blocks = &blocks[nr_blocks - 1];
		pcp_on_cpu(test, cpu_b, pcp_free_here, &job);
		woken = wait_for_completion_timeout(&s->done,
						    MPOOL_KUNIT_HANG_GUARD);
	}
	if (!woken) {
		/* Every block, for a chance to end it before failing. */
		mpool_free_bulk(pool, asleep ? nr_blocks - 1 : nr_blocks,
				blocks);
		if (wait_for_completion_timeout(&s->done,
						MPOOL_KUNIT_CLEANUP_WAIT)) {
			mpool_free(pool, s->block);
			kfree(s);
		}
		put_task_struct(task);
		KUNIT_ASSERT_TRUE_MSG(test, asleep,
				      "the GFP_KERNEL alloc on an empty pool did not sleep in it");
		KUNIT_FAIL_AND_ABORT(test, "the sleeping alloc never got the freed block");
	}
	put_task_struct(task);
	KUNIT_EXPECT_PTR_EQ(test, s->block, blocks[nr_blocks - 1]);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, nr_blocks);
	blocks[nr_blocks - 1] = s->block;
	kfree(s);
	mpool_free_bulk(pool, nr_blocks, blocks);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, 0UL);
}

/* ---- CPU hotplug ------------------------------------------------------- */

/* A CPU that goes offline leaves nothing in its cache. */
static void offline_cpu_gives_cache_back(struct kunit *test)
{
	size_t nr_blocks = pcp_nr_blocks(), cached_before;
	struct mpool *pool;
	unsigned int cpu;
	void **blocks;
	int err;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs online");
	/* Not the first CPU: x86 cannot take CPU 0 down by default. */
	cpu = cpumask_last(cpu_online_mask);

	blocks = pcp_block_array(test, nr_blocks);
	pool = pcp_create(test, "kunit_pcp_hotplug", nr_blocks, 0);
	{
		struct pcp_job job = {
			.pool = pool, .blocks = blocks,
			.nr = 3 * MPOOL_CACHE_MAX / 2,
		};

		pcp_on_cpu(test, cpu, pcp_cycle_here, &job);
		KUNIT_ASSERT_EQ(test, job.done, job.nr);
	}
	cached_before = pcp_stats(pool).cached;
	KUNIT_ASSERT_GT(test, cached_before, 0UL);

	err = remove_cpu(cpu);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "remove_cpu(%u): %d", cpu, err);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).cached, 0UL);
	err = add_cpu(cpu);
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "add_cpu(%u): %d", cpu, err);
	/* And every block is still there to be had. */
	KUNIT_EXPECT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, nr_blocks,
					       blocks), (int)nr_blocks);
	mpool_free_bulk(pool, nr_blocks, blocks);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, 0UL);
}

/* ---- counters ---------------------------------------------------------- */

static int pcp_alloc_here(void *arg)
{
	struct pcp_job *job = arg;

	job->blocks[0] = mpool_alloc(job->pool, GFP_KERNEL);
	return 0;
}

/* Allocated on one CPU and freed on another: the sums still balance. */
static void counters_sum_across_cpus(struct kunit *test)
{
	struct pcp_job job = {};
	unsigned int cpu_a, cpu_b;
	struct mpool_stats st;
	void *block = NULL;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs online");
	cpu_a = cpumask_first(cpu_online_mask);
	cpu_b = cpumask_next(cpu_a, cpu_online_mask);
	job.pool = pcp_create(test, "kunit_pcp_counters", pcp_nr_blocks(), 0);
	job.blocks = &block;

	pcp_on_cpu(test, cpu_a, pcp_alloc_here, &job);
	KUNIT_ASSERT_NOT_NULL(test, block);
	st = pcp_stats(job.pool);
	KUNIT_EXPECT_EQ(test, st.allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, st.in_use, 1UL);
	pcp_on_cpu(test, cpu_b, pcp_free_here, &job);
	st = pcp_stats(job.pool);
	KUNIT_EXPECT_EQ(test, st.allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, st.frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
}

/* ---- bulk -------------------------------------------------------------- */

/* The flag sets the bulk cases run with: caches, no caches, all checks. */
static const unsigned int pcp_bulk_flags[] = {
	0, MPOOL_NO_PERCPU,
	MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER,
};

static void pcp_bulk_flags_desc(const unsigned int *flags, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "flags %#x", *flags);
}

KUNIT_ARRAY_PARAM(pcp_bulk, pcp_bulk_flags, pcp_bulk_flags_desc);

/*
 * A bulk alloc of more than the free blocks gets none and changes nothing
 * but alloc_failures; one of exactly the free blocks gets them all.
 */
static void bulk_all_or_nothing(struct kunit *test)
{
	unsigned int flags = *(const unsigned int *)test->param_value;
	size_t nr_blocks = pcp_nr_blocks(), i;
	struct mpool_stats st;
	struct mpool *pool;
	void **blocks;
	void *one;

	blocks = pcp_block_array(test, nr_blocks + 1);
	pool = pcp_create(test, "kunit_pcp_bulk", nr_blocks, flags);

	/* One held, and some cached, so that all three sources are used. */
	one = mpool_alloc(pool, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, one);
	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, 8, blocks), 8);
	mpool_free_bulk(pool, 8, blocks);

	KUNIT_EXPECT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, nr_blocks,
					       blocks), 0);
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 1UL);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1ULL);
	KUNIT_EXPECT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, 0, blocks), 0);

	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL, nr_blocks - 1,
					       blocks), (int)(nr_blocks - 1));
	blocks[nr_blocks - 1] = one;
	for (i = 0; i < nr_blocks; i++)
		KUNIT_EXPECT_TRUE(test, mpool_owns(pool, blocks[i]));
	KUNIT_EXPECT_TRUE(test, pcp_all_distinct(blocks, nr_blocks));
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, nr_blocks);
	KUNIT_EXPECT_EQ(test, st.cached, 0UL);
	KUNIT_EXPECT_NULL(test, mpool_alloc(pool, GFP_ATOMIC));

	mpool_free_bulk(pool, nr_blocks, blocks);
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.allocs, (u64)nr_blocks + 8);
	KUNIT_EXPECT_EQ(test, st.frees, (u64)nr_blocks + 8);
	KUNIT_EXPECT_EQ(test, st.double_frees, 0ULL);
	KUNIT_EXPECT_EQ(test, st.poison_errors + st.redzone_errors, 0ULL);
}

/* A bad entry is refused alone: the good ones in the array are freed. */
static void bulk_free_refuses_bad_entries(struct kunit *test)
{
	unsigned int flags = *(const unsigned int *)test->param_value;
	struct mpool_stats st;
	struct mpool *pool;
	void *blocks[6];
	void *a, *b;

	pool = pcp_create(test, "kunit_pcp_bulk_bad", pcp_nr_blocks(), flags);
	a = mpool_alloc(pool, GFP_KERNEL);
	b = mpool_alloc(pool, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);

	blocks[0] = a;
	blocks[1] = NULL;
	blocks[2] = a;			/* a double free within the batch */
	blocks[3] = b + 1;		/* inside a block */
	blocks[4] = &st;		/* not the pool's */
	blocks[5] = b;
	mpool_free_bulk(pool, ARRAY_SIZE(blocks), blocks);

	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.frees, 2ULL);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 2ULL);
	/* And the pool still hands out every block. */
	KUNIT_EXPECT_EQ(test, mpool_alloc_bulk(pool, GFP_ATOMIC, 2, blocks), 2);
	mpool_free_bulk(pool, 2, blocks);
}

/*
 * A bulk free of eight neighbours in order claims them with one cmpxchg
 * on their state bytes: one of them freed before must still be refused
 * alone, and the others, in that run and the next, taken back.
 */
static void bulk_free_refuses_one_of_a_run(struct kunit *test)
{
	unsigned int flags = *(const unsigned int *)test->param_value;
	struct mpool_stats st;
	struct mpool *pool;
	void *blocks[16];
	size_t i;

	pool = pcp_create(test, "kunit_pcp_bulk_run", pcp_nr_blocks(), flags);
	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL,
					       ARRAY_SIZE(blocks), blocks),
			(int)ARRAY_SIZE(blocks));
	/* A fresh pool's first sixteen blocks, in order: two runs of 8. */
	st = pcp_stats(pool);
	for (i = 1; i < ARRAY_SIZE(blocks); i++)
		KUNIT_ASSERT_PTR_EQ(test, blocks[i], blocks[0] + i * st.stride);

	mpool_free(pool, blocks[11]);
	mpool_free_bulk(pool, ARRAY_SIZE(blocks), blocks);

	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.frees, 16ULL);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, st.invalid_frees, 0ULL);
	/* Each block is free once: all sixteen come out again, no more. */
	KUNIT_EXPECT_EQ(test, mpool_alloc_bulk(pool, GFP_ATOMIC,
					       ARRAY_SIZE(blocks), blocks),
			(int)ARRAY_SIZE(blocks));
	mpool_free_bulk(pool, ARRAY_SIZE(blocks), blocks);
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.double_frees, 1ULL);
}

/* __GFP_ZERO zeroes every block of a bulk alloc, dirty ones too. */
static void bulk_zeroes_blocks(struct kunit *test)
{
	unsigned int flags = *(const unsigned int *)test->param_value;
	struct mpool *pool;
	void *blocks[16];
	size_t i;

	pool = pcp_create(test, "kunit_pcp_bulk_zero", pcp_nr_blocks(), flags);
	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL,
					       ARRAY_SIZE(blocks), blocks),
			(int)ARRAY_SIZE(blocks));
	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		memset(blocks[i], 0xa5, PCP_BLOCK_SIZE);
	mpool_free_bulk(pool, ARRAY_SIZE(blocks), blocks);

	KUNIT_ASSERT_EQ(test, mpool_alloc_bulk(pool, GFP_KERNEL | __GFP_ZERO,
					       ARRAY_SIZE(blocks), blocks),
			(int)ARRAY_SIZE(blocks));
	for (i = 0; i < ARRAY_SIZE(blocks); i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      !memchr_inv(blocks[i], 0, PCP_BLOCK_SIZE),
				      "block %zu not zeroed", i);
	mpool_free_bulk(pool, ARRAY_SIZE(blocks), blocks);
}

/* ---- the checks, with blocks passing through the caches ---------------- */

/* Take every block there is, one at a time; say how many. */
static size_t pcp_drain(struct mpool *pool, void **blocks, size_t max)
{
	size_t got = 0;

	while (got < max && (blocks[got] = mpool_alloc(pool, GFP_ATOMIC)))
		got++;
	return got;
}

static bool pcp_holds(void **blocks, size_t nr, const void *block)
{
	while (nr--) {
		if (blocks[nr] == block)
			return true;
	}
	return false;
}

static const char *const pcp_how[] = { "one at a time", "in bulk" };

static void pcp_how_desc(const char *const *how, char *desc)
{
	strscpy(desc, *how, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pcp_how, pcp_how, pcp_how_desc);

/* Take @nr blocks one at a time or in bulk; say how many. */
static size_t pcp_take(struct mpool *pool, void **blocks, size_t nr,
		       bool bulk)
{
	if (bulk)
		return mpool_alloc_bulk(pool, GFP_ATOMIC, nr, blocks);
	return pcp_drain(pool, blocks, nr);
}

/*
 * A write after free is caught wherever the block waits, cache or depot,
 * by single and bulk allocs alike: quarantined, and replaced.
 */
static void poison_caught_through_caches(struct kunit *test)
{
	bool bulk = *(const char *const *)test->param_value == pcp_how[1];
	size_t nr_blocks = pcp_nr_blocks(), got;
	struct mpool_stats st;
	struct mpool *pool;
	void **blocks;
	u8 *victim;

	blocks = pcp_block_array(test, nr_blocks);
	pool = pcp_create(test, "kunit_pcp_poison", nr_blocks, MPOOL_POISON);
	KUNIT_ASSERT_GT(test, pcp_stats(pool).cache_size, 0UL);
	got = pcp_take(pool, blocks, 4, bulk);
	KUNIT_ASSERT_EQ(test, got, 4UL);
	victim = blocks[1];
	mpool_free_bulk(pool, got, blocks);
	victim[PCP_BLOCK_SIZE - 1] ^= 0xff;

	got = pcp_take(pool, blocks, nr_blocks - 1, bulk);
	KUNIT_EXPECT_EQ(test, got, nr_blocks - 1);
	KUNIT_EXPECT_FALSE(test, pcp_holds(blocks, got, victim));
	KUNIT_EXPECT_NULL(test, mpool_alloc(pool, GFP_ATOMIC));
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.poison_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 1UL);
	mpool_free(pool, victim);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).double_frees, 1ULL);
	mpool_free_bulk(pool, got, blocks);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, 0UL);
}

/* An overrun is caught at the free, with the caches on as without. */
static void redzone_caught_through_caches(struct kunit *test)
{
	struct mpool *pool;
	u8 *block;

	pool = pcp_create(test, "kunit_pcp_redzone", pcp_nr_blocks(),
			  MPOOL_REDZONE);
	KUNIT_ASSERT_GT(test, pcp_stats(pool).cache_size, 0UL);
	block = mpool_alloc(pool, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, block);
	block[PCP_BLOCK_SIZE] ^= 0xff;
	mpool_free(pool, block);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).redzone_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, 0UL);
}

/* A block freed into a cache is free: freeing it again is refused. */
static void double_free_of_cached_block(struct kunit *test)
{
	size_t nr_blocks = pcp_nr_blocks(), got, i, times = 0;
	struct mpool *pool;
	void **blocks;
	void *block;

	blocks = pcp_block_array(test, nr_blocks);
	pool = pcp_create(test, "kunit_pcp_double", nr_blocks, 0);
	block = mpool_alloc(pool, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, block);
	mpool_free(pool, block);
	KUNIT_ASSERT_GT(test, pcp_stats(pool).cached, 0UL);
	mpool_free(pool, block);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).double_frees, 1ULL);

	/* Had the second free been taken, the block would come out twice. */
	got = pcp_drain(pool, blocks, nr_blocks);
	KUNIT_EXPECT_EQ(test, got, nr_blocks);
	for (i = 0; i < got; i++)
		times += blocks[i] == block;
	KUNIT_EXPECT_EQ(test, times, 1UL);
	mpool_free_bulk(pool, got, blocks);
}

/*
 * Every free block's first word, where a plain pool links its depot
 * blocks, damaged after the blocks came back through one CPU's cache: the
 * depot catches the link it would follow, quarantines that block, rebuilds
 * its list, and every other block is still handed out, once.  Drained with
 * a gfp that may block but not wait: such an alloc finishes the rebuild,
 * where an atomic one takes a step of it and may fail meanwhile.
 */
static void corrupt_links_through_caches(struct kunit *test)
{
	size_t nr_blocks = pcp_nr_blocks(), got, i;
	struct pcp_job job = {};
	struct mpool_stats st;
	struct mpool *pool;
	void **blocks;

	blocks = pcp_block_array(test, nr_blocks);
	pool = pcp_create(test, "kunit_pcp_links", nr_blocks, 0);
	job.pool = pool;
	job.blocks = blocks;
	job.nr = nr_blocks;
	/* Through one CPU: its cache fills and overflows into the depot. */
	pcp_on_cpu(test, cpumask_first(cpu_online_mask), pcp_cycle_here, &job);
	KUNIT_ASSERT_EQ(test, job.done, nr_blocks);
	st = pcp_stats(pool);
	KUNIT_ASSERT_LT(test, st.cached, nr_blocks);
	for (i = 0; i < nr_blocks; i++)
		*(unsigned long *)blocks[i] ^= 1;

	for (got = 0; got < nr_blocks; got++) {
		blocks[got] = mpool_alloc(pool, GFP_KERNEL | __GFP_NORETRY);
		if (!blocks[got])
			break;
	}
	KUNIT_EXPECT_EQ(test, got, nr_blocks - 1);
	KUNIT_EXPECT_TRUE(test, pcp_all_distinct(blocks, got));
	st = pcp_stats(pool);
	KUNIT_EXPECT_EQ(test, st.freelist_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, st.quarantined, 1UL);
	mpool_free_bulk(pool, got, blocks);
	KUNIT_EXPECT_EQ(test, pcp_stats(pool).in_use, 0UL);
}

static struct kunit_case mpool_percpu_cases[] = {
	KUNIT_CASE_PARAM(cache_size_fits_pool, pcp_size_gen_params),
	KUNIT_CASE_PARAM(exhaust_steals_every_cache, pcp_cpu_count_gen_params),
	KUNIT_CASE(sleeper_gets_block_freed_elsewhere),
	KUNIT_CASE(offline_cpu_gives_cache_back),
	KUNIT_CASE(counters_sum_across_cpus),
	KUNIT_CASE_PARAM(poison_caught_through_caches, pcp_how_gen_params),
	KUNIT_CASE(redzone_caught_through_caches),
	KUNIT_CASE(double_free_of_cached_block),
	KUNIT_CASE(corrupt_links_through_caches),
	{}
};

static struct kunit_suite mpool_percpu_suite = {
	.name = "mpool_percpu",
	.test_cases = mpool_percpu_cases,
};

static struct kunit_case mpool_bulk_cases[] = {
	KUNIT_CASE_PARAM(bulk_all_or_nothing, pcp_bulk_gen_params),
	KUNIT_CASE_PARAM(bulk_free_refuses_bad_entries, pcp_bulk_gen_params),
	KUNIT_CASE_PARAM(bulk_free_refuses_one_of_a_run, pcp_bulk_gen_params),
	KUNIT_CASE_PARAM(bulk_zeroes_blocks, pcp_bulk_gen_params),
	{}
};

static struct kunit_suite mpool_bulk_suite = {
	.name = "mpool_bulk",
	.test_cases = mpool_bulk_cases,
};

kunit_test_suites(&mpool_percpu_suite, &mpool_bulk_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod's per-CPU caches and bulk calls");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
