// SPDX-License-Identifier: GPL-2.0
/* The trace events' counters, by name: see shim/linux/tracepoint.h. */
#include "mpool_shim.h"

bool mpool_shim_trace_on;

static struct {
	const char *event;
	unsigned long *hits;
} mpool_shim_events[32];

/* From constructors, before main(): no lock. */
void mpool_shim_trace_register(const char *event, unsigned long *hits)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mpool_shim_events); i++) {
		if (!mpool_shim_events[i].event) {
			mpool_shim_events[i].event = event;
			mpool_shim_events[i].hits = hits;
			return;
		}
	}
	mpool_shim_bug(__FILE__, __LINE__, "too many trace events");
}

unsigned long mpool_shim_trace_count(const char *event)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mpool_shim_events); i++) {
		if (mpool_shim_events[i].event &&
		    !strcmp(mpool_shim_events[i].event, event))
			return __atomic_load_n(mpool_shim_events[i].hits,
					       __ATOMIC_RELAXED);
	}
	mpool_shim_bug(__FILE__, __LINE__, "no such trace event");
}
