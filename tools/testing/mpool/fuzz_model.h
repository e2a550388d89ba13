/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The libFuzzer target, and what its replayer sets: where a model
 * failure goes (abort() for libFuzzer, which keeps the input).
 */
#ifndef MPOOL_FUZZ_MODEL_H
#define MPOOL_FUZZ_MODEL_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Set: a model failure longjmp()s here, after printing why. */
extern jmp_buf *fuzz_model_fail;
/* After such a failure: the blocks held go back and the pool goes. */
void fuzz_model_release(void);

#endif /* MPOOL_FUZZ_MODEL_H */
