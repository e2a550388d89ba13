/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's marked accesses, barriers, atomics and bit operations as
 * the compiler's __atomic builtins, with the orderings the kernel's memory
 * model gives them (Documentation/atomic_t.txt), so that ThreadSanitizer
 * sees every synchronisation the pool relies on and nothing more:
 *
 *	READ_ONCE, WRITE_ONCE, atomic_*() without a return	relaxed
 *	smp_load_acquire, smp_store_release			acquire, release
 *	cmpxchg, try_cmpxchg, xchg, atomic_*_return()		seq_cst
 *	a failed cmpxchg					relaxed
 *	set_bit(), test_and_set_bit() and the others		relaxed (below)
 *
 * READ_ONCE's address dependency (the kernel's "consume") is not modelled:
 * code that relies on it alone for a plain access is reported.  Nor are
 * fences: clang 14's TSan does not model __atomic_thread_fence, so
 * smp_mb(), smp_rmb() and smp_wmb() order nothing for it.  src/ uses
 * smp_rmb() only between two marked loads, where that loses nothing; code
 * that orders a plain access with a fence alone would be reported here
 * although correct, and a missing fence cannot be seen.
 */
#ifndef MPOOL_SHIM_ATOMIC_H
#define MPOOL_SHIM_ATOMIC_H

#include "shim_base.h"

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#define data_race(expr)		(expr)

#define barrier()		__atomic_signal_fence(__ATOMIC_SEQ_CST)
#define cpu_relax()		__builtin_ia32_pause()
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb__before_atomic()	smp_mb()
#define smp_mb__after_atomic()	smp_mb()

#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)

#define try_cmpxchg(ptr, oldp, new)					\
	__atomic_compare_exchange_n(ptr, oldp, new, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
#define try_cmpxchg64(ptr, oldp, new)	try_cmpxchg(ptr, oldp, new)
#define cmpxchg(ptr, old, new) ({					\
	typeof(*(ptr)) __old = (old);					\
	__atomic_compare_exchange_n(ptr, &__old, new, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); \
	__old;								\
})
#define xchg(ptr, v)		__atomic_exchange_n(ptr, v, __ATOMIC_SEQ_CST)

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

#define __shim_atomic_ops(pfx, t)					\
static inline t pfx##_read(const pfx##_t *v)				\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_set(pfx##_t *v, t i)				\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_add(t i, pfx##_t *v)				\
{									\
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_sub(t i, pfx##_t *v)				\
{									\
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_inc(pfx##_t *v)				\
{									\
	pfx##_add(1, v);						\
}									\
static inline void pfx##_dec(pfx##_t *v)				\
{									\
	pfx##_sub(1, v);						\
}									\
static inline t pfx##_add_return(t i, pfx##_t *v)			\
{									\
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline t pfx##_sub_return(t i, pfx##_t *v)			\
{									\
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline t pfx##_inc_return(pfx##_t *v)				\
{									\
	return pfx##_add_return(1, v);					\
}									\
static inline t pfx##_dec_return(pfx##_t *v)				\
{									\
	return pfx##_sub_return(1, v);					\
}									\
static inline bool pfx##_dec_and_test(pfx##_t *v)			\
{									\
	return pfx##_dec_return(v) == 0;				\
}

__shim_atomic_ops(atomic, int)
__shim_atomic_ops(atomic_long, long)

/*
 * ---- bit operations ----
 * Atomic, and here relaxed even where the kernel's are fully ordered
 * (test_and_set_bit()): the pool uses none, only the tests do, to claim
 * the blocks they are handed, and an ordered claim would give
 * ThreadSanitizer the very happens-before edges between two CPUs that
 * the pool itself must provide.
 */
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))

static inline void set_bit(unsigned long nr, unsigned long *addr)
{
	__atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr), __ATOMIC_RELAXED);
}

static inline void clear_bit(unsigned long nr, unsigned long *addr)
{
	__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr),
			   __ATOMIC_RELAXED);
}

static inline bool test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	return __atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr),
				 __ATOMIC_RELAXED) & BIT_MASK(nr);
}

static inline bool test_and_clear_bit(unsigned long nr, unsigned long *addr)
{
	return __atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr),
				  __ATOMIC_RELAXED) & BIT_MASK(nr);
}

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return __atomic_load_n(addr + BIT_WORD(nr), __ATOMIC_RELAXED) &
	       BIT_MASK(nr);
}

/* The non-atomic ones: under a lock the caller holds. */
static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

/* The first set bit of @map from @start, or @size if none. */
static inline unsigned long find_next_bit(const unsigned long *map,
					  unsigned long size,
					  unsigned long start)
{
	unsigned long word;

	while (start < size) {
		word = __atomic_load_n(map + BIT_WORD(start), __ATOMIC_RELAXED) &
		       (~0UL << (start % BITS_PER_LONG));
		if (word) {
			start = ALIGN_DOWN(start, BITS_PER_LONG) +
				__builtin_ctzl(word);
			return start < size ? start : size;
		}
		start = ALIGN_DOWN(start, BITS_PER_LONG) + BITS_PER_LONG;
	}
	return size;
}

#define find_first_bit(map, size)	find_next_bit(map, size, 0)
#define for_each_set_bit(bit, map, size)				\
	for ((bit) = find_first_bit(map, size); (bit) < (size);	\
	     (bit) = find_next_bit(map, size, (bit) + 1))

static inline bool bitmap_empty(const unsigned long *map, unsigned int bits)
{
	unsigned int i;

	for (i = 0; i < bits; i++) {
		if (test_bit(i, map))
			return false;
	}
	return true;
}

static inline void bitmap_zero(unsigned long *map, unsigned int bits)
{
	memset(map, 0, BITS_TO_LONGS(bits) * sizeof(long));
}

#endif /* MPOOL_SHIM_ATOMIC_H */
