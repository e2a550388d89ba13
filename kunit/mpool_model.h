/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model-checked random test's model, operation generator and checker,
 * shared by its two runners: the KUnit suite mpool_model
 * (mempool_mod_model_kunit.c, which includes mpool_model.c) and the host
 * build of the pool's core (tools/testing/mpool/, which compiles it
 * against its kernel shim).  It uses the pool's public API alone.
 *
 * A runner provides model_abort(), and for the threads' case the threads
 * themselves: one per CPU, each looping on smp_step().
 */
#ifndef _MPOOL_MODEL_H
#define _MPOOL_MODEL_H

#include <linux/types.h>

#include "mempool_mod.h"

#define MODEL_POOLS		3
#define MODEL_BULK_MAX		16
/* Pools this small may be destroyed with blocks in use: they stay, leaked. */
#define MODEL_LEAK_MAX_BYTES	(16 * 1024)

/*
 * Where the operations' random choices come from: splitmix64 from
 * @state, or, for a fuzzer, the bytes of @data, as few per choice as it
 * needs, and 0 once they run out.
 */
struct model_rng {
	u64 state;
	const u8 *data;
	size_t size;
};

/* What the model knows of a block. */
enum model_block {
	MB_UNSEEN,	/* free, never handed out: maybe not even carved */
	MB_FREE,	/* free, handed out before: carved and poisoned */
	MB_HELD,	/* handed out to the case */
	MB_CORRUPT,	/* free, written after free: found by now or not */
	MB_QUARANTINED,	/* found corrupted: never handed out again */
};

/*
 * A region of a pool that grows, as the model knows it: the first one,
 * made at create, is slot 0; each later one takes a slot of @grow_blocks
 * model indexes.  The model's slots are its own, not the pool's: a region
 * the pool added (by mpool_grow() or by its worker, whichever) is live
 * but unknown until a block of it is handed out, when the model learns
 * its address; its blocks are all MB_UNSEEN until then.
 */
struct model_region {
	char *base;		/* lowest block; NULL: not learnt yet */
	bool live;		/* the pool's now */
};

struct model_pool {
	struct mpool *pool;	/* NULL: the slot is free */
	char name[MPOOL_NAME_MAX + 1];
	unsigned int flags;	/* as the pool reports them */
	struct mpool_stats exp;	/* what its statistics must say */
	char *base;		/* lowest block, learnt from the first alloc */
	u8 *state;		/* enum model_block, one per model index */
	u8 *stamp;		/* what a held block's usable bytes hold */
	/*
	 * A pool of mpool_create_args() that may grow: its model indexes
	 * run to @nr_index, @max_blocks, in @nr_slots regions; @base is the
	 * first region's.  0 and NULL for a pool of one region for life.
	 */
	size_t grow_blocks;
	size_t nr_index;	/* model indexes: blocks there may ever be */
	unsigned int nr_slots;
	struct model_region *regions;
	size_t nr_free;		/* MB_UNSEEN and MB_FREE: what allocs may get */
	size_t nr_held;
	size_t nr_corrupt;
};

/* What mpool_free() must make of a pointer. */
enum model_verdict {
	MV_NONE,	/* NULL: skipped */
	MV_FREED,	/* a held block: taken back */
	MV_INVALID,	/* outside any block, or inside one */
	MV_DOUBLE,	/* a block not held: free or quarantined */
};

struct model {
	void *runner;		/* the runner's, for model_abort() */
	const char *name;	/* of the case, for the lines a seed prints */
	unsigned int steps;	/* per seed */
	/*
	 * Set by the runner: pools that grow, and grow and shrink among the
	 * operations.  Clear, a seed draws what it always drew: pools of
	 * one region and the operations before regions, so that every seed
	 * replays as it did.
	 */
	bool regions;
	u64 seed;
	struct model_rng rng;
	unsigned long step;
	const char *op;
	char what[64];		/* what the operation did, when it says */
	struct model_pool pools[MODEL_POOLS];
	void *bulk[MODEL_BULK_MAX];
	u8 verdict[MODEL_BULK_MAX];	/* enum model_verdict, per entry */
	char diff[512];
	u8 foreign[64];		/* memory no pool owns, for bad frees */
	/* What happened, for the line each seed prints. */
	unsigned long nr_allocs, nr_bad_frees, nr_corruptions, nr_drains;
	unsigned long nr_grows, nr_shrunk;	/* regions added, given back */
};

enum model_op_kind {
	OP_CREATE, OP_DESTROY, OP_ALLOC, OP_ALLOC_BULK, OP_FREE, OP_OVERRUN,
	OP_FREE_BULK, OP_MISUSE, OP_WRITE_AFTER_FREE, OP_DRAIN, OP_MOVE,
	/* Drawn only with model->regions: see there. */
	OP_GROW, OP_SHRINK,
	NR_MODEL_OPS,
};

/* The operations a seed draws from without model->regions. */
#define NR_MODEL_OPS_ONE_REGION	OP_GROW

/*
 * The runner's: report that the pool disagreed with the model (@why
 * names the seed, the step and the operation) and end the seed; it does
 * not return.
 */
void model_abort(struct model *m, const char *why);

/* Run one seed's m->steps steps; the pools are all gone at the end. */
void model_run_seed(struct model *m, u64 seed);
/* What the operation is called in a failure's message. */
const char *model_op_name(enum model_op_kind op);
/* One operation, if it can run now, then no check: false if it cannot. */
bool model_run_op(struct model *m, enum model_op_kind op);
/* Every live pool's statistics against the model's. */
void model_check_all(struct model *m);
/* Every pool drained, so exact again, checked, then destroyed. */
void model_finish(struct model *m);
/* However a seed ended: the blocks held go back and the pools go. */
void model_release(struct model *m);

/* ---- threads on every CPU, one shared pool ---- */

#define SMP_MAX_THREADS		8
#define SMP_MAX_HELD		24
#define SMP_BULK_MAX		8

/* What the threads share: the pool, where its blocks are, who holds them. */
struct smp_pool {
	struct mpool *pool;	/* NULL between seeds */
	struct mpool_stats geo;	/* the geometry, and the counts before */
	char *base;		/* lowest block */
	unsigned long *claimed;	/* bit set: a thread holds the block */
};

/* What one thread did to the pool: the pool's counters must add up to it. */
struct smp_counts {
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 invalid_frees;
	u64 double_frees;
	u64 redzone_errors;
	size_t peak_held;
};

struct smp_block {
	char *p;
	size_t index;
	u8 stamp;
};

struct smp_thread {
	struct smp_pool *sp;
	unsigned int id;
	u64 seed;
	struct model_rng rng;
	unsigned long step;
	const char *op;
	struct smp_counts n;
	struct smp_block held[SMP_MAX_HELD];
	size_t nr_held;
	void *bulk[2 * SMP_BULK_MAX];
	u8 verdict[2 * SMP_BULK_MAX];	/* enum model_verdict, per entry */
	unsigned long nr_errors;
	char error[200];	/* the first one */
};

/*
 * The shared pool of a seed for @nr_threads threads, its geometry
 * checked and its blocks located: 0, or -1 with what went wrong in @why.
 */
int smp_pool_create(struct smp_pool *sp, u64 seed, unsigned int nr_threads,
		    char *why, size_t size);
void smp_pool_destroy(struct smp_pool *sp);
/* Thread @id of a seed: a random sequence of its own. */
void smp_thread_init(struct smp_thread *t, struct smp_pool *sp,
		     unsigned int id, u64 seed);
/* One random operation; an error is counted and kept, never asserted. */
void smp_step(struct smp_thread *t);
/* The end of a thread's work: every block it holds back. */
void smp_free_all(struct smp_thread *t);
/*
 * What the pool's statistics @st must say after @nr threads stopped: the
 * sum of what they did.  The peak depends on the schedule: from what one
 * thread held to what @st says, within what the pool holds.
 */
void smp_expected(const struct smp_pool *sp, const struct smp_thread *threads,
		  unsigned int nr, const struct mpool_stats *st,
		  struct mpool_stats *exp);

#endif /* _MPOOL_MODEL_H */
