/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of mempool_mod share: the pool itself, the pool list,
 * and the functions one part calls in another.  Private to the module;
 * consumers see only mempool_mod.h.
 */
#ifndef _MPOOL_INTERNAL_H
#define _MPOOL_INTERNAL_H

#include <linux/cache.h>
#include <linux/fault-inject.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/swait.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "../mempool_mod.h"
#include "compat.h"
#include "test_hooks.h"

/* The most blocks one hold of a pool's lock moves: half a ring. */
#define MPOOL_HOLD_BLOCKS	(MPOOL_CACHE_MAX / 2)

/* The largest block an alloc zeroes without a call: see mpool_zero_words(). */
#define MPOOL_ZERO_INLINE_BYTES	256

/* Flags that move the free-list link out of the usable bytes. */
#define MPOOL_OWN_LINK_WORD	(MPOOL_POISON | MPOOL_REDZONE)
#define MPOOL_DEBUG_FLAGS	(MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER)

/* Where things sit in a block, derived from its size, align and flags. */
struct mpool_layout {
	size_t stride;		/* distance between blocks */
	size_t link_offset;	/* the free-list link, in a free block */
	size_t redzone_bytes;	/* guard bytes after the usable ones */
};

/* Who took a block and who gave it back last, for MPOOL_TRACK_CALLER. */
struct mpool_track {
	unsigned long alloc_ip;
	unsigned long alloc_jiffies;
	unsigned long free_ip;
	unsigned long free_jiffies;
	pid_t alloc_pid;
	pid_t free_pid;
};

enum mpool_corruption_kind {
	MPOOL_CORRUPT_NONE,
	MPOOL_CORRUPT_POISON,	/* a free block was written to */
	MPOOL_CORRUPT_REDZONE,	/* a block was written past its end */
	MPOOL_CORRUPT_LINK,	/* a free block's link decodes to no free block */
	MPOOL_CORRUPT_LOST,	/* the free list ended short of the free blocks */
};

/* What mpool_free() made of a pointer. */
enum mpool_free_verdict {
	MPOOL_FREE_OK,
	MPOOL_FREE_OUTSIDE,
	MPOOL_FREE_INTERIOR,
	MPOOL_FREE_DOUBLE,
	MPOOL_FREE_QUARANTINED,
	MPOOL_FREE_FAR,		/* not in the first region: mpool_claim_far() */
};

/* Where an alloc's block came from, for its trace event. */
enum mpool_source {
	MPOOL_FROM_CACHE,	/* this CPU's cache, without the lock */
	MPOOL_FROM_DEPOT,	/* the depot, or a MPOOL_NO_PERCPU pool's stack */
	MPOOL_FROM_STEAL,	/* another CPU's cache, or a bulk alloc's stash */
};

#define MPOOL_DUMP_BYTES	32

/*
 * A corruption found by an alloc, kept to be reported once the lock is
 * dropped: printk may take the console's sleeping locks on RT.  Small, as
 * it sits on every alloc's stack: the report reads the block's bytes and
 * owners then, which stay put, as the block is quarantined.  Only the
 * first one an alloc finds is kept; all are counted.
 */
struct mpool_corruption {
	enum mpool_corruption_kind kind;
	size_t index;		/* the block */
	size_t offset;		/* first bad byte, from the block's start */
	size_t nr_free;		/* free blocks after a free-list rebuild */
};

/*
 * Where each block is, one byte per block, outside the region and so out
 * of a consumer's reach, in runs (mpool_state()).  A free moves IN_USE to
 * CACHED with one cmpxchg, so that of two racing frees of a block exactly
 * one wins.  The other moves are made by whoever holds the block: the
 * depot under the lock, the CPU that just took it out of a cache, or a
 * stack's pusher before and its popper after their cmpxchg.
 */
enum mpool_block_state {
	/* On the depot's list or stack, not carved, or popped, not marked */
	MPOOL_BLOCK_IN_DEPOT,
	MPOOL_BLOCK_CACHED,	/* free, out of the depot: in a CPU's cache */
	MPOOL_BLOCK_IN_USE,	/* handed out */
	MPOOL_BLOCK_QUARANTINED, /* corrupted while free: out of service */
};

/*
 * The state map gives each run of consecutive blocks a cache line of its
 * own, the rest of the line unused.  A run is what a refill takes (half
 * a ring, mpool_run_shift()), and the depot carves no further than a
 * run's end (mpool_depot_get()), so that each refill of fresh blocks
 * starts a run, and a line, of its own.  Two CPUs caching blocks of two
 * runs never write one line: on a real CPU, a line that moves between
 * CPUs costs a hundred cycles or more, on each alloc and free
 * (Documentation/bench.rst).  MPOOL_RUN_MAX blocks at most, a batch;
 * MPOOL_RUN_MIN at least, so that an aligned u64 of the map holds eight
 * blocks' states (mpool_claim_eight()) and a small ring's runs cost no
 * more than a line per 8 blocks.
 */
#define MPOOL_RUN_MAX		MPOOL_HOLD_BLOCKS
#define MPOOL_RUN_MIN		8
#define MPOOL_STATE_LINE	SMP_CACHE_BYTES
static_assert(MPOOL_STATE_LINE >= MPOOL_RUN_MAX);

/*
 * One CPU's cache of free blocks: a ring, as lib/objpool.c keeps them.
 * Only its CPU adds blocks, one context at a time (see mpool_cache_own());
 * any CPU may take them, with a cmpxchg on @head, so that an allocator
 * that finds the depot empty can steal what other CPUs hold.  Refills,
 * flushes and steals run under the depot's lock: a block is always in a
 * ring or in the depot for them.
 *
 * @head is 64 bits on every kernel, so that a taker's cmpxchg on it never
 * sees it come back to the value it read (mpool_cache_pop()); @tail, and
 * the count of blocks in the ring, @tail - @head, need only its low word.
 * The counters are a long wide: on a 32-bit kernel they wrap at 2^32, and
 * differences such as the blocks in use stay exact.
 */
struct mpool_cpu_cache {
	u64 head;		/* next block to take, from any CPU */
	unsigned long tail;	/* next slot to fill, by this CPU only */
	bool filling;		/* a context of this CPU is adding blocks */
	unsigned long allocs;	/* this CPU's share of the pool's counters, */
	unsigned long frees;	/* summed when read, as CONFIG_SLUB_STATS */
	void *blocks[];		/* pool->cache_size of them */
};

/*
 * A run of blocks of one memory, all of the pool's geometry: the first,
 * made at create, and those mpool_grow() adds.  Its blocks are the global
 * indexes @first to @first + @nr_blocks - 1 (region.c), so that the state
 * map, caller tracking and reports stay indexed as for one region, and its
 * free blocks are on a list of its own, so that a region whose blocks are
 * all free leaves the depot in one step (shrink.c).
 */
struct mpool_region {
	/* Fixed while the region is the pool's, read without the lock. */
	void *base;		/* first block, the pool's align */
	size_t nr_blocks;
	size_t first;		/* global index of the first block */
	unsigned int slot;	/* in pool->regions[] */
	int nid;		/* the node of its memory */

	/* The region's part of the depot, under pool->lock. */
	void *free_list;	/* freed blocks, in any order */
	size_t nr_carved;	/* blocks at and above it never handed out */
	size_t rescan;		/* free blocks below it are not on the list */
	size_t nr_free;		/* in the depot: listed, to rescan, uncarved */

	/* Its memory: see mpool_region_alloc(). */
	void *mem;
	struct rcu_head rcu;	/* freed after a grace period: shrink.c */
};

/*
 * Where far pointers lead: an open-addressed hash of the address's chunk
 * (region.c), never changed once published, replaced whole under
 * pool->grow_lock and read under RCU.
 */
struct mpool_region_table {
	unsigned int bits;
	struct rcu_head rcu;
	struct mpool_region *entries[];
};

/*
 * genksyms folds the definition of every struct an export's prototype
 * reaches into the export's MODVERSIONS CRC, and it sees this one, as the
 * module is one unit: a private field added in a later release would
 * change every CRC and leave each consumer built against the older module
 * refused at load.  Consumers see struct mpool as opaque; so does the CRC.
 */
#ifdef __GENKSYMS__
struct mpool;
#else
struct mpool {
	/* Fixed at create, read without the lock. */
	void *base;		/* first block of the first region, @home */
	size_t stride;		/* distance between blocks */
	unsigned int stride_shift; /* log2(@stride), 0 if not a power of 2 */
	unsigned int zero_words; /* zeroed inline by an alloc, or 0 */
	u64 stride_recip;	/* ceil(2^64 / @stride) where that divides */
	size_t region_bytes;	/* @home's blocks * @stride, from @base */
	size_t meta_bytes;	/* what the pool costs beyond its regions */
	/* All regions' blocks: changed under @lock, read without it. */
	size_t nr_blocks;
	size_t block_size;	/* usable bytes, as asked */
	size_t link_offset;	/* where a free block keeps its link */
	size_t redzone_bytes;	/* with MPOOL_REDZONE, after @block_size */
	unsigned int flags;	/* MPOOL_*, debug= included */
	unsigned int cache_size; /* blocks per CPU cache, 0 for none */
	unsigned long link_key;	/* random: hides the free-list links */
	u8 *state;		/* enum mpool_block_state: see mpool_state() */
	unsigned int run_shift;	/* log2 of the blocks of a run of @state */
	struct mpool_track *track; /* one per block, with MPOOL_TRACK_CALLER */
	struct mpool_cpu_cache __percpu *caches;
	/* MPOOL_NO_PERCPU: the stack's links, see stack.c; else NULL. */
	u32 *stack_next;
	unsigned int stack_shift; /* bits of the top's block index + 1 */
	/* Regions: region.c.  Fixed at create. */
	size_t home_span;	/* global indexes of slot 0, a whole run */
	unsigned int slot_shift; /* log2 of the indexes of every other slot */
	unsigned int chunk_shift; /* log2 of a chunk of @table */
	unsigned int max_slots;	/* the first region's, and one per grow */
	size_t min_blocks;
	size_t max_blocks;
	size_t grow_blocks;
	size_t low_blocks;
	int nid;		/* every region's node, or NUMA_NO_NODE */
	size_t index_end;	/* global indexes the state map covers */
	/* pool->regions[slot], published with RCU; [0] is &@home. */
	struct mpool_region __rcu **regions;
	struct mpool_region_table __rcu *table;	/* of all but @home */
	/* By slot, under @grow_lock: the grace period its last region ends. */
	unsigned long *slot_gp;

	/*
	 * Read by every free without the lock, written under it only when a
	 * task must wait: kept with the fixed fields, off @lock's line, which
	 * the CPUs keep taking from each other.
	 */
	unsigned int nr_waiters; /* tasks waiting in mpool_alloc() */

	/*
	 * Moved with a cmpxchg, under @lock or not, by every alloc and free
	 * of a MPOOL_NO_PERCPU pool (stack.c): on a line of its own, away
	 * from @lock's.
	 */
	u64 stack_top ____cacheline_aligned_in_smp; /* tag, top: see stack.c */

	/*
	 * The depot: blocks no CPU caches, and every count that is not
	 * per-CPU.  Under @lock, which starts a cache line of its own.
	 */
	raw_spinlock_t lock ____cacheline_aligned_in_smp; /* this group */
	unsigned long *with_free; /* slots whose region's nr_free is not 0 */
	/* MPOOL_NUMA: @with_free by node, a row of @max_slots bits each. */
	unsigned long *node_with_free;
	size_t *node_free;	/* MPOOL_NUMA: free in the depot, by node */
	nodemask_t grow_nodes;	/* MPOOL_NUMA: nodes the worker grows on */
	unsigned int nr_rescans; /* regions whose list is being rebuilt */
	unsigned int nr_regions;
	bool grow_queued;	/* the grow worker is asked for, or runs */
	unsigned long shrinker_flushed; /* jiffies of its last fruitless flush */
	unsigned long grow_failed; /* jiffies of the last failed grow, or 0 */
	unsigned long grows;
	unsigned long shrinks;
	unsigned long grow_failures;
	struct list_head stashes; /* of bulk allocs gathering blocks */
	bool dying;		/* mpool_destroy() has begun: waiters leave */
	unsigned int nr_gatherers; /* bulk allocs with a stash on @stashes */
	/* Blocks out of the depot; not kept for a stack: see stack.c. */
	size_t nr_out;
	/* The most @nr_out at once; a stack's: mpool_depot_note_peak(). */
	unsigned long peak_out;
	size_t quarantined;
	unsigned long alloc_failures;
	unsigned long invalid_frees;
	unsigned long double_frees;
	unsigned long poison_errors;
	unsigned long redzone_errors;
	unsigned long freelist_errors;
#ifdef MPOOL_TEST_HOOKS
	unsigned int hold_work;	/* work done in this hold of @lock */
	unsigned int max_hold;	/* most work done in one hold */
	u64 holds;		/* times @lock was taken */
#endif

	/* Rarely used; not under @lock. */
	struct swait_queue_head wait; /* blocking allocators sleep here */
	/* Per pool, so that one noisy consumer hides no other's misuse. */
	struct ratelimit_state misuse_ratelimit;
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct fault_attr fail_alloc;
#endif
	struct hlist_node cpuhp_node; /* caches emptied when a CPU dies */
	struct mpool_region home; /* the first region, kept for life */
	/* Serialises grows and shrinks: @regions, @table and their memory. */
	struct mutex grow_lock;
	struct irq_work grow_irq_work; /* from any context, to @grow_work */
	struct work_struct grow_work; /* adds regions: grow.c */
	struct shrinker *shrinker; /* with MPOOL_SHRINKABLE: shrink.c */
	size_t align;
	struct list_head node;	/* on mpool_list */
	struct dentry *debugfs_dir;
	struct kobject *kobj;	/* /sys/kernel/mempool_mod/<name>/ */
	char name[MPOOL_NAME_MAX + 1];
};
#endif /* __GENKSYMS__ */

/* test_hooks.c: in make check's build only. */
#ifdef MPOOL_TEST_HOOKS
static void mpool_test_point(struct mpool *pool, enum mpool_test_point point);
static void mpool_hold_work(struct mpool *pool, size_t work);
static void mpool_hold_begin(struct mpool *pool);
static void mpool_hold_end(struct mpool *pool);
/* Whether a test point may park here; never asked in the product. */
#define mpool_test_may_park()	preemptible()
/* Pools made as if too small to share: mpool_test_make_small(). */
#define mpool_test_small_pool()	READ_ONCE(mpool_test_small)
#else
#define mpool_test_may_park()	false
#define mpool_test_small_pool()	false

static inline void mpool_test_point(struct mpool *pool,
				    enum mpool_test_point point)
{
}

static inline void mpool_hold_work(struct mpool *pool, size_t work)
{
}

static inline void mpool_hold_begin(struct mpool *pool)
{
}

static inline void mpool_hold_end(struct mpool *pool)
{
}
#endif

/* Reports of a consumer's misuse, from any context but NMI: see debug.c. */
#define mpool_err(fmt, ...) \
	mpool_printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define mpool_warn(fmt, ...) \
	mpool_printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)

/* Take the depot's lock, IRQs off. */
static inline void mpool_lock(struct mpool *pool, unsigned long *flags)
	__acquires(&pool->lock)
{
	raw_spin_lock_irqsave(&pool->lock, *flags);
	mpool_hold_begin(pool);
}

static inline void mpool_unlock(struct mpool *pool, unsigned long flags)
	__releases(&pool->lock)
{
	mpool_hold_end(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/* create.c: the pools, by name. */
static LIST_HEAD(mpool_list);
/*
 * Protects mpool_list, and so the uniqueness of names, and keeps the
 * debugfs directories in step with the list.
 */
static DEFINE_MUTEX(mpool_list_lock);
static struct mpool *mpool_default_pool;
static void mpool_release(struct mpool *pool);

/* layout.c */
static int mpool_layout(size_t block_size, size_t align, unsigned int flags,
			struct mpool_layout *layout);
static size_t mpool_effective_align(size_t align);
static unsigned int mpool_zero_words(size_t block_size, unsigned int flags);
static bool mpool_name_valid(const char *name);
static void *mpool_block(const struct mpool *pool, size_t index);
static unsigned long mpool_offset(const struct mpool *pool, const void *ptr);
static size_t mpool_offset_index(const struct mpool *pool,
				 unsigned long offset);
static size_t mpool_block_index(const struct mpool *pool, const void *block);
static unsigned int mpool_run_shift(unsigned int cache_size);
static size_t mpool_state_bytes(const struct mpool *pool);

/* region.c */
static struct mpool_region *mpool_index_region(const struct mpool *pool,
					       size_t index);
static void *mpool_far_block(const struct mpool *pool, size_t index);
static size_t mpool_far_index(const struct mpool *pool, const void *block);
static enum mpool_free_verdict mpool_locate_far(const struct mpool *pool,
						const void *block,
						size_t *index);
static enum mpool_free_verdict mpool_claim_far(const struct mpool *pool,
					       const void *block,
					       size_t *index);
static void mpool_place(const struct mpool *pool, const void *ptr,
			size_t *index, unsigned long *within);
static int mpool_regions_init(struct mpool *pool);
static void mpool_regions_exit(struct mpool *pool, bool leak);
static size_t mpool_slot_first(const struct mpool *pool, unsigned int slot);

/* grow.c */
/* Pause after a grow found no memory before a worker tries again. */
#define MPOOL_GROW_RETRY	HZ

static void mpool_grow_init(struct mpool *pool);
static int mpool_grow_nodes(struct mpool *pool);
static void mpool_grow_exit(struct mpool *pool);
static void mpool_grow_check(struct mpool *pool, bool empty);
static bool mpool_may_grow(const struct mpool *pool);

/* shrink.c */
static int mpool_shrinker_init(struct mpool *pool);
static void mpool_shrinker_exit(struct mpool *pool);

/* freelist.c: the depot's free lists, one per region. */
static void mpool_push_free(struct mpool *pool, void **blocks, size_t nr);
static size_t mpool_pop_free(struct mpool *pool, struct mpool_region *region,
			     void **blocks, size_t nr,
			     struct mpool_corruption *c);
static void mpool_quarantine(struct mpool *pool, size_t index);
static bool mpool_rescan_pending(const struct mpool *pool);
static void mpool_rescan_step(struct mpool *pool, size_t max);
static void mpool_region_took(struct mpool *pool, struct mpool_region *region,
			      size_t nr);
static void mpool_region_count(struct mpool *pool, struct mpool_region *region,
			       long nr);

/* stack.c: the depot of a MPOOL_NO_PERCPU pool. */
static int mpool_stack_init(struct mpool *pool, gfp_t gfp);
static bool mpool_stack_empty(const struct mpool *pool);
static void *mpool_stack_pop(struct mpool *pool);
static size_t mpool_stack_pop_many(struct mpool *pool, void **blocks,
				   size_t nr);
static void mpool_stack_push(struct mpool *pool, void **blocks, size_t nr);
static void mpool_stack_push_fresh(struct mpool *pool, size_t first,
				   size_t nr);

/* depot.c */
struct mpool_stash;

/*
 * One call's search for free blocks, across the holds of the lock it
 * makes: what it may do, what it did, and where its sweep of the CPUs'
 * rings stopped.  Zeroed but for @c, @self and @may_block.
 */
struct mpool_gathering {
	struct mpool_corruption *c; /* the first corruption found */
	struct mpool_stash *self; /* a bulk alloc's own stash, or NULL */
	bool may_block;		/* may sleep: rebuilds the free list to its end */
	bool rebuilt;		/* took a step of the free list's rebuild */
	bool again;		/* look again in a new hold: more may be found */
	enum mpool_source source; /* where the last blocks came from */
	unsigned int rings_left; /* rings the sweep has yet to look at */
	unsigned int visited;	/* rings the last steal looked at */
	int steal_cpu;		/* the next ring it looks at */
};

static size_t mpool_depot_get(struct mpool *pool, void **blocks, size_t nr,
			      struct mpool_corruption *c);
static unsigned int mpool_depot_put_many(struct mpool *pool, void **blocks,
					 size_t nr);
static void mpool_depot_quarantine(struct mpool *pool, size_t index);
static size_t mpool_depot_nr_free(const struct mpool *pool);
static void mpool_depot_note_peak(struct mpool *pool);
static size_t mpool_gather(struct mpool *pool, void **blocks, size_t nr,
			   struct mpool_gathering *g);

/* cpu_cache.c */
static int mpool_caches_init(struct mpool *pool);
static void mpool_caches_exit(struct mpool *pool);
static unsigned int mpool_cache_pop(struct mpool *pool,
				    struct mpool_cpu_cache *cache,
				    void **blocks, unsigned int nr, bool all);
static unsigned int mpool_cache_push(struct mpool *pool,
				     struct mpool_cpu_cache *cache,
				     void **blocks, size_t nr);
static unsigned int mpool_cache_flush(struct mpool *pool,
				      struct mpool_cpu_cache *cache,
				      unsigned int nr);
static void mpool_cache_empty(struct mpool *pool, unsigned int cpu);
static size_t mpool_caches_steal(struct mpool *pool, void **blocks,
				 size_t nr, struct mpool_gathering *g);
static size_t mpool_caches_count(struct mpool *pool);
static void mpool_counters_sum(struct mpool *pool, unsigned long *allocs,
			       unsigned long *frees);
static int mpool_cpuhp_init(void);
static void mpool_cpuhp_exit(void);

/* debug.c */
static __printf(1, 2) void mpool_printk(const char *fmt, ...);
static int mpool_debug_init(struct mpool *pool);
static void mpool_debug_exit(struct mpool *pool);
static bool mpool_debug_reusable(struct mpool *pool, void *block,
				 size_t index, struct mpool_corruption *c);
static bool mpool_poison_intact_locked(struct mpool *pool, void *block,
				       struct mpool_corruption *c);
static void mpool_debug_poison_region(struct mpool *pool,
				      struct mpool_region *region);
static void mpool_debug_alloc(struct mpool *pool, void *block, size_t index,
			      unsigned long caller);
static void mpool_debug_free(struct mpool *pool, void *block, size_t index,
			     unsigned long caller);
static void mpool_record_corruption(struct mpool *pool,
				    struct mpool_corruption *c,
				    enum mpool_corruption_kind kind,
				    size_t index, size_t offset);
static void mpool_report_corruption(struct mpool *pool,
				    const struct mpool_corruption *c);
static void mpool_report_leak(struct mpool *pool);
static int mpool_flags_letters(unsigned int flags, char *buf, size_t size);

/* debug.c: who holds the blocks of a MPOOL_TRACK_CALLER pool. */
struct mpool_caller {
	unsigned long ip;
	size_t count;
	unsigned long oldest;	/* jiffies of its oldest outstanding alloc */
};

struct mpool_callers {
	struct mpool_caller *entries;	/* most blocks first, once sorted */
	size_t nr;
	size_t max;
	size_t others;		/* blocks whose caller found no room */
};

static int mpool_callers_collect(struct mpool *pool,
				 struct mpool_callers *callers);

/* fault_inject.c */
static void mpool_fail_alloc_init(struct mpool *pool);
static void mpool_fail_alloc_debugfs(struct mpool *pool);
static bool mpool_should_fail_alloc(struct mpool *pool);

/* debugfs.c */
static void mpool_debugfs_init(void);
static void mpool_debugfs_exit(void);
static void mpool_debugfs_add(struct mpool *pool);
static void mpool_debugfs_remove(struct mpool *pool);

/* query.c */
static void mpool_stats_geometry(const struct mpool *pool,
				 struct mpool_stats *stats);

/* sysfs.c */
static int mpool_sysfs_init(void);
static void mpool_sysfs_exit(void);
static int mpool_sysfs_add(struct mpool *pool);
static void mpool_sysfs_remove(struct mpool *pool);

/* module.c: debug= */
static unsigned int mpool_debug_flags;

#endif /* _MPOOL_INTERNAL_H */
