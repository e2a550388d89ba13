// SPDX-License-Identifier: GPL-2.0
/*
 * Memory for the pool: the C library's allocator behind the kernel's
 * names, per-CPU areas, and the few string helpers the kernel has and
 * the C library lacks.  See shim_mm.h.
 */
#include <sys/mman.h>

#include "mpool_shim.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MPOOL_SHIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MPOOL_SHIM_ASAN 1
#endif

#ifdef MPOOL_SHIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

bool mpool_shim_init_on_alloc;
bool mpool_shim_init_on_free;
long mpool_shim_fail_allocs = -1;
long mpool_shim_percpu_live;

static bool mpool_shim_should_fail(void)
{
	long left = __atomic_load_n(&mpool_shim_fail_allocs, __ATOMIC_RELAXED);

	while (left >= 0) {
		if (!left)
			return true;
		if (__atomic_compare_exchange_n(&mpool_shim_fail_allocs, &left,
						left - 1, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return false;
	}
	return false;
}

/* The lazy allocations live now: see shim_mm.h. */
#define MPOOL_SHIM_LAZY_MAX	16

static struct mpool_shim_lazy {
	const void *ptr;	/* what the caller got; NULL: slot free */
	void *map;
	size_t len;
} mpool_shim_lazy[MPOOL_SHIM_LAZY_MAX];
static pthread_mutex_t mpool_shim_lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static int mpool_shim_lazy_live;

/* A mapping of its own, zero, ending as close to its guard as @align lets. */
static void *mpool_shim_lazy_alloc(size_t size, size_t align)
{
	size_t len = PAGE_ALIGN(size) + PAGE_SIZE;
	char *map, *guard, *p;
	int i;

	if (align > PAGE_SIZE)
		mpool_shim_bug(__FILE__, __LINE__, "lazy allocation over-aligned");
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	guard = map + len - PAGE_SIZE;
	if (mprotect(guard, PAGE_SIZE, PROT_NONE))
		mpool_shim_bug(__FILE__, __LINE__, "guard page");
	p = (char *)ALIGN_DOWN((unsigned long)(guard - size), align);
	pthread_mutex_lock(&mpool_shim_lazy_lock);
	for (i = 0; i < MPOOL_SHIM_LAZY_MAX && mpool_shim_lazy[i].ptr; i++)
		;
	if (i == MPOOL_SHIM_LAZY_MAX)
		mpool_shim_bug(__FILE__, __LINE__, "too many lazy allocations");
	mpool_shim_lazy[i] = (struct mpool_shim_lazy){ p, map, len };
	__atomic_fetch_add(&mpool_shim_lazy_live, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mpool_shim_lazy_lock);
	return p;
}

/* Unmap @ptr if it is a lazy allocation: whether it was. */
static bool mpool_shim_lazy_free(const void *ptr)
{
	struct mpool_shim_lazy found = { NULL };
	int i;

	if (!__atomic_load_n(&mpool_shim_lazy_live, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&mpool_shim_lazy_lock);
	for (i = 0; i < MPOOL_SHIM_LAZY_MAX; i++) {
		if (mpool_shim_lazy[i].ptr == ptr) {
			found = mpool_shim_lazy[i];
			mpool_shim_lazy[i].ptr = NULL;
			__atomic_fetch_sub(&mpool_shim_lazy_live, 1,
					   __ATOMIC_RELAXED);
			break;
		}
	}
	pthread_mutex_unlock(&mpool_shim_lazy_lock);
	if (!found.ptr)
		return false;
	munmap(found.map, found.len);
	return true;
}

void *mpool_shim_alloc(size_t size, size_t align, gfp_t gfp)
{
	void *p;

	/* The kernel's allocators check the context a blocking one needs. */
	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (mpool_shim_should_fail())
		return NULL;
	if (size >= MPOOL_SHIM_LAZY_BYTES)
		return mpool_shim_lazy_alloc(size, align);
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
	return p;
}

/*
 * AddressSanitizer's redzones keep two areas apart, and report a byte
 * past one's end; without it, a page more, never handed out.
 */
void *mpool_shim_vmalloc(size_t size, gfp_t gfp)
{
#ifdef MPOOL_SHIM_ASAN
	return mpool_shim_alloc(size, PAGE_SIZE, gfp);
#else
	if (size >= MPOOL_SHIM_LAZY_BYTES)
		return mpool_shim_alloc(size, PAGE_SIZE, gfp);
	return mpool_shim_alloc(size_add(size, PAGE_SIZE), PAGE_SIZE, gfp);
#endif
}

void mpool_shim_free(const void *ptr)
{
	if (ptr && mpool_shim_lazy_free(ptr))
		return;
	free((void *)ptr);
}

/*
 * kmalloc() first, which fails quietly this large; then vmalloc, only for
 * a caller that may sleep and never past INT_MAX bytes, with a warning
 * unless __GFP_NOWARN.
 */
void *mpool_shim_kvmalloc(size_t size, gfp_t gfp)
{
	if (size > INT_MAX) {
		if (gfpflags_allow_blocking(gfp))
			WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	return mpool_shim_alloc(size, 64, gfp);
}

unsigned long *bitmap_zalloc(unsigned int bits, gfp_t gfp)
{
	return kcalloc(BITS_TO_LONGS(bits), sizeof(long), gfp);
}

void kmemleak_not_leak(const void *ptr)
{
#ifdef MPOOL_SHIM_ASAN
	if (ptr)
		__lsan_ignore_object(ptr);
#else
	(void)ptr;
#endif
}

/*
 * One MPOOL_SHIM_PCPU_UNIT per CPU, the bytes past @size in each poisoned
 * for AddressSanitizer: a CPU's copy overrun is reported, as it would be
 * by KASAN in the kernel's per-CPU chunks.
 */
void *__alloc_percpu(size_t size, size_t align)
{
	size_t bytes = MPOOL_SHIM_PCPU_UNIT * mpool_shim_nr_cpus;
	void *p;
	int cpu;

	if (size > MPOOL_SHIM_PCPU_UNIT || align > MPOOL_SHIM_PCPU_UNIT)
		mpool_shim_bug(__FILE__, __LINE__, "per-CPU area too large");
	if (mpool_shim_should_fail() ||
	    posix_memalign(&p, MPOOL_SHIM_PCPU_UNIT, bytes))
		return NULL;
	memset(p, 0, bytes);
	for (cpu = 0; cpu < mpool_shim_nr_cpus; cpu++) {
#ifdef MPOOL_SHIM_ASAN
		ASAN_POISON_MEMORY_REGION((char *)p + cpu * MPOOL_SHIM_PCPU_UNIT +
					  size, MPOOL_SHIM_PCPU_UNIT - size);
#endif
	}
	__atomic_fetch_add(&mpool_shim_percpu_live, 1, __ATOMIC_RELAXED);
	return p;
}

void free_percpu(void *ptr)
{
	if (!ptr)
		return;
#ifdef MPOOL_SHIM_ASAN
	ASAN_UNPOISON_MEMORY_REGION(ptr, MPOOL_SHIM_PCPU_UNIT *
					 mpool_shim_nr_cpus);
#endif
	__atomic_fetch_sub(&mpool_shim_percpu_live, 1, __ATOMIC_RELAXED);
	free(ptr);
}

void *memchr_inv(const void *start, int c, size_t bytes)
{
	const u8 *p = start;
	size_t i;

	for (i = 0; i < bytes; i++) {
		if (p[i] != (u8)c)
			return (void *)(p + i);
	}
	return NULL;
}

ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len;

	if (!size)
		return -E2BIG;
	len = strnlen(src, size);
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}
