/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels mempool_mod builds for (Debian's 6.1
 * and 6.12, and mainline since), kept here rather than as #if in the code.
 * The checks are on the version, as each change is tied to one release.
 * mempool_mod.h includes it, so consumers get it too.
 */
#ifndef _MPOOL_COMPAT_H
#define _MPOOL_COMPAT_H

#include <linux/version.h>

/*
 * The namespace of the exports, spelt as EXPORT_SYMBOL_NS_GPL() and
 * MODULE_IMPORT_NS() want it: a string since 6.13, an identifier before.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define MPOOL_NS		"MEMPOOL_MOD"
#else
#define MPOOL_NS		MEMPOOL_MOD
#endif

/*
 * KUnit's KUNIT_ASSERT_FAILURE() became KUNIT_FAIL_AND_ABORT() after 6.1;
 * the tests use the new name.  Only where <kunit/test.h> came first.
 */
#if defined(KUNIT_ASSERT_FAILURE) && !defined(KUNIT_FAIL_AND_ABORT)
#define KUNIT_FAIL_AND_ABORT	KUNIT_ASSERT_FAILURE
#endif

#endif /* _MPOOL_COMPAT_H */
