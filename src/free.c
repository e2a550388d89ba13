// SPDX-License-Identifier: GPL-2.0
/*
 * The exported free of one block, and the free of several that claims
 * eight neighbours at once.
 */

/* Eight state bytes at once: a word whose every byte is @state. */
#define MPOOL_EIGHT_STATES(state)	((u64)(state) * 0x0101010101010101ULL)

/*
 * Claim @blocks[0..7] with one cmpxchg, if they are the eight blocks of
 * an aligned word of the state map, in order, all in use: a bulk free
 * of what a bulk alloc or a refill gave out often is.  Their state bytes
 * are then one aligned u64 (mpool_state(): a run's bytes are contiguous),
 * and its cmpxchg refuses racing frees as eight would.  *@index is then
 * the first one's.  False, having claimed none, for anything else: a bad
 * pointer, another order, a block already free; the caller claims them
 * one by one, refusing the bad.
 *
 * On a 64-bit kernel only: a 32-bit one claims the eight one by one.
 * Most have a cmpxchg64(), but 32-bit arm's is an exclusive pair of
 * loads and stores no cheaper than eight claims of bytes, and some have
 * none (riscv32).
 */
static __always_inline bool mpool_claim_eight(struct mpool *pool,
					      void **blocks, size_t *index)
{
#if BITS_PER_LONG == 64
	u64 in_use = MPOOL_EIGHT_STATES(MPOOL_BLOCK_IN_USE);
	u64 cached = MPOOL_EIGHT_STATES(MPOOL_BLOCK_CACHED);
	size_t i;

	/*
	 * Not a constant to sparse, which sees arm64's cmpxchg cast it to
	 * the sizes it does not have too: it costs a 64-bit immediate, which
	 * the cmpxchg needs in a register anyway.
	 */
	OPTIMIZER_HIDE_VAR(cached);

	if (mpool_locate(pool, blocks[0], index) != MPOOL_FREE_OK ||
	    *index % 8 || *index + 8 > pool->min_blocks)
		return false;
	for (i = 1; i < 8; i++) {
		if (blocks[i] != blocks[0] + i * pool->stride)
			return false;
	}
	return try_cmpxchg((u64 *)mpool_state(pool, *index), &in_use, cached);
#else
	return false;
#endif
}

/*
 * Free @nr blocks for @caller: each is checked, a bad one refused alone,
 * and the good ones, compacted to the front of @blocks, go back together.
 */
static __always_inline void mpool_free_many(struct mpool *pool, size_t nr,
					    void **blocks, unsigned long caller)
{
	size_t i, k, index, claimed = 0;
	void *block;

	if (WARN_ON_ONCE(in_nmi()))
		return;
	for (i = 0; i < nr; i++) {
		block = blocks[i];
		if (nr - i >= 8 && block &&
		    mpool_claim_eight(pool, blocks + i, &index)) {
			/* As mpool_claim_back() does after its claim. */
			for (k = 0; k < 8; k++, i++) {
				trace_mpool_free(pool, blocks[i], caller);
				mpool_take_back(pool, blocks[i], index + k,
						caller);
				blocks[claimed++] = blocks[i];
			}
			i--;
			continue;
		}
		if (block && mpool_claim_back(pool, block, caller))
			blocks[claimed++] = block;
	}
	if (!claimed)
		return;
	/* Counted first: see mpool_counters_sum(). */
	this_cpu_add(pool->caches->frees, claimed);
	mpool_give_back(pool, blocks, claimed);
	if (mpool_test_may_park())
		mpool_test_point(pool, MPOOL_TEST_FREE_GIVEN_BACK);
}

/**
 * mpool_free - return a block to its pool
 * @pool: pool the block came from
 * @block: block from mpool_alloc() on @pool, or NULL
 *
 * A pointer that is not a block handed out by @pool (outside the region,
 * inside a block, a block already free or quarantined) is refused: the
 * pool is left untouched, the refusal is counted in invalid_frees or
 * double_frees, and a rate-limited warning names the pool, the pointer,
 * the caller and the reason.  With %MPOOL_REDZONE, an overrun is reported
 * and counted, and the block is taken back.
 *
 * Context: Any context but NMI.
 * Return: nothing.
 */
void mpool_free(struct mpool *pool, void *block)
{
	/* mpool_free_many() for one block, with no array to go through. */
	if (unlikely(!block) || WARN_ON_ONCE(in_nmi()) ||
	    !mpool_claim_back(pool, block, _RET_IP_))
		return;
	/* Counted first: see mpool_counters_sum(). */
	this_cpu_inc(pool->caches->frees);
	mpool_give_back_one(pool, block);
	if (mpool_test_may_park())
		mpool_test_point(pool, MPOOL_TEST_FREE_GIVEN_BACK);
}
EXPORT_SYMBOL_NS_GPL(mpool_free, MPOOL_NS);
