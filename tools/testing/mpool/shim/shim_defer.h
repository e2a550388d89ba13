/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Work deferred to other contexts, RCU's pointers, and the shrinker: what
 * a pool that grows and shrinks needs of the kernel (src/grow.c,
 * src/shrink.c, src/region.c).
 *
 * Each is as honest as a test needs it to be: an irq_work runs on a thread
 * of its own, in a simulated hard IRQ, and a work item on a worker thread
 * of its workqueue, never in the context that queued it, so that
 * ThreadSanitizer sees the worker race with the allocs and frees, as it
 * does in the kernel.  synchronize_rcu() waits for every read-side
 * section that began before it (shim_sched.h), so that a region freed
 * after it is freed after every reader that may have found it.  A
 * registered shrinker is called by mpool_shim_shrink(), from the calling
 * thread, as memory pressure would call it from a task in reclaim.
 */
#ifndef MPOOL_SHIM_DEFER_H
#define MPOOL_SHIM_DEFER_H

#include "shim_lock.h"
#include "shim_mm.h"

/* ---- irq_work: one thread, each function in a simulated hard IRQ ---- */
struct irq_work {
	void (*func)(struct irq_work *work);
	bool pending;		/* queued, not yet started: under the shim's lock */
	bool busy;		/* queued or running */
	struct irq_work *next;
};

static inline void init_irq_work(struct irq_work *work,
				 void (*func)(struct irq_work *work))
{
	memset(work, 0, sizeof(*work));
	work->func = func;
}

/* False if it was pending already, as the kernel's. */
bool irq_work_queue(struct irq_work *work);
/* Wait until @work neither is pending nor runs. */
void irq_work_sync(struct irq_work *work);

/* ---- workqueues: a worker thread per queue ---- */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	bool pending;		/* under its queue's lock */
	struct work_struct *next;
	struct workqueue_struct *wq; /* the last queue it was put on */
};

struct workqueue_struct;
extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_unbound_wq;

#define INIT_WORK(w, f) do {						\
	memset((w), 0, sizeof(*(w)));					\
	(w)->func = (f);						\
} while (0)

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
#define schedule_work(w)	queue_work(system_wq, w)
/* Whether it was pending, which it no longer is; waits for a run. */
bool cancel_work_sync(struct work_struct *work);
/* Wait for the run that is pending or running: whether there was one. */
bool flush_work(struct work_struct *work);
/* Whether the calling thread is the worker thread running @work. */
bool mpool_shim_in_work(const struct work_struct *work);
/* Work items run so far, on any queue: for a test that waits for them. */
unsigned long mpool_shim_works_done(void);

/*
 * ---- RCU ----
 * rcu_read_lock() disables preemption (shim_sched.h), as RCU-sched and a
 * non-preemptible kernel's RCU do, and synchronize_rcu() waits for every
 * thread that was in such a section to leave it.  An rcu_dereference()
 * is an acquire, standing in for the address dependency the kernel
 * relies on, which ThreadSanitizer cannot see; a publish is a release.
 * The lockdep conditions are checked, as CONFIG_PROVE_RCU does.
 */
#define rcu_read_lock_any_held()	(!mpool_shim_preemptible())
#define rcu_read_lock_held()		rcu_read_lock_any_held()
#define lockdep_is_held(l) \
	(__atomic_load_n(&(l)->owner, __ATOMIC_RELAXED) == &mpool_shim_self)

#define rcu_dereference_check(p, c) ({					\
	lockdep_assert((c) || rcu_read_lock_held());			\
	__atomic_load_n(&(p), __ATOMIC_ACQUIRE);			\
})
#define rcu_dereference(p)	rcu_dereference_check(p, 0)
#define rcu_dereference_raw(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_protected(p, c) ({				\
	lockdep_assert(c);						\
	__atomic_load_n(&(p), __ATOMIC_RELAXED);			\
})
#define rcu_access_pointer(p)	READ_ONCE(p)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)	WRITE_ONCE(p, v)
#define rcu_replace_pointer(rcu_ptr, ptr, c) ({				\
	typeof(ptr) __tmp = rcu_dereference_protected(rcu_ptr, c);	\
									\
	rcu_assign_pointer(rcu_ptr, ptr);				\
	__tmp;								\
})

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/*
 * Freed after a grace period, which the caller waits for here: the
 * kernel's returns at once and frees later, which no caller can tell but
 * by the time it takes.  Only from a context that may sleep: a caller in
 * atomic context is reported, although the kernel's allows it.
 */
#define kfree_rcu(ptr, field) do {					\
	typeof(ptr) __p = (ptr);					\
									\
	(void)offsetof(typeof(*__p), field);				\
	synchronize_rcu();						\
	kfree(__p);							\
} while (0)

#define kvfree_rcu(ptr, field) do {					\
	typeof(ptr) __p = (ptr);					\
									\
	(void)offsetof(typeof(*__p), field);				\
	synchronize_rcu();						\
	kvfree(__p);							\
} while (0)

/*
 * call_rcu() runs @func after a grace period that the caller waits for
 * here, as kfree_rcu() above.  So every grace period a cookie names has
 * ended by the time anyone asks: cond_synchronize_rcu() still waits for
 * one, the conservative answer.
 */
static inline void call_rcu(struct rcu_head *head,
			    void (*func)(struct rcu_head *head))
{
	synchronize_rcu();
	func(head);
}

static inline unsigned long get_state_synchronize_rcu(void)
{
	return 1;
}

static inline unsigned long get_completed_synchronize_rcu(void)
{
	return 0;
}

static inline void cond_synchronize_rcu(unsigned long cookie)
{
	if (cookie)
		synchronize_rcu();
}

/* ---- hashing and logarithms, as include/linux/hash.h and log2.h ---- */
#define GOLDEN_RATIO_64		0x61C8864680B583EBull

static inline u64 hash_64(u64 val, unsigned int bits)
{
	return val * GOLDEN_RATIO_64 >> (64 - bits);
}

#define hash_long(val, bits)	hash_64(val, bits)

static inline int order_base_2(unsigned long n)
{
	return n > 1 ? ilog2(n - 1) + 1 : 0;
}

/* ---- the shrinker, as 6.7 and later have it ---- */
#define SHRINK_STOP		(~0UL)
#define SHRINK_EMPTY		(~0UL - 1)
#define DEFAULT_SEEKS		2
#define SHRINKER_NUMA_AWARE	BIT(2)

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
	struct mem_cgroup *memcg;
};

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *shrinker,
				       struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *shrinker,
				      struct shrink_control *sc);
	long batch;
	int seeks;
	unsigned int flags;
	void *private_data;
	/* The shim's */
	char name[64];
	bool registered;
	struct shrinker *next;
};

__printf(2, 3) struct shrinker *shrinker_alloc(unsigned int flags,
					       const char *fmt, ...);
void shrinker_register(struct shrinker *shrinker);
/* Once it returns, no count or scan of @shrinker runs, nor will. */
void shrinker_free(struct shrinker *shrinker);

/*
 * Memory pressure: each registered shrinker whose name starts with
 * @prefix (all for NULL) counted and, if it has objects, asked to scan
 * @nr_to_scan.  Returns what the scans freed; *@counted, if not NULL, what
 * the counts said.  From a context that may sleep, as reclaim is.
 */
unsigned long mpool_shim_shrink(const char *prefix, unsigned long nr_to_scan,
				unsigned long *counted);

#endif /* MPOOL_SHIM_DEFER_H */
