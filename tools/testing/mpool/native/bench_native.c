// SPDX-License-Identifier: GPL-2.0
/*
 * bench_native: the allocators of this binary timed on the host CPU, one
 * thread pinned per core, each thread a simulated CPU of the shim.
 *
 *	bench_native [-q] [-r reps] [-n ops] [-z 0|1] [-V variant]
 *		     [-a alloc,...] [-w workload,...] [-s size,...]
 *
 * For each repetition, every cell (workload, block size, threads) runs
 * every allocator in turn, so that the repetitions interleave; each run
 * is one line on stdout:
 *
 *	sample <variant> <init_on_alloc> <workload> <allocator> <size>
 *	       <align> <threads> <rep> <ops> <ns_per_op> <bulk_api>
 *
 * <ns_per_op> is the time one alloc and one free of a block take: over
 * each thread's own timed loop and the mean over the threads (pair,
 * batch32, bulk16, dma), or the wall time of the slower of the two
 * threads (remote, whose threads work as one pipeline).  The host takes
 * the medians.  "end ok" closes a run in which nothing failed.
 *
 * -q is make check's quick mode: a few thousand operations a cell, one
 * repetition, nothing timed against anything.
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../shim/mpool_shim.h"
#include "../mpool_host.h"
#include "bench_native.h"

extern const struct bench_allocator bench_floor, bench_mpool,
	bench_mpool_nopcpu;
#ifdef BENCH_PEERS
extern const struct bench_allocator bench_objpool, bench_dma_pool,
	bench_gen_pool;
#endif

const struct bench_allocator *const bench_allocators[] = {
	&bench_floor,
	&bench_mpool,
	&bench_mpool_nopcpu,
#ifdef BENCH_PEERS
	&bench_objpool,
	&bench_dma_pool,
	&bench_gen_pool,
#endif
	NULL
};

enum bench_workload { PAIR, BATCH32, BULK16, REMOTE, DMA, NR_WORKLOADS };

static const char *const workload_name[NR_WORKLOADS] = {
	[PAIR] = "pair", [BATCH32] = "batch32", [BULK16] = "bulk16",
	[REMOTE] = "remote", [DMA] = "dma",
};

/* The thread counts each workload runs with, 0-terminated. */
static const unsigned int workload_threads[NR_WORKLOADS][3] = {
	[PAIR] = { 1, 2 }, [BATCH32] = { 1, 2 }, [BULK16] = { 1 },
	[REMOTE] = { 2 }, [DMA] = { 1 },
};

/* Blocks in a pool for the pair workloads: the TCG bench's. */
#define POOL_BLOCKS	4096
#define DMA_ROUNDS	100

/* mm/dmapool_test.c's geometries: size, align, boundary. */
static const struct bench_geometry dma_geometries[] = {
	{ 16, 16, 0 }, { 64, 64, 0 }, { 256, 256, 0 }, { 1024, 1024, 0 },
	{ 4096, 4096, 0 }, { 68, 32, 4096 },
};

static struct {
	unsigned int reps;
	unsigned long ops;		/* per thread and sample */
	bool quick;
	bool init_on_alloc;
	const char *variant;
	char *allocs, *workloads, *sizes;
} opt = {
	.reps = 5, .ops = 2000000, .init_on_alloc = true,
	.variant = "product",
};

static bool failed;

struct bench_thread {
	pthread_t tid;
	unsigned int cpu;
	const struct bench_allocator *a;
	enum bench_workload w;
	void *pool;
	struct bench_ring *ring;
	unsigned long ops;
	unsigned int dma_rounds;
	pthread_barrier_t *start;
	u64 ns;
	int err;
};

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "warning: cannot pin to CPU %u\n", cpu);
}

/* One pass of the thread's workload over @ops operations. */
static int run_once(struct bench_thread *t, unsigned long ops, void **blocks)
{
	switch (t->w) {
	case PAIR:
		return t->a->pairs(t->pool, ops);
	case BATCH32:
		return t->a->batches(t->pool, ops, blocks, 32);
	case BULK16:
		return t->a->bulk(t->pool, ops, blocks, 16);
	case REMOTE:
		return t->cpu == 0 ? t->a->produce(t->pool, t->ring, ops) :
				     t->a->consume(t->pool, t->ring, ops);
	case DMA:
		return t->a->fill_drain(t->pool, blocks, ops, t->dma_rounds);
	default:
		return -1;
	}
}

static void *thread_fn(void *arg)
{
	struct bench_thread *t = arg;
	void **blocks = calloc(t->w == DMA ? t->ops : 32, sizeof(void *));
	unsigned long warm = t->w == DMA ? t->ops : min(t->ops / 8, 50000UL);
	u64 start;

	pin(t->cpu);
	mpool_shim_thread_enter(t->cpu);
	t->err = blocks ? 0 : -1;
	/* Warm the caches and the pool; a remote pair warms as a pair. */
	if (!t->err && t->w != REMOTE)
		t->err = t->w == DMA ? t->a->fill_drain(t->pool, blocks, warm, 1) :
				       run_once(t, warm & ~31UL, blocks);
	pthread_barrier_wait(t->start);
	start = now_ns();
	if (!t->err)
		t->err = run_once(t, t->ops, blocks);
	t->ns = now_ns() - start;
	mpool_shim_thread_leave();
	free(blocks);
	return NULL;
}

/* Run one sample and print its line; false if it failed. */
static bool sample(const struct bench_allocator *a, enum bench_workload w,
		   const struct bench_geometry *g, unsigned int threads,
		   unsigned int rep)
{
	struct bench_thread t[2] = {};
	pthread_barrier_t start;
	unsigned long ops = opt.ops, per_op;
	struct bench_ring *ring = NULL;
	double ns = 0;
	unsigned int i;
	void *pool;

	pool = a->create(g);
	if (!pool) {
		printf("error %s: create failed for %s %zu\n", a->name,
		       workload_name[w], g->size);
		failed = true;
		return false;
	}
	if (w == REMOTE) {
		ring = aligned_alloc(64, sizeof(*ring));
		if (!ring) {
			a->destroy(pool);
			printf("error %s: no memory for the ring\n", a->name);
			failed = true;
			return false;
		}
		memset(ring, 0, sizeof(*ring));
	}
	ops &= ~31UL;
	per_op = ops;
	pthread_barrier_init(&start, NULL, threads);
	for (i = 0; i < threads; i++) {
		t[i] = (struct bench_thread){
			.cpu = i, .a = a, .w = w, .pool = pool, .ring = ring,
			.ops = ops, .start = &start,
		};
		if (w == DMA) {
			t[i].ops = g->nr_blocks;
			t[i].dma_rounds = opt.quick ? 2 : DMA_ROUNDS;
			per_op = g->nr_blocks * t[i].dma_rounds;
		}
		if (pthread_create(&t[i].tid, NULL, thread_fn, &t[i])) {
			/* The others wait at the barrier for ever: give up. */
			printf("error %s: cannot start a thread\n", a->name);
			exit(1);
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].tid, NULL);
		if (t[i].err) {
			printf("error %s: an alloc failed in %s %zu, %u threads\n",
			       a->name, workload_name[w], g->size, threads);
			failed = true;
		}
		if (w == REMOTE)
			ns = max(ns, (double)t[i].ns / per_op);
		else
			ns += (double)t[i].ns / per_op / threads;
	}
	pthread_barrier_destroy(&start);
	a->destroy(pool);
	free(ring);
	printf("sample %s %d %s %s %zu %zu %u %u %lu %.2f %d\n", opt.variant,
	       opt.init_on_alloc, workload_name[w], a->name, g->size, g->align,
	       threads, rep, per_op, ns, !!(a->has & BENCH_HAS_BULK_API));
	fflush(stdout);
	return !t[0].err && !t[1].err;
}

/* Whether @name is in the comma-separated @list; an unset list has all. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

static bool takes_part(const struct bench_allocator *a, enum bench_workload w)
{
	if (!listed(opt.allocs, a->name))
		return false;
	if (w == DMA)
		return a->has & BENCH_HAS_DMA;
	if (w == REMOTE && (a->has & BENCH_NO_REMOTE))
		return false;
	return a->has & BENCH_HAS_PAIRS;
}

static void run_cell(enum bench_workload w, const struct bench_geometry *g,
		     unsigned int threads, unsigned int rep)
{
	const struct bench_allocator *const *a;

	for (a = bench_allocators; *a; a++) {
		if (takes_part(*a, w))
			sample(*a, w, g, threads, rep);
	}
}

static void run_rep(unsigned int rep)
{
	static const size_t sizes[] = { 64, 256, 1024 };
	enum bench_workload w;
	const unsigned int *threads;
	size_t i;
	char size[16];

	for (w = 0; w < NR_WORKLOADS; w++) {
		if (!listed(opt.workloads, workload_name[w]))
			continue;
		if (w == DMA) {
			for (i = 0; i < ARRAY_SIZE(dma_geometries); i++) {
				struct bench_geometry g = dma_geometries[i];

				/* As mm/dmapool_test.c sizes a pool. */
				g.nr_blocks = clamp_t(size_t,
						      4096 / g.size * 512,
						      1024, 8192);
				run_cell(w, &g, 1, rep);
			}
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			struct bench_geometry g = {
				.size = sizes[i], .nr_blocks = POOL_BLOCKS,
			};

			snprintf(size, sizeof(size), "%zu", sizes[i]);
			if (!listed(opt.sizes, size))
				continue;
			for (threads = workload_threads[w]; *threads; threads++)
				run_cell(w, &g, *threads, rep);
		}
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-q] [-r reps] [-n ops] [-z 0|1] [-V variant]\n"
		"\t[-a alloc,...] [-w workload,...] [-s size,...]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int rep;
	int c;

	while ((c = getopt(argc, argv, "qr:n:z:V:a:w:s:h")) != -1) {
		switch (c) {
		case 'q':
			opt.quick = true;
			opt.reps = 1;
			opt.ops = 4096;
			break;
		case 'r':
			opt.reps = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			opt.ops = strtoul(optarg, NULL, 0);
			break;
		case 'z':
			opt.init_on_alloc = strtoul(optarg, NULL, 0);
			break;
		case 'V':
			opt.variant = optarg;
			break;
		case 'a':
			opt.allocs = optarg;
			break;
		case 'w':
			opt.workloads = optarg;
			break;
		case 's':
			opt.sizes = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || !opt.reps || opt.ops < 32)
		usage(argv[0]);

	/* As many simulated CPUs as the runs use; each a core of its own. */
	mpool_shim_set_nr_cpus(2);
	mpool_shim_init_on_alloc = opt.init_on_alloc;
	if (mpool_host_init()) {
		printf("error mpool_host_init failed\n");
		return 1;
	}
	mpool_shim_thread_enter(0);
	for (rep = 0; rep < opt.reps; rep++)
		run_rep(rep);
	mpool_shim_thread_leave();
	mpool_host_exit();
	printf(failed ? "end failed\n" : "end ok\n");
	return failed;
}
