// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: where a pool's blocks lie on a NUMA machine.  mpool_create_node()
 * and struct mpool_args' @node put every block on that node and refuse a
 * node without memory; with MPOOL_NUMA, a CPU's cache is refilled from
 * its own node's regions, from another node's only when its own has none
 * free, exhaustion stays exact on every CPU at once, and the pool grows
 * on the node that runs short.
 *
 * A block's node is its pages' (page_to_nid(vmalloc_to_page())): what a
 * CPU's loads and stores reach, whatever the pool's own counts say.  The
 * cases that need two nodes skip on a machine with one; tests.manifest
 * runs the suite where there are two.
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_wait.h"

/* A block a page's sixteenth: a region spans pages, each of them checked. */
#define NUMA_BLOCK_SIZE		256
/* Blocks of each region, the first one and every grown one alike. */
#define NUMA_REGION_BLOCKS	256

/* numa_block_nid() of a block that is no vmalloc address. */
#define NUMA_NID_NOT_VMALLOC	(-2)
/* numa_block_nid() of a block whose first and last bytes differ in node. */
#define NUMA_NID_SPLIT		(-3)

/* The node of @block's memory, or one of the two codes above. */
static int numa_block_nid(const void *block)
{
	const void *last = block + NUMA_BLOCK_SIZE - 1;
	int nid;

	if (!is_vmalloc_addr(block) || !is_vmalloc_addr(last))
		return NUMA_NID_NOT_VMALLOC;
	nid = page_to_nid(vmalloc_to_page(block));
	if (page_to_nid(vmalloc_to_page(last)) != nid)
		return NUMA_NID_SPLIT;
	return nid;
}

/* A pool of a case and the blocks the case holds, given back at its end. */
struct numa_pool {
	struct mpool *pool;
	void **blocks;
	size_t nr;
	size_t cap;
};

/* Free what @np holds: its NULL entries are blocks a case freed itself. */
static void numa_free_held(struct numa_pool *np)
{
	void *block;

	while (np->nr) {
		block = np->blocks[--np->nr];
		if (block)
			mpool_free(np->pool, block);
	}
}

static int numa_pool_init(struct kunit_resource *res, void *np)
{
	res->data = np;
	return 0;
}

static void numa_pool_release(struct kunit_resource *res)
{
	struct numa_pool *np = res->data;

	numa_free_held(np);
	mpool_destroy(np->pool);
}

/*
 * Track @pool, with room for @cap held blocks, until the case ends,
 * however it ends: its blocks are freed and it is destroyed.  Taken
 * after the case's own kunit allocations, so released before them.
 */
static struct numa_pool *numa_track(struct kunit *test, struct mpool *pool,
				    const char *name, size_t cap)
{
	struct numa_pool *np;

	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "creating %s: %pe",
					 name, pool);
	np = kunit_kzalloc(test, sizeof(*np), GFP_KERNEL);
	if (np)
		np->blocks = kunit_kcalloc(test, cap, sizeof(*np->blocks),
					   GFP_KERNEL);
	if (!np || !np->blocks) {
		mpool_destroy(pool);
		KUNIT_FAIL_AND_ABORT(test, "no memory to track %s", name);
	}
	np->pool = pool;
	np->cap = cap;
	if (!kunit_alloc_resource(test, numa_pool_init, numa_pool_release,
				  GFP_KERNEL, np)) {
		mpool_destroy(pool);
		KUNIT_FAIL_AND_ABORT(test, "cannot track %s", name);
	}
	return np;
}

/*
 * Hand @nr blocks over to @np, which frees them when the case ends; past
 * its room (a pool that handed out more than it holds, a failure the
 * case reports from its own counts), they are freed at once.
 */
static void numa_hold(struct numa_pool *np, void **blocks, size_t nr)
{
	size_t fit = min(nr, np->cap - np->nr);

	memcpy(np->blocks + np->nr, blocks, fit * sizeof(*blocks));
	np->nr += fit;
	while (fit < nr)
		mpool_free(np->pool, blocks[fit++]);
}

static struct mpool_stats numa_stats(struct mpool *pool)
{
	struct mpool_stats st;

	mpool_get_stats(pool, &st);
	return st;
}

/*
 * A MPOOL_NUMA pool of one region of @region blocks on each node with
 * memory and room for @extra more regions of as many.  With @extra 0 it
 * cannot grow: create made all it may ever hold.
 */
static struct numa_pool *numa_create_numa(struct kunit *test,
					  const char *name, size_t region,
					  size_t extra)
{
	size_t nodes = num_node_state(N_MEMORY);
	struct mpool_args args = {
		.flags = MPOOL_NUMA,
		.min_blocks = region,
		.grow_blocks = region,
		.max_blocks = (nodes + extra) * region,
	};
	struct numa_pool *np;
	struct mpool_stats st;

	np = numa_track(test, mpool_create_args(name, NUMA_BLOCK_SIZE, &args),
			name, args.max_blocks);
	/* What every case below starts from: a region on each node. */
	st = numa_stats(np->pool);
	KUNIT_ASSERT_EQ_MSG(test, st.nr_regions, nodes,
			    "%s: a region per node with memory at create",
			    name);
	KUNIT_ASSERT_EQ(test, st.nr_blocks, nodes * region);
	KUNIT_ASSERT_EQ(test, st.max_blocks, args.max_blocks);
	return np;
}

/* The cases that compare nodes need two, each with CPUs and memory. */
static void numa_need_two_nodes(struct kunit *test)
{
	unsigned int both = 0;
	int nid;

	if (num_online_nodes() < 2)
		kunit_skip(test, "needs two online NUMA nodes");
	for_each_node_state(nid, N_MEMORY)
		both += cpumask_intersects(cpumask_of_node(nid),
					   cpu_online_mask);
	KUNIT_ASSERT_GE_MSG(test, both, 2U,
			    "%u online nodes, but fewer than two with both CPUs and memory",
			    num_online_nodes());
}

/* ---- work on a given CPU ---------------------------------------------- */

/*
 * A kthread bound to one CPU that takes up to @want blocks with @gfp and
 * notes each one's node, or grows the pool with @grow.  Many may wait for
 * @start to go at once.
 */
struct numa_thread {
	struct task_struct *task;
	struct completion *start;
	struct completion done;
	struct mpool *pool;
	unsigned int cpu;
	gfp_t gfp;
	size_t want;
	void **to_free;		/* given back here first */
	size_t nr_to_free;
	size_t grow;		/* mpool_grow(@pool, @grow) instead */
	void **blocks;
	int *nids;
	size_t got;
	int err;
};

/* Park a kthread that has done its work until kthread_stop() reaps it. */
static void numa_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int numa_thread_fn(void *arg)
{
	struct numa_thread *t = arg;
	void *block;
	size_t i;

	if (t->start)
		wait_for_completion(t->start);
	/* Half one at a time, half in bulk: each free path has its check. */
	for (i = 0; i < t->nr_to_free / 2; i++)
		mpool_free(t->pool, t->to_free[i]);
	mpool_free_bulk(t->pool, t->nr_to_free - i, t->to_free + i);
	if (t->grow) {
		t->err = mpool_grow(t->pool, t->grow);
	} else {
		while (t->got < t->want) {
			block = mpool_alloc(t->pool, t->gfp);
			if (!block)
				break;
			t->nids[t->got] = numa_block_nid(block);
			t->blocks[t->got++] = block;
		}
	}
	complete(&t->done);
	numa_wait_for_stop();
	return 0;
}

/* A thread on @cpu that takes up to @want blocks of @pool with @gfp. */
static void numa_thread_init(struct kunit *test, struct numa_thread *t,
			     struct mpool *pool, unsigned int cpu,
			     size_t want, gfp_t gfp)
{
	memset(t, 0, sizeof(*t));
	t->pool = pool;
	t->cpu = cpu;
	t->want = want;
	t->gfp = gfp;
	init_completion(&t->done);
	if (!want)
		return;
	t->blocks = kunit_kcalloc(test, want, sizeof(*t->blocks), GFP_KERNEL);
	t->nids = kunit_kcalloc(test, want, sizeof(*t->nids), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->blocks);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->nids);
}

/* Create @t's kthread on its CPU and let it run; an error if none. */
static int numa_thread_start(struct numa_thread *t)
{
	struct task_struct *task;

	task = kthread_create(numa_thread_fn, t, "kunit_numa/%u", t->cpu);
	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, t->cpu);
	t->task = task;
	wake_up_process(task);
	return 0;
}

/* Wait for @t's work, at most the hang guard, and reap its kthread. */
static bool numa_thread_finish(struct numa_thread *t)
{
	bool done = wait_for_completion_timeout(&t->done,
						MPOOL_KUNIT_HANG_GUARD);

	kthread_stop(t->task);
	return done;
}

/* @t's work, start to end, on its CPU, with no assertion meanwhile. */
static void numa_run(struct kunit *test, struct numa_thread *t)
{
	int err = numa_thread_start(t);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "kthread on CPU %u: %d", t->cpu, err);
	KUNIT_ASSERT_TRUE_MSG(test, numa_thread_finish(t),
			      "CPU %u's kthread still runs at the hang guard",
			      t->cpu);
}

/* The first online CPU of node @nid. */
static unsigned int numa_cpu_of(int nid)
{
	return cpumask_first_and(cpumask_of_node(nid), cpu_online_mask);
}

/* Blocks @from to @to (excluded) of @t whose node is (@on) or is not @nid. */
static size_t numa_count(const struct numa_thread *t, size_t from, size_t to,
			 int nid, bool on)
{
	size_t i, n = 0;

	for (i = from; i < min(to, t->got); i++)
		n += (t->nids[i] == nid) == on;
	return n;
}

/* ---- one node ---------------------------------------------------------- */

/*
 * Take every block of @np's pool here and expect each on @nid, then give
 * them back: @nr blocks, no more.
 */
static void numa_expect_all_on(struct kunit *test, struct numa_pool *np,
			       size_t nr, int nid, const char *what)
{
	size_t i, off = 0;
	int first_off = nid;
	void *block;

	for (i = 0; i < nr; i++) {
		block = mpool_alloc(np->pool, GFP_NOWAIT);
		if (!block)
			break;
		np->blocks[np->nr++] = block;
		if (numa_block_nid(block) != nid && !off++)
			first_off = numa_block_nid(block);
	}
	KUNIT_EXPECT_EQ_MSG(test, np->nr, nr, "%s: blocks handed out", what);
	KUNIT_EXPECT_EQ_MSG(test, off, 0UL,
			    "%s: blocks not on node %d (the first on %d)",
			    what, nid, first_off);
	numa_free_held(np);
}

/*
 * mpool_create_node() for each node with memory: every block on it.  And
 * a pool of mpool_create_args() with @node that grows from a CPU of
 * another node: its grown region on @node too, not on the caller's.
 */
static void create_node_puts_every_block_on_it(struct kunit *test)
{
	struct numa_thread *t;
	struct numa_pool *np;
	char name[MPOOL_NAME_MAX + 1];
	unsigned int cpu;
	int nid, err;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	for_each_node_state(nid, N_MEMORY) {
		struct mpool_args args = {
			.min_blocks = NUMA_REGION_BLOCKS,
			.max_blocks = 2 * NUMA_REGION_BLOCKS,
			.grow_blocks = NUMA_REGION_BLOCKS,
			.node = MPOOL_NODE(nid),
		};

		snprintf(name, sizeof(name), "kunit_numa_node%d", nid);
		np = numa_track(test,
				mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						  NUMA_REGION_BLOCKS, 0, nid),
				name, NUMA_REGION_BLOCKS);
		numa_expect_all_on(test, np, NUMA_REGION_BLOCKS, nid, name);

		snprintf(name, sizeof(name), "kunit_numa_args%d", nid);
		np = numa_track(test,
				mpool_create_args(name, NUMA_BLOCK_SIZE, &args),
				name, args.max_blocks);
		/* A CPU of another node if there is one: not the pool's. */
		for_each_online_cpu(cpu) {
			if (cpu_to_node(cpu) != nid)
				break;
		}
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		numa_thread_init(test, t, np->pool, cpu, 0, 0);
		t->grow = NUMA_REGION_BLOCKS;
		numa_run(test, t);
		err = t->err;
		KUNIT_EXPECT_EQ_MSG(test, err, 0, "%s: mpool_grow() on CPU %u",
				    name, cpu);
		KUNIT_EXPECT_EQ(test, numa_stats(np->pool).nr_regions, 2UL);
		numa_expect_all_on(test, np, args.max_blocks, nid, name);
	}
}

/* Expect @pool to be ERR_PTR(-EINVAL); destroy it if it is a pool. */
static void numa_expect_einval(struct kunit *test, struct mpool *pool,
			       const char *what, int nid)
{
	if (!IS_ERR_OR_NULL(pool))
		mpool_destroy(pool);
	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(pool), -EINVAL,
			    "%s, node %d: %pe, not -EINVAL", what, nid, pool);
}

/* Expect @pool to be a pool, and destroy it. */
static void numa_expect_pool(struct kunit *test, struct mpool *pool,
			     const char *what)
{
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR_OR_NULL(pool), "%s: %pe", what,
			       pool);
	if (!IS_ERR_OR_NULL(pool))
		mpool_destroy(pool);
}

/*
 * A node that is not one with memory, for mpool_create_node() and for
 * @node: -EINVAL, before any memory is taken; and MPOOL_NUMA with a node
 * (every node and one node).  Each beside the same call without what
 * makes it wrong, which succeeds: the -EINVAL is that one thing's.  With
 * MPOOL_NO_PERCPU, whose pool is one region, MPOOL_NUMA changes nothing:
 * taken, and refused only where MPOOL_NO_PERCPU alone is, on a pool that
 * may grow.
 */
static void create_node_refuses_bad_nodes(struct kunit *test)
{
	const int good = first_memory_node;
	struct mpool_args args = {
		.min_blocks = NUMA_REGION_BLOCKS,
		.max_blocks = 2 * NUMA_REGION_BLOCKS,
	};
	const char *name = "kunit_numa_bad";
	int nid, tried = 0;

	/* Out of range, then every node in range without memory. */
	numa_expect_einval(test, mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						   NUMA_REGION_BLOCKS, 0, -2),
			   "mpool_create_node()", -2);
	numa_expect_einval(test, mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						   NUMA_REGION_BLOCKS, 0,
						   nr_node_ids),
			   "mpool_create_node()", nr_node_ids);
	numa_expect_einval(test, mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						   NUMA_REGION_BLOCKS, 0,
						   MAX_NUMNODES),
			   "mpool_create_node()", MAX_NUMNODES);
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		if (node_state(nid, N_MEMORY))
			continue;
		numa_expect_einval(test,
				   mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						     NUMA_REGION_BLOCKS, 0,
						     nid),
				   "mpool_create_node()", nid);
		args.node = MPOOL_NODE(nid);
		numa_expect_einval(test,
				   mpool_create_args(name, NUMA_BLOCK_SIZE,
						     &args),
				   "struct mpool_args' node", nid);
		tried++;
	}
	kunit_info(test, "%d nodes of %d without memory refused\n", tried,
		   MAX_NUMNODES);
	numa_expect_pool(test, mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						 NUMA_REGION_BLOCKS, 0, good),
			 "mpool_create_node() on a node with memory");
	args.node = MPOOL_NODE(good);
	numa_expect_pool(test, mpool_create_args(name, NUMA_BLOCK_SIZE, &args),
			 "struct mpool_args' node with memory");

	/* MPOOL_NUMA with a node: by each way to give one. */
	numa_expect_einval(test, mpool_create_node(name, NUMA_BLOCK_SIZE, 0,
						   NUMA_REGION_BLOCKS,
						   MPOOL_NUMA, good),
			   "mpool_create_node(MPOOL_NUMA)", good);
	args.flags = MPOOL_NUMA;
	numa_expect_einval(test, mpool_create_args(name, NUMA_BLOCK_SIZE,
						   &args),
			   "MPOOL_NUMA and struct mpool_args' node", good);
	args.node = 0;
	numa_expect_pool(test, mpool_create_args(name, NUMA_BLOCK_SIZE, &args),
			 "MPOOL_NUMA without a node");

	/* MPOOL_NUMA | MPOOL_NO_PERCPU: as MPOOL_NO_PERCPU alone. */
	numa_expect_pool(test, mpool_create(name, NUMA_BLOCK_SIZE, 0,
					    NUMA_REGION_BLOCKS,
					    MPOOL_NUMA | MPOOL_NO_PERCPU),
			 "mpool_create(MPOOL_NUMA | MPOOL_NO_PERCPU)");
	args.flags = MPOOL_NUMA | MPOOL_NO_PERCPU;
	numa_expect_einval(test, mpool_create_args(name, NUMA_BLOCK_SIZE,
						   &args),
			   "MPOOL_NUMA | MPOOL_NO_PERCPU on a pool that may grow",
			   NUMA_NO_NODE);
}

/* ---- MPOOL_NUMA -------------------------------------------------------- */

/*
 * From a kthread on each online CPU in turn, a part of a region: every
 * block its cache hands out is on its node (the nearest with memory, for
 * a CPU of a node without: what numa_mem_id() says there).  Then again,
 * after the first CPU of each node has freed the other nodes' blocks:
 * a block freed on a CPU of another node goes back to its own node's
 * part of the depot, never into that CPU's cache, or the cache would
 * hand it out next.  The CPUs keep their blocks, and their caches what
 * they took beyond them, so a node's region is made big enough for all
 * its CPUs' takings: none finds its node's part of the depot empty, and
 * none has a cause to take another node's blocks.
 */
static void cache_blocks_on_cpu_node(struct kunit *test)
{
	const size_t want = MPOOL_CACHE_MAX / 2;
	unsigned int cpu, per_node = 0, round;
	size_t region, off, i, nr_remote;
	struct numa_thread *t;
	struct numa_pool *np;
	void **remote;
	bool frees;
	int nid;

	numa_need_two_nodes(test);
	for_each_node_state(nid, N_MEMORY)
		per_node = max(per_node,
			       cpumask_weight_and(cpumask_of_node(nid),
						  cpu_online_mask));
	region = max_t(size_t, NUMA_REGION_BLOCKS,
		       roundup_pow_of_two(per_node *
					  (2 * want + MPOOL_CACHE_MAX)));
	np = numa_create_numa(test, "kunit_numa_cache", region, 0);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	remote = kunit_kcalloc(test, np->cap, sizeof(*remote), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, remote);
	for (round = 0; round < 2; round++) {
		for_each_online_cpu(cpu) {
			nid = cpu_to_mem(cpu);
			numa_thread_init(test, t, np->pool, cpu, want,
					 GFP_ATOMIC);
			/* The second time, a CPU of each node frees. */
			frees = round && cpu == numa_cpu_of(nid);
			nr_remote = 0;
			for (i = 0; frees && i < np->nr; i++) {
				if (!np->blocks[i] ||
				    numa_block_nid(np->blocks[i]) == nid)
					continue;
				remote[nr_remote++] = np->blocks[i];
				np->blocks[i] = NULL;
			}
			t->to_free = remote;
			t->nr_to_free = nr_remote;
			numa_run(test, t);
			numa_hold(np, t->blocks, t->got);
			off = numa_count(t, 0, t->got, nid, false);
			KUNIT_EXPECT_EQ_MSG(test, t->got, want,
					    "round %u: CPU %u's blocks", round,
					    cpu);
			KUNIT_EXPECT_EQ_MSG(test, off, 0UL,
					    "round %u: CPU %u of node %d, %zu other nodes' blocks freed there first: %zu of %zu blocks elsewhere (the first on %d)",
					    round, cpu, nid, nr_remote, off,
					    t->got, t->nids[0]);
		}
	}
	for (i = 0, off = 0; i < np->nr; i++)
		off += !!np->blocks[i];
	KUNIT_EXPECT_EQ_MSG(test, numa_stats(np->pool).in_use, off,
			    "blocks in use: those the CPUs still hold");
}

/*
 * A pool that cannot grow past a region per node: from a CPU of each node
 * in turn (a pool each), GFP_ATOMIC allocs get that node's region whole,
 * then the other nodes' blocks, exactly max_blocks, then NULL.
 */
static void node_exhaustion_takes_from_others(struct kunit *test)
{
	const size_t nodes = num_node_state(N_MEMORY);
	const size_t max = nodes * NUMA_REGION_BLOCKS;
	char name[MPOOL_NAME_MAX + 1];
	struct numa_thread *t;
	struct numa_pool *np;
	struct mpool_stats st;
	size_t away, home;
	unsigned int cpu;
	int nid;

	numa_need_two_nodes(test);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	for_each_node_state(nid, N_MEMORY) {
		cpu = numa_cpu_of(nid);
		if (cpu >= nr_cpu_ids)
			continue;
		snprintf(name, sizeof(name), "kunit_numa_exhaust%d", nid);
		np = numa_create_numa(test, name, NUMA_REGION_BLOCKS, 0);
		/* One more than the pool holds: the last must be NULL. */
		numa_thread_init(test, t, np->pool, cpu, max + 1, GFP_ATOMIC);
		numa_run(test, t);
		numa_hold(np, t->blocks, t->got);

		home = numa_count(t, 0, NUMA_REGION_BLOCKS, nid, true);
		away = numa_count(t, NUMA_REGION_BLOCKS, max, nid, false);
		KUNIT_EXPECT_EQ_MSG(test, t->got, max,
				    "CPU %u of node %d: blocks before NULL",
				    cpu, nid);
		KUNIT_EXPECT_EQ_MSG(test, home, (size_t)NUMA_REGION_BLOCKS,
				    "CPU %u: its node %d's blocks first", cpu,
				    nid);
		KUNIT_EXPECT_EQ_MSG(test, away, max - NUMA_REGION_BLOCKS,
				    "CPU %u: then the other nodes' blocks",
				    cpu);
		st = numa_stats(np->pool);
		KUNIT_EXPECT_EQ(test, st.in_use, max);
		KUNIT_EXPECT_EQ(test, st.alloc_failures, 1ULL);
		KUNIT_EXPECT_EQ(test, st.nr_blocks, max);
	}
}

static int numa_ptr_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * A pool that cannot grow past a region per node, and a kthread on every
 * online CPU taking GFP_ATOMIC blocks until NULL, all let go at once:
 * between them exactly max_blocks, each block once, whichever node's
 * depot or CPU's cache it came from.  Then all given back: none in use.
 */
static void exact_exhaustion_on_every_cpu(struct kunit *test)
{
	const size_t max = num_node_state(N_MEMORY) * NUMA_REGION_BLOCKS;
	unsigned int nr = 0, started = 0, stuck = 0, cpu, i;
	struct completion start;
	struct numa_thread *t;
	struct numa_pool *np;
	struct mpool_stats st;
	size_t sum = 0, twice = 0;
	int err = 0;

	numa_need_two_nodes(test);
	np = numa_create_numa(test, "kunit_numa_every_cpu",
			      NUMA_REGION_BLOCKS, 0);
	t = kunit_kcalloc(test, num_online_cpus(), sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	for_each_online_cpu(cpu) {
		if (nr == num_online_cpus())
			break;
		numa_thread_init(test, &t[nr++], np->pool, cpu, max + 1,
				 GFP_ATOMIC);
	}
	init_completion(&start);

	/* From the first kthread to the last kthread_stop(), no assertion. */
	for (i = 0; i < nr && !err; i++) {
		t[i].start = &start;
		err = numa_thread_start(&t[i]);
		started += !err;
	}
	complete_all(&start);
	for (i = 0; i < started; i++)
		stuck += !numa_thread_finish(&t[i]);
	for (i = 0; i < started; i++) {
		numa_hold(np, t[i].blocks, t[i].got);
		sum += t[i].got;
	}
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "kthread_create(): %d", err);
	KUNIT_ASSERT_EQ_MSG(test, stuck, 0U,
			    "kthreads still running at the hang guard");

	sort(np->blocks, np->nr, sizeof(*np->blocks), numa_ptr_cmp, NULL);
	for (i = 1; i < np->nr; i++)
		twice += np->blocks[i] == np->blocks[i - 1];
	KUNIT_EXPECT_EQ_MSG(test, sum, max, "%u CPUs took blocks until NULL",
			    nr);
	KUNIT_EXPECT_EQ_MSG(test, twice, 0UL, "blocks handed out twice");
	st = numa_stats(np->pool);
	KUNIT_EXPECT_EQ(test, st.in_use, max);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, (u64)nr);

	numa_free_held(np);
	st = numa_stats(np->pool);
	KUNIT_EXPECT_EQ(test, st.in_use, 0UL);
	KUNIT_EXPECT_EQ(test, st.frees, (u64)max);
}

/* Poll the pool until it has grown past @grows, or the hang guard. */
static bool numa_wait_for_grow(struct mpool *pool, u64 grows)
{
	unsigned long deadline = jiffies + MPOOL_KUNIT_HANG_GUARD;

	while (numa_stats(pool).grows <= grows) {
		if (time_after(jiffies, deadline))
			return false;
		schedule_timeout_uninterruptible(1);
	}
	return true;
}

/*
 * A pool with room for one region more than one per node: a CPU of a
 * node takes blocks until that node's part of the depot is below the low
 * mark (half a region, the default), and the worker adds a region there.
 * Judged by the blocks alone: that CPU then gets two regions' worth of
 * its node's blocks in all before any other node's, and the other nodes
 * still have one region each.  For each node in turn, a pool each.
 */
static void grows_on_the_node_short(struct kunit *test)
{
	const size_t nodes = num_node_state(N_MEMORY);
	const size_t max = (nodes + 1) * NUMA_REGION_BLOCKS;
	/* Enough that, refilled by batches, the node's depot is below low. */
	const size_t first = NUMA_REGION_BLOCKS / 2 + 1;
	char name[MPOOL_NAME_MAX + 1];
	struct numa_thread *t;
	struct numa_pool *np;
	struct mpool_stats st;
	size_t home, away;
	unsigned int cpu;
	u64 grows;
	int nid;

	numa_need_two_nodes(test);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	for_each_node_state(nid, N_MEMORY) {
		cpu = numa_cpu_of(nid);
		if (cpu >= nr_cpu_ids)
			continue;
		snprintf(name, sizeof(name), "kunit_numa_grow%d", nid);
		np = numa_create_numa(test, name, NUMA_REGION_BLOCKS, 1);
		grows = numa_stats(np->pool).grows;

		numa_thread_init(test, t, np->pool, cpu, first, GFP_ATOMIC);
		numa_run(test, t);
		numa_hold(np, t->blocks, t->got);
		KUNIT_ASSERT_EQ(test, t->got, first);
		KUNIT_EXPECT_EQ_MSG(test, numa_count(t, 0, first, nid, false),
				    0UL, "CPU %u: blocks not on node %d", cpu,
				    nid);

		KUNIT_ASSERT_TRUE_MSG(test, numa_wait_for_grow(np->pool, grows),
				      "node %d below its low mark: no grow",
				      nid);
		st = numa_stats(np->pool);
		KUNIT_EXPECT_EQ(test, st.grows, grows + 1);
		KUNIT_EXPECT_EQ(test, st.nr_regions, nodes + 1);
		KUNIT_EXPECT_EQ(test, st.nr_blocks, max);

		/* The rest, and one more: NULL. */
		numa_thread_init(test, t, np->pool, cpu, max - first + 1,
				 GFP_ATOMIC);
		numa_run(test, t);
		numa_hold(np, t->blocks, t->got);
		home = numa_count(t, 0, 2 * NUMA_REGION_BLOCKS - first, nid,
				  true);
		away = numa_count(t, 2 * NUMA_REGION_BLOCKS - first, max, nid,
				  false);
		KUNIT_EXPECT_EQ_MSG(test, t->got, max - first,
				    "CPU %u: blocks before NULL", cpu);
		KUNIT_EXPECT_EQ_MSG(test, home, 2 * NUMA_REGION_BLOCKS - first,
				    "CPU %u: node %d's blocks, the grown region's too, first",
				    cpu, nid);
		KUNIT_EXPECT_EQ_MSG(test, away,
				    (nodes - 1) * NUMA_REGION_BLOCKS,
				    "CPU %u: then a region of each other node, none grown there",
				    cpu);
	}
}

static struct kunit_case mpool_numa_cases[] = {
	KUNIT_CASE(create_node_puts_every_block_on_it),
	KUNIT_CASE(create_node_refuses_bad_nodes),
	KUNIT_CASE(cache_blocks_on_cpu_node),
	KUNIT_CASE(node_exhaustion_takes_from_others),
	KUNIT_CASE(exact_exhaustion_on_every_cpu),
	KUNIT_CASE(grows_on_the_node_short),
	{}
};

static struct kunit_suite mpool_numa_suite = {
	.name = "mpool_numa",
	.test_cases = mpool_numa_cases,
};

kunit_test_suites(&mpool_numa_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod's NUMA placement");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
