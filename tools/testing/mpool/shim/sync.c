// SPDX-License-Identifier: GPL-2.0
/*
 * Locks, wait queues and CPU hotplug's instance lists.  See shim_lock.h
 * and shim_kernel.h.
 */
#include <sched.h>

#include "mpool_shim.h"

void mpool_shim_spin_acquire(raw_spinlock_t *lock)
{
	unsigned int spins = 0;

#ifndef MPOOL_SHIM_NATIVE
	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == &mpool_shim_self)
		mpool_shim_bug(__FILE__, __LINE__, "recursive raw spinlock");
#endif
	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE)) {
		/*
		 * The holder's thread may be descheduled: let it run.  Not
		 * natively, where each thread has a core, as a kernel's CPU
		 * has: a kernel spinlock spins.
		 */
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
			if (IS_ENABLED(MPOOL_SHIM_NATIVE) || ++spins < 64)
				cpu_relax();
			else
				sched_yield();
		}
	}
#ifndef MPOOL_SHIM_NATIVE
	__atomic_store_n(&lock->owner, &mpool_shim_self, __ATOMIC_RELAXED);
#endif
}

bool mpool_shim_spin_try(raw_spinlock_t *lock)
{
	if (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	__atomic_store_n(&lock->owner, &mpool_shim_self, __ATOMIC_RELAXED);
	return true;
}

void mpool_shim_spin_release(raw_spinlock_t *lock)
{
	/* A production kernel's lock knows no owner: MPOOL_SHIM_NATIVE. */
#ifndef MPOOL_SHIM_NATIVE
	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) != &mpool_shim_self)
		mpool_shim_bug(__FILE__, __LINE__,
			       "raw spinlock released by a non-owner");
	__atomic_store_n(&lock->owner, NULL, __ATOMIC_RELAXED);
#endif
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

void mutex_init(struct mutex *lock)
{
	pthread_mutex_init(&lock->m, NULL);
	lock->owner = NULL;
}

/* A mutex destroyed while held, as CONFIG_DEBUG_MUTEXES reports. */
void mutex_destroy(struct mutex *lock)
{
	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED))
		mpool_shim_bug(__FILE__, __LINE__, "mutex destroyed while held");
	pthread_mutex_destroy(&lock->m);
}

int mutex_trylock(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return 0;
	__atomic_store_n(&lock->owner, &mpool_shim_self, __ATOMIC_RELAXED);
	return 1;
}

void mutex_lock(struct mutex *lock)
{
	might_sleep();
	pthread_mutex_lock(&lock->m);
	__atomic_store_n(&lock->owner, &mpool_shim_self, __ATOMIC_RELAXED);
}

void mutex_unlock(struct mutex *lock)
{
	__atomic_store_n(&lock->owner, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock->m);
}

/* ---- wait queues ---- */

struct swait_queue_head mpool_shim_var_queue = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER
};

void init_swait_queue_head(struct swait_queue_head *q)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
}

void mpool_shim_wait_begin(struct swait_queue_head *q, unsigned long *flags)
{
	local_irq_save(*flags);
	pthread_mutex_lock(&q->lock);
}

static unsigned int mpool_shim_sleepers;

/* Counted under the queue's lock: a wake-up after the count finds it asleep. */
void mpool_shim_wait_sleep(struct swait_queue_head *q)
{
	__atomic_fetch_add(&mpool_shim_sleepers, 1, __ATOMIC_RELAXED);
	pthread_cond_wait(&q->cond, &q->lock);
	__atomic_fetch_sub(&mpool_shim_sleepers, 1, __ATOMIC_RELAXED);
}

long mpool_shim_wait_sleep_timeout(struct swait_queue_head *q, long timeout)
{
	unsigned long start = jiffies;
	struct timespec ts;
	long left;

	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		mpool_shim_wait_sleep(q);
		return timeout;
	}
	/* pthread_cond_timedwait() takes CLOCK_REALTIME by default. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout / HZ;
	ts.tv_nsec += (timeout % HZ) * (1000000000L / HZ);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	__atomic_fetch_add(&mpool_shim_sleepers, 1, __ATOMIC_RELAXED);
	pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	__atomic_fetch_sub(&mpool_shim_sleepers, 1, __ATOMIC_RELAXED);
	left = timeout - (long)(jiffies - start);
	return left > 0 ? left : 0;
}

unsigned int mpool_shim_nr_sleeping(void)
{
	return __atomic_load_n(&mpool_shim_sleepers, __ATOMIC_RELAXED);
}

void mpool_shim_wait_end(struct swait_queue_head *q, unsigned long flags)
{
	pthread_mutex_unlock(&q->lock);
	local_irq_restore(flags);
}

void swake_up_all(struct swait_queue_head *q)
{
	unsigned long flags;

	mpool_shim_wait_begin(q, &flags);
	pthread_cond_broadcast(&q->cond);
	mpool_shim_wait_end(q, flags);
}

void swake_up_one(struct swait_queue_head *q)
{
	unsigned long flags;

	mpool_shim_wait_begin(q, &flags);
	pthread_cond_signal(&q->cond);
	mpool_shim_wait_end(q, flags);
}

/* ---- CPU hotplug: one multi-instance state ---- */

static pthread_mutex_t mpool_shim_cpuhp_lock = PTHREAD_MUTEX_INITIALIZER;
static int (*mpool_shim_cpuhp_teardown)(unsigned int cpu,
					struct hlist_node *node);
static struct hlist_node *mpool_shim_cpuhp_nodes[256];

int cpuhp_setup_state_multi(enum cpuhp_state state, const char *name,
			    int (*startup)(unsigned int cpu,
					   struct hlist_node *node),
			    int (*teardown)(unsigned int cpu,
					    struct hlist_node *node))
{
	(void)state;
	(void)name;
	(void)startup;
	mpool_shim_cpuhp_teardown = teardown;
	return CPUHP_BP_PREPARE_DYN;
}

void cpuhp_remove_multi_state(enum cpuhp_state state)
{
	(void)state;
	mpool_shim_cpuhp_teardown = NULL;
}

int cpuhp_state_add_instance_nocalls(enum cpuhp_state state,
				     struct hlist_node *node)
{
	size_t i;
	int err = -ENOMEM;

	(void)state;
	pthread_mutex_lock(&mpool_shim_cpuhp_lock);
	for (i = 0; i < ARRAY_SIZE(mpool_shim_cpuhp_nodes); i++) {
		if (!mpool_shim_cpuhp_nodes[i]) {
			mpool_shim_cpuhp_nodes[i] = node;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&mpool_shim_cpuhp_lock);
	return err;
}

int cpuhp_state_remove_instance_nocalls(enum cpuhp_state state,
					struct hlist_node *node)
{
	size_t i;

	(void)state;
	pthread_mutex_lock(&mpool_shim_cpuhp_lock);
	for (i = 0; i < ARRAY_SIZE(mpool_shim_cpuhp_nodes); i++) {
		if (mpool_shim_cpuhp_nodes[i] == node)
			mpool_shim_cpuhp_nodes[i] = NULL;
	}
	pthread_mutex_unlock(&mpool_shim_cpuhp_lock);
	return 0;
}

void mpool_shim_cpu_dead(unsigned int cpu)
{
	size_t i;

	pthread_mutex_lock(&mpool_shim_cpuhp_lock);
	for (i = 0; i < ARRAY_SIZE(mpool_shim_cpuhp_nodes); i++) {
		if (mpool_shim_cpuhp_nodes[i] && mpool_shim_cpuhp_teardown)
			mpool_shim_cpuhp_teardown(cpu,
						  mpool_shim_cpuhp_nodes[i]);
	}
	pthread_mutex_unlock(&mpool_shim_cpuhp_lock);
}
