// SPDX-License-Identifier: GPL-2.0
/*
 * Where blocks sit in a pool's region and what is inside a block.
 *
 * A plain block is its usable bytes, raised to a pointer's size, and
 * keeps its free-list link in its first word while it is free.  With
 * MPOOL_POISON or MPOOL_REDZONE every usable byte is checked, so the link
 * moves to a word of its own after them, and MPOOL_REDZONE puts at least
 * a word of guard bytes between the two:
 *
 *	| usable: block_size | red zone | link | padding to align |
 */

/* 0 and powers of two below a pointer's size mean "pointer-aligned". */
static size_t mpool_effective_align(size_t align)
{
	return max_t(size_t, align, sizeof(void *));
}

/*
 * Lay out a block, or fail with -EINVAL (@align is not a power of two) or
 * -EOVERFLOW (the block does not fit in a size_t).
 */
static int mpool_layout(size_t block_size, size_t align, unsigned int flags,
			struct mpool_layout *layout)
{
	const size_t word = sizeof(void *);
	size_t end;

	if (align && !is_power_of_2(align))
		return -EINVAL;
	align = mpool_effective_align(align);
	/* Room for every rounding below, so that none of them wraps. */
	if (block_size > SIZE_MAX - 3 * word - align)
		return -EOVERFLOW;

	if (flags & MPOOL_OWN_LINK_WORD) {
		layout->link_offset = ALIGN(block_size, word);
		if (flags & MPOOL_REDZONE)
			layout->link_offset += word;
		end = layout->link_offset + word;
	} else {
		layout->link_offset = 0;
		end = max(block_size, word);
	}
	layout->redzone_bytes = flags & MPOOL_REDZONE ?
				layout->link_offset - block_size : 0;
	layout->stride = ALIGN(end, align);
	return 0;
}

/*
 * How many words an alloc zeroes inline instead of calling memset(), 0
 * for memset().  A call and memset()'s own dispatch cost as much as the
 * stores of a small block.  Rounding up to a word touches only padding:
 * a plain block's stride is a whole number of words, and the debug
 * layouts, whose bytes after @block_size are checked, keep memset().
 */
static unsigned int mpool_zero_words(size_t block_size, unsigned int flags)
{
	size_t bytes = ALIGN(block_size, sizeof(long));

	if ((flags & MPOOL_OWN_LINK_WORD) || bytes > MPOOL_ZERO_INLINE_BYTES)
		return 0;
	return bytes / sizeof(long);
}

static bool mpool_name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, MPOOL_NAME_MAX + 1);
	if (!len || len > MPOOL_NAME_MAX || name[0] == '.')
		return false;
	/* "pools" is the summary file next to the pools' directories. */
	if (!strcmp(name, "pools"))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		/* The kernel's isalnum() also takes Latin-1 letters. */
		if (!(isascii(c) && isalnum(c)) && !strchr("_-.", c))
			return false;
	}
	return true;
}

/* Block @index of the first region, the one a MPOOL_NO_PERCPU pool has. */
static __always_inline void *mpool_home_block(const struct mpool *pool,
					      size_t index)
{
	return pool->base + index * pool->stride;
}

/* Block @index: in the first region, or, far, in another (region.c). */
static __always_inline void *mpool_block(const struct mpool *pool,
					 size_t index)
{
	if (likely(index < pool->min_blocks))
		return mpool_home_block(pool, index);
	return mpool_far_block(pool, index);
}

/*
 * Where @ptr falls in the first region; beyond @region_bytes when outside
 * it.
 */
static unsigned long mpool_offset(const struct mpool *pool, const void *ptr)
{
	return (unsigned long)ptr - (unsigned long)pool->base;
}

/*
 * ceil(2^64 / @stride) for a stride that is no power of two in a region
 * of at most U32_MAX bytes, on a 64-bit kernel, else 0: what
 * mpool_offset_index() multiplies by instead of dividing.
 */
static u64 mpool_stride_recip(size_t stride, size_t region_bytes)
{
	if (BITS_PER_LONG != 64 || is_power_of_2(stride) ||
	    (u64)region_bytes > U32_MAX)
		return 0;
	return div64_u64(U64_MAX, stride) + 1;
}

/*
 * @offset / @stride without a divide where it can be had: a shift for a
 * power of two, as a stride usually is; else, for offsets and strides
 * below 2^32, the high half of @offset * ceil(2^64 / @stride), which is
 * exact for every such pair (Lemire, Kaser and Kurz, "Faster remainder by
 * direct computation", 2019, theorem 1).  A 64-bit divide costs tens of
 * cycles on every free of such a pool; the multiply, three.
 */
static size_t mpool_offset_index(const struct mpool *pool,
				 unsigned long offset)
{
	if (likely(pool->stride_shift))
		return offset >> pool->stride_shift;
#if BITS_PER_LONG == 64
	if (likely(pool->stride_recip))
		return (u64)(((__uint128_t)offset * pool->stride_recip) >> 64);
#endif
	/* On a 32-bit kernel, a 32-bit divide: no stride_recip, no libgcc. */
	return offset / pool->stride;
}

/* The global index of @block, which is one of the pool's. */
static __always_inline size_t mpool_block_index(const struct mpool *pool,
						const void *block)
{
	unsigned long offset = mpool_offset(pool, block);

	if (likely(offset < pool->region_bytes))
		return mpool_offset_index(pool, offset);
	return mpool_far_index(pool, block);
}

/* Block @index's state byte: its run's line, at its place in the run. */
static __always_inline u8 *mpool_state(const struct mpool *pool, size_t index)
{
	return &pool->state[(index >> pool->run_shift) * MPOOL_STATE_LINE +
			    (index & (BIT(pool->run_shift) - 1))];
}

/*
 * Move the state byte @state from *@old to @new, as try_cmpxchg() does:
 * true if it held *@old; false, with *@old what it held, if not.  Of two
 * racing frees of one block, exactly one wins, on every architecture.
 *
 * Where the architecture has no one-byte cmpxchg (MPOOL_STATE_CMPXCHG_BYTE
 * in compat.h), with a cmpxchg of the aligned 32-bit word that holds the
 * byte.  Its other three bytes are other blocks' states, which their
 * holders store meanwhile with a plain WRITE_ONCE() (a refill, a pop, a
 * quarantine): a read-modify-write of the word would put back what it
 * read and undo such a store.  The cmpxchg instead fails if any byte of
 * the word moved since the read, and the loop reads the word again: a
 * neighbour's store is never lost, and this byte's own move still
 * happens once, from *@old, or not at all.
 */
static __always_inline bool mpool_state_cmpxchg(u8 *state, u8 *old, u8 new)
{
#ifdef MPOOL_STATE_CMPXCHG_BYTE
	return try_cmpxchg(state, old, new);
#else
	unsigned int at = (unsigned long)state & (sizeof(u32) - 1);
	u32 *word = (u32 *)(state - at);
	union {
		u32 word;
		u8 bytes[sizeof(u32)];
	} cur, want;

	/* A union, not a shift: the byte's place is the same either endian. */
	cur.word = READ_ONCE(*word);
	do {
		if (cur.bytes[at] != *old) {
			*old = cur.bytes[at];
			return false;
		}
		want = cur;
		want.bytes[at] = new;
	} while (!try_cmpxchg(word, &cur.word, want.word));
	return true;
#endif
}

/*
 * *@p, a u64 that lock-free takers read and then cmpxchg64() (a ring's
 * head, a stack's top), read as one value it held.  On a 32-bit kernel
 * READ_ONCE() is two loads, which the compiler may order either way and
 * an interrupt, an NMI or a preempted vCPU may come between: the low
 * word read before a carry and the high one after it make a value *@p
 * only reaches 2^32 (a ring's head) or 2^(32 - @stack_shift) (a stack's
 * tag: 4096 for a pool of a million blocks) moves later.  The cmpxchg
 * does not fail on that value once *@p gets there, and the taker's slot
 * or link read in between may be stale by then: the ABA that the 64 bits
 * are there to rule out.  atomic64_read() is the architecture's one
 * single-copy atomic load of 64 bits (LDRD with LPAE, else LDREXD, on
 * arm; CMPXCHG8B on x86): an atomic64_t is a bare s64, as *@p is.
 */
static __always_inline u64 mpool_read_u64(const u64 *p)
{
#if BITS_PER_LONG == 64
	return READ_ONCE(*p);
#else
	BUILD_BUG_ON(sizeof(atomic64_t) != sizeof(u64));
	return (u64)atomic64_read((const atomic64_t *)p);
#endif
}

/* The blocks of a run of the state map: what a refill of a ring takes. */
static unsigned int mpool_run_shift(unsigned int cache_size)
{
	unsigned int run = cache_size ? cache_size / 2 : MPOOL_RUN_MAX;

	return ilog2(clamp(run, MPOOL_RUN_MIN, MPOOL_RUN_MAX));
}

/*
 * The state map's size: a line per run, for every index a region may
 * take (@index_end).  Below a page, a power of two, which kmalloc()
 * aligns to its size; from a page on, kmalloc-8k, the page allocator or
 * vmalloc align it to a page.  Each run has its line.
 */
static size_t mpool_state_bytes(const struct mpool *pool)
{
	size_t bytes = DIV_ROUND_UP(pool->index_end, BIT(pool->run_shift)) *
		       MPOOL_STATE_LINE;

	return bytes < PAGE_SIZE ? roundup_pow_of_two(bytes) : bytes;
}
