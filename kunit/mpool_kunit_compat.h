/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs, for the tests, between the kernels mempool_mod builds
 * for: KUnit's and the timers' API.  The tests alone need it, so it is
 * kept out of the module's src/compat.h and out of mempool_mod.h.
 *
 * The tests are written against mainline's names (checked up to 7.2-rc4);
 * each block below gives an older kernel the newer name, tested on the
 * release that brought it.  Where a 6.1.y point release took the change
 * too, the check is on that point release, or, for a macro, on the name.
 * The kernel's headers come first, so that no shim precedes what it
 * stands in for.
 */
#ifndef _MPOOL_KUNIT_COMPAT_H
#define _MPOOL_KUNIT_COMPAT_H

#include <kunit/test.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>
#include <linux/version.h>

/* KUNIT_ASSERT_FAILURE() was renamed KUNIT_FAIL_AND_ABORT() in 6.11. */
#if KERNEL_VERSION(6, 11, 0) > LINUX_VERSION_CODE && \
	!defined(KUNIT_FAIL_AND_ABORT)
#define KUNIT_FAIL_AND_ABORT	KUNIT_ASSERT_FAILURE
#endif

/*
 * __kunit_test_suites_init() takes run_tests since 6.14 (kunit.autorun);
 * before, it always ran the suites, as run_tests == true does.
 */
#if KERNEL_VERSION(6, 14, 0) > LINUX_VERSION_CODE
#define __kunit_test_suites_init(suites, num_suites, run_tests) \
	__kunit_test_suites_init(suites, ((void)(run_tests), (num_suites)))
#endif

/*
 * A KUNIT_CASE_PARAM() generator takes the test first since 6.18.
 * MPOOL_KUNIT_GEN_PARAMS(name) declares one with this kernel's
 * arguments; its body uses @prev and @desc only.
 */
#if KERNEL_VERSION(6, 18, 0) > LINUX_VERSION_CODE
#define MPOOL_KUNIT_GEN_PARAMS(name) \
	const void *(name)(const void *prev, char *desc)
#else
#define MPOOL_KUNIT_GEN_PARAMS(name) \
	const void *(name)(struct kunit *test, const void *prev, char *desc)
#endif

/* hrtimer_setup() replaced hrtimer_init() and a store to ->function in 6.13. */
#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
static inline void
mpool_hrtimer_setup(struct hrtimer *timer,
		    enum hrtimer_restart (*function)(struct hrtimer *),
		    clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}

#define hrtimer_setup		mpool_hrtimer_setup
#endif

/* del_timer_sync() was renamed timer_delete_sync() in 6.2, and in 6.1.84. */
#if KERNEL_VERSION(6, 1, 84) > LINUX_VERSION_CODE
#define timer_delete_sync(timer)	del_timer_sync(timer)
#endif

/* from_timer() was renamed timer_container_of() in 6.16. */
#if KERNEL_VERSION(6, 16, 0) > LINUX_VERSION_CODE && \
	!defined(timer_container_of)
#define timer_container_of(var, callback_timer, timer_fieldname) \
	from_timer(var, callback_timer, timer_fieldname)
#endif

#endif /* _MPOOL_KUNIT_COMPAT_H */
