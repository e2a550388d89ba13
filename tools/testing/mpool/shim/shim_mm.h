/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory, lists, strings and printk.  Every allocation is the C
 * library's, so that AddressSanitizer sees each one at its exact size:
 * a pool's region is one __vmalloc(), and a byte past it is reported.
 * mpool_shim_fail_allocs makes the next allocations fail, for the error
 * paths.  printk() formats as the kernel's vsnprintf() does (%pS, %pe,
 * %*ph) and goes to stderr, or to a test's capture.
 */
#ifndef MPOOL_SHIM_MM_H
#define MPOOL_SHIM_MM_H

#include "shim_base.h"

/* ---- gfp ---- */
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NORETRY		0x10000u
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT		__GFP_KSWAPD_RECLAIM
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

extern bool mpool_shim_init_on_alloc;
extern bool mpool_shim_init_on_free;
/* Allocations to let through before the next ones fail; < 0: never fail. */
extern long mpool_shim_fail_allocs;

static inline bool want_init_on_alloc(gfp_t gfp)
{
	return mpool_shim_init_on_alloc || (gfp & __GFP_ZERO);
}

static inline bool want_init_on_free(void)
{
	return mpool_shim_init_on_free;
}

/*
 * ---- allocators ----
 * From MPOOL_SHIM_LAZY_BYTES on, an allocation is a mapping of its own,
 * its pages zero until first touched, as a test of a pool of hundreds of
 * millions of blocks needs: the C library's allocator and the sanitizers'
 * would zero or poison every page (and ThreadSanitizer its shadow).  A
 * PROT_NONE page follows it, for a byte past it to fault.
 */
#define MPOOL_SHIM_LAZY_BYTES	(64UL << 20)

void *mpool_shim_alloc(size_t size, size_t align, gfp_t gfp);
void mpool_shim_free(const void *ptr);
/* As mm/util.c's kvmalloc_node(): refuses more than INT_MAX bytes. */
void *mpool_shim_kvmalloc(size_t size, gfp_t gfp);

#define kmalloc(size, gfp)	mpool_shim_alloc(size, 64, gfp)
#define kzalloc(size, gfp)	kmalloc(size, (gfp) | __GFP_ZERO)
#define kmalloc_array(n, size, gfp) kmalloc(size_mul(n, size), gfp)
#define kcalloc(n, size, gfp)	kzalloc(size_mul(n, size), gfp)
#define kvmalloc(size, gfp)	mpool_shim_kvmalloc(size, gfp)
#define kvzalloc(size, gfp)	kvmalloc(size, (gfp) | __GFP_ZERO)

/* An overflow is NULL, without kvmalloc()'s warning, as the kernel's. */
static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kvmalloc(bytes, gfp);
}

#define kvcalloc(n, size, gfp)	kvmalloc_array(n, size, (gfp) | __GFP_ZERO)
#define kfree(p)		mpool_shim_free(p)
#define kvfree(p)		mpool_shim_free(p)
/*
 * vmalloc leaves a guard page after each area: no two are adjacent, as
 * a test that finds a region's bounds with mpool_owns() relies on.
 */
void *mpool_shim_vmalloc(size_t size, gfp_t gfp);
#define __vmalloc(size, gfp)	mpool_shim_vmalloc(size, gfp)
#define vmalloc(size)		__vmalloc(size, GFP_KERNEL)
#define vzalloc(size)		__vmalloc(size, GFP_KERNEL | __GFP_ZERO)
#define vfree(p)		mpool_shim_free(p)

/*
 * ---- NUMA: one node, 0, as a machine without NUMA has ----
 * Every region is on node 0; MPOOL_NUMA's per-node depot is node 0's.
 */
#define NUMA_NO_NODE		(-1)
#define MAX_NUMNODES		1
#define nr_node_ids		1
enum node_states { N_MEMORY };
typedef struct {
	unsigned long bits[1];
} nodemask_t;

static inline bool node_state(int nid, enum node_states state)
{
	return nid == 0;
}

#define numa_node_id()		0
#define numa_mem_id()		0
#define node_set(nid, mask)	((mask).bits[0] |= 1UL << (nid))
#define nodes_clear(mask)	((mask).bits[0] = 0)
#define nodes_empty(mask)	(!(mask).bits[0])
#define node_isset(nid, mask)	(!!((mask).bits[0] & (1UL << (nid))))
#define for_each_node(nid)	for ((nid) = 0; (nid) < nr_node_ids; (nid)++)
#define for_each_node_state(nid, state)	for_each_node(nid)
#define for_each_node_mask(nid, mask)					\
	for ((nid) = 0; (nid) < nr_node_ids; (nid)++)			\
		if (!node_isset(nid, mask)) {} else

/*
 * Pages and vmap(): a page is a page of the C library's; vmap() makes a
 * fresh area of as many pages, as it cannot map those, and with
 * VM_MAP_PUT_PAGES puts them and their array at once, which the kernel
 * does at vfree().  The contents of fresh pages mean nothing either way.
 */
#define __GFP_THISNODE		0x40000u
#define VM_MAP			0x4u
#define VM_MAP_PUT_PAGES	0x200u
#define PAGE_KERNEL		0
struct page;

static inline struct page *alloc_pages_node(int nid, gfp_t gfp,
					    unsigned int order)
{
	return (struct page *)mpool_shim_alloc(PAGE_SIZE << order, PAGE_SIZE,
					       gfp);
}

#define __free_page(page)	mpool_shim_free(page)

static inline void *vmap(struct page **pages, unsigned int count,
			 unsigned long flags, int prot)
{
	void *mem = mpool_shim_vmalloc((size_t)count * PAGE_SIZE, GFP_KERNEL);
	unsigned int i;

	if (mem && (flags & VM_MAP_PUT_PAGES)) {
		for (i = 0; i < count; i++)
			__free_page(pages[i]);
		kvfree(pages);
	}
	return mem;
}

#define kmemleak_alloc(ptr, size, min_count, gfp) do { } while (0)

/* A vmalloc address stands for its page: page_to_nid() of it is 0. */
static inline struct page *vmalloc_to_page(const void *addr)
{
	return (struct page *)addr;
}

static inline int page_to_nid(const struct page *page)
{
	return 0;
}

unsigned long *bitmap_zalloc(unsigned int bits, gfp_t gfp);
#define bitmap_free(map)	mpool_shim_free(map)

/* The region a pool leaves allocated on purpose: not for LeakSanitizer. */
void kmemleak_not_leak(const void *ptr);

/* ---- lists ---- */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *entry, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	prev->next = entry;
}

static inline void list_add(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head, head->next);
}

static inline void list_add_tail(struct list_head *entry,
				 struct list_head *head)
{
	__list_add(entry, head->prev, head);
}

static inline void list_del(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
	entry->next = NULL;
	entry->prev = NULL;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define hlist_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry_or_null(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_entry((head)->next, typeof(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_entry(pos->member.next, typeof(*pos), member))

/* ---- strings and sorting ---- */
void *memchr_inv(const void *start, int c, size_t bytes);
ssize_t strscpy(char *dst, const char *src, size_t size);

static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *),
			void (*swap)(void *, void *, int))
{
	(void)swap;
	qsort(base, num, size, cmp);
}

/* ---- printk ---- */
#define KERN_SOH		"\001"
#define KERN_EMERG		KERN_SOH "0"
#define KERN_ALERT		KERN_SOH "1"
#define KERN_CRIT		KERN_SOH "2"
#define KERN_ERR		KERN_SOH "3"
#define KERN_WARNING		KERN_SOH "4"
#define KERN_NOTICE		KERN_SOH "5"
#define KERN_INFO		KERN_SOH "6"
#define KERN_DEBUG		KERN_SOH "7"
#define LOGLEVEL_SCHED		-2

#ifndef pr_fmt
#define pr_fmt(fmt)		fmt
#endif

int vscnprintf(char *buf, size_t size, const char *fmt, va_list args);
__printf(3, 4) int scnprintf(char *buf, size_t size, const char *fmt, ...);
int vprintk(const char *fmt, va_list args);
__printf(1, 2) int printk(const char *fmt, ...);
int vprintk_emit(int facility, int level, const void *dict,
		 const char *fmt, va_list args);

/*
 * A test's view of printk: each line, as printed, and whether the kernel
 * would have deferred it (vprintk_emit() at LOGLEVEL_SCHED); NULL for
 * stderr.
 */
extern void (*mpool_shim_printk_hook)(const char *line, bool deferred);

#define pr_emerg(fmt, ...)	printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) \
	do { if (0) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__); } while (0)
#define pr_warn_ratelimited(fmt, ...)	pr_warn(fmt, ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...)	pr_err(fmt, ##__VA_ARGS__)

#endif /* MPOOL_SHIM_MM_H */
