/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads, instantiated once per allocator on its own inline
 * operations.  Before BENCH_ALLOCATOR(name, has), the including file
 * defines, all static inline on a void *pool:
 *
 *	void *name_alloc(void *pool);
 *	void name_free(void *pool, void *block);
 *	bool name_alloc_bulk(void *pool, unsigned int nr, void **blocks);
 *	void name_free_bulk(void *pool, unsigned int nr, void **blocks);
 *	void *name_create(const struct bench_geometry *g);
 *	void name_destroy(void *pool);
 *
 * An allocator with no bulk API gives a loop of singles
 * (BENCH_BULK_OF_SINGLES()), and leaves BENCH_HAS_BULK_API out of @has:
 * the results say so.
 * BENCH_ALLOCATOR_OPS(name, ops, has) takes the operations from ops_*()
 * instead, for an allocator whose own API already has name_alloc().
 *
 * Every block handed out is written once, as a consumer would, so that
 * an allocator whose free list lives in the block pays for its miss.
 */
#ifndef MPOOL_BENCH_WORKLOADS_H
#define MPOOL_BENCH_WORKLOADS_H

#include "bench_native.h"

/* Spin politely: the other thread of a remote pair needs the core. */
static inline void bench_relax(void)
{
	__builtin_ia32_pause();
}

static inline void bench_touch(void *block, unsigned long value)
{
	*(volatile unsigned long *)block = value;
}

/*
 * For an allocator with no bulk API: OPS_alloc_bulk() and OPS_free_bulk()
 * as loops of its singles, the alloc all or nothing.
 */
#define BENCH_BULK_OF_SINGLES(OPS)					\
static inline bool OPS##_alloc_bulk(void *pool, unsigned int nr,	\
				    void **blocks)			\
{									\
	unsigned int i;							\
									\
	for (i = 0; i < nr; i++) {					\
		blocks[i] = OPS##_alloc(pool);				\
		if (__builtin_expect(!blocks[i], 0)) {			\
			while (i--)					\
				OPS##_free(pool, blocks[i]);		\
			return false;					\
		}							\
	}								\
	return true;							\
}									\
									\
static inline void OPS##_free_bulk(void *pool, unsigned int nr,	\
				   void **blocks)			\
{									\
	unsigned int i;							\
									\
	for (i = 0; i < nr; i++)					\
		OPS##_free(pool, blocks[i]);				\
}

#define BENCH_ALLOCATOR_OPS(NAME, OPS, HAS)					\
static int OPS##_pairs(void *pool, unsigned long n)			\
{									\
	unsigned long i;						\
	void *block;							\
									\
	for (i = 0; i < n; i++) {					\
		block = OPS##_alloc(pool);				\
		if (__builtin_expect(!block, 0))			\
			return -1;					\
		bench_touch(block, i);					\
		OPS##_free(pool, block);				\
	}								\
	return 0;							\
}									\
									\
static int OPS##_batches(void *pool, unsigned long n, void **blocks,	\
			  unsigned int batch)				\
{									\
	unsigned long done;						\
	unsigned int i;							\
									\
	for (done = 0; done < n; done += batch) {			\
		for (i = 0; i < batch; i++) {				\
			blocks[i] = OPS##_alloc(pool);			\
			if (__builtin_expect(!blocks[i], 0))		\
				return -1;				\
			bench_touch(blocks[i], i);			\
		}							\
		for (i = 0; i < batch; i++)				\
			OPS##_free(pool, blocks[i]);			\
	}								\
	return 0;							\
}									\
									\
static int OPS##_bulk(void *pool, unsigned long n, void **blocks,	\
		       unsigned int batch)				\
{									\
	unsigned long done;						\
	unsigned int i;							\
									\
	for (done = 0; done < n; done += batch) {			\
		if (__builtin_expect(!OPS##_alloc_bulk(pool, batch,	\
							blocks), 0))	\
			return -1;					\
		for (i = 0; i < batch; i++)				\
			bench_touch(blocks[i], i);			\
		OPS##_free_bulk(pool, batch, blocks);			\
	}								\
	return 0;							\
}									\
									\
/* Allocate @n blocks and post each to @ring; retry an empty pool. */	\
static int OPS##_produce(void *pool, struct bench_ring *ring,		\
			  unsigned long n)				\
{									\
	unsigned long tail = 0, head;					\
	void *block;							\
									\
	for (; tail < n; tail++) {					\
		while (!(block = OPS##_alloc(pool)))			\
			bench_relax();					\
		bench_touch(block, tail);				\
		do {							\
			head = __atomic_load_n(&ring->head,		\
					       __ATOMIC_ACQUIRE);	\
		} while (tail - head >= BENCH_RING_SLOTS &&		\
			 (bench_relax(), 1));				\
		ring->slot[tail % BENCH_RING_SLOTS] = block;		\
		__atomic_store_n(&ring->tail, tail + 1,			\
				 __ATOMIC_RELEASE);			\
	}								\
	return 0;							\
}									\
									\
/* Take @n blocks from @ring and free each. */				\
static int OPS##_consume(void *pool, struct bench_ring *ring,		\
			  unsigned long n)				\
{									\
	unsigned long head = 0;						\
	void *block;							\
									\
	for (; head < n; head++) {					\
		while (__atomic_load_n(&ring->tail,			\
				       __ATOMIC_ACQUIRE) == head)	\
			bench_relax();					\
		block = ring->slot[head % BENCH_RING_SLOTS];		\
		__atomic_store_n(&ring->head, head + 1,			\
				 __ATOMIC_RELEASE);			\
		OPS##_free(pool, block);				\
	}								\
	return 0;							\
}									\
									\
static int OPS##_fill_drain(void *pool, void **blocks,			\
			     unsigned long nr, unsigned int rounds)	\
{									\
	unsigned long i;						\
									\
	while (rounds--) {						\
		for (i = 0; i < nr; i++) {				\
			blocks[i] = OPS##_alloc(pool);			\
			if (__builtin_expect(!blocks[i], 0))		\
				return -1;				\
		}							\
		for (i = 0; i < nr; i++)				\
			OPS##_free(pool, blocks[i]);			\
	}								\
	return 0;							\
}									\
									\
const struct bench_allocator bench_##NAME = {				\
	.name		= #NAME,					\
	.has		= (HAS),					\
	.create		= OPS##_create,				\
	.destroy	= OPS##_destroy,				\
	.pairs		= OPS##_pairs,					\
	.batches	= OPS##_batches,				\
	.bulk		= OPS##_bulk,					\
	.produce	= OPS##_produce,				\
	.consume	= OPS##_consume,				\
	.fill_drain	= OPS##_fill_drain,				\
}

#define BENCH_ALLOCATOR(NAME, HAS)	BENCH_ALLOCATOR_OPS(NAME, NAME, HAS)

#endif /* MPOOL_BENCH_WORKLOADS_H */
