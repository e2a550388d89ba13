// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target: a byte string is a sequence of operations on one
 * pool, checked against kunit/mpool_model.c's model after each one.  The
 * model's random choices are the input's bytes (struct model_rng): the
 * first ones choose the pool's geometry and flags, then each operation
 * takes one byte to say which it is and as many as its own choices need.
 * Operations on two simulated CPUs, which the input moves between.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_model.h"
#include "host_log.h"
#include "mpool_host.h"
#include "mpool_model.h"
#include "tap.h"

jmp_buf *fuzz_model_fail;
static struct model fuzz_model;

/* What one pool can be asked: everything but its create and destroy. */
static const enum model_op_kind fuzz_ops[] = {
	OP_ALLOC, OP_ALLOC_BULK, OP_FREE, OP_OVERRUN, OP_FREE_BULK,
	OP_MISUSE, OP_WRITE_AFTER_FREE, OP_DRAIN, OP_MOVE,
};

void model_abort(struct model *m, const char *why)
{
	if (fuzz_model_fail) {
		tap_diag("step %lu (%s%s): %s", m->step, m->op, m->what, why);
		host_log_dump();
		longjmp(*fuzz_model_fail, 1);
	}
	fprintf(stderr, "mpool fuzz: step %lu (%s%s): %s\n", m->step, m->op,
		m->what, why);
	abort();
}

static void fuzz_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	mpool_shim_thread_enter(0);
	mpool_shim_set_nr_cpus(2);
	host_log_capture();
	if (mpool_host_init())
		abort();
}

void fuzz_model_release(void)
{
	model_release(&fuzz_model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model *m = &fuzz_model;
	enum model_op_kind op;

	fuzz_init();
	host_log_clear();
	memset(m, 0, sizeof(*m));
	m->name = "fuzz";
	m->op = "create";
	m->rng.data = data;
	m->rng.size = size;
	if (!model_run_op(m, OP_CREATE))
		abort();
	while (m->rng.size) {
		m->step++;
		op = fuzz_ops[*m->rng.data++ % ARRAY_SIZE(fuzz_ops)];
		m->rng.size--;
		m->op = model_op_name(op);
		m->what[0] = '\0';
		if (model_run_op(m, op))
			model_check_all(m);
	}
	model_finish(m);
	return 0;
}
