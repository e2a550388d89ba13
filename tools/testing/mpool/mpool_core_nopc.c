// SPDX-License-Identifier: GPL-2.0
/*
 * The pool's core as a kernel without CONFIG_PREEMPT_COUNT builds it
 * (PREEMPT_NONE or PREEMPT_VOLUNTARY, without PREEMPT_DYNAMIC or a debug
 * option that selects it): preemptible() is always 0.  For
 * report_test_nopc.
 */
#define MPOOL_SHIM_NO_PREEMPT_COUNT
#include "mpool_core.c"
