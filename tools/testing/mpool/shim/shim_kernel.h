/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pool declares to the rest of the kernel: exports, CPU
 * hotplug, trace events, and the types of the sysfs, debugfs and
 * mempool_t parts, which the host build leaves out.
 *
 * CPU hotplug keeps each instance, so that a test can take a simulated
 * CPU down with mpool_shim_cpu_dead() and see its cache emptied.  A trace
 * event counts its hits while mpool_shim_trace_on is set, so that the
 * code that feeds an enabled event runs too, and a test can see that an
 * event fired (shim/linux/tracepoint.h).
 */
#ifndef MPOOL_SHIM_KERNEL_H
#define MPOOL_SHIM_KERNEL_H

#include "shim_mm.h"

#define EXPORT_SYMBOL_NS_GPL(sym, ns)	extern typeof(sym) sym
#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME		"mempool_mod"
#endif

/* ---- CPU hotplug ---- */
enum cpuhp_state {
	CPUHP_INVALID = -1,
	CPUHP_BP_PREPARE_DYN = 1,
};

int cpuhp_setup_state_multi(enum cpuhp_state state, const char *name,
			    int (*startup)(unsigned int cpu,
					   struct hlist_node *node),
			    int (*teardown)(unsigned int cpu,
					    struct hlist_node *node));
void cpuhp_remove_multi_state(enum cpuhp_state state);
int cpuhp_state_add_instance_nocalls(enum cpuhp_state state,
				     struct hlist_node *node);
int cpuhp_state_remove_instance_nocalls(enum cpuhp_state state,
					struct hlist_node *node);
/* Run every instance's teardown for @cpu, as a CPU going offline does. */
void mpool_shim_cpu_dead(unsigned int cpu);

/* ---- trace events ---- */
extern bool mpool_shim_trace_on;

void mpool_shim_trace_register(const char *event, unsigned long *hits);
/* How many times @event fired while tracing was on. */
unsigned long mpool_shim_trace_count(const char *event);

static inline void mpool_shim_trace_hit(unsigned long *hits)
{
	if (READ_ONCE(mpool_shim_trace_on))
		__atomic_fetch_add(hits, 1, __ATOMIC_RELAXED);
}

/* ---- what the parts left out declare ---- */
struct kobject;
struct dentry;

typedef struct mempool_s mempool_t;
mempool_t *mempool_create(int min_nr, void *(*alloc_fn)(gfp_t, void *),
			  void (*free_fn)(void *, void *), void *pool_data);

#endif /* MPOOL_SHIM_KERNEL_H */
