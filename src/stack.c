// SPDX-License-Identifier: GPL-2.0
/*
 * The depot of a MPOOL_NO_PERCPU pool: a lock-free stack of its free
 * blocks (R. K. Treiber's), so that an alloc or a free of such a pool
 * takes no lock and turns no IRQ off.  An IRQ toggle costs more than the
 * rest of an alloc or a free, and a lock collapses the throughput of
 * every CPU contending for it.
 *
 * The links are block indexes in an array of their own, out of the
 * region and so out of a consumer's reach, 4 bytes a block: a write
 * after free cannot corrupt the stack, so no link needs checking, and no
 * list needs rebuilding from the state map, which a pop in flight (off
 * the stack, not yet marked) would make wrong.
 *
 * The top is one u64: the top block's index + 1 (0: empty) in the low
 * @stack_shift bits, and above them a tag that every push and pop moves
 * on.  A pop reads the top and the link below it and swaps the link in
 * with one cmpxchg.  If anything was pushed or popped in between, even
 * with the same block back on top (ABA), the tag has moved and the
 * cmpxchg fails: the link it read may be stale, and is never installed.
 * A pop runs with preemption off, so that only interrupts come in
 * between, and the tag (at least 33 bits) cannot come back to the same
 * value within one: a preempted pop could wait minutes while the other
 * CPUs push and pop 2^33 times.  A push writes its links before the
 * cmpxchg that publishes them.
 *
 * A 32-bit kernel keeps the same 64-bit top, moved with cmpxchg64(), so
 * that its tag is as wide: a 32-bit top would leave a pool of a million
 * blocks an 11-bit tag.  A pop reads it whole, with mpool_read_u64():
 * READ_ONCE() would be two loads, and a low word read before a carry
 * with a high one after it is a top with a tag as few as 2^(32 -
 * @stack_shift) moves ahead, which the cmpxchg would take once the top
 * got there, with a link read meanwhile.  A push's READ_ONCE() may tear:
 * its cmpxchg succeeds only on the top it read, whose index is the link
 * it wrote.
 *
 * The depot's lock still serialises what goes a batch at a time (carving,
 * bulk allocs, waiting), and those take blocks off the stack one at a
 * time with the same cmpxchg, so that the other CPUs' pushes and pops
 * cannot keep failing a long walk with IRQs off.
 *
 * A pair is three locked instructions: the pop's cmpxchg, the free's
 * claim of the block's state, the push's cmpxchg.  No count of the blocks
 * out of the depot is kept, which would take two more on a line every
 * CPU writes: the peak is what the depot carved (mpool_depot_note_peak()).
 */

/* The top after a push or pop that leaves block @index1 - 1 on it. */
static __always_inline u64
mpool_stack_top(const struct mpool *pool, u64 top, unsigned int index1)
{
	u64 tag_one = BIT_ULL(pool->stack_shift);

	return ((top & ~(tag_one - 1)) + tag_one) | index1;
}

/* Index + 1 of the block on top of @top, 0 if the stack is empty. */
static __always_inline unsigned int mpool_stack_first(const struct mpool *pool,
						      u64 top)
{
	return (unsigned long)top & (BIT(pool->stack_shift) - 1);
}

static bool mpool_stack_empty(const struct mpool *pool)
{
	return !mpool_stack_first(pool, READ_ONCE(pool->stack_top));
}

/*
 * A zeroed array of @n elements of @size bytes, for metadata that a large
 * pool takes past INT_MAX bytes (the links here from 536,870,912 blocks
 * on, debug.c's caller tracking sooner): kvmalloc() refuses more than
 * INT_MAX bytes, vmalloc does not, and kvfree() frees both.
 */
static void *mpool_kvzalloc_large(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes = array_size(n, size);

	gfp |= __GFP_ZERO;
	return bytes > INT_MAX ? __vmalloc(bytes, gfp) : kvmalloc(bytes, gfp);
}

/* Make room for the links: a pool of MPOOL_NO_PERCPU, at create. */
static int mpool_stack_init(struct mpool *pool, gfp_t gfp)
{
	/* Index + 1 of every block fits a link and leaves the tag 33 bits. */
	BUILD_BUG_ON(BIT_ULL(31) <= MPOOL_MAX_BLOCKS);
	BUILD_BUG_ON(sizeof(pool->stack_top) != sizeof(u64));

	if (!(pool->flags & MPOOL_NO_PERCPU))
		return 0;
	pool->stack_shift = fls_long(pool->nr_blocks);
	/* Zeroed: 0 ends the stack, which starts empty. */
	pool->stack_next = mpool_kvzalloc_large(pool->nr_blocks,
						sizeof(*pool->stack_next), gfp);
	return pool->stack_next ? 0 : -ENOMEM;
}

/*
 * With preemption off: take the top block off the stack, marked CACHED.
 * Returns its index + 1, 0 if the stack is empty.
 */
static __always_inline unsigned int mpool_stack_take(struct mpool *pool)
{
	u64 top = mpool_read_u64(&pool->stack_top);
	unsigned int index1, next;

	do {
		index1 = mpool_stack_first(pool, top);
		if (!index1)
			return 0;
		/*
		 * Its address depends on @top: read after the push that
		 * published @top, whose links it sees.  Stale if @top has
		 * moved since: the cmpxchg then fails.
		 */
		next = READ_ONCE(pool->stack_next[index1 - 1]);
		mpool_test_point(pool, MPOOL_TEST_STACK_POPPING);
	} while (!try_cmpxchg64(&pool->stack_top, &top,
				mpool_stack_top(pool, top, next)));

	WRITE_ONCE(*mpool_state(pool, index1 - 1), MPOOL_BLOCK_CACHED);
	return index1;
}

/* Pop one block: the caller's.  NULL if none. */
static __always_inline void *mpool_stack_pop(struct mpool *pool)
{
	unsigned int index1;

	preempt_disable();
	index1 = mpool_stack_take(pool);
	preempt_enable();
	return index1 ? mpool_home_block(pool, index1 - 1) : NULL;
}

/*
 * Under the depot's lock: pop up to @nr blocks into @blocks; the caller
 * notes the peak.  Returns how many.
 */
static size_t mpool_stack_pop_many(struct mpool *pool, void **blocks,
				   size_t nr)
{
	unsigned int index1;
	size_t got;

	lockdep_assert_held(&pool->lock);

	for (got = 0; got < nr; got++) {
		index1 = mpool_stack_take(pool);
		if (!index1)
			break;
		blocks[got] = mpool_home_block(pool, index1 - 1);
	}
	return got;
}

/*
 * Publish a chain the caller linked, from block @first1 - 1 on top down
 * to block @last, on the stack: @last links to the old top, written
 * before the cmpxchg that makes the chain reachable.
 */
static __always_inline void mpool_stack_publish(struct mpool *pool,
						unsigned int first1,
						size_t last)
{
	u64 top = READ_ONCE(pool->stack_top);

	do {
		WRITE_ONCE(pool->stack_next[last],
			   mpool_stack_first(pool, top));
	} while (!try_cmpxchg64(&pool->stack_top, &top,
				mpool_stack_top(pool, top, first1)));
}

/*
 * Push @nr blocks the caller holds, @blocks[0] on top, with or without
 * the depot's lock: linked to each other and marked, then published with
 * one cmpxchg.
 */
static __always_inline void mpool_stack_push(struct mpool *pool,
					     void **blocks, size_t nr)
{
	unsigned int first = 0, last = 0, index;
	size_t i = nr;

	if (unlikely(!nr))
		return;
	while (i--) {
		index = mpool_block_index(pool, blocks[i]);
		WRITE_ONCE(*mpool_state(pool, index), MPOOL_BLOCK_IN_DEPOT);
		if (first)
			WRITE_ONCE(pool->stack_next[index], first);
		else
			last = index;
		first = index + 1;
	}
	mpool_stack_publish(pool, first, last);
}

/*
 * Under the depot's lock: push @nr fresh blocks from @first on, never
 * handed out, lowest on top, so that allocs take them in order.  Not
 * marked: they never were.
 */
static void mpool_stack_push_fresh(struct mpool *pool, size_t first,
				   size_t nr)
{
	size_t i;

	lockdep_assert_held(&pool->lock);

	if (!nr)
		return;
	for (i = first; i < first + nr - 1; i++)
		WRITE_ONCE(pool->stack_next[i], i + 2);
	mpool_stack_publish(pool, first + 1, first + nr - 1);
}
