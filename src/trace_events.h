/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mempool_mod trace events, as kmem's are for the slab: every alloc
 * and free with its call site, and what a consumer did wrong.  Compiled
 * in always; a disabled event is a static branch not taken.  Events that
 * carry a block are emitted while the caller holds it: an mpool_free comes
 * before the block's next mpool_alloc, so pairing them finds leaks.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mempool_mod

#if !defined(_MPOOL_TRACE_EVENTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MPOOL_TRACE_EVENTS_H

#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

TRACE_DEFINE_ENUM(MPOOL_FROM_CACHE);
TRACE_DEFINE_ENUM(MPOOL_FROM_DEPOT);
TRACE_DEFINE_ENUM(MPOOL_FROM_STEAL);
TRACE_DEFINE_ENUM(MPOOL_FREE_OUTSIDE);
TRACE_DEFINE_ENUM(MPOOL_FREE_INTERIOR);
TRACE_DEFINE_ENUM(MPOOL_FREE_DOUBLE);
TRACE_DEFINE_ENUM(MPOOL_FREE_QUARANTINED);
TRACE_DEFINE_ENUM(MPOOL_CORRUPT_POISON);
TRACE_DEFINE_ENUM(MPOOL_CORRUPT_REDZONE);
TRACE_DEFINE_ENUM(MPOOL_CORRUPT_LINK);
TRACE_DEFINE_ENUM(MPOOL_CORRUPT_LOST);

TRACE_EVENT(mpool_alloc,

	TP_PROTO(const struct mpool *pool, const void *block,
		 unsigned long call_site, gfp_t gfp, enum mpool_source source),

	TP_ARGS(pool, block, call_site, gfp, source),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(const void *,	block)
		__field(unsigned long,	call_site)
		__field(unsigned long,	gfp_flags)
		__field(unsigned int,	source)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->block = block;
		__entry->call_site = call_site;
		__entry->gfp_flags = (__force unsigned long)gfp;
		__entry->source = source;
	),

	TP_printk("pool=%s block=%p call_site=%pS gfp_flags=%s source=%s",
		  __entry->pool, __entry->block, (void *)__entry->call_site,
		  show_gfp_flags(__entry->gfp_flags),
		  __print_symbolic(__entry->source,
				   { MPOOL_FROM_CACHE, "cache" },
				   { MPOOL_FROM_DEPOT, "depot" },
				   { MPOOL_FROM_STEAL, "steal" }))
);

TRACE_EVENT(mpool_free,

	TP_PROTO(const struct mpool *pool, const void *block,
		 unsigned long call_site),

	TP_ARGS(pool, block, call_site),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(const void *,	block)
		__field(unsigned long,	call_site)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->block = block;
		__entry->call_site = call_site;
	),

	TP_printk("pool=%s block=%p call_site=%pS", __entry->pool,
		  __entry->block, (void *)__entry->call_site)
);

TRACE_EVENT(mpool_alloc_fail,

	TP_PROTO(const struct mpool *pool, unsigned long call_site, gfp_t gfp,
		 size_t nr),

	TP_ARGS(pool, call_site, gfp, nr),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(unsigned long,	call_site)
		__field(unsigned long,	gfp_flags)
		__field(size_t,		nr)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->call_site = call_site;
		__entry->gfp_flags = (__force unsigned long)gfp;
		__entry->nr = nr;
	),

	TP_printk("pool=%s call_site=%pS gfp_flags=%s nr=%zu", __entry->pool,
		  (void *)__entry->call_site,
		  show_gfp_flags(__entry->gfp_flags), __entry->nr)
);

TRACE_EVENT(mpool_refused_free,

	TP_PROTO(const struct mpool *pool, const void *ptr,
		 unsigned long call_site, enum mpool_free_verdict reason),

	TP_ARGS(pool, ptr, call_site, reason),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(const void *,	ptr)
		__field(unsigned long,	call_site)
		__field(unsigned int,	reason)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->ptr = ptr;
		__entry->call_site = call_site;
		__entry->reason = reason;
	),

	TP_printk("pool=%s ptr=%p call_site=%pS reason=%s", __entry->pool,
		  __entry->ptr, (void *)__entry->call_site,
		  __print_symbolic(__entry->reason,
				   { MPOOL_FREE_OUTSIDE, "outside" },
				   { MPOOL_FREE_INTERIOR, "interior" },
				   { MPOOL_FREE_DOUBLE, "double" },
				   { MPOOL_FREE_QUARANTINED, "quarantined" }))
);

TRACE_EVENT(mpool_corruption,

	TP_PROTO(const struct mpool *pool, const void *block, size_t index,
		 enum mpool_corruption_kind kind, size_t offset),

	TP_ARGS(pool, block, index, kind, offset),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(const void *,	block)
		__field(size_t,		index)
		__field(unsigned int,	kind)
		__field(size_t,		offset)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->block = block;
		__entry->index = index;
		__entry->kind = kind;
		__entry->offset = offset;
	),

	TP_printk("pool=%s block=%p index=%zu kind=%s offset=%zu",
		  __entry->pool, __entry->block, __entry->index,
		  __print_symbolic(__entry->kind,
				   { MPOOL_CORRUPT_POISON, "poison" },
				   { MPOOL_CORRUPT_REDZONE, "redzone" },
				   { MPOOL_CORRUPT_LINK, "link" },
				   { MPOOL_CORRUPT_LOST, "lost" }),
		  __entry->offset)
);

TRACE_EVENT(mpool_wait,

	TP_PROTO(const struct mpool *pool, unsigned long call_site,
		 u64 waited_ns, bool got_block),

	TP_ARGS(pool, call_site, waited_ns, got_block),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(unsigned long,	call_site)
		__field(u64,		waited_us)
		__field(bool,		got_block)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->call_site = call_site;
		__entry->waited_us = div_u64(waited_ns, NSEC_PER_USEC);
		__entry->got_block = got_block;
	),

	TP_printk("pool=%s call_site=%pS waited_us=%llu got_block=%d",
		  __entry->pool, (void *)__entry->call_site,
		  __entry->waited_us, __entry->got_block)
);

TRACE_EVENT(mpool_create,

	TP_PROTO(const struct mpool *pool),

	TP_ARGS(pool),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(size_t,		block_size)
		__field(size_t,		align)
		__field(size_t,		stride)
		__field(size_t,		nr_blocks)
		__array(char,		flags,	8)
		__field(unsigned int,	cache_size)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->block_size = pool->block_size;
		__entry->align = pool->align;
		__entry->stride = pool->stride;
		__entry->nr_blocks = pool->nr_blocks;
		mpool_flags_letters(pool->flags, __entry->flags,
				    sizeof(__entry->flags));
		__entry->cache_size = pool->cache_size;
	),

	TP_printk("pool=%s block_size=%zu align=%zu stride=%zu nr_blocks=%zu flags=%s cache_size=%u",
		  __entry->pool, __entry->block_size, __entry->align,
		  __entry->stride, __entry->nr_blocks, __entry->flags,
		  __entry->cache_size)
);

TRACE_EVENT(mpool_destroy,

	TP_PROTO(const struct mpool *pool, size_t in_use),

	TP_ARGS(pool, in_use),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(size_t,		nr_blocks)
		__field(size_t,		in_use)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->nr_blocks = pool->nr_blocks;
		__entry->in_use = in_use;
	),

	TP_printk("pool=%s nr_blocks=%zu in_use=%zu", __entry->pool,
		  __entry->nr_blocks, __entry->in_use)
);

/*
 * mpool_grow() or the worker added @blocks (whole regions) on node @nid
 * (-1: any), or failed.
 */
TRACE_EVENT(mpool_grow,

	TP_PROTO(const struct mpool *pool, int nid, size_t blocks, int err),

	TP_ARGS(pool, nid, blocks, err),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(int,		nid)
		__field(size_t,		blocks)
		__field(size_t,		nr_blocks)
		__field(unsigned int,	nr_regions)
		__field(int,		err)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->nid = nid;
		__entry->blocks = blocks;
		__entry->nr_blocks = READ_ONCE(pool->nr_blocks);
		__entry->nr_regions = READ_ONCE(pool->nr_regions);
		__entry->err = err;
	),

	TP_printk("pool=%s nid=%d blocks=%zu nr_blocks=%zu nr_regions=%u err=%d",
		  __entry->pool, __entry->nid, __entry->blocks,
		  __entry->nr_blocks, __entry->nr_regions, __entry->err)
);

/* mpool_shrink() or the shrinker gave back @blocks, in whole regions. */
TRACE_EVENT(mpool_shrink,

	TP_PROTO(const struct mpool *pool, size_t blocks),

	TP_ARGS(pool, blocks),

	TP_STRUCT__entry(
		__array(char,		pool,	MPOOL_NAME_MAX + 1)
		__field(size_t,		blocks)
		__field(size_t,		nr_blocks)
		__field(unsigned int,	nr_regions)
	),

	TP_fast_assign(
		memcpy(__entry->pool, pool->name, sizeof(__entry->pool));
		__entry->blocks = blocks;
		__entry->nr_blocks = READ_ONCE(pool->nr_blocks);
		__entry->nr_regions = READ_ONCE(pool->nr_regions);
	),

	TP_printk("pool=%s blocks=%zu nr_blocks=%zu nr_regions=%u",
		  __entry->pool, __entry->blocks, __entry->nr_blocks,
		  __entry->nr_regions)
);

#endif /* _MPOOL_TRACE_EVENTS_H */

/* An out-of-tree module: define_trace.h finds this file through Kbuild's -I. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH src
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace_events
#include <trace/define_trace.h>
