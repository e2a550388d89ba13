/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Locks and waiting: raw spinlocks (a real lock on __atomic, which yields
 * the host CPU while it spins, as a simulated CPU may be descheduled with
 * the lock held), mutexes, simple wait queues, wait_var_event(), and
 * printk's rate limit.  Each lock knows its owner, so that
 * lockdep_assert_held() checks what it says and taking a lock twice on
 * one thread is reported rather than spun on for ever.
 */
#ifndef MPOOL_SHIM_LOCK_H
#define MPOOL_SHIM_LOCK_H

#include <pthread.h>

#include "shim_sched.h"

typedef struct raw_spinlock {
	int locked;
	struct mpool_shim_ctx *owner;
} raw_spinlock_t;

#define __RAW_SPIN_LOCK_UNLOCKED(name)	{ 0, NULL }
#define DEFINE_RAW_SPINLOCK(name)	raw_spinlock_t name = __RAW_SPIN_LOCK_UNLOCKED(name)

void mpool_shim_spin_acquire(raw_spinlock_t *lock);
bool mpool_shim_spin_try(raw_spinlock_t *lock);
void mpool_shim_spin_release(raw_spinlock_t *lock);

static inline void raw_spin_lock_init(raw_spinlock_t *lock)
{
	lock->locked = 0;
	lock->owner = NULL;
}

#define raw_spin_lock(l)	do { preempt_disable(); mpool_shim_spin_acquire(l); } while (0)
#define raw_spin_unlock(l)	do { mpool_shim_spin_release(l); preempt_enable(); } while (0)
#define raw_spin_lock_irqsave(l, flags) do {				\
	local_irq_save(flags);						\
	raw_spin_lock(l);						\
} while (0)
#define raw_spin_unlock_irqrestore(l, flags) do {			\
	mpool_shim_spin_release(l);					\
	local_irq_restore(flags);					\
	preempt_enable();						\
} while (0)
#define raw_spin_trylock_irqsave(l, flags) ({				\
	bool __got;							\
	local_irq_save(flags);						\
	preempt_disable();						\
	__got = mpool_shim_spin_try(l);					\
	if (!__got) {							\
		local_irq_restore(flags);				\
		preempt_enable();					\
	}								\
	__got;								\
})

struct mutex {
	pthread_mutex_t m;
	struct mpool_shim_ctx *owner;
};

#define DEFINE_MUTEX(name) struct mutex name = { PTHREAD_MUTEX_INITIALIZER, NULL }

void mutex_init(struct mutex *lock);
void mutex_destroy(struct mutex *lock);
void mutex_lock(struct mutex *lock);
/* 1 if taken, 0 if another holds it, as the kernel's. */
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);

/* For a raw spinlock or a mutex: the calling thread must hold it. */
#define lockdep_assert_held(l)						\
	lockdep_assert(__atomic_load_n(&(l)->owner, __ATOMIC_RELAXED) == \
		       &mpool_shim_self)

/*
 * ---- simple wait queues ----
 * A condition variable under a mutex taken with the interrupt signal
 * blocked, as the kernel takes a wait queue's lock with IRQs off, so that
 * a wake-up from an interrupt cannot deadlock on it.
 */
struct swait_queue_head {
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

void init_swait_queue_head(struct swait_queue_head *q);
void mpool_shim_wait_begin(struct swait_queue_head *q, unsigned long *flags);
void mpool_shim_wait_sleep(struct swait_queue_head *q);
void mpool_shim_wait_end(struct swait_queue_head *q, unsigned long flags);
void swake_up_all(struct swait_queue_head *q);
/*
 * One waiter, as the kernel's wakes the first exclusive one: a pool that
 * wakes too few waiters, or a woken waiter that finds nothing and sleeps
 * again while others do, leaves sleepers here as it would there.
 */
void swake_up_one(struct swait_queue_head *q);
/* Threads asleep in a wait queue now, for a test that waits for them. */
unsigned int mpool_shim_nr_sleeping(void);

#define swait_event_idle_exclusive(wq, condition) do {			\
	unsigned long __flags;						\
									\
	might_sleep();							\
	mpool_shim_wait_begin(&(wq), &__flags);				\
	while (!(condition))						\
		mpool_shim_wait_sleep(&(wq));				\
	mpool_shim_wait_end(&(wq), __flags);				\
} while (0)

/* What a timed wait left of @timeout jiffies (HZ is 1000): 0 if none. */
long mpool_shim_wait_sleep_timeout(struct swait_queue_head *q, long timeout);

#define TASK_IDLE		0x0402
#define TASK_KILLABLE		0x0102
#define MAX_SCHEDULE_TIMEOUT	LONG_MAX

#define ___wait_cond_timeout(condition) ({				\
	bool __cond = (condition);					\
	if (__cond && !__ret)						\
		__ret = 1;						\
	__cond || !__ret;						\
})

/*
 * What the kernel's swait wrappers are made of.  No thread here is ever
 * sent a signal: @state and @cmd are the kernel's, and the sleep is timed
 * by @ret as schedule_timeout() would time it.
 */
#define ___swait_event(wq, condition, state, ret, cmd) ({		\
	unsigned long __flags;						\
	long __ret = ret;						\
									\
	(void)(state);							\
	might_sleep();							\
	mpool_shim_wait_begin(&(wq), &__flags);				\
	while (!(condition))						\
		__ret = mpool_shim_wait_sleep_timeout(&(wq), __ret);	\
	mpool_shim_wait_end(&(wq), __flags);				\
	__ret;								\
})

/* wait_var_event(): one queue for every variable, as a hash bucket. */
extern struct swait_queue_head mpool_shim_var_queue;
#define wait_var_event(var, condition)					\
	swait_event_idle_exclusive(mpool_shim_var_queue, condition)
#define wake_up_var(var)	swake_up_all(&mpool_shim_var_queue)

/* ---- rate limits, as lib/ratelimit.c ---- */
#define DEFAULT_RATELIMIT_INTERVAL	(5 * HZ)
#define DEFAULT_RATELIMIT_BURST		10

struct ratelimit_state {
	raw_spinlock_t lock;
	int interval;
	int burst;
	int printed;
	int missed;
	unsigned long begin;
};

static inline void ratelimit_state_init(struct ratelimit_state *rs,
					int interval, int burst)
{
	memset(rs, 0, sizeof(*rs));
	raw_spin_lock_init(&rs->lock);
	rs->interval = interval;
	rs->burst = burst;
}

#define ratelimit_default_init(rs) \
	ratelimit_state_init(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST)

int ___ratelimit(struct ratelimit_state *rs, const char *func);
#define __ratelimit(rs)		___ratelimit(rs, __func__)

#endif /* MPOOL_SHIM_LOCK_H */
