// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target: a byte string is a sequence of operations on one
 * pool, checked against kunit/mpool_model.c's model after each one.  The
 * model's random choices are the input's bytes (struct model_rng): the
 * first ones choose the pool's geometry and flags, then each operation
 * takes one byte to say which it is and as many as its own choices need.
 * Operations on two simulated CPUs, which the input moves between.
 *
 * An input that starts with FUZZ_REGIONS_MAGIC is one of pools that grow:
 * the rest is read as above, with model->regions set, so that the pool
 * may be one that grows, and grow and shrink are operations too.  Any
 * other input is read as it was before regions, op bytes and all, so
 * that the corpus of then still means what it meant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	/* With FUZZ_REGIONS_MAGIC only. */
	OP_GROW, OP_SHRINK,
};

/* The operations of an input without the magic: those before regions. */
#define FUZZ_OPS_ONE_REGION	9
static_assert(FUZZ_OPS_ONE_REGION == ARRAY_SIZE(fuzz_ops) - 2);

/* No file of corpus/ from before regions starts with it. */
#define FUZZ_REGIONS_MAGIC	"mpR1"
#define FUZZ_MAGIC_BYTES	(sizeof(FUZZ_REGIONS_MAGIC) - 1)

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
	bool regions = size >= FUZZ_MAGIC_BYTES &&
		       !memcmp(data, FUZZ_REGIONS_MAGIC, FUZZ_MAGIC_BYTES);
	size_t nr_ops = regions ? ARRAY_SIZE(fuzz_ops) : FUZZ_OPS_ONE_REGION;
	enum model_op_kind op;

	fuzz_init();
	host_log_clear();
	memset(m, 0, sizeof(*m));
	m->name = "fuzz";
	m->op = "create";
	m->regions = regions;
	if (regions) {
		data += FUZZ_MAGIC_BYTES;
		size -= FUZZ_MAGIC_BYTES;
	}
	m->rng.data = data;
	m->rng.size = size;
	if (!model_run_op(m, OP_CREATE))
		abort();
	while (m->rng.size) {
		m->step++;
		op = fuzz_ops[*m->rng.data++ % nr_ops];
		m->rng.size--;
		m->op = model_op_name(op);
		m->what[0] = '\0';
		if (model_run_op(m, op))
			model_check_all(m);
	}
	model_finish(m);
	return 0;
}
