// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated CPUs: which thread is which CPU, interrupts as a signal,
 * RCU's grace periods, time and randomness.  See shim_sched.h.
 */
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "mpool_shim.h"

__thread struct mpool_shim_ctx mpool_shim_self;
int mpool_shim_nr_cpus = 2;
bool mpool_shim_irq_active;
struct cpumask mpool_shim_all_cpus = { { 3 } };

#define ONE(n)	[n] = { { 1UL << (n) } }
#define EIGHT(n) ONE(n), ONE(n + 1), ONE(n + 2), ONE(n + 3), \
		 ONE(n + 4), ONE(n + 5), ONE(n + 6), ONE(n + 7)
const struct cpumask mpool_shim_cpu_single[MPOOL_SHIM_MAX_CPUS] = {
	EIGHT(0), EIGHT(8), EIGHT(16), EIGHT(24),
	EIGHT(32), EIGHT(40), EIGHT(48), EIGHT(56),
};

/* The threads that are CPUs now, for synchronize_rcu(). */
static pthread_mutex_t mpool_shim_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mpool_shim_ctx *mpool_shim_ctxs[4 * MPOOL_SHIM_MAX_CPUS];

extern long mpool_shim_percpu_live;

void mpool_shim_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "BUG: %s:%d: %s (CPU %d%s)\n", file, line, what,
		mpool_shim_self.cpu, in_hardirq() ? ", in an interrupt" : "");
	fflush(stderr);
	abort();
}

void mpool_shim_set_nr_cpus(int nr)
{
	if (nr < 1 || nr > MPOOL_SHIM_MAX_CPUS ||
	    __atomic_load_n(&mpool_shim_percpu_live, __ATOMIC_RELAXED))
		mpool_shim_bug(__FILE__, __LINE__,
			       "CPU count changed with per-CPU data live");
	mpool_shim_nr_cpus = nr;
	mpool_shim_all_cpus.bits[0] = nr == 64 ? ~0UL : (1UL << nr) - 1;
}

void mpool_shim_thread_enter(int cpu)
{
	struct mpool_shim_ctx *c = &mpool_shim_self;
	size_t i;

	c->cpu = cpu;
	c->task.pid = gettid();
	c->task.comm = "mpool_host";
	pthread_mutex_lock(&mpool_shim_ctx_lock);
	for (i = 0; i < ARRAY_SIZE(mpool_shim_ctxs) && !c->registered; i++) {
		if (!mpool_shim_ctxs[i]) {
			mpool_shim_ctxs[i] = c;
			c->registered = true;
		}
	}
	pthread_mutex_unlock(&mpool_shim_ctx_lock);
	if (!c->registered)
		mpool_shim_bug(__FILE__, __LINE__, "too many threads");
}

void mpool_shim_thread_leave(void)
{
	struct mpool_shim_ctx *c = &mpool_shim_self;
	size_t i;

	if (c->preempt_count || c->irqs_off)
		mpool_shim_bug(__FILE__, __LINE__,
			       "thread left with preemption or IRQs off");
	pthread_mutex_lock(&mpool_shim_ctx_lock);
	for (i = 0; i < ARRAY_SIZE(mpool_shim_ctxs); i++) {
		if (mpool_shim_ctxs[i] == c)
			mpool_shim_ctxs[i] = NULL;
	}
	c->registered = false;
	pthread_mutex_unlock(&mpool_shim_ctx_lock);
}

int set_cpus_allowed_ptr(struct task_struct *task, const struct cpumask *mask)
{
	unsigned int cpu = cpumask_first(mask);

	if (task != current || cpu >= nr_cpu_ids)
		return -EINVAL;
	mpool_shim_self.cpu = cpu;
	return 0;
}

/* ---- interrupts ---- */

static void (*mpool_shim_irq_handler)(void);

static void mpool_shim_irq_block_how(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, MPOOL_SHIM_IRQ_SIGNAL);
	pthread_sigmask(how, &set, NULL);
}

void mpool_shim_irq_block(void)
{
	mpool_shim_irq_block_how(SIG_BLOCK);
}

void mpool_shim_irq_unblock(void)
{
	mpool_shim_irq_block_how(SIG_UNBLOCK);
}

/* A hard IRQ on this thread's CPU: preemption and IRQs off around it. */
static void mpool_shim_irq_entry(int sig)
{
	struct mpool_shim_ctx *c = &mpool_shim_self;
	int saved_errno = errno;
	int count = preempt_count();

	(void)sig;
	if (!c->registered) {
		errno = saved_errno;
		return;
	}
	if (c->irqs_off)
		mpool_shim_bug(__FILE__, __LINE__, "interrupt with IRQs off");
	__atomic_store_n(&c->preempt_count, count + HARDIRQ_OFFSET,
			 __ATOMIC_RELAXED);
	c->irqs_off = true;
	barrier();
	mpool_shim_irq_handler();
	barrier();
	c->irqs_off = false;
	__atomic_store_n(&c->preempt_count, count, __ATOMIC_RELAXED);
	errno = saved_errno;
}

void mpool_shim_irq_install(void (*handler)(void))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	mpool_shim_irq_handler = handler;
	sa.sa_handler = mpool_shim_irq_entry;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(MPOOL_SHIM_IRQ_SIGNAL, &sa, NULL);
	mpool_shim_irq_active = true;
}

/* ---- scheduling and RCU ---- */

__thread unsigned long mpool_shim_nr_resched;

void mpool_shim_yield(void)
{
	sched_yield();
}

/*
 * A full barrier on every thread of this process, as each CPU passes
 * through one in a grace period of the kernel's RCU.  Without it, a
 * freer's store of preempt_count can sit in its CPU's store buffer while
 * it loads nr_waiters: synchronize_rcu() would see it outside its section
 * and return, the waiter would sleep and the freer wake nobody, a lost
 * wake-up the kernel cannot have (store buffering, allowed on x86).
 * liburcu does the same.
 */
static void mpool_shim_membarrier(void)
{
	static int registered;

	if (!registered) {
		if (syscall(__NR_membarrier,
			    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0)) {
			perror("membarrier: register");
			abort();
		}
		registered = 1;
	}
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)) {
		perror("membarrier");
		abort();
	}
}

/*
 * Wait until every other CPU has been outside a section with preemption
 * off at least once: the read side of the kernel's RCU-sched, which is
 * what the pool's frees rely on (mpool_wait_for_free()).
 */
void synchronize_rcu(void)
{
	struct mpool_shim_ctx *c;
	unsigned long seq;
	size_t i;

	might_sleep();
	pthread_mutex_lock(&mpool_shim_ctx_lock);
	mpool_shim_membarrier();
	for (i = 0; i < ARRAY_SIZE(mpool_shim_ctxs); i++) {
		c = mpool_shim_ctxs[i];
		if (!c || c == &mpool_shim_self)
			continue;
		seq = __atomic_load_n(&c->qs_seq, __ATOMIC_ACQUIRE);
		while (__atomic_load_n(&c->preempt_count, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&c->qs_seq, __ATOMIC_ACQUIRE) == seq)
			sched_yield();
	}
	mpool_shim_membarrier();
	pthread_mutex_unlock(&mpool_shim_ctx_lock);
}

/* ---- time and randomness ---- */

u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

unsigned long mpool_shim_jiffies(void)
{
	return ktime_get_ns() / (1000000000ULL / HZ);
}

static u64 mpool_shim_random_state = 0x2545f4914f6cdd1dULL;

/* splitmix64: the pools' keys differ from each other, and every run alike. */
unsigned long get_random_long(void)
{
	u64 z = __atomic_add_fetch(&mpool_shim_random_state,
				   0x9e3779b97f4a7c15ULL, __ATOMIC_RELAXED);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

u32 get_random_u32(void)
{
	return (u32)get_random_long();
}
