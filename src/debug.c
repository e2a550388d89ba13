// SPDX-License-Identifier: GPL-2.0
/*
 * What the debug flags check, and how a corruption is reported.
 *
 * A pool's region is private vmalloc memory: neither KASAN nor SLUB's
 * checks see inside it, so the pool checks its blocks itself, the way
 * slub_debug=PZU does, at a cost in proportion to the block size and only
 * for pools that asked for it.  The checks run on a block the caller
 * holds (taken from a cache or the depot, or won by a free's cmpxchg),
 * so they need no lock and work the same with or without per-CPU caches;
 * only the counters and the quarantine take the pool's lock.
 */

/* Who allocated a block, for the allocations file and the leak report. */
#define MPOOL_CALLERS_MAX	64
/* Blocks scanned between two chances to reschedule. */
#define MPOOL_SCAN_BATCH	1024
/* Callers named in a leak report. */
#define MPOOL_LEAK_CALLERS	5

static const char mpool_flag_letters[] = "PZU";	/* by bit number */

/* Write the letters of @flags, or "-" for none, as debug= takes them. */
static int mpool_flags_letters(unsigned int flags, char *buf, size_t size)
{
	int len = 0;
	int bit;

	for (bit = 0; mpool_flag_letters[bit]; bit++) {
		if (flags & BIT(bit))
			len += scnprintf(buf + len, size - len, "%c",
					 mpool_flag_letters[bit]);
	}
	if (!len)
		len = scnprintf(buf, size, "-");
	return len;
}

/*
 * printk(), but wherever the caller may not sleep (a hard IRQ, a raw
 * spinlock held) deferred, as printk_deferred() does,
 * which is not exported to modules: the message is stored now and
 * printed from an irq_work.  In a hard IRQ, 6.1's printk takes the
 * console's spinlock_t, which lockdep refuses in a context that may not
 * sleep on PREEMPT_RT; a consumer that misuses a pool in its IRQ handler
 * is owed its report, not a lockdep splat.
 *
 * Only a kernel with CONFIG_PREEMPT_COUNT knows whether the caller may
 * sleep: without it (PREEMPT_NONE or PREEMPT_VOLUNTARY, with neither
 * PREEMPT_DYNAMIC nor a debug option that selects it) preemptible() is
 * always 0, and testing it alone deferred every report, even from process
 * context.  Such a kernel has neither PREEMPT_RT nor lockdep (both select
 * PREEMPT_COUNT): printk() is safe there in any context, and defers by
 * itself in an NMI.
 */
static void mpool_printk(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT) || preemptible())
		vprintk(fmt, args);
	else
		vprintk_emit(0, LOGLEVEL_SCHED, NULL, fmt, args);
	va_end(args);
}

static int mpool_debug_init(struct mpool *pool)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;

	if (!(pool->flags & MPOOL_TRACK_CALLER))
		return 0;
	pool->track = mpool_kvzalloc_large(pool->index_end,
					   sizeof(*pool->track), gfp);
	return pool->track ? 0 : -ENOMEM;
}

/*
 * With MPOOL_POISON every free block holds the poison, fresh ones too:
 * written when @region is made, where the caller may sleep, rather than
 * a batch of blocks at a time under the lock with IRQs off.
 */
static void mpool_debug_poison_region(struct mpool *pool,
				      struct mpool_region *region)
{
	size_t index, written = 0;

	if (!(pool->flags & MPOOL_POISON))
		return;
	for (index = 0; index < region->nr_blocks; index++) {
		memset(mpool_region_block(pool, region, index),
		       MPOOL_POISON_FREE, pool->block_size);
		written += pool->block_size;
		if (written >= SZ_1M) {
			cond_resched();
			written = 0;
		}
	}
}

static void mpool_debug_exit(struct mpool *pool)
{
	kvfree(pool->track);
}

/*
 * Trace every corruption found, each counted by the caller, and keep what
 * a report about block @index needs, unless one is kept already.
 */
static void mpool_record_corruption(struct mpool *pool,
				    struct mpool_corruption *c,
				    enum mpool_corruption_kind kind,
				    size_t index, size_t offset)
{
	trace_mpool_corruption(pool, mpool_block(pool, index), index, kind,
			       offset);
	if (c->kind != MPOOL_CORRUPT_NONE)
		return;
	c->kind = kind;
	c->index = index;
	c->offset = offset;
}

/*
 * A write after free shows as a byte that no longer holds the poison:
 * where the first one is, or NULL.
 */
static u8 *mpool_poison_damage(struct mpool *pool, void *block)
{
	return memchr_inv(block, MPOOL_POISON_FREE, pool->block_size);
}

/* Under the lock: count and quarantine a block found written after free. */
static void mpool_poison_quarantine(struct mpool *pool, void *block,
				    size_t index, const u8 *bad,
				    struct mpool_corruption *c)
{
	lockdep_assert_held(&pool->lock);

	mpool_record_corruption(pool, c, MPOOL_CORRUPT_POISON, index,
				bad - (u8 *)block);
	pool->poison_errors++;
	mpool_depot_quarantine(pool, index);
}

static bool mpool_poison_intact(struct mpool *pool, void *block,
				size_t index, struct mpool_corruption *c)
{
	u8 *bad = mpool_poison_damage(pool, block);
	unsigned long flags;

	if (likely(!bad))
		return true;
	mpool_lock(pool, &flags);
	mpool_poison_quarantine(pool, block, index, bad, c);
	mpool_unlock(pool, flags);
	return false;
}

/* As mpool_poison_intact(), for a caller that holds the lock. */
static bool mpool_poison_intact_locked(struct mpool *pool, void *block,
				       struct mpool_corruption *c)
{
	u8 *bad = mpool_poison_damage(pool, block);

	if (likely(!bad))
		return true;
	mpool_poison_quarantine(pool, block, mpool_block_index(pool, block),
				bad, c);
	return false;
}

/*
 * Whether a free block the caller holds may be handed out: with
 * MPOOL_POISON, only if it still holds its poison; if not, it was written
 * after free and is quarantined.
 */
static bool mpool_debug_reusable(struct mpool *pool, void *block,
				 size_t index, struct mpool_corruption *c)
{
	return !(pool->flags & MPOOL_POISON) ||
	       mpool_poison_intact(pool, block, index, c);
}

/*
 * An overrun is reported at once, no lock held, while the block is still
 * the caller's and holds what the consumer left in it.
 */
static void mpool_redzone_check(struct mpool *pool, void *block,
				size_t index)
{
	struct mpool_corruption c = { .kind = MPOOL_CORRUPT_NONE };
	u8 *redzone = block + pool->block_size;
	u8 *bad = memchr_inv(redzone, MPOOL_REDZONE_ACTIVE,
			     pool->redzone_bytes);
	unsigned long flags;

	if (likely(!bad))
		return;
	mpool_lock(pool, &flags);
	pool->redzone_errors++;
	mpool_unlock(pool, flags);
	mpool_record_corruption(pool, &c, MPOOL_CORRUPT_REDZONE, index,
				bad - (u8 *)block);
	mpool_report_corruption(pool, &c);
}

/* Arm the red zone of @block on its way out and say who took it. */
static void mpool_debug_alloc(struct mpool *pool, void *block, size_t index,
			      unsigned long caller)
{
	struct mpool_track *track;

	if (pool->flags & MPOOL_REDZONE)
		memset(block + pool->block_size, MPOOL_REDZONE_ACTIVE,
		       pool->redzone_bytes);
	if (pool->track) {
		track = &pool->track[index];
		track->alloc_ip = caller;
		track->alloc_jiffies = jiffies;
		track->alloc_pid = current->pid;
	}
}

/* Check and poison @block on its way back; it is accepted whatever it holds. */
static void mpool_debug_free(struct mpool *pool, void *block, size_t index,
			     unsigned long caller)
{
	struct mpool_track *track;

	if (pool->flags & MPOOL_REDZONE)
		mpool_redzone_check(pool, block, index);
	if (pool->track) {
		track = &pool->track[index];
		track->free_ip = caller;
		track->free_jiffies = jiffies;
		track->free_pid = current->pid;
	}
	if (pool->flags & MPOOL_POISON)
		memset(block, MPOOL_POISON_FREE, pool->block_size);
	else if (want_init_on_free())
		memset(block, 0, pool->block_size);
}

static void mpool_report_track(struct mpool *pool,
			       const struct mpool_corruption *c)
{
	const struct mpool_track *t = &pool->track[c->index];

	if (t->alloc_ip)
		mpool_err("pool %s: block %zu allocated by %pS (pid %d, %u ms ago)\n",
			  pool->name, c->index, (void *)t->alloc_ip, t->alloc_pid,
			  jiffies_to_msecs(jiffies - t->alloc_jiffies));
	if (t->free_ip)
		mpool_err("pool %s: block %zu last freed by %pS (pid %d, %u ms ago)\n",
			  pool->name, c->index, (void *)t->free_ip, t->free_pid,
			  jiffies_to_msecs(jiffies - t->free_jiffies));
}

/*
 * Say what was found, where, and who touched the block last.  The block
 * is quarantined or still the caller's: the pool changes none of it.
 */
static void mpool_report_corruption(struct mpool *pool,
				    const struct mpool_corruption *c)
{
	size_t dump_offset = ALIGN_DOWN(c->offset, 16);
	size_t dump_len = min_t(size_t, MPOOL_DUMP_BYTES,
				pool->stride - dump_offset);
	const u8 *dump = mpool_block(pool, c->index) + dump_offset;
	size_t row;

	if (!__ratelimit(&pool->misuse_ratelimit))
		return;
	switch (c->kind) {
	case MPOOL_CORRUPT_POISON:
		mpool_err("pool %s: write after free in block %zu at offset %zu of %zu; block quarantined\n",
			  pool->name, c->index, c->offset, pool->block_size);
		break;
	case MPOOL_CORRUPT_REDZONE:
		mpool_err("pool %s: overrun of block %zu: red zone changed at offset %zu (block_size %zu)\n",
			  pool->name, c->index, c->offset, pool->block_size);
		break;
	case MPOOL_CORRUPT_LINK:
		mpool_err("pool %s: corrupt free-list link in block %zu at offset %zu: not followed; block quarantined, free list rebuilt with %zu blocks\n",
			  pool->name, c->index, c->offset, c->nr_free);
		break;
	case MPOOL_CORRUPT_LOST:
		/* No block to name: the skipped ones look as free ones do. */
		mpool_err("pool %s: free list ended with %zu free blocks off it (a free block's link written back with an old value?); free list rebuilt\n",
			  pool->name, c->nr_free);
		return;
	default:
		return;
	}
	for (row = 0; row < dump_len; row += 16)
		mpool_err("pool %s: block %zu +%04zx: %*ph\n", pool->name,
			  c->index, dump_offset + row,
			  (int)min_t(size_t, 16, dump_len - row), dump + row);
	if (pool->track)
		mpool_report_track(pool, c);
}

static void mpool_callers_add(struct mpool_callers *callers,
			      const struct mpool_track *track)
{
	struct mpool_caller *caller;
	size_t i;

	for (i = 0; i < callers->nr; i++) {
		caller = &callers->entries[i];
		if (caller->ip != track->alloc_ip)
			continue;
		caller->count++;
		if (time_before(track->alloc_jiffies, caller->oldest))
			caller->oldest = track->alloc_jiffies;
		return;
	}
	if (callers->nr == callers->max) {
		callers->others++;
		return;
	}
	callers->entries[callers->nr++] = (struct mpool_caller) {
		.ip = track->alloc_ip,
		.count = 1,
		.oldest = track->alloc_jiffies,
	};
}

static int mpool_caller_cmp(const void *a, const void *b)
{
	const struct mpool_caller *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return 0;
}

/*
 * Group the blocks in use by the caller that took them, most blocks first.
 * Allocs and frees on other CPUs do not stop for the scan: the listing is
 * not one snapshot, and a block handed out during it may show its new
 * caller with its old time.
 */
static int mpool_callers_collect(struct mpool *pool,
				 struct mpool_callers *callers)
{
	struct mpool_track track;
	size_t start, end, index;

	might_sleep();

	callers->nr = 0;
	callers->others = 0;
	callers->max = MPOOL_CALLERS_MAX;
	callers->entries = kcalloc(callers->max, sizeof(*callers->entries),
				   GFP_KERNEL);
	if (!callers->entries)
		return -ENOMEM;
	/* Indexes no region has are never IN_USE: region.c. */
	for (start = 0; start < pool->index_end; start = end) {
		end = min(start + MPOOL_SCAN_BATCH, pool->index_end);
		for (index = start; index < end; index++) {
			if (READ_ONCE(*mpool_state(pool, index)) != MPOOL_BLOCK_IN_USE)
				continue;
			/* Racy by design: see above; a torn entry is harmless. */
			track = data_race(pool->track[index]);
			mpool_callers_add(callers, &track);
		}
		cond_resched();
	}
	sort(callers->entries, callers->nr, sizeof(*callers->entries),
	     mpool_caller_cmp, NULL);
	return 0;
}

/* Name who holds the blocks of a pool destroyed with blocks in use. */
static void mpool_report_leak(struct mpool *pool)
{
	struct mpool_callers callers;
	struct mpool_caller *caller;
	size_t i;

	if (!pool->track || mpool_callers_collect(pool, &callers))
		return;
	for (i = 0; i < min_t(size_t, callers.nr, MPOOL_LEAK_CALLERS); i++) {
		caller = &callers.entries[i];
		pr_err("pool %s: %zu blocks allocated by %pS, oldest %u ms ago\n",
		       pool->name, caller->count, (void *)caller->ip,
		       jiffies_to_msecs(jiffies - caller->oldest));
	}
	kfree(callers.entries);
}
