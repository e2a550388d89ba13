// SPDX-License-Identifier: GPL-2.0
/*
 * The model-checked random test (kunit/mpool_model.c) on the host: the
 * KUnit suite's fixed seeds and then random ones, each seed a TAP case,
 * once as one sequence moving between simulated CPUs, once more with
 * pools that grow and shrink (the grow worker a thread of its own, racing
 * with the sequence), and once with a thread per simulated CPU on one
 * shared pool, many more threads than the host has cores.
 *
 * Environment: SEED=S runs seed S alone (what a failure prints to replay
 * it; REGIONS=0 or 1: only the sequence without or with regions);
 * EXTRA=N random seeds after the fixed ones (default 6); STEPS=N per
 * sequence (default 2000); SMP_STEPS=N per thread (default 20000);
 * SEQ_CPUS=N,M... the simulated CPUs each sequence runs on (default 2,4:
 * with 2, as in make check's guests, a seed makes the KUnit suite's
 * choices, and STEPS=1000 replays its run); THREADS=N,M... the threads,
 * and CPUs, each seed runs with in the threads' case (default 8,4; at
 * most 8).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "host_log.h"
#include "mpool_host.h"
#include "mpool_model.h"
#include "mpool_kunit_stats.h"
#include "tap.h"

static const u64 fixed_seeds[] = {
	1, 2, 3, 0x5eed, 20261128, 0x9e3779b97f4a7c15ULL,
};
#define HANG_SECONDS		60

static unsigned int seq_cpus, nr_threads;
static unsigned long smp_steps = 20000;

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* ---- the sequence ---- */

struct seq_runner {
	jmp_buf fail;
	char why[512];
};

void model_abort(struct model *m, const char *why)
{
	struct seq_runner *r = m->runner;

	snprintf(r->why, sizeof(r->why), "seed %llu step %lu (%s%s): %s",
		 (unsigned long long)m->seed, m->step, m->op, m->what, why);
	longjmp(r->fail, 1);
}

static bool run_sequence(u64 seed, unsigned int steps, bool regions)
{
	static struct model m;
	static struct seq_runner r;
	const char *kind = regions ? "regions" : "sequence";

	memset(&m, 0, sizeof(m));
	m.runner = &r;
	m.name = regions ? "regions_match_model" : "sequence_matches_model";
	m.regions = regions;
	m.steps = steps;
	mpool_shim_set_nr_cpus(seq_cpus);
	host_log_clear();
	if (setjmp(r.fail)) {
		tap_diag("%s", r.why);
		tap_diag("replay: SEED=%llu SEQ_CPUS=%u STEPS=%u REGIONS=%d ./model_test",
			 (unsigned long long)seed, seq_cpus, steps, regions);
		host_log_dump();
		model_release(&m);
		return tap_result(false, "%s seed %llu, %u CPUs", kind,
				  (unsigned long long)seed, seq_cpus);
	}
	model_run_seed(&m, seed);
	tap_diag("seed %llu: %lu blocks, %lu bad frees, %lu corruptions, %lu drains, %lu regions grown, %lu given back",
		 (unsigned long long)seed, m.nr_allocs, m.nr_bad_frees,
		 m.nr_corruptions, m.nr_drains, m.nr_grows, m.nr_shrunk);
	return tap_result(true, "%s seed %llu, %u CPUs", kind,
			  (unsigned long long)seed, seq_cpus);
}

/* ---- the threads ---- */

struct smp_host {
	struct smp_pool sp;
	struct smp_thread threads[SMP_MAX_THREADS];
	pthread_t tid[SMP_MAX_THREADS];
	pthread_barrier_t start;
};

static void *smp_host_thread(void *arg)
{
	struct smp_thread *t = arg;
	struct smp_host *h = container_of(t->sp, struct smp_host, sp);

	mpool_shim_thread_enter(t->id);
	pthread_barrier_wait(&h->start);
	for (t->step = 1; t->step <= smp_steps; t->step++)
		smp_step(t);
	smp_free_all(t);
	mpool_shim_thread_leave();
	return NULL;
}

/*
 * A hang guard, far beyond what a seed takes: a pool that lost track of
 * a block can loop for ever (a cycle on its stack), and no later case can
 * run then.
 */
static void join_or_give_up(pthread_t tid, u64 seed)
{
	struct timespec limit;

	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += HANG_SECONDS;
	if (!pthread_timedjoin_np(tid, NULL, &limit))
		return;
	tap_diag("replay: SEED=%llu THREADS=%u SMP_STEPS=%lu ./model_test",
		 (unsigned long long)seed, nr_threads, smp_steps);
	tap_result(false, "threads seed %llu, %u threads: still running after %d s",
		   (unsigned long long)seed, nr_threads, HANG_SECONDS);
	host_log_dump();
	tap_end();
	_exit(1);
}

static bool run_threads(u64 seed)
{
	static struct smp_host h;
	struct mpool_stats st, exp;
	char why[320] = "", diff[320];
	unsigned int i, max_hold;
	bool ok = true;

	memset(&h, 0, sizeof(h));
	mpool_shim_set_nr_cpus(nr_threads);
	host_log_clear();
	if (smp_pool_create(&h.sp, seed, nr_threads, why, sizeof(why))) {
		tap_diag("seed %llu: %s", (unsigned long long)seed, why);
		smp_pool_destroy(&h.sp);
		return tap_result(false, "threads seed %llu, %u threads",
				  (unsigned long long)seed, nr_threads);
	}
	mpool_test_max_hold(h.sp.pool);
	pthread_barrier_init(&h.start, NULL, nr_threads);
	for (i = 0; i < nr_threads; i++) {
		smp_thread_init(&h.threads[i], &h.sp, i, seed);
		pthread_create(&h.tid[i], NULL, smp_host_thread, &h.threads[i]);
	}
	for (i = 0; i < nr_threads; i++)
		join_or_give_up(h.tid[i], seed);
	pthread_barrier_destroy(&h.start);

	for (i = 0; i < nr_threads; i++) {
		if (h.threads[i].nr_errors) {
			tap_diag("seed %llu: %s", (unsigned long long)seed,
				 h.threads[i].error);
			ok = false;
		}
	}
	if (!bitmap_empty(h.sp.claimed, h.sp.geo.nr_blocks)) {
		tap_diag("seed %llu: blocks still claimed",
			 (unsigned long long)seed);
		ok = false;
	}
	mpool_get_stats(h.sp.pool, &st);
	smp_expected(&h.sp, h.threads, nr_threads, &st, &exp);
	mpool_kunit_stats_diff(&st, &exp, diff, sizeof(diff));
	if (diff[0]) {
		tap_diag("seed %llu: the pool against the threads' sum:%s",
			 (unsigned long long)seed, diff);
		ok = false;
	}
	max_hold = mpool_test_max_hold(h.sp.pool);
	if (max_hold > mpool_host_hold_max()) {
		tap_diag("seed %llu: one hold of the lock did %u work, more than %u",
			 (unsigned long long)seed, max_hold,
			 mpool_host_hold_max());
		ok = false;
	}
	if (!ok) {
		tap_diag("replay: SEED=%llu THREADS=%u SMP_STEPS=%lu ./model_test",
			 (unsigned long long)seed, nr_threads, smp_steps);
		host_log_dump();
	} else {
		tap_diag("seed %llu: %u threads, %zu blocks of %zu bytes, flags %#x, %llu allocs, %llu failures",
			 (unsigned long long)seed, nr_threads,
			 st.nr_blocks, st.block_size, st.flags,
			 (unsigned long long)st.allocs,
			 (unsigned long long)st.alloc_failures);
	}
	smp_pool_destroy(&h.sp);
	return tap_result(ok, "threads seed %llu, %u threads",
			  (unsigned long long)seed, nr_threads);
}

/* A list of counts from the environment, "8,4", each in [1, @max]. */
struct counts {
	unsigned int n[4];
	unsigned int nr;
};

static void env_counts(const char *name, struct counts *c, unsigned int max)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return;
	c->nr = 0;
	while (*v && c->nr < ARRAY_SIZE(c->n)) {
		c->n[c->nr++] = clamp_t(unsigned long, strtoul(v, &end, 0), 1,
					max);
		if (end == v)
			break;
		v = end + (*end == ',');
	}
}

static struct counts seq_counts = { { 2, 4 }, 2 };
static struct counts smp_counts = { { 8, 4 }, 2 };

static long only_regions = -1;

static void run_seed(u64 seed, unsigned int steps)
{
	unsigned int i;

	for (i = 0; i < seq_counts.nr; i++) {
		seq_cpus = seq_counts.n[i];
		if (only_regions != 1)
			run_sequence(seed, steps, false);
		if (only_regions != 0)
			run_sequence(seed, steps, true);
	}
	if (only_regions >= 0 && !getenv("THREADS"))
		return;
	for (i = 0; i < smp_counts.nr; i++) {
		nr_threads = smp_counts.n[i];
		run_threads(seed);
	}
}

int main(void)
{
	unsigned long extra = env_ulong("EXTRA", 6), i;
	unsigned int steps = env_ulong("STEPS", 2000);
	u64 one = env_ulong("SEED", 0), base;

	env_counts("SEQ_CPUS", &seq_counts, MPOOL_SHIM_MAX_CPUS);
	env_counts("THREADS", &smp_counts, SMP_MAX_THREADS);
	smp_steps = env_ulong("SMP_STEPS", smp_steps);
	if (getenv("REGIONS") && *getenv("REGIONS"))
		only_regions = !!env_ulong("REGIONS", 0);
	tap_begin("model_test: kunit/mpool_model.c on the host");
	mpool_shim_thread_enter(0);
	host_log_capture();
	if (mpool_host_init()) {
		tap_result(false, "init");
		return tap_end();
	}
	if (one) {
		run_seed(one, steps);
	} else {
		base = env_ulong("EXTRA_BASE",
				 (u64)time(NULL) * 1000003 ^ getpid());
		tap_diag("the KUnit suite's seeds, then %lu from EXTRA_BASE=%llu",
			 extra, (unsigned long long)base);
		for (i = 0; i < ARRAY_SIZE(fixed_seeds); i++)
			run_seed(fixed_seeds[i], steps);
		for (i = 0; i < extra; i++)
			run_seed(base + i, steps);
	}
	mpool_host_exit();
	mpool_shim_thread_leave();
	return tap_end();
}
