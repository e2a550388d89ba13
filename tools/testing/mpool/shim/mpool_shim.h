/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel as the pool's core sees it, in user space: what every
 * <linux/...> header under shim/ stands for.  The model of
 * tools/testing/vma/vma_internal.h: only what the pool's sources use,
 * each piece as close to the kernel's meaning as a test needs.
 */
#ifndef MPOOL_SHIM_H
#define MPOOL_SHIM_H

#include "shim_base.h"
#include "shim_atomic.h"
#include "shim_sched.h"
#include "shim_lock.h"
#include "shim_mm.h"
#include "shim_kernel.h"
#include "shim_defer.h"

#endif /* MPOOL_SHIM_H */
