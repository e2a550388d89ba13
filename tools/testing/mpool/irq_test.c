// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts as signals: a thread per simulated CPU allocates and frees
 * while a timer on its own CPU time interrupts it (SIGEV_THREAD_ID), and
 * the interrupt allocates and frees too, on the same CPU, from the middle
 * of whatever the thread was doing.  The test hooks add interrupts at the
 * racy points themselves: a ring half filled (MPOOL_TEST_RING_FILLING),
 * a ring pop that read its slots and has not claimed them
 * (MPOOL_TEST_RING_POPPING), a stack pop between its read and its
 * cmpxchg (MPOOL_TEST_STACK_POPPING).  Every block handed out is claimed
 * in a bitmap and stamped, so that a block handed to two contexts at
 * once is seen; at the end the pool's counters must equal what the
 * threads and their interrupts did, and the pool must still hold every
 * block.  A case fails if fewer interrupts ran than it needs to mean
 * anything.
 *
 * Environment: THREADS=N simulated CPUs (default 4), STEPS=N per thread
 * (default 40000), SEED=S (default 1).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mpool_host.h"
#include "tap.h"
#include "host_log.h"

#define TASK_HELD	32
#define IRQ_HELD	4
#define BULK_MAX	4
#define BLOCK_SIZE	40
/* The timer's period: a high-resolution timer, to this thread alone. */
#define IRQ_PERIOD_NS	20000
/* One interrupt per this many calls of each hook. */
#define HOOK_EVERY	7

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN	1
#endif
#endif
#ifdef __SANITIZE_THREAD__
#define UNDER_TSAN	1
#endif

enum hook_kind { HOOK_NONE, HOOK_FILL, HOOK_POP, HOOK_STACK };

struct cpu_state {
	unsigned int cpu;
	pthread_t tid;
	u64 rng, irq_rng;
	void *held[TASK_HELD];
	size_t nr_held;
	u64 allocs, frees, failures;		/* the task's */
	void *irq_held[IRQ_HELD];
	size_t irq_nr;
	u64 irq_runs, irq_allocs, irq_frees, irq_failures;
	u64 hook_calls, hits[4];		/* interrupts by hook_kind */
	volatile sig_atomic_t in_hook;
	unsigned long errors;
	char error[160];
};

struct irq_case {
	const char *name;
	size_t nr_blocks;
	unsigned int flags;
	bool rings;		/* per-CPU rings expected */
};

static struct mpool *pool;
static char *base;
static size_t stride;
static unsigned long *claimed;
static struct cpu_state cpus[MPOOL_SHIM_MAX_CPUS];
static pthread_barrier_t start;
static unsigned int nr_cpus = 4;
static unsigned long steps = 40000;
static u64 seed = 1;
static __thread struct cpu_state *me;

static u64 rnd(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* No printing here: this may run in the signal handler. */
static void error(struct cpu_state *s, const char *what, size_t index)
{
	if (!s->errors++)
		snprintf(s->error, sizeof(s->error), "CPU %u: %s: block %zu",
			 s->cpu, what, index);
}

/* A block just handed to this context: no other may hold it. */
static void take(struct cpu_state *s, void *p, u8 stamp)
{
	size_t index = ((char *)p - base) / stride;

	if (!mpool_owns(pool, p) || ((char *)p - base) % stride) {
		error(s, "not a block of the pool", index);
		return;
	}
	if (test_and_set_bit(index, claimed))
		error(s, "handed out twice", index);
	memset(p, stamp, BLOCK_SIZE);
}

/* A block this context gives back: still as it left it. */
static void give(struct cpu_state *s, void *p, u8 stamp)
{
	size_t index = ((char *)p - base) / stride;

	if (memchr_inv(p, stamp, BLOCK_SIZE))
		error(s, "changed while held", index);
	if (!test_and_clear_bit(index, claimed))
		error(s, "given back, not claimed", index);
}

static u8 task_stamp(const struct cpu_state *s)
{
	return 0x10 + s->cpu;
}

static u8 irq_stamp(const struct cpu_state *s)
{
	return 0x80 + s->cpu;
}

/* The interrupt: on the interrupted thread's CPU, with IRQs off. */
static void irq_handler(void)
{
	struct cpu_state *s = me;
	void *p, *bulk[2];

	if (!s || !pool)
		return;
	if (!in_hardirq() || !irqs_disabled())
		error(s, "handler not in a hard IRQ", 0);
	s->irq_runs++;
	s->hits[s->in_hook]++;
	if (s->irq_nr && rnd(&s->irq_rng) % 2) {
		p = s->irq_held[--s->irq_nr];
		give(s, p, irq_stamp(s));
		mpool_free(pool, p);
		s->irq_frees++;
	}
	if (rnd(&s->irq_rng) % 4 == 0) {
		if (mpool_alloc_bulk(pool, GFP_ATOMIC, 2, bulk) == 2) {
			take(s, bulk[0], irq_stamp(s));
			take(s, bulk[1], irq_stamp(s));
			s->irq_allocs += 2;
			give(s, bulk[0], irq_stamp(s));
			give(s, bulk[1], irq_stamp(s));
			mpool_free_bulk(pool, 2, bulk);
			s->irq_frees += 2;
		} else {
			s->irq_failures++;
		}
	}
	p = mpool_alloc(pool, GFP_ATOMIC);
	if (!p) {
		s->irq_failures++;
		return;
	}
	take(s, p, irq_stamp(s));
	s->irq_allocs++;
	if (s->irq_nr < IRQ_HELD) {
		s->irq_held[s->irq_nr++] = p;
		return;
	}
	give(s, p, irq_stamp(s));
	mpool_free(pool, p);
	s->irq_frees++;
}

/* An interrupt now, at the racy point the pool has reached. */
static void hook(struct mpool *p, enum mpool_test_point point)
{
	struct cpu_state *s = me;
	enum hook_kind kind;

	if (!s || p != pool || in_hardirq())
		return;
	switch (point) {
	case MPOOL_TEST_RING_FILLING:
		kind = HOOK_FILL;
		break;
	case MPOOL_TEST_RING_POPPING:
		kind = HOOK_POP;
		break;
	case MPOOL_TEST_STACK_POPPING:
		kind = HOOK_STACK;
		break;
	default:
		return;
	}
	if (++s->hook_calls % HOOK_EVERY)
		return;
	s->in_hook = kind;
	/* Delivered before pthread_kill() returns, unless IRQs are off. */
	pthread_kill(pthread_self(), MPOOL_SHIM_IRQ_SIGNAL);
	s->in_hook = HOOK_NONE;
}

static void task_step(struct cpu_state *s)
{
	void *bulk[BULK_MAX];
	size_t i, nr;
	void *p;

	switch (rnd(&s->rng) % 10) {
	case 0:
	case 1:
	case 2:
	case 3:
		if (s->nr_held == TASK_HELD)
			break;
		p = mpool_alloc(pool, GFP_ATOMIC);
		if (!p) {
			s->failures++;
			break;
		}
		take(s, p, task_stamp(s));
		s->held[s->nr_held++] = p;
		s->allocs++;
		break;
	case 4:
	case 5:
	case 6:
		if (!s->nr_held)
			break;
		i = rnd(&s->rng) % s->nr_held;
		p = s->held[i];
		s->held[i] = s->held[--s->nr_held];
		give(s, p, task_stamp(s));
		mpool_free(pool, p);
		s->frees++;
		break;
	case 7:
		nr = 1 + rnd(&s->rng) % BULK_MAX;
		if (s->nr_held + nr > TASK_HELD)
			break;
		if (!mpool_alloc_bulk(pool, GFP_NOWAIT, nr, bulk)) {
			s->failures++;
			break;
		}
		for (i = 0; i < nr; i++) {
			take(s, bulk[i], task_stamp(s));
			s->held[s->nr_held++] = bulk[i];
		}
		s->allocs += nr;
		break;
	case 8:
		for (nr = 0; nr < BULK_MAX && s->nr_held; nr++) {
			bulk[nr] = s->held[--s->nr_held];
			give(s, bulk[nr], task_stamp(s));
		}
		mpool_free_bulk(pool, nr, bulk);
		s->frees += nr;
		break;
	default:
		sched_yield();
		break;
	}
}

static void *cpu_thread(void *arg)
{
	struct cpu_state *s = arg;
	struct sigevent sev;
	struct itimerspec its = {
		.it_value = { 0, IRQ_PERIOD_NS },
		.it_interval = { 0, IRQ_PERIOD_NS },
	};
	unsigned long flags, i;
	timer_t timer;

	mpool_shim_thread_enter(s->cpu);
	me = s;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = MPOOL_SHIM_IRQ_SIGNAL;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer))
		error(s, "timer_create", 0);
	pthread_barrier_wait(&start);
	timer_settime(timer, 0, &its, NULL);
	for (i = 0; i < steps; i++)
		task_step(s);
	timer_delete(timer);

	/* An interrupt still pending finds nothing to do from here on. */
	local_irq_save(flags);
	me = NULL;
	local_irq_restore(flags);
	while (s->irq_nr) {
		give(s, s->irq_held[--s->irq_nr], irq_stamp(s));
		mpool_free(pool, s->irq_held[s->irq_nr]);
		s->irq_frees++;
	}
	while (s->nr_held) {
		give(s, s->held[--s->nr_held], task_stamp(s));
		mpool_free(pool, s->held[s->nr_held]);
		s->frees++;
	}
	mpool_shim_thread_leave();
	return NULL;
}

/* The lowest block, from one the pool hands out: the region is contiguous. */
static bool find_base(void)
{
	struct mpool_stats st;
	char *p = mpool_alloc(pool, GFP_ATOMIC);

	if (!p)
		return false;
	mpool_get_stats(pool, &st);
	stride = st.stride;
	for (base = p; mpool_owns(pool, base - stride); base -= stride)
		;
	mpool_free(pool, p);
	return true;
}

/* Every block is still there: exactly nr_blocks, distinct, then none. */
static bool drain(size_t nr_blocks)
{
	void **all = calloc(nr_blocks + 1, sizeof(*all));
	size_t got = 0, i, index;
	bool ok = true;

	bitmap_zero(claimed, nr_blocks);
	while (got <= nr_blocks && (all[got] = mpool_alloc(pool, GFP_ATOMIC))) {
		index = ((char *)all[got] - base) / stride;
		if (test_and_set_bit(index, claimed))
			ok = false;
		got++;
	}
	for (i = 0; i < got; i++)
		mpool_free(pool, all[i]);
	free(all);
	if (got != nr_blocks || !ok)
		tap_diag("drain: %zu blocks of %zu%s", got, nr_blocks,
			 ok ? "" : ", some twice");
	return got == nr_blocks && ok;
}

static void run_case(const struct irq_case *c)
{
	u64 allocs = 0, frees = 0, failures = 0, runs = 0, hits[4] = { 0 };
	struct mpool_stats st, st0;
	unsigned int i, hold;
	bool ok = true;
	/* TSan delivers a signal at its next interception: fewer land. */
#ifdef UNDER_TSAN
	u64 min_runs = 50 * nr_cpus;
#else
	u64 min_runs = 500 * nr_cpus;
#endif

	mpool_shim_set_nr_cpus(nr_cpus);
	pool = mpool_create("irq_test", BLOCK_SIZE, 0, c->nr_blocks, c->flags);
	if (IS_ERR(pool) || !find_base()) {
		tap_result(false, "%s: create", c->name);
		pool = NULL;
		return;
	}
	claimed = bitmap_zalloc(c->nr_blocks, GFP_KERNEL);
	mpool_get_stats(pool, &st0);
	if ((st0.cache_size > 0) != c->rings) {
		tap_diag("cache_size %zu", st0.cache_size);
		ok = false;
	}
	mpool_test_max_hold(pool);
	pthread_barrier_init(&start, NULL, nr_cpus);
	for (i = 0; i < nr_cpus; i++) {
		memset(&cpus[i], 0, sizeof(cpus[i]));
		cpus[i].cpu = i;
		cpus[i].rng = seed * 1000 + i;
		cpus[i].irq_rng = ~cpus[i].rng;
		pthread_create(&cpus[i].tid, NULL, cpu_thread, &cpus[i]);
	}
	for (i = 0; i < nr_cpus; i++) {
		struct cpu_state *s = &cpus[i];

		pthread_join(s->tid, NULL);
		allocs += s->allocs + s->irq_allocs;
		frees += s->frees + s->irq_frees;
		failures += s->failures + s->irq_failures;
		runs += s->irq_runs;
		hits[HOOK_FILL] += s->hits[HOOK_FILL];
		hits[HOOK_POP] += s->hits[HOOK_POP];
		hits[HOOK_STACK] += s->hits[HOOK_STACK];
		if (s->errors) {
			tap_diag("%s (%lu errors)", s->error, s->errors);
			ok = false;
		}
	}
	pthread_barrier_destroy(&start);
	mpool_get_stats(pool, &st);
	tap_diag("%s: %llu allocs, %llu failures, %llu interrupts: %llu in a ring fill, %llu in a ring pop, %llu in a stack pop",
		 c->name, (unsigned long long)allocs,
		 (unsigned long long)failures, (unsigned long long)runs,
		 (unsigned long long)hits[HOOK_FILL],
		 (unsigned long long)hits[HOOK_POP],
		 (unsigned long long)hits[HOOK_STACK]);
	if (st.allocs - st0.allocs != allocs || st.frees - st0.frees != frees ||
	    st.alloc_failures != failures || st.in_use ||
	    st.invalid_frees || st.double_frees) {
		tap_diag("pool: %llu allocs, %llu frees, %llu failures, %zu in use, %llu refused",
			 (unsigned long long)(st.allocs - st0.allocs),
			 (unsigned long long)(st.frees - st0.frees),
			 (unsigned long long)st.alloc_failures, st.in_use,
			 (unsigned long long)(st.invalid_frees +
					      st.double_frees));
		ok = false;
	}
	if (runs < min_runs) {
		tap_diag("only %llu interrupts ran, fewer than %llu",
			 (unsigned long long)runs, (unsigned long long)min_runs);
		ok = false;
	}
	if (c->rings ? !hits[HOOK_FILL] || !hits[HOOK_POP] :
	    (c->flags & MPOOL_NO_PERCPU) && !hits[HOOK_STACK]) {
		tap_diag("no interrupt at a racy point");
		ok = false;
	}
	hold = mpool_test_max_hold(pool);
	if (hold > mpool_host_hold_max()) {
		tap_diag("one hold of the lock did %u work, more than %u", hold,
			 mpool_host_hold_max());
		ok = false;
	}
	/* Each CPU goes offline: its ring goes back to the depot. */
	for (i = 0; i < nr_cpus; i++)
		mpool_shim_cpu_dead(i);
	mpool_get_stats(pool, &st);
	if (st.cached) {
		tap_diag("%zu blocks still cached with every CPU dead",
			 st.cached);
		ok = false;
	}
	ok &= drain(c->nr_blocks);
	if (!ok)
		host_log_dump();
	mpool_destroy(pool);
	pool = NULL;
	bitmap_free(claimed);
	tap_result(ok, "%s", c->name);
}

int main(void)
{
	static const struct irq_case cases[] = {
		{ "per-CPU rings", 512, 0, true },
		{ "per-CPU rings, poison, red zone, callers",
		  512, MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER, true },
		{ "small rings: steals and failures", 48, 0, true },
		{ "MPOOL_NO_PERCPU: the lock-free stack", 256,
		  MPOOL_NO_PERCPU, false },
		{ "too small for rings: the depot's lock", 12, 0, false },
	};
	const char *v;
	size_t i;

	if ((v = getenv("THREADS")) && *v)
		nr_cpus = clamp(atoi(v), 1, MPOOL_SHIM_MAX_CPUS);
	if ((v = getenv("STEPS")) && *v)
		steps = strtoul(v, NULL, 0);
	if ((v = getenv("SEED")) && *v)
		seed = strtoull(v, NULL, 0);
	tap_begin("irq_test: interrupts as signals, on every CPU");
	mpool_shim_thread_enter(0);
	host_log_capture();
	mpool_shim_irq_install(irq_handler);
	if (mpool_host_init()) {
		tap_result(false, "init");
		return tap_end();
	}
	mpool_test_set_hook(hook);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	mpool_test_set_hook(NULL);
	mpool_host_exit();
	mpool_shim_thread_leave();
	return tap_end();
}
