/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's types, compiler attributes and arithmetic helpers, as the
 * pool's sources use them, for a user-space build.  The C library's
 * headers come first, so that no kernel name below is redefined by them.
 */
#ifndef MPOOL_SHIM_BASE_H
#define MPOOL_SHIM_BASE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;
typedef unsigned int gfp_t;

#define U8_MAX		((u8)~0U)
#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)
#define BITS_PER_LONG	64
#define BITS_PER_BYTE	8

/*
 * The kernel the shim stands for: x86_64, whose one-byte cmpxchg the
 * state map uses (src/mpool.h); mpool_core_word.c builds the core with
 * the word form that architectures without one use.
 */
#define CONFIG_X86	1
#define CONFIG_X86_64	1
#define CONFIG_64BIT	1

/* 6.12, Debian 13's: the shrinker API of 6.7 on (src/shrink.c). */
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#define LINUX_VERSION_CODE	KERNEL_VERSION(6, 12, 0)

/* ---- compiler ---- */
#undef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#define noinline		__attribute__((__noinline__))
#define __noreturn		__attribute__((__noreturn__))
#define __malloc		__attribute__((__malloc__))
#define __must_check		__attribute__((__warn_unused_result__))
#define __printf(a, b)		__attribute__((__format__(printf, a, b)))
#define __used			__attribute__((__used__))
#define __maybe_unused		__attribute__((__unused__))
#define __aligned(x)		__attribute__((__aligned__(x)))
#define OPTIMIZER_HIDE_VAR(var)	__asm__ ("" : "=r" (var) : "0" (var))
#define __packed		__attribute__((__packed__))
#define __cold			__attribute__((__cold__))
#define SMP_CACHE_BYTES		64
#define ____cacheline_aligned_in_smp __aligned(64)
#define ____cacheline_aligned	__aligned(64)
#define __cacheline_aligned	__aligned(64)
#define __percpu
#define __rcu
#define __force
#define __user
#define __iomem
#define __init
#define __exit
#define __initdata
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define fallthrough		__attribute__((__fallthrough__))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)
#define _RET_IP_		((unsigned long)__builtin_return_address(0))
#define _THIS_IP_		({ __label__ __here; __here: (unsigned long)&&__here; })
#define __same_type(a, b)	__builtin_types_compatible_p(typeof(a), typeof(b))

#ifdef static_assert
#undef static_assert
#endif
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")

/* As include/linux/kconfig.h: 1 if CONFIG_x is defined as 1, else 0. */
#define __ARG_PLACEHOLDER_1	0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x)		___is_defined(x)
#define ___is_defined(val)	____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option)	__is_defined(option)

/* ---- arithmetic ---- */
#define __PASTE2(a, b)		a##b
#define __PASTE(a, b)		__PASTE2(a, b)
#define __UNIQUE(x)		__PASTE(__shim_##x, __COUNTER__)
#define __cmp_once(op, ta, tb, a, b, x, y) ({				\
	ta x = (a);							\
	tb y = (b);							\
	x op y ? x : (ta)y;						\
})
#define min(a, b)	__cmp_once(<, typeof(a), typeof(b), a, b, __UNIQUE(l), __UNIQUE(r))
#define max(a, b)	__cmp_once(>, typeof(a), typeof(b), a, b, __UNIQUE(l), __UNIQUE(r))
#define min_t(t, a, b)	__cmp_once(<, t, t, a, b, __UNIQUE(l), __UNIQUE(r))
#define max_t(t, a, b)	__cmp_once(>, t, t, a, b, __UNIQUE(l), __UNIQUE(r))
#define min3(a, b, c)		min(min(a, b), c)
#define max3(a, b, c)		max(max(a, b), c)
#define clamp(v, lo, hi)	min(max(v, lo), hi)
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a)		(((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((typeof(x))(a) - 1))
#define PTR_ALIGN(p, a)		((typeof(p))ALIGN((unsigned long)(p), (a)))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define BITS_TO_LONGS(n)	DIV_ROUND_UP(n, BITS_PER_LONG)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define sizeof_field(t, m)	sizeof(((t *)0)->m)
#define offsetofend(t, m)	(offsetof(t, m) + sizeof_field(t, m))

static inline bool is_power_of_2(unsigned long n)
{
	return n && !(n & (n - 1));
}

static inline int fls_long(unsigned long x)
{
	return x ? BITS_PER_LONG - __builtin_clzl(x) : 0;
}

#define ilog2(n)		(fls_long(n) - 1)

static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (fls_long(n) - 1);
}

static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << fls_long(n - 1);
}

static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}

#define swab(x)			((unsigned long)__builtin_bswap64(x))

#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

static inline size_t size_mul(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

static inline size_t size_add(size_t a, size_t b)
{
	size_t r;

	return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

#define array_size(a, b)	size_mul(a, b)
#define struct_size(p, member, count) \
	size_add(sizeof(*(p)), size_mul(sizeof(*(p)->member), count))

#define SZ_1K			0x400
#define SZ_4K			0x1000
#define SZ_64K			0x10000
#define SZ_1M			0x100000
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_ALIGN(x)		ALIGN(x, PAGE_SIZE)

/* ---- error pointers ---- */
#define MAX_ERRNO		4095
#define IS_ERR_VALUE(x)		unlikely((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE(ptr);
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR_VALUE(ptr);
}

static inline int PTR_ERR_OR_ZERO(const void *ptr)
{
	return IS_ERR(ptr) ? (int)PTR_ERR(ptr) : 0;
}

/*
 * ---- bugs: the pool's own WARN_ON_ONCE() and lockdep checks ----
 * Each is a bug in the pool or the harness: say where and abort, so that
 * a test, a sanitizer run and the fuzzer all stop on it.
 */
void __noreturn mpool_shim_bug(const char *file, int line, const char *what);

#define WARN_ON_ONCE(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		mpool_shim_bug(__FILE__, __LINE__, "WARN_ON_ONCE(" #cond ")"); \
	__c;								\
})
#define WARN_ON(cond)		WARN_ON_ONCE(cond)

#endif /* MPOOL_SHIM_BASE_H */
