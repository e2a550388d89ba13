// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking allocations: mpool_alloc(GFP_KERNEL) on an empty pool sleeps
 * until a free wakes it (mpool_wait_for_free(): a grace period, then the
 * pool's wait queue), and mpool_destroy() with sleepers wakes them, gets
 * them out with NULL, and frees the pool only once they have left it.
 * A gfp that asks to fail rather than wait long fails at once, and
 * mpool_alloc_timeout() gives up when its time runs out.
 * Real threads sleep on a condition variable here, so a lost wake-up is
 * a hang (a verdict after 60 s), and the destroyed pool's memory is
 * AddressSanitizer's to watch.
 *
 * Environment: THREADS=N (2 to 6, default 6), ROUNDS=N per thread
 * (default 3000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "host_log.h"
#include "mpool_host.h"
#include "tap.h"

#define HANG_SECONDS	60
/*
 * THREADS threads hold HOLD blocks each at most, taken one by one:
 * THREADS * HOLD > WAIT_BLOCKS, so that they wait, and THREADS *
 * (HOLD - 1) < WAIT_BLOCKS, so that one of them always finishes.  With
 * THREADS + 1 CPUs, each CPU caches 2 blocks.
 */
#define WAIT_BLOCKS	28
#define HOLD		5
#define MAX_THREADS	6
#define BLOCK_SIZE	32

struct waiter {
	pthread_t tid;
	unsigned int cpu;
	gfp_t gfp;		/* sleep_on_empty()'s, 0 for GFP_KERNEL */
	unsigned long timeout;	/* its mpool_alloc_timeout()'s, if not 0 */
	u64 allocs, nulls;
	void *block;		/* sleep_on_empty()'s, if it got one */
	bool done;		/* sleep_on_empty() returned */
};

static struct mpool *pool;
static unsigned int nr_threads = 6;
static unsigned long rounds = 3000;
static struct waiter waiters[MPOOL_SHIM_MAX_CPUS];

static bool join_in_time(pthread_t tid)
{
	struct timespec limit;

	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += HANG_SECONDS;
	return !pthread_timedjoin_np(tid, NULL, &limit);
}

/* HOLD blocks, each taken while the ones before are held, then freed. */
static void *contend(void *arg)
{
	struct waiter *w = arg;
	void *held[HOLD];
	unsigned long i;
	unsigned int j;

	mpool_shim_thread_enter(w->cpu);
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < HOLD; j++) {
			held[j] = mpool_alloc(pool, GFP_KERNEL | __GFP_ZERO);
			w->allocs += !!held[j];
			w->nulls += !held[j] ||
				    memchr_inv(held[j], 0, BLOCK_SIZE);
			if (held[j])
				memset(held[j], w->cpu + 1, BLOCK_SIZE);
		}
		if (i % 3 == 0)
			sched_yield();
		for (j = 0; j < HOLD; j++)
			mpool_free(pool, held[j]);
	}
	mpool_shim_thread_leave();
	return NULL;
}

static void *sleep_on_empty(void *arg);

/*
 * One alloc that must wait, whatever the scheduler does: the pool emptied
 * here, a thread asleep in it, then one free.  The threads that follow
 * wait only when the scheduler runs them together, which a busy host may
 * never do.
 */
static bool woken_by_one_free(void)
{
	struct waiter w = { .cpu = 1 };
	time_t limit = time(NULL) + HANG_SECONDS;
	void *held[WAIT_BLOCKS];
	unsigned int n = 0;
	bool ok = true;

	while (n < WAIT_BLOCKS && (held[n] = mpool_alloc(pool, GFP_ATOMIC)))
		n++;
	if (n != WAIT_BLOCKS) {
		tap_diag("took %u of %u blocks", n, WAIT_BLOCKS);
		ok = false;
	}
	pthread_create(&w.tid, NULL, sleep_on_empty, &w);
	/* Asleep in the pool's queue, not merely on its way to it. */
	while (!mpool_shim_nr_sleeping() && time(NULL) < limit)
		usleep(1000);
	if (!mpool_shim_nr_sleeping()) {
		tap_diag("the alloc on an empty pool never slept");
		ok = false;
	}
	if (n)
		mpool_free(pool, held[--n]);
	if (!join_in_time(w.tid)) {
		tap_diag("the sleeper still waits %d s after a free: a lost wake-up",
			 HANG_SECONDS);
		return false;
	}
	if (!w.block) {
		tap_diag("the sleeper woken by a free got NULL");
		ok = false;
	}
	mpool_free(pool, w.block);
	while (n)
		mpool_free(pool, held[--n]);
	return ok;
}

/* Each thread waits now and then, none for ever. */
static void woken_by_frees(const char *name, unsigned int flags)
{
	u64 allocs = 0, nulls = 0, waits;
	struct mpool_stats st;
	unsigned int i;
	bool ok = true;

	pool = mpool_create("wait_test", BLOCK_SIZE, 0, WAIT_BLOCKS, flags);
	mpool_get_stats(pool, &st);
	if (!(flags & MPOOL_NO_PERCPU) && !st.cache_size) {
		tap_diag("no per-CPU rings");
		ok = false;
	}
	mpool_shim_trace_on = true;
	waits = mpool_shim_trace_count("mpool_wait");
	if (!woken_by_one_free()) {
		host_log_dump();
		tap_result(false, "%s", name);
		tap_end();
		_exit(1);
	}
	for (i = 0; i < nr_threads; i++) {
		waiters[i] = (struct waiter){ .cpu = i };
		pthread_create(&waiters[i].tid, NULL, contend, &waiters[i]);
	}
	for (i = 0; i < nr_threads; i++) {
		if (!join_in_time(waiters[i].tid)) {
			tap_diag("a thread still waits after %d s: a lost wake-up",
				 HANG_SECONDS);
			tap_result(false, "%s", name);
			tap_end();
			_exit(1);
		}
		allocs += waiters[i].allocs;
		nulls += waiters[i].nulls;
	}
	waits = mpool_shim_trace_count("mpool_wait") - waits;
	mpool_shim_trace_on = false;
	mpool_get_stats(pool, &st);
	tap_diag("%s: %llu allocs, %llu of them waited",
		 name, (unsigned long long)allocs, (unsigned long long)waits);
	/* And the certain one's. */
	allocs += WAIT_BLOCKS + 1;
	if (nulls || st.allocs != allocs || st.frees != allocs || st.in_use ||
	    st.alloc_failures) {
		tap_diag("%llu NULL or unzeroed; pool: %llu allocs, %llu frees, %zu in use, %llu failures",
			 (unsigned long long)nulls,
			 (unsigned long long)st.allocs,
			 (unsigned long long)st.frees, st.in_use,
			 (unsigned long long)st.alloc_failures);
		ok = false;
	}
	if (!waits) {
		tap_diag("not even the certain wait was traced");
		ok = false;
	}
	if (!ok)
		host_log_dump();
	mpool_destroy(pool);
	tap_result(ok, "%s", name);
}

static void *sleep_on_empty(void *arg)
{
	struct waiter *w = arg;
	void *p;

	mpool_shim_thread_enter(w->cpu);
	if (w->timeout)
		p = mpool_alloc_timeout(pool, w->gfp ?: GFP_KERNEL, w->timeout);
	else
		p = mpool_alloc(pool, w->gfp ?: GFP_KERNEL);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	w->allocs += !!p;
	w->nulls += !p;
	w->block = p;
	mpool_shim_thread_leave();
	return NULL;
}

/*
 * An alloc on an empty pool with @gfp, a gfp that may block but asks to
 * fail rather than wait long: NULL, and never asleep in the pool.  A call
 * seen asleep fails the case; a free ends it.
 */
static void fails_at_once(const char *name, gfp_t gfp)
{
	struct waiter w = { .cpu = 1, .gfp = gfp };
	time_t limit = time(NULL) + HANG_SECONDS;
	bool slept = false, ok = true;
	void *held[2];

	pool = mpool_create("wait_test", BLOCK_SIZE, 0, 2, 0);
	held[0] = mpool_alloc(pool, GFP_KERNEL);
	held[1] = mpool_alloc(pool, GFP_KERNEL);
	pthread_create(&w.tid, NULL, sleep_on_empty, &w);
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE) &&
	       !(slept = mpool_shim_nr_sleeping()) && time(NULL) < limit)
		usleep(1000);
	if (slept) {
		tap_diag("%s slept on an empty pool", name);
		ok = false;
	}
	mpool_free(pool, held[0]);
	if (!join_in_time(w.tid)) {
		tap_result(false, "%s: still asleep after a free", name);
		tap_end();
		_exit(1);
	}
	if (w.block && !slept) {
		tap_diag("%s got a block from an empty pool", name);
		ok = false;
	}
	mpool_free(pool, w.block);
	mpool_free(pool, held[1]);
	mpool_destroy(pool);
	tap_result(ok, "%s on an empty pool: NULL at once", name);
}

/*
 * mpool_alloc_timeout() on an empty pool: NULL once its time ran out, and
 * not before; the timed sleep is TSan's to watch with the wake-ups.
 */
static void timeout_runs_out(void)
{
	const unsigned long timeout = 50;	/* jiffies: ms here */
	struct waiter w = { .cpu = 1, .timeout = timeout };
	unsigned long began;
	bool ok = true;
	void *held;

	pool = mpool_create("wait_test", BLOCK_SIZE, 0, 1, 0);
	held = mpool_alloc(pool, GFP_KERNEL);
	began = jiffies;
	pthread_create(&w.tid, NULL, sleep_on_empty, &w);
	if (!join_in_time(w.tid)) {
		mpool_free(pool, held);
		tap_result(false, "mpool_alloc_timeout(): still asleep after %d s",
			   HANG_SECONDS);
		tap_end();
		_exit(1);
	}
	if (w.block) {
		tap_diag("a block from an empty pool");
		ok = false;
	}
	if (time_before(jiffies, began + timeout)) {
		tap_diag("gave up after %lu of %lu jiffies", jiffies - began,
			 timeout);
		ok = false;
	}
	mpool_free(pool, held);
	mpool_destroy(pool);
	tap_result(ok, "mpool_alloc_timeout() on an empty pool: NULL when its time ran out");
}

/* Sleepers in a pool being destroyed: woken, NULL, waited for. */
static void destroy_wakes_sleepers(void)
{
	unsigned int i, n = min(nr_threads, 3U);
	u64 nulls = 0;
	void *held[2];
	bool ok = true;
	time_t limit = time(NULL) + HANG_SECONDS;

	pool = mpool_create("wait_test", BLOCK_SIZE, 0, 2, 0);
	held[0] = mpool_alloc(pool, GFP_KERNEL);
	held[1] = mpool_alloc(pool, GFP_KERNEL);
	host_log_clear();
	for (i = 0; i < n; i++) {
		waiters[i] = (struct waiter){ .cpu = i + 1 };
		pthread_create(&waiters[i].tid, NULL, sleep_on_empty,
			       &waiters[i]);
	}
	/* Asleep in the pool's queue, not merely on their way to it. */
	while (mpool_shim_nr_sleeping() < n && time(NULL) < limit)
		usleep(1000);
	if (mpool_shim_nr_sleeping() < n) {
		tap_diag("only %u of %u threads asleep", mpool_shim_nr_sleeping(),
			 n);
		ok = false;
	}
	mpool_destroy(pool);
	for (i = 0; i < n; i++) {
		if (!join_in_time(waiters[i].tid)) {
			tap_result(false, "destroy wakes sleepers: a thread still waits");
			tap_end();
			_exit(1);
		}
		nulls += waiters[i].nulls;
	}
	if (nulls != n) {
		tap_diag("%llu of %u sleepers got NULL", (unsigned long long)nulls,
			 n);
		ok = false;
	}
	if (!host_log_has("tasks wait in mpool_alloc(); they get NULL")) {
		tap_diag("no report of the sleepers");
		ok = false;
	}
	/* Destroyed with 2 blocks in use: they stay valid memory. */
	memset(held[0], 0, BLOCK_SIZE);
	memset(held[1], 0, BLOCK_SIZE);
	if (!ok)
		host_log_dump();
	tap_result(ok, "destroy wakes sleepers, NULL for each, then frees");
}

int main(void)
{
	const char *v;

	if ((v = getenv("THREADS")) && *v)
		nr_threads = clamp(atoi(v), 2, MAX_THREADS);
	if ((v = getenv("ROUNDS")) && *v)
		rounds = strtoul(v, NULL, 0);
	tap_begin("wait_test: blocking allocs, woken or evicted");
	mpool_shim_set_nr_cpus(nr_threads + 1);
	mpool_shim_thread_enter(nr_threads);
	host_log_capture();
	if (mpool_host_init()) {
		tap_result(false, "init");
		return tap_end();
	}
	woken_by_frees("blocking allocs woken by frees: per-CPU rings", 0);
	woken_by_frees("blocking allocs woken by frees: MPOOL_NO_PERCPU",
		       MPOOL_NO_PERCPU);
	destroy_wakes_sleepers();
	fails_at_once("GFP_KERNEL | __GFP_NORETRY", GFP_KERNEL | __GFP_NORETRY);
	fails_at_once("GFP_KERNEL | __GFP_RETRY_MAYFAIL",
		      GFP_KERNEL | __GFP_RETRY_MAYFAIL);
	timeout_runs_out();
	mpool_host_exit();
	mpool_shim_thread_leave();
	return tap_end();
}
