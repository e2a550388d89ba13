/* SPDX-License-Identifier: GPL-2.0 */
/*
 * make bench NATIVE=1: allocators timed on the host CPU, each built in
 * user space against the kernel shim of ../shim, MPOOL_SHIM_NATIVE: the
 * shim's primitives cost what a production kernel's do (no lockdep, no
 * owner tracking, this_cpu ops without a lock prefix).
 *
 * Each allocator is one translation unit that defines its inline alloc
 * and free and instantiates the workloads on them with BENCH_ALLOCATOR()
 * (workloads.h), so that a workload's loop calls the allocator's API as
 * a kernel consumer would: an exported function directly, a header's
 * inline function inlined.  The harness (bench_native.c) reaches an
 * allocator only through struct bench_allocator, once per thread and
 * workload.
 */
#ifndef MPOOL_BENCH_NATIVE_H
#define MPOOL_BENCH_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "../shim/mpool_shim.h"

/* What a pool is created for. */
struct bench_geometry {
	size_t size;		/* block size, bytes */
	size_t align;		/* 0: the allocator's natural alignment */
	size_t boundary;	/* dma_pool's boundary; 0 for none */
	size_t nr_blocks;	/* blocks the pool must be able to hand out */
};

/*
 * A single-producer single-consumer ring of block pointers, for remote
 * frees: one thread allocates and posts, another takes and frees, the
 * shape of a driver's completion path.  Indices are free-running.
 */
#define BENCH_RING_SLOTS	256

struct bench_ring {
	unsigned long head __aligned(64);	/* consumer's */
	unsigned long tail __aligned(64);	/* producer's */
	void *slot[BENCH_RING_SLOTS] __aligned(64);
};

struct bench_allocator {
	const char *name;
	/* Which workloads it takes part in: BENCH_HAS_* bits. */
	unsigned int has;
	/* A pool for @g, or NULL (the reason printed to stderr). */
	void *(*create)(const struct bench_geometry *g);
	void (*destroy)(void *pool);
	/*
	 * One thread's share of a workload; each returns 0, or -1 when an
	 * alloc failed (the pool was too small: a bug in the harness).
	 */
	int (*pairs)(void *pool, unsigned long n);
	int (*batches)(void *pool, unsigned long n, void **blocks,
		       unsigned int batch);
	int (*bulk)(void *pool, unsigned long n, void **blocks,
		    unsigned int batch);
	int (*produce)(void *pool, struct bench_ring *ring, unsigned long n);
	int (*consume)(void *pool, struct bench_ring *ring, unsigned long n);
	/* dma_pool's workload: @rounds of @nr allocs, then @nr frees. */
	int (*fill_drain)(void *pool, void **blocks, unsigned long nr,
			  unsigned int rounds);
};

#define BENCH_HAS_PAIRS		0x01	/* pairs, batches, bulk, remote */
#define BENCH_HAS_DMA		0x02	/* fill_drain, with dma geometries */
#define BENCH_HAS_BULK_API	0x04	/* bulk is a real bulk API, not singles */
#define BENCH_NO_REMOTE		0x08	/* no remote frees: blocks stay per thread */

/* The allocators this binary has, NULL-terminated (bench_native.c). */
extern const struct bench_allocator *const bench_allocators[];

#endif /* MPOOL_BENCH_NATIVE_H */
