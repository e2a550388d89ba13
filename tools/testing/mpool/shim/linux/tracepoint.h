/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TRACE_EVENT() as a counter: src/trace_events.h declares, unchanged, a
 * trace_<event>() and a trace_<event>_enabled() for each event, which
 * count, by the event's name, while mpool_shim_trace_on is set: see
 * mpool_shim_trace_count().  What the event records and prints is the
 * kernel's business and left out.
 */
#ifndef MPOOL_SHIM_TRACEPOINT_H
#define MPOOL_SHIM_TRACEPOINT_H

#include "../mpool_shim.h"

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_DEFINE_ENUM(x)	_Static_assert(1, #x)
#ifdef NOTRACE
/* As the kernel's linux/tracepoint.h: every event an empty inline. */
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	static inline bool trace_##name##_enabled(void)		\
	{								\
		return false;						\
	}								\
	static inline void trace_##name(proto)				\
	{								\
	}								\
	_Static_assert(1, #name)
#else
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	static unsigned long mpool_shim_hits_##name;			\
	static void __attribute__((constructor))			\
	mpool_shim_register_##name(void)				\
	{								\
		mpool_shim_trace_register(#name, &mpool_shim_hits_##name); \
	}								\
	static inline bool trace_##name##_enabled(void)		\
	{								\
		return mpool_shim_trace_on;				\
	}								\
	static inline void trace_##name(proto)				\
	{								\
		mpool_shim_trace_hit(&mpool_shim_hits_##name);		\
	}								\
	_Static_assert(1, #name)
#endif

#endif /* MPOOL_SHIM_TRACEPOINT_H */
