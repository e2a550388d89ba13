// SPDX-License-Identifier: GPL-2.0
/*
 * The pool's core as an architecture without a one-byte cmpxchg builds
 * it (riscv before 6.8, a 32-bit arm kernel that may run on an ARMv6):
 * a free claims a block's state byte with a cmpxchg of the word that
 * holds it (mpool_state_cmpxchg()).  For logic_test_word, model_test_word
 * and irq_test_word, which run on x86 what those kernels run.
 */
#define MPOOL_STATE_CMPXCHG_WORD
#include "mpool_core.c"

#ifdef MPOOL_STATE_CMPXCHG_BYTE
#error "mpool_core_word.c must build the word form of the state cmpxchg"
#endif
