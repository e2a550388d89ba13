// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU caches in front of the depot.
 *
 * One irqsave spinlock costs about as much as a whole kmem_cache
 * alloc+free pair, and every CPU contending for it collapses throughput,
 * so each CPU keeps a small ring of free blocks.  A free adds to the local
 * ring with preemption off, no atomic and no IRQ toggle; an alloc takes
 * from it with one cmpxchg, the same one that lets another CPU steal from
 * the ring when the depot runs dry.  The depot sees a CPU only once per
 * batch.
 *
 * A pool too small to give every possible CPU a few blocks has no caches:
 * blocks parked on idle CPUs would only make every alloc a steal.
 */

/* MPOOL_CACHE_MAX is a power of two, so that a ring index is a mask. */
static_assert((MPOOL_CACHE_MAX & (MPOOL_CACHE_MAX - 1)) == 0);
/* A CPU never caches more than this share of the pool: 1 / 2^shift each. */
#define MPOOL_CACHE_SHARE_SHIFT	1

static enum cpuhp_state mpool_cpuhp_state;

static struct mpool_cpu_cache *mpool_cpu_cache(struct mpool *pool, int cpu)
{
	return per_cpu_ptr(pool->caches, cpu);
}

/*
 * @head's low word, all a count of the ring's blocks (@tail - @head) and
 * a slot's index need: a torn read of @head, on a 32-bit kernel, still
 * has a low word it held.  A taker, which cmpxchg()es what it read, reads
 * it whole (mpool_cache_pop()).
 */
static __always_inline unsigned long
mpool_cache_head(const struct mpool_cpu_cache *cache)
{
	return (unsigned long)READ_ONCE(cache->head);
}

/* Half a ring moves at a time: the next few frees and allocs stay local. */
static unsigned int mpool_cache_batch(const struct mpool *pool)
{
	return pool->cache_size / 2;
}

/*
 * With IRQs off: a batch, or less if this CPU's ring has less room, or
 * none if the context this one interrupted is adding to the ring.
 */
static unsigned int mpool_cache_room(const struct mpool *pool,
				     struct mpool_cpu_cache *cache)
{
	unsigned long used = cache->tail - mpool_cache_head(cache);

	lockdep_assert_irqs_disabled();

	if (READ_ONCE(cache->filling))
		return 0;
	return min_t(unsigned long, mpool_cache_batch(pool),
		     pool->cache_size - min_t(unsigned long, used,
					      pool->cache_size));
}

/*
 * Take this CPU's ring to add blocks to; called and undone with
 * preemption off, so that the ring stays this CPU's.  Only one context
 * adds at a time, as @tail is written without an atomic: a context that
 * interrupts an add on this CPU (a softirq, a hard IRQ) finds the ring
 * taken, gets NULL, and must put its blocks in the depot.  @filling is
 * written and read by this CPU alone, and an interrupt sees this CPU's
 * stores in program order: a compiler barrier is all it needs, where an
 * IRQ toggle costs as much as the rest of a free together.  NULL too for
 * a pool without caches.
 */
static __always_inline struct mpool_cpu_cache *
mpool_cache_own(struct mpool *pool)
{
	struct mpool_cpu_cache *cache;

	lockdep_assert_preemption_disabled();

	if (!pool->cache_size)
		return NULL;
	cache = this_cpu_ptr(pool->caches);
	if (unlikely(READ_ONCE(cache->filling)))
		return NULL;
	WRITE_ONCE(cache->filling, true);
	/* Taken before any slot is written, as an interrupt sees it. */
	barrier();
	return cache;
}

static __always_inline void mpool_cache_disown(struct mpool_cpu_cache *cache)
{
	if (!cache)
		return;
	/* Every slot written before the ring is let go. */
	barrier();
	WRITE_ONCE(cache->filling, false);
}

static unsigned int mpool_cache_size(size_t nr_blocks, unsigned int flags)
{
	size_t share = nr_blocks / num_possible_cpus() >> MPOOL_CACHE_SHARE_SHIFT;

	if ((flags & MPOOL_NO_PERCPU) || share < 2 || mpool_test_small_pool())
		return 0;
	return rounddown_pow_of_two(min_t(size_t, share, MPOOL_CACHE_MAX));
}

/* The rings of pool->cache_size blocks each, set with the state map. */
static int mpool_caches_init(struct mpool *pool)
{
	size_t bytes;
	int err;

	bytes = struct_size_t(struct mpool_cpu_cache, blocks, pool->cache_size);
	pool->caches = __alloc_percpu(bytes,
				      __alignof__(struct mpool_cpu_cache));
	if (!pool->caches)
		return -ENOMEM;
	if (!pool->cache_size)
		return 0;
	err = cpuhp_state_add_instance_nocalls(mpool_cpuhp_state,
					       &pool->cpuhp_node);
	if (err) {
		free_percpu(pool->caches);
		pool->caches = NULL;
	}
	return err;
}

/* The pool is idle and its blocks' fate decided: the rings just go. */
static void mpool_caches_exit(struct mpool *pool)
{
	if (!pool->caches)
		return;
	if (pool->cache_size)
		cpuhp_state_remove_instance_nocalls(mpool_cpuhp_state,
						    &pool->cpuhp_node);
	free_percpu(pool->caches);
}

/*
 * Under the lock: give up to @nr of @cache's oldest blocks, at most half a
 * ring at a time, to the depot.  Returns how many it gave.
 */
static unsigned int mpool_cache_flush(struct mpool *pool,
				      struct mpool_cpu_cache *cache,
				      unsigned int nr)
{
	/* Scratch: not zeroed (CONFIG_INIT_STACK_ALL_ZERO) on every flush. */
	void *blocks[MPOOL_CACHE_MAX / 2] __uninitialized;

	lockdep_assert_held(&pool->lock);

	nr = mpool_cache_pop(pool, cache, blocks,
			     min_t(unsigned int, nr, ARRAY_SIZE(blocks)), false);
	mpool_depot_put_many(pool, blocks, nr);
	return nr;
}

/*
 * Take up to @nr blocks from @cache, oldest first, into @blocks; with
 * @all, @nr or none.  Safe from any CPU and any context but NMI: the
 * cmpxchg on @head decides who got them.  A taker that read a slot the
 * owner has since refilled fails the cmpxchg, as @head has moved on by
 * then; it could only succeed if @head came back to the same value while
 * the taker was preempted, and @head is a u64: that takes 2^64 pops, not
 * the minute 2^32 would.  On a 32-bit kernel it is moved with
 * cmpxchg64() and read whole with mpool_read_u64(), never torn: a low
 * word from before a carry with a high one from after it would be a
 * value @head reaches 2^32 pops later, and the cmpxchg would take it.
 * The low word alone counts and places the blocks.
 */
static __always_inline unsigned int
mpool_cache_pop(struct mpool *pool, struct mpool_cpu_cache *cache,
		void **blocks, unsigned int nr, bool all)
{
	unsigned int size = pool->cache_size;
	u64 head = mpool_read_u64(&cache->head);
	unsigned long tail, used;
	unsigned int i;

	do {
		/* Pairs with the release in mpool_cache_push(). */
		tail = smp_load_acquire(&cache->tail);
		used = tail - (unsigned long)head;
		if (all && used < nr)
			return 0;
		nr = min_t(unsigned long, nr, used);
		for (i = 0; i < nr; i++)
			blocks[i] = READ_ONCE(cache->blocks[((unsigned long)head + i) &
							    (size - 1)]);
		if (nr && mpool_test_may_park())
			mpool_test_point(pool, MPOOL_TEST_RING_POPPING);
	} while (nr && !try_cmpxchg64(&cache->head, &head, head + nr));
	return nr;
}

/*
 * Add up to @nr of @blocks to this CPU's @cache, as many as it has room
 * for, and say how many.  The caller owns the ring (mpool_cache_own()),
 * or has IRQs off and found it not owned: the only writer of @tail, which
 * needs no atomic, and is published once for them all.
 */
static __always_inline unsigned int
mpool_cache_push(struct mpool *pool, struct mpool_cpu_cache *cache,
		 void **blocks, size_t nr)
{
	unsigned int size = pool->cache_size;
	unsigned long tail = cache->tail;
	/* A stale @head only makes the ring look fuller than it is. */
	unsigned long used = min_t(unsigned long,
				   tail - mpool_cache_head(cache), size);
	unsigned int i;

	lockdep_assert_preemption_disabled();
	lockdep_assert(cache == this_cpu_ptr(pool->caches) &&
		       (READ_ONCE(cache->filling) || irqs_disabled()));

	nr = min_t(size_t, nr, size - used);
	if (!nr)
		return 0;
	for (i = 0; i < nr; i++)
		WRITE_ONCE(cache->blocks[(tail + i) & (size - 1)], blocks[i]);
	mpool_test_point(pool, MPOOL_TEST_RING_FILLING);
	/* The slots, and the blocks' poison, before a taker can see the tail. */
	smp_store_release(&cache->tail, tail + nr);
	return nr;
}

/* The possible CPU after @cpu, round to the first. */
static int mpool_next_possible_cpu(int cpu)
{
	cpu = cpumask_next(cpu, cpu_possible_mask);
	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_possible_mask);
}

/*
 * The depot is empty: take up to @nr blocks from the CPUs' caches, this
 * one's first, looking at MPOOL_STEAL_RINGS rings at most in this hold,
 * and taking fewer blocks than @nr if need be: a ring looked at is work
 * as a block is, and the two together stay within one hold's batch.
 * A sweep of every possible CPU's ring goes on where the last hold of
 * the same call stopped (@g): @g->rings_left is not 0 until it has seen
 * every ring empty, one after the other.  @g->visited says how many rings
 * this hold looked at.
 * Under the depot's lock, so that no refill or flush moves blocks past
 * the rings a hold looks at; the CPUs' own frees and allocs go on, and a
 * sweep of many holds may miss a block that moves meanwhile from a ring
 * not yet looked at to one behind it: with no more than MPOOL_STEAL_RINGS
 * possible CPUs, a NULL alloc means that no block was free.
 */
static size_t mpool_caches_steal(struct mpool *pool, void **blocks,
				 size_t nr, struct mpool_gathering *g)
{
	const size_t budget = MPOOL_HOLD_BLOCKS + 1;
	unsigned int size = pool->cache_size, visited = 0;
	size_t got = 0, want, taken;
	int cpu;

	lockdep_assert_held(&pool->lock);

	g->visited = 0;
	if (!size)
		return 0;
	if (!g->rings_left) {
		g->steal_cpu = raw_smp_processor_id();
		g->rings_left = num_possible_cpus();
	}
	cpu = g->steal_cpu;
	/* Room for one more ring and one block from it. */
	while (g->rings_left && visited < MPOOL_STEAL_RINGS &&
	       got + visited + 1 < budget) {
		visited++;
		want = min3(nr - got, (size_t)size, budget - visited - got);
		taken = mpool_cache_pop(pool, mpool_cpu_cache(pool, cpu),
					blocks + got, want, false);
		got += taken;
		/* This ring may hold more: the next steal starts with it. */
		if (taken == want)
			break;
		cpu = mpool_next_possible_cpu(cpu);
		g->rings_left--;
	}
	g->steal_cpu = cpu;
	g->visited = visited;
	/* A sweep that finds none must have seen every ring since a find. */
	if (got)
		g->rings_left = num_possible_cpus();
	mpool_hold_work(pool, got + visited);
	return got;
}

/*
 * Free blocks in the caches now; exact only while the pool is idle.  Each
 * ring's @head is read before its @tail, and both only grow: the tail
 * read cannot be behind the head read, so the difference never wraps.
 * It may exceed the ring's size when the ring turned over in between.
 */
static size_t mpool_caches_count(struct mpool *pool)
{
	struct mpool_cpu_cache *cache;
	unsigned long head, tail;
	size_t nr = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		cache = mpool_cpu_cache(pool, cpu);
		head = mpool_cache_head(cache);
		if (cpu == cpumask_first(cpu_possible_mask) &&
		    mpool_test_may_park())
			mpool_test_point(pool, MPOOL_TEST_STATS_READING);
		/* The head before the tail: see above. */
		smp_rmb();
		tail = READ_ONCE(cache->tail);
		nr += min_t(unsigned long, tail - head, pool->cache_size);
	}
	return nr;
}

static unsigned long mpool_allocs_sum(struct mpool *pool)
{
	unsigned long nr = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		nr += READ_ONCE(mpool_cpu_cache(pool, cpu)->allocs);
	return nr;
}

static unsigned long mpool_frees_sum(struct mpool *pool)
{
	unsigned long nr = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		nr += READ_ONCE(mpool_cpu_cache(pool, cpu)->frees);
	return nr;
}

/* Sums of the allocs read before a sum of the frees: tries at one cut. */
#define MPOOL_STATS_TRIES	4

/*
 * The per-CPU counters, summed as one cut where the CPUs let it be, and
 * never more blocks out than the pool had at one instant of the call.
 * An alloc is counted once its block is out of the pool, a free before
 * its block goes back: each count only grows, and allocs - frees never
 * exceeds the blocks out at any instant.  Summing the allocs before the
 * frees keeps it so across the two sums: an alloc made after the first
 * is not counted, a free made meanwhile is, and the difference can only
 * come out low.  Summing the allocs again after the frees tells whether
 * any alloc was counted while the frees were summed: if none was, every
 * CPU's count of allocs stood still through it, and allocs - frees lies
 * between the values the pool had when the frees' sum began and ended.
 * A reader that loses that race MPOOL_STATS_TRIES times keeps a value
 * that may be low, never one too high: with no cost to the fast path, a
 * full pool is never reported that was not one.
 */
static void mpool_counters_sum(struct mpool *pool, unsigned long *allocs,
			       unsigned long *frees)
{
	unsigned int tries = MPOOL_STATS_TRIES;
	unsigned long nr_allocs, nr_frees, again;

	nr_allocs = mpool_allocs_sum(pool);
	for (;;) {
		if (mpool_test_may_park())
			mpool_test_point(pool, MPOOL_TEST_STATS_READING);
		/* Every allocs count read before any frees count: see above. */
		smp_rmb();
		nr_frees = mpool_frees_sum(pool);
		/* Every frees count read before the allocs are summed again. */
		smp_rmb();
		again = mpool_allocs_sum(pool);
		if (again == nr_allocs || !--tries)
			break;
		nr_allocs = again;
	}
	*allocs = nr_allocs;
	*frees = nr_frees;
}

/*
 * Give what @cpu's ring holds to the depot, a batch per hold, as
 * everywhere.  From any CPU: the ring's owner may refill it meanwhile.
 */
static void mpool_cache_empty(struct mpool *pool, unsigned int cpu)
{
	struct mpool_cpu_cache *cache = mpool_cpu_cache(pool, cpu);
	unsigned long flags;
	unsigned int flushed;

	do {
		mpool_lock(pool, &flags);
		flushed = mpool_cache_flush(pool, cache, pool->cache_size);
		mpool_unlock(pool, flags);
	} while (flushed);
}

/*
 * A CPU is gone: give its cached blocks back to the depot, where every
 * CPU finds them without stealing.  Runs on another CPU, once the dead
 * one can no longer add to its ring.
 */
static int mpool_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct mpool *pool = hlist_entry(node, struct mpool, cpuhp_node);

	mpool_cache_empty(pool, cpu);
	return 0;
}

static int mpool_cpuhp_init(void)
{
	int state;

	state = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "mempool_mod:dead",
					NULL, mpool_cpu_dead);
	if (state < 0)
		return state;
	mpool_cpuhp_state = state;
	return 0;
}

static void mpool_cpuhp_exit(void)
{
	cpuhp_remove_multi_state(mpool_cpuhp_state);
}
