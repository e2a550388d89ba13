/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What lib/objpool.c, mm/dmapool.c and lib/genalloc.c of linux-source-6.12
 * need of the kernel beyond ../../shim.  Forced into every peer with
 * -include, as the kernel forces include/linux/kconfig.h, so that the
 * configuration is set before any header tests it; the headers under
 * include/ that these files name and the shim lacks all come here.
 *
 * Each primitive is built on the shim's, so that it costs on the host
 * what a production kernel's does: a spinlock_t is the shim's raw
 * spinlock, raw_local_irq_save() its local_irq_save(), an acquire or a
 * release its __atomic builtin with the kernel's ordering.  The bitmap
 * searches genalloc's first fit runs on are kernel_lib.c's, out of line
 * as lib/find_bit.c's are.
 */
#ifndef MPOOL_PEERS_PRELUDE_H
#define MPOOL_PEERS_PRELUDE_H

#include "mpool_shim.h"

/*
 * Debian's amd64 configuration (config.amd64_none_amd64), where these
 * files test it: no CONFIG_OF, no CONFIG_SLUB_DEBUG_ON.
 */
#define CONFIG_HAS_DMA				1
#define CONFIG_ARCH_HAVE_NMI_SAFE_CMPXCHG	1

typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef unsigned short umode_t;

#define EXPORT_SYMBOL(sym)	extern typeof(sym) sym
#define EXPORT_SYMBOL_GPL(sym)	extern typeof(sym) sym

#define BUG()	mpool_shim_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(cond) do {						\
	if (unlikely(cond))						\
		mpool_shim_bug(__FILE__, __LINE__, "BUG_ON(" #cond ")"); \
} while (0)

/* ---- atomics: a failed cmpxchg orders nothing, as the kernel's ---- */
#define try_cmpxchg_acquire(ptr, oldp, new)				\
	__atomic_compare_exchange_n(ptr, oldp, new, false,		\
				    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define try_cmpxchg_release(ptr, oldp, new)				\
	__atomic_compare_exchange_n(ptr, oldp, new, false,		\
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED)

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

static inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

/* As lib/refcount.c: release, and acquire for the last reference. */
static inline bool refcount_sub_and_test(int i, refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs.counter, i, __ATOMIC_RELEASE);

	if (old > 0 && old == i) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	if (unlikely(old <= 0 || old - i < 0))
		mpool_shim_bug(__FILE__, __LINE__, "refcount underflow");
	return false;
}

#define refcount_dec_and_test(r)	refcount_sub_and_test(1, r)

/* ---- interrupts, CPUs, nodes ---- */
#define raw_local_irq_save(flags)	local_irq_save(flags)
#define raw_local_irq_restore(flags)	local_irq_restore(flags)

#define NUMA_NO_NODE		(-1)
#define cpu_to_node(cpu)	0
#define nr_cpumask_bits		nr_cpu_ids

static inline bool cpumask_test_cpu(int cpu, const struct cpumask *mask)
{
	return test_bit(cpu, mask->bits);
}

#define cpu_possible(cpu)	cpumask_test_cpu((cpu), cpu_possible_mask)

unsigned int cpumask_next_wrap(int n, const struct cpumask *mask, int start,
			       bool wrap);

/* ---- locks: spinlock_t is the raw one, as without PREEMPT_RT ---- */
typedef raw_spinlock_t spinlock_t;

#define spin_lock_init(l)		raw_spin_lock_init(l)
#define spin_lock(l)			raw_spin_lock(l)
#define spin_unlock(l)			raw_spin_unlock(l)
#define spin_lock_irqsave(l, f)		raw_spin_lock_irqsave(l, f)
#define spin_unlock_irqrestore(l, f)	raw_spin_unlock_irqrestore(l, f)

/* ---- memory: one node ---- */
#define kmalloc_node(size, gfp, node)	kmalloc(size, gfp)
#define vzalloc_node(size, node)	vzalloc(size)
#define __vmalloc_node(size, align, gfp, node, caller) __vmalloc(size, gfp)

/* include/linux/sched/mm.h, without lockdep's fs_reclaim map */
#define might_alloc(gfp)	might_sleep_if(gfpflags_allow_blocking(gfp))

static inline const char *kstrdup_const(const char *s, gfp_t gfp)
{
	size_t len = strlen(s) + 1;
	char *p = kmalloc(len, gfp);

	return p ? memcpy(p, s, len) : NULL;
}

#define kfree_const(p)		kfree(p)

/* include/linux/poison.h */
#define POOL_POISON_FREED	0xa7
#define POOL_POISON_ALLOCATED	0xa9

/* ---- lists ---- */
#define list_for_each_safe(pos, n, head)				\
	for (pos = (head)->next, n = pos->next; pos != (head);		\
	     pos = n, n = pos->next)
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_entry((head)->next, typeof(*pos), member),	\
	     n = list_entry(pos->member.next, typeof(*pos), member);	\
	     &pos->member != (head);					\
	     pos = n, n = list_entry(n->member.next, typeof(*n), member))

static inline void list_add_rcu(struct list_head *entry,
				struct list_head *head)
{
	struct list_head *next = head->next;

	entry->next = next;
	entry->prev = head;
	smp_store_release(&head->next, entry);
	next->prev = entry;
}

#define list_for_each_entry_rcu(pos, head, member, cond...)		\
	for (pos = list_entry(READ_ONCE((head)->next), typeof(*pos),	\
			      member);					\
	     &pos->member != (head);					\
	     pos = list_entry(READ_ONCE(pos->member.next),		\
			      typeof(*pos), member))

/* ---- bitmaps: include/linux/bitmap.h and find.h; kernel_lib.c ---- */
#define BITMAP_FIRST_WORD_MASK(start) (~0UL << ((start) & (BITS_PER_LONG - 1)))
#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))
#define __ALIGN_MASK(x, mask)	(((x) + (mask)) & ~(mask))

/* x86's: one tzcnt; @word is never 0 */
static __always_inline unsigned long __ffs(unsigned long word)
{
	return __builtin_ctzl(word);
}

unsigned long _find_next_bit(const unsigned long *addr, unsigned long nbits,
			     unsigned long start);
unsigned long _find_next_zero_bit(const unsigned long *addr,
				  unsigned long nbits, unsigned long start);
unsigned long _find_first_bit(const unsigned long *addr, unsigned long size);
unsigned long bitmap_find_next_zero_area_off(unsigned long *map,
					     unsigned long size,
					     unsigned long start,
					     unsigned int nr,
					     unsigned long align_mask,
					     unsigned long align_offset);

/*
 * find.h's small_const_nbits() case is left out: no size here is constant.
 * The shim's own find_first_bit() (for the pool's for_each_set_bit()) is
 * replaced by lib/find_bit.c's, which the peers link.
 */
#undef find_first_bit
#define find_next_bit(addr, size, offset)	\
	_find_next_bit(addr, size, offset)
#define find_next_zero_bit(addr, size, offset)	\
	_find_next_zero_bit(addr, size, offset)
#define find_first_bit(addr, size)		_find_first_bit(addr, size)

static __always_inline unsigned long
bitmap_find_next_zero_area(unsigned long *map, unsigned long size,
			   unsigned long start, unsigned int nr,
			   unsigned long align_mask)
{
	return bitmap_find_next_zero_area_off(map, size, start, nr,
					      align_mask, 0);
}

/*
 * ---- devices: what dma_pool keeps in one, and devres ----
 * Nothing here is registered anywhere: the sysfs file dma_pool_create()
 * makes is never created, and a managed pool (dmam_pool_create(),
 * devm_gen_pool_create()) fails to be made.
 */
struct attribute {
	const char *name;
	umode_t mode;
};

struct device;

struct device_attribute {
	struct attribute attr;
	ssize_t (*show)(struct device *dev, struct device_attribute *attr,
			char *buf);
	ssize_t (*store)(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count);
};

#define __ATTR_RO(_name) {						\
	.attr	= { .name = __stringify(_name), .mode = 0444 },	\
	.show	= _name##_show,					\
}
#define DEVICE_ATTR_RO(_name) \
	struct device_attribute dev_attr_##_name = __ATTR_RO(_name)

struct device {
	const char *init_name;
	struct list_head dma_pools;	/* dma pools (if dma'ble device) */
};

static inline const char *dev_name(const struct device *dev)
{
	return dev->init_name ? dev->init_name : "";
}

#define dev_err(dev, fmt, ...) \
	printk(KERN_ERR "%s: " fmt, dev_name(dev), ##__VA_ARGS__)

static inline int device_create_file(struct device *dev,
				     const struct device_attribute *attr)
{
	return 0;
}

static inline void device_remove_file(struct device *dev,
				      const struct device_attribute *attr)
{
}

#define sysfs_emit(buf, fmt, ...) \
	scnprintf(buf, PAGE_SIZE, fmt, ##__VA_ARGS__)
#define sysfs_emit_at(buf, at, fmt, ...) \
	scnprintf((buf) + (at), PAGE_SIZE - (at), fmt, ##__VA_ARGS__)

typedef void (*dr_release_t)(struct device *dev, void *res);
typedef int (*dr_match_t)(struct device *dev, void *res, void *match_data);

static inline void *devres_alloc(dr_release_t release, size_t size, gfp_t gfp)
{
	return NULL;
}

static inline void devres_add(struct device *dev, void *res)
{
}

static inline void devres_free(void *res)
{
}

static inline void *devres_find(struct device *dev, dr_release_t release,
				dr_match_t match, void *match_data)
{
	return NULL;
}

static inline int devres_release(struct device *dev, dr_release_t release,
				 dr_match_t match, void *match_data)
{
	return -ENOENT;
}

/*
 * ---- dma-mapping.h: coherent memory is page-aligned memory, its bus
 * address its virtual one, zeroed as the kernel's always is ----
 */
static inline void *dma_alloc_coherent(struct device *dev, size_t size,
				       dma_addr_t *dma_handle, gfp_t gfp)
{
	void *vaddr = mpool_shim_alloc(PAGE_ALIGN(size), PAGE_SIZE,
				       gfp | __GFP_ZERO);

	*dma_handle = (dma_addr_t)(uintptr_t)vaddr;
	return vaddr;
}

static inline void dma_free_coherent(struct device *dev, size_t size,
				     void *cpu_addr, dma_addr_t dma_handle)
{
	mpool_shim_free(cpu_addr);
}

#endif /* MPOOL_PEERS_PRELUDE_H */
