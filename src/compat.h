/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels mempool_mod builds for (Debian's 6.1
 * and 6.12, and mainline since), kept here rather than as #if in the code.
 * The module's own; consumers see only mempool_mod.h, whose MPOOL_NS is
 * the one difference they share.  The tests' differences are in
 * kunit/mpool_kunit_compat.h: nothing here is there for a test.
 *
 * Up to 7.2-rc4, mainline changed nothing the module uses after 6.12 but
 * the export namespace (mempool_mod.h).  What is below fills in, for a 6.1
 * older than Debian's, two macros that 6.1.y took in a point release: a
 * backport moves no version boundary, so these are tested by name.  A
 * change tied to one release is tested on LINUX_VERSION_CODE.
 */
#ifndef _MPOOL_COMPAT_H
#define _MPOOL_COMPAT_H

#include <linux/compiler.h>
#include <linux/overflow.h>
#include <linux/version.h>

/* __uninitialized came in 6.9, and in 6.1.100. */
#ifndef __uninitialized
#define __uninitialized
#endif

/* struct_size_t() came in 6.5, and later in 6.1.y. */
#ifndef struct_size_t
#define struct_size_t(type, member, count) \
	struct_size((type *)NULL, member, count)
#endif

/*
 * Where a one-byte cmpxchg is the architecture's own, a free claims a
 * state byte with it; elsewhere mpool_state_cmpxchg() does it with a
 * cmpxchg on the aligned 32-bit word that holds the byte.  riscv has it
 * since 6.10 ("riscv/cmpxchg: Implement cmpxchg for variables of size 1
 * and 2"; before, a one-byte cmpxchg is a BUILD_BUG()), 32-bit arm since
 * ARMv6K (a kernel that may run on an ARMv6 has none before 6.11, and
 * emulates it with a word since), x86 and arm64 always.  The host's
 * build of the core defines MPOOL_STATE_CMPXCHG_WORD to test the word
 * form on x86 too.
 */
#if !defined(MPOOL_STATE_CMPXCHG_WORD) &&				\
	(defined(CONFIG_X86) || defined(CONFIG_ARM64) ||		\
	 (defined(CONFIG_ARM) && !defined(CONFIG_CPU_V6)) ||		\
	 (defined(CONFIG_RISCV) &&					\
	  KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE))
#define MPOOL_STATE_CMPXCHG_BYTE
#endif

/*
 * shrinker_alloc() and shrinker_free() came in 6.7 ("mm: shrinker: add
 * infrastructure for dynamically allocating shrinker"), which free a
 * shrinker only once no scan runs; before, the caller allocates it and
 * calls register_shrinker().  shrink.c has both.
 */
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
#define MPOOL_HAVE_SHRINKER_ALLOC
#endif

#endif /* _MPOOL_COMPAT_H */
