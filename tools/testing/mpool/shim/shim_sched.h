/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPUs, preemption, interrupts, per-CPU data and RCU, simulated.
 *
 * A simulated CPU is a thread: each test thread takes a CPU number with
 * mpool_shim_thread_enter() and keeps it, so that, as in the kernel, one
 * task context at a time runs on a CPU and preempt_disable() needs only
 * count.  The host may still deschedule the thread: to the pool that is a
 * CPU that runs slowly, which it must survive anyway.
 *
 * An interrupt is a signal, MPOOL_SHIM_IRQ_SIGNAL, delivered to the thread
 * it interrupts: its handler runs on that thread's CPU, in the middle of
 * whatever the thread was doing, as a hard IRQ does.  local_irq_save()
 * blocks the signal and local_irq_restore() unblocks it, so a section with
 * IRQs off is never interrupted, and a pending interrupt runs at the
 * restore, as in the kernel.  Until a test installs a handler with
 * mpool_shim_irq_install(), no signal is blocked: the mask costs a system
 * call.
 *
 * The kernel is one with CONFIG_PREEMPT_COUNT (every preemptible or
 * debug kernel), unless the including file defines
 * MPOOL_SHIM_NO_PREEMPT_COUNT first: then, as on PREEMPT_NONE or
 * PREEMPT_VOLUNTARY without debug options, preemptible() is always 0.
 * Either way the shim counts preempt_disable() for its own checks
 * (might_sleep(), RCU's grace periods), as a debug kernel would.
 */
#ifndef MPOOL_SHIM_SCHED_H
#define MPOOL_SHIM_SCHED_H

#include <signal.h>

#include "shim_atomic.h"

#define MPOOL_SHIM_MAX_CPUS	64
#define MPOOL_SHIM_IRQ_SIGNAL	SIGUSR1
#define HARDIRQ_OFFSET		(1 << 16)

struct task_struct {
	pid_t pid;
	const char *comm;
};

/* One per thread: its CPU and its context. */
struct mpool_shim_ctx {
	int cpu;
	int preempt_count;	/* preempt_disable() depth, + HARDIRQ_OFFSET */
	bool irqs_off;
	bool registered;	/* on the list synchronize_rcu() looks at */
	unsigned long qs_seq;	/* times preempt_count went back to 0 */
	struct task_struct task;
};

extern __thread struct mpool_shim_ctx mpool_shim_self;
extern int mpool_shim_nr_cpus;
extern bool mpool_shim_irq_active;

/* The harness's side. */
void mpool_shim_set_nr_cpus(int nr);
void mpool_shim_thread_enter(int cpu);
void mpool_shim_thread_leave(void);
void mpool_shim_irq_install(void (*handler)(void));

/* ---- preemption ---- */
static inline int preempt_count(void)
{
	return __atomic_load_n(&mpool_shim_self.preempt_count,
			       __ATOMIC_RELAXED);
}

static inline void preempt_disable(void)
{
	struct mpool_shim_ctx *c = &mpool_shim_self;

	/* Load and store: an interrupt in between leaves the count as it was. */
	__atomic_store_n(&c->preempt_count, preempt_count() + 1,
			 __ATOMIC_RELAXED);
	barrier();
}

static inline void preempt_enable(void)
{
	struct mpool_shim_ctx *c = &mpool_shim_self;
	int count = preempt_count() - 1;

	barrier();
	if (!count)
		__atomic_store_n(&c->qs_seq, c->qs_seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->preempt_count, count, __ATOMIC_RELEASE);
}

#define preempt_enable_no_resched()	preempt_enable()
#define migrate_disable()		do { } while (0)
#define migrate_enable()		do { } while (0)

/* ---- interrupts ---- */
void mpool_shim_irq_block(void);
void mpool_shim_irq_unblock(void);

static inline bool irqs_disabled(void)
{
	return mpool_shim_self.irqs_off;
}

static inline unsigned long mpool_shim_irq_save(void)
{
	bool was = mpool_shim_self.irqs_off;

	if (!was) {
		/* Blocked first: no interrupt sees the flag set and IRQs on. */
		if (mpool_shim_irq_active)
			mpool_shim_irq_block();
		mpool_shim_self.irqs_off = true;
		barrier();
	}
	return was;
}

static inline void mpool_shim_irq_restore(unsigned long was)
{
	if (!was && mpool_shim_self.irqs_off) {
		barrier();
		mpool_shim_self.irqs_off = false;
		if (mpool_shim_irq_active)
			mpool_shim_irq_unblock();
	}
}

#define local_irq_save(flags)	((flags) = mpool_shim_irq_save())
#define local_irq_restore(flags) mpool_shim_irq_restore(flags)
#define local_irq_disable()	((void)mpool_shim_irq_save())
#define local_irq_enable()	mpool_shim_irq_restore(0)

static inline bool in_hardirq(void)
{
	return preempt_count() >= HARDIRQ_OFFSET;
}

#define in_irq()		in_hardirq()
#define in_interrupt()		in_hardirq()
#define in_task()		(!in_hardirq())
#define in_nmi()		false

/* Whether the task may be preempted, whatever the kernel can tell. */
static inline bool mpool_shim_preemptible(void)
{
	return preempt_count() == 0 && !irqs_disabled();
}

#ifndef MPOOL_SHIM_NO_PREEMPT_COUNT
#define CONFIG_PREEMPT_COUNT	1
#define preemptible()		mpool_shim_preemptible()
#else
#define preemptible()		0
#endif

/*
 * ---- lockdep's context checks, and might_sleep() ----
 * MPOOL_SHIM_NATIVE (make bench NATIVE=1) is a production kernel, as
 * Debian's: no lockdep, no CONFIG_DEBUG_ATOMIC_SLEEP, so none of them.
 */
#ifdef MPOOL_SHIM_NATIVE
#define lockdep_assert(cond)	do { (void)sizeof(cond); } while (0)
#else
#define lockdep_assert(cond) do {					\
	if (unlikely(!(cond)))						\
		mpool_shim_bug(__FILE__, __LINE__,			\
			       "lockdep_assert(" #cond ")");		\
} while (0)
#endif
#define lockdep_assert_irqs_disabled()	lockdep_assert(irqs_disabled())
#define lockdep_assert_irqs_enabled()	lockdep_assert(!irqs_disabled())
#define lockdep_assert_preemption_disabled() \
	lockdep_assert(!mpool_shim_preemptible())
#ifdef MPOOL_SHIM_NATIVE
#define __might_sleep(file, line) do { } while (0)
#else
#define __might_sleep(file, line) do {					\
	if (unlikely(!mpool_shim_preemptible()))			\
		mpool_shim_bug(file, line,				\
			       "sleeping function called from invalid context"); \
} while (0)
#endif
#define might_sleep()		__might_sleep(__FILE__, __LINE__)
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)

void mpool_shim_yield(void);
/* This thread's cond_resched() calls: where a long call lets the CPU go. */
extern __thread unsigned long mpool_shim_nr_resched;
#define cond_resched()		({ might_sleep(); mpool_shim_nr_resched++; \
				   mpool_shim_yield(); 0; })
#define schedule()		mpool_shim_yield()

void synchronize_rcu(void);
#define rcu_read_lock()		preempt_disable()
#define rcu_read_unlock()	preempt_enable()

/* ---- CPUs ---- */
struct cpumask {
	unsigned long bits[1];
};

typedef struct cpumask cpumask_t;

extern struct cpumask mpool_shim_all_cpus;
extern const struct cpumask mpool_shim_cpu_single[MPOOL_SHIM_MAX_CPUS];

#define cpu_possible_mask	((const struct cpumask *)&mpool_shim_all_cpus)
#define cpu_online_mask		((const struct cpumask *)&mpool_shim_all_cpus)
#define cpumask_of(cpu)		(&mpool_shim_cpu_single[cpu])
#define nr_cpu_ids		((unsigned int)mpool_shim_nr_cpus)
#define num_possible_cpus()	((unsigned int)mpool_shim_nr_cpus)
#define num_online_cpus()	((unsigned int)mpool_shim_nr_cpus)
#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < mpool_shim_nr_cpus; (cpu)++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu)
#define smp_processor_id()	(mpool_shim_self.cpu)
#define raw_smp_processor_id()	(mpool_shim_self.cpu)
#define current			(&mpool_shim_self.task)

static inline unsigned int cpumask_first(const struct cpumask *mask)
{
	return mask->bits[0] ? (unsigned int)__builtin_ctzl(mask->bits[0]) :
			       nr_cpu_ids;
}

/* The next CPU of @mask after @cpu, or nr_cpu_ids: up to 64 CPUs. */
static inline unsigned int cpumask_next(int cpu, const struct cpumask *mask)
{
	unsigned long rest = cpu + 1 >= 64 ? 0 :
			     mask->bits[0] & (~0UL << (cpu + 1));

	return rest ? (unsigned int)__builtin_ctzl(rest) : nr_cpu_ids;
}

/* Only for the one thread of a sequential test: it becomes that CPU. */
int set_cpus_allowed_ptr(struct task_struct *task,
			 const struct cpumask *mask);

/*
 * ---- per-CPU data ----
 * A per-CPU pointer is CPU 0's copy; CPU n's is MPOOL_SHIM_PCPU_UNIT * n
 * bytes further, as the kernel's per-CPU offsets are, so that a pointer
 * to a member (this_cpu_inc(pool->caches->allocs)) finds its CPU's copy.
 * this_cpu_*() are one instruction on x86, safe from interrupts on the
 * same CPU: relaxed atomics here.
 */
#define MPOOL_SHIM_PCPU_UNIT	4096UL

void *__alloc_percpu(size_t size, size_t align);
void free_percpu(void *ptr);
#define alloc_percpu(type)	((type *)__alloc_percpu(sizeof(type), __alignof__(type)))

#define per_cpu_ptr(ptr, cpu) \
	((typeof(ptr))((char *)(ptr) + (unsigned long)(cpu) * MPOOL_SHIM_PCPU_UNIT))
#define this_cpu_ptr(ptr)	per_cpu_ptr(ptr, smp_processor_id())
#define raw_cpu_ptr(ptr)	per_cpu_ptr(ptr, raw_smp_processor_id())
#ifdef MPOOL_SHIM_NATIVE
/*
 * An add without a lock prefix, as x86's this_cpu_add() is: the native
 * bench delivers no interrupts, and a thread is its CPU.
 */
#define this_cpu_add(pcp, val) do {					\
	typeof(&(pcp)) __pcp = this_cpu_ptr(&(pcp));			\
									\
	__atomic_store_n(__pcp, __atomic_load_n(__pcp, __ATOMIC_RELAXED) + \
			 (val), __ATOMIC_RELAXED);			\
} while (0)
#else
#define this_cpu_add(pcp, val) \
	((void)__atomic_fetch_add(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#endif
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_read(pcp)	READ_ONCE(*this_cpu_ptr(&(pcp)))

/* ---- time and randomness ---- */
#define HZ			1000
unsigned long mpool_shim_jiffies(void);
#define jiffies			mpool_shim_jiffies()
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define jiffies_to_msecs(j)	((unsigned int)(j))
#define msecs_to_jiffies(m)	((unsigned long)(m))
u64 ktime_get_ns(void);

unsigned long get_random_long(void);
u32 get_random_u32(void);

#endif /* MPOOL_SHIM_SCHED_H */
