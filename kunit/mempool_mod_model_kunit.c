// SPDX-License-Identifier: GPL-2.0
/*
 * A model-checked random test of mempool_mod: random sequences of
 * operations, drawn from a seed, run against pools through the public API
 * alone, while a small model says what each pool must answer.  After every
 * step each block held is checked (distinct, aligned, inside its pool, its
 * contents as left) and every statistic compared with the model's.
 *
 * The sequence runs on one CPU at a time and moves between CPUs as the
 * seed says, so that a seed replays exactly: which block an alloc returns
 * depends on which CPU's cache it uses.  A second case runs random
 * operations from one kthread per online CPU on one shared pool, each
 * thread with a model of what it did, and reconciles the pool's counters
 * with their sum once they stop.
 *
 * Module parameters: seed=0 and seconds=0 (the default, as `make check`
 * loads it) run a fixed list of seeds, briefly; seed=S seconds=N runs from
 * seed S, then S+1, S+2 ... until N seconds pass, in each case.  Every
 * seed run is printed, and a failure names the seed, the step and the
 * operation, to be replayed with seed=S.
 */

#include <kunit/test.h>

#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_compat.h"
#include "mpool_kunit_stats.h"

static unsigned long model_seed;
module_param_named(seed, model_seed, ulong, 0444);
MODULE_PARM_DESC(seed, "first seed; 0: the fixed list of seeds");

static unsigned int model_seconds;
module_param_named(seconds, model_seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "run seeds for this long in each case; 0: one pass");

static unsigned int model_steps = 1000;
module_param_named(steps, model_steps, uint, 0444);
MODULE_PARM_DESC(steps, "steps per seed (sequence), operations per thread (threads)");

/* The seeds `make check` runs: fixed, so that a failure replays. */
static const u64 model_fixed_seeds[] = {
	1, 2, 3, 0x5eed, 20261128, 0x9e3779b97f4a7c15ULL,
};

/* The threads case runs fewer fixed seeds: each one runs on every CPU. */
#define MODEL_FIXED_SMP_SEEDS	3

/*
 * A timed run is cut into parameters of at most this many seconds: KUnit
 * gives a case 300 s, and the hung-task detector reports insmod, which
 * waits for each case uninterruptibly, after 120 s.
 */
#define MODEL_CHUNK_SECONDS	30

/* ---- a deterministic PRNG: splitmix64 ----------------------------------- */

static u64 model_rand(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, @n), 0 for @n 0. */
static size_t model_below(u64 *state, size_t n)
{
	return n ? model_rand(state) % n : 0;
}

/* True once in @n. */
static bool model_one_in(u64 *state, size_t n)
{
	return !model_below(state, n);
}

/* GFP_ATOMIC or GFP_NOWAIT: never one that blocks on an empty pool. */
static gfp_t model_gfp(u64 *state, bool *zero)
{
	gfp_t gfp = model_one_in(state, 2) ? GFP_ATOMIC : GFP_NOWAIT;

	*zero = model_one_in(state, 3);
	return *zero ? gfp | __GFP_ZERO : gfp;
}

/* What mpool_layout() makes of a geometry, from the README's formula. */
static void model_geometry(size_t block_size, size_t align,
			   unsigned int flags, struct mpool_stats *exp)
{
	const size_t word = sizeof(void *);
	size_t end, link;

	align = max_t(size_t, align, word);
	exp->redzone_bytes = 0;
	if (flags & (MPOOL_POISON | MPOOL_REDZONE)) {
		link = ALIGN(block_size, word);
		if (flags & MPOOL_REDZONE) {
			link += word;
			exp->redzone_bytes = link - block_size;
		}
		end = link + word;
	} else {
		end = max(block_size, word);
	}
	exp->block_size = block_size;
	exp->align = align;
	exp->stride = ALIGN(end, align);
}

/* ---- the sequential model ------------------------------------------------ */

#define MODEL_POOLS		3
#define MODEL_BULK_MAX		16
/* Pools this small may be destroyed with blocks in use: they stay, leaked. */
#define MODEL_LEAK_MAX_BYTES	(16 * 1024)

/* What the model knows of a block. */
enum model_block {
	MB_UNSEEN,	/* free, never handed out: maybe not even carved */
	MB_FREE,	/* free, handed out before: carved and poisoned */
	MB_HELD,	/* handed out to the case */
	MB_CORRUPT,	/* free, written after free: found by now or not */
	MB_QUARANTINED,	/* found corrupted: never handed out again */
};

struct model_pool {
	struct mpool *pool;	/* NULL: the slot is free */
	char name[MPOOL_NAME_MAX + 1];
	unsigned int flags;	/* as the pool reports them */
	struct mpool_stats exp;	/* what its statistics must say */
	char *base;		/* lowest block, learnt from the first alloc */
	u8 *state;		/* enum model_block, one per block */
	u8 *stamp;		/* what a held block's usable bytes hold */
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
	struct kunit *test;
	u64 seed;
	u64 rng;
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
};

static __printf(2, 3) void model_fail(struct model *m, const char *fmt, ...)
{
	char why[256];
	va_list args;

	va_start(args, fmt);
	vscnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	KUNIT_FAIL_AND_ABORT(m->test, "seed %llu step %lu (%s%s): %s; replay with seed=%llu",
			     m->seed, m->step, m->op, m->what, why, m->seed);
}

static char *model_block_ptr(const struct model_pool *mp, size_t index)
{
	return mp->base + index * mp->exp.stride;
}

/* Block @index of @mp, drawn at random among those in @state. */
static bool model_pick(struct model *m, struct model_pool *mp,
		       enum model_block state, size_t *index)
{
	size_t nr = mp->exp.nr_blocks, start, i;

	if (!mp->base)
		return false;
	start = model_below(&m->rng, nr);
	for (i = 0; i < nr; i++) {
		*index = (start + i) % nr;
		if (mp->state[*index] == state)
			return true;
	}
	return false;
}

/*
 * The pool's lowest block, from one block it handed out: the region is
 * contiguous, so step down by the stride while the pool still owns it.
 */
static void model_learn_base(struct model *m, struct model_pool *mp, char *p)
{
	size_t stride = mp->exp.stride;
	char *base = p;

	while (mpool_owns(mp->pool, base - stride))
		base -= stride;
	if (mpool_owns(mp->pool, base - 1) ||
	    !mpool_owns(mp->pool, base + mp->exp.region_bytes - 1) ||
	    mpool_owns(mp->pool, base + mp->exp.region_bytes))
		model_fail(m, "pool %s: owns no region of %zu bytes from %p",
			   mp->name, mp->exp.region_bytes, base);
	mp->base = base;
}

/*
 * A block the pool handed out: it must be a block of this pool that the
 * model has free, owned by no other pool, aligned, zeroed if asked.  As
 * every block held passed this when it came, and held blocks do not move,
 * the blocks held stay distinct from one another, across all pools.
 */
static void model_take(struct model *m, struct model_pool *mp, char *p,
		       bool zero)
{
	size_t bs = mp->exp.block_size, offset, index, i;

	if (!mpool_owns(mp->pool, p) || !mpool_owns(mp->pool, p + bs - 1))
		model_fail(m, "pool %s handed out %p, not its own", mp->name,
			   p);
	if (!IS_ALIGNED((unsigned long)p, mp->exp.align))
		model_fail(m, "pool %s handed out %p, not aligned to %zu",
			   mp->name, p, mp->exp.align);
	for (i = 0; i < MODEL_POOLS; i++) {
		if (&m->pools[i] != mp && m->pools[i].pool &&
		    mpool_owns(m->pools[i].pool, p))
			model_fail(m, "pool %s handed out %p, of pool %s",
				   mp->name, p, m->pools[i].name);
	}
	if (!mp->base)
		model_learn_base(m, mp, p);
	offset = p - mp->base;
	index = offset / mp->exp.stride;
	if (offset % mp->exp.stride || index >= mp->exp.nr_blocks)
		model_fail(m, "pool %s handed out %p: offset %zu is no block",
			   mp->name, p, offset);
	switch (mp->state[index]) {
	case MB_UNSEEN:
	case MB_FREE:
		break;
	case MB_HELD:
		model_fail(m, "pool %s handed out block %zu twice", mp->name,
			   index);
		break;
	case MB_CORRUPT:
		model_fail(m, "pool %s handed out block %zu, written after free",
			   mp->name, index);
		break;
	default:
		model_fail(m, "pool %s handed out block %zu, quarantined",
			   mp->name, index);
		break;
	}
	if (zero && memchr_inv(p, 0, bs))
		model_fail(m, "pool %s: block %zu not zeroed for __GFP_ZERO",
			   mp->name, index);

	/* A mark of this alloc, checked when the block goes back. */
	mp->stamp[index] = (u8)(m->step * 7 + index) | 1;
	memset(p, mp->stamp[index], bs);
	mp->state[index] = MB_HELD;
	mp->nr_held++;
	mp->nr_free--;
	mp->exp.allocs++;
	mp->exp.in_use++;
	mp->exp.peak_in_use = max(mp->exp.peak_in_use, mp->exp.in_use);
	m->nr_allocs++;
}

/* A held block the case gives back: it must hold what the case left. */
static void model_give(struct model *m, struct model_pool *mp, size_t index)
{
	char *p = model_block_ptr(mp, index);
	u8 *bad = memchr_inv(p, mp->stamp[index], mp->exp.block_size);

	if (bad)
		model_fail(m, "pool %s: held block %zu changed at offset %td",
			   mp->name, index, bad - (u8 *)p);
	mp->state[index] = MB_FREE;
	mp->nr_held--;
	mp->nr_free++;
	mp->exp.frees++;
	mp->exp.in_use--;
}

/*
 * An alloc returned NULL: no block was free anywhere, so every corrupted
 * one has been reached, found and quarantined by now.
 */
static void model_all_found(struct model_pool *mp)
{
	size_t i;

	for (i = 0; mp->nr_corrupt && i < mp->exp.nr_blocks; i++) {
		if (mp->state[i] != MB_CORRUPT)
			continue;
		mp->state[i] = MB_QUARANTINED;
		mp->exp.poison_errors++;
		mp->exp.quarantined++;
		mp->nr_corrupt--;
	}
}

/*
 * Compare the pool's statistics with the model's.  Corrupted blocks are
 * found by whichever alloc reaches them, unknown to the model: anywhere
 * from none to all of them may have been, each counted once in
 * poison_errors and once in quarantined.
 */
static void model_check_pool(struct model *m, struct model_pool *mp)
{
	struct mpool_stats st, exp = mp->exp;
	u64 found;

	mpool_get_stats(mp->pool, &st);
	found = st.poison_errors - exp.poison_errors;
	if (st.poison_errors >= exp.poison_errors && found <= mp->nr_corrupt &&
	    st.quarantined == exp.quarantined + found) {
		exp.poison_errors += found;
		exp.quarantined += found;
	}
	mpool_kunit_stats_diff(&st, &exp, m->diff, sizeof(m->diff));
	if (m->diff[0])
		model_fail(m, "pool %s (%zu held, %zu corrupted not found):%s",
			   mp->name, mp->nr_held, mp->nr_corrupt, m->diff);
}

static void model_check_all(struct model *m)
{
	size_t i;

	for (i = 0; i < MODEL_POOLS; i++) {
		if (m->pools[i].pool)
			model_check_pool(m, &m->pools[i]);
	}
}

/* A live pool at random, or NULL if there is none. */
static struct model_pool *model_some_pool(struct model *m)
{
	size_t start = model_below(&m->rng, MODEL_POOLS), i;
	struct model_pool *mp;

	for (i = 0; i < MODEL_POOLS; i++) {
		mp = &m->pools[(start + i) % MODEL_POOLS];
		if (mp->pool)
			return mp;
	}
	return NULL;
}

/* ---- the operations ------------------------------------------------------ */

/* Each returns false when it cannot run now, and another is drawn. */

static size_t model_random_block_size(u64 *rng)
{
	switch (model_below(rng, 5)) {
	case 0:
		return 1 + model_below(rng, 16);
	case 1:
		return 257 + model_below(rng, 1792);
	default:
		return 17 + model_below(rng, 240);
	}
}

static size_t model_random_align(u64 *rng)
{
	if (model_one_in(rng, 3))
		return 0;
	/* Up to 8 KiB: beyond a page, the region has slack before it. */
	return (size_t)1 << model_below(rng, 14);
}

static size_t model_random_nr_blocks(u64 *rng)
{
	switch (model_below(rng, 5)) {
	case 0:
		return 1 + model_below(rng, 8);
	case 1:
	case 2:
		return 9 + model_below(rng, 56);
	default:
		return 65 + model_below(rng, 448);
	}
}

static void model_release_pool(struct model_pool *mp)
{
	kfree(mp->state);
	kfree(mp->stamp);
	memset(mp, 0, sizeof(*mp));
}

static bool model_op_create(struct model *m)
{
	size_t slot, block_size, align, nr_blocks;
	struct model_pool *mp = NULL;
	unsigned int flags;
	struct mpool *pool;

	for (slot = 0; slot < MODEL_POOLS && !mp; slot++) {
		if (!m->pools[slot].pool)
			mp = &m->pools[slot];
	}
	if (!mp)
		return false;
	block_size = model_random_block_size(&m->rng);
	align = model_random_align(&m->rng);
	nr_blocks = model_random_nr_blocks(&m->rng);
	flags = model_below(&m->rng, MPOOL_VALID_FLAGS + 1) & MPOOL_VALID_FLAGS;

	snprintf(mp->name, sizeof(mp->name), "kunit_model_%zu", slot);
	mp->state = kcalloc(nr_blocks, 1, GFP_KERNEL);
	mp->stamp = kcalloc(nr_blocks, 1, GFP_KERNEL);
	if (!mp->state || !mp->stamp) {
		model_release_pool(mp);
		model_fail(m, "no memory for the model of %zu blocks", nr_blocks);
	}
	pool = mpool_create(mp->name, block_size, align, nr_blocks, flags);
	if (IS_ERR_OR_NULL(pool)) {
		model_release_pool(mp);
		model_fail(m, "mpool_create(%zu, %zu, %zu, %#x): %pe",
			   block_size, align, nr_blocks, flags, pool);
	}
	mp->pool = pool;
	mpool_get_stats(pool, &mp->exp);
	/* debug= may add debug flags: the model follows what the pool does. */
	if ((mp->exp.flags & flags) != flags ||
	    (mp->exp.flags & ~flags & ~(MPOOL_POISON | MPOOL_REDZONE |
					MPOOL_TRACK_CALLER)))
		model_fail(m, "pool %s: flags %#x, asked %#x", mp->name,
			   mp->exp.flags, flags);
	mp->flags = mp->exp.flags;

	/* Only what it was asked and the README's layout: no counts yet. */
	memset(&mp->exp, 0, sizeof(mp->exp));
	model_geometry(block_size, align, mp->flags, &mp->exp);
	mp->exp.nr_blocks = nr_blocks;
	mp->exp.region_bytes = nr_blocks * mp->exp.stride;
	mp->exp.flags = mp->flags;
	mp->nr_free = nr_blocks;
	return true;
}

/* Free every block held from @mp, in bulk calls. */
static void model_free_all(struct model *m, struct model_pool *mp)
{
	size_t index, n;

	while (mp->nr_held) {
		for (n = 0; n < MODEL_BULK_MAX && model_pick(m, mp, MB_HELD,
							     &index); n++) {
			m->bulk[n] = model_block_ptr(mp, index);
			model_give(m, mp, index);
		}
		mpool_free_bulk(mp->pool, n, m->bulk);
	}
}

static bool model_op_destroy(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);

	if (!mp)
		return false;
	/*
	 * With blocks in use the region stays allocated for good, and the
	 * pool says so in the log: rarely, and only small pools.
	 */
	if (!mp->nr_held || mp->exp.region_bytes > MODEL_LEAK_MAX_BYTES ||
	    !model_one_in(&m->rng, 8)) {
		model_free_all(m, mp);
		model_check_pool(m, mp);
	}
	mpool_destroy(mp->pool);
	model_release_pool(mp);
	return true;
}

static bool model_op_alloc(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	bool zero;
	gfp_t gfp;
	char *p;

	if (!mp)
		return false;
	gfp = model_gfp(&m->rng, &zero);
	snprintf(m->what, sizeof(m->what), " on %s, %zu free, %zu corrupted",
		 mp->name, mp->nr_free, mp->nr_corrupt);
	p = mpool_alloc(mp->pool, gfp);
	if (!p) {
		if (mp->nr_free)
			model_fail(m, "pool %s: NULL with %zu blocks free",
				   mp->name, mp->nr_free);
		mp->exp.alloc_failures++;
		model_all_found(mp);
		return true;
	}
	if (!mp->nr_free)
		model_fail(m, "pool %s: a block with none free", mp->name);
	model_take(m, mp, p, zero);
	return true;
}

static bool model_op_alloc_bulk(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t nr, i;
	bool zero;
	gfp_t gfp;
	int got;

	if (!mp)
		return false;
	gfp = model_gfp(&m->rng, &zero);
	/* Now and then more than there is, when that fits the array. */
	if (mp->nr_free < MODEL_BULK_MAX && model_one_in(&m->rng, 4))
		nr = min_t(size_t, MODEL_BULK_MAX,
			   mp->nr_free + 1 + model_below(&m->rng, 3));
	else
		nr = model_below(&m->rng, MODEL_BULK_MAX + 1);

	snprintf(m->what, sizeof(m->what), " of %zu on %s, %zu free", nr,
		 mp->name, mp->nr_free);
	got = mpool_alloc_bulk(mp->pool, gfp, nr, m->bulk);
	if (got != (nr <= mp->nr_free ? (int)nr : 0))
		model_fail(m, "pool %s: bulk of %zu with %zu free got %d",
			   mp->name, nr, mp->nr_free, got);
	if (nr && !got)
		mp->exp.alloc_failures++;
	for (i = 0; i < got; i++)
		model_take(m, mp, m->bulk[i], zero);
	return true;
}

/*
 * With a red zone, write one byte into it, then free: counted, and the
 * free accepted.
 */
static void model_overrun(struct model *m, struct model_pool *mp,
			  size_t index)
{
	u8 *p = model_block_ptr(mp, index) + mp->exp.block_size;

	p[model_below(&m->rng, mp->exp.redzone_bytes)] ^=
		1 + model_below(&m->rng, 255);
	mp->exp.redzone_errors++;
	m->nr_corruptions++;
}

static bool model_op_free(struct model *m, bool overrun)
{
	struct model_pool *mp = model_some_pool(m);
	size_t index;

	if (!mp || !model_pick(m, mp, MB_HELD, &index))
		return false;
	if (overrun && !(mp->flags & MPOOL_REDZONE))
		return false;
	if (overrun)
		model_overrun(m, mp, index);
	model_give(m, mp, index);
	mpool_free(mp->pool, model_block_ptr(mp, index));
	return true;
}

/*
 * A pointer mpool_free() must refuse, and what it counts: outside any
 * block of @mp, inside one, or the start of a block that is not held (free,
 * corrupted or quarantined).  None is ever dereferenced.
 */
static void *model_bad_pointer(struct model *m, struct model_pool *mp,
			       enum model_verdict *verdict)
{
	size_t stride = mp->exp.stride, index, i;
	enum model_block state;

	*verdict = MV_INVALID;
	switch (model_below(&m->rng, 6)) {
	case 0:
		break;
	case 1:
		if (!mp->base)
			break;
		mp->exp.invalid_frees++;
		return mp->base + mp->exp.region_bytes +
		       model_below(&m->rng, stride);
	case 2:
		for (i = 0; i < MODEL_POOLS; i++) {
			if (&m->pools[i] != mp && m->pools[i].base) {
				mp->exp.invalid_frees++;
				return m->pools[i].base;
			}
		}
		break;
	case 3:
		if (!mp->base || stride < 2)
			break;
		mp->exp.invalid_frees++;
		index = model_below(&m->rng, mp->exp.nr_blocks);
		return model_block_ptr(mp, index) + 1 +
		       model_below(&m->rng, stride - 1);
	default:
		/* Free, written after free, or quarantined: all refused. */
		for (state = MB_UNSEEN; state <= MB_QUARANTINED; state++) {
			if (state != MB_HELD &&
			    model_one_in(&m->rng, 2) &&
			    model_pick(m, mp, state, &index)) {
				mp->exp.double_frees++;
				*verdict = MV_DOUBLE;
				return model_block_ptr(mp, index);
			}
		}
		break;
	}
	mp->exp.invalid_frees++;
	return m->foreign + model_below(&m->rng, sizeof(m->foreign));
}

static bool model_op_misuse(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	enum model_verdict verdict;

	if (!mp)
		return false;
	mpool_free(mp->pool, model_bad_pointer(m, mp, &verdict));
	m->nr_bad_frees++;
	return true;
}

/* Entry @n of a bulk free again: refused now, whatever it was. */
static void model_repeat_entry(struct model *m, struct model_pool *mp,
			       size_t n)
{
	size_t first = model_below(&m->rng, n);

	m->bulk[n] = m->bulk[first];
	m->verdict[n] = m->verdict[first];
	if (m->verdict[n] == MV_FREED)
		m->verdict[n] = MV_DOUBLE;
	if (m->verdict[n] == MV_DOUBLE)
		mp->exp.double_frees++;
	else if (m->verdict[n] == MV_INVALID)
		mp->exp.invalid_frees++;
}

/*
 * Free held blocks, NULLs and bad pointers in one call.  Entries are taken
 * in order, so a block freed earlier in the array is a double free later.
 */
static bool model_op_free_bulk(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t nr, n, index;
	enum model_verdict verdict;

	if (!mp)
		return false;
	nr = 1 + model_below(&m->rng, MODEL_BULK_MAX);
	for (n = 0; n < nr; n++) {
		switch (model_below(&m->rng, 10)) {
		case 0:
			m->bulk[n] = NULL;
			m->verdict[n] = MV_NONE;
			break;
		case 1:
		case 2:
			m->bulk[n] = model_bad_pointer(m, mp, &verdict);
			m->verdict[n] = verdict;
			m->nr_bad_frees++;
			break;
		case 3:
			if (n) {
				model_repeat_entry(m, mp, n);
				break;
			}
			fallthrough;
		default:
			m->bulk[n] = NULL;
			m->verdict[n] = MV_NONE;
			if (!model_pick(m, mp, MB_HELD, &index))
				break;
			if ((mp->flags & MPOOL_REDZONE) &&
			    model_one_in(&m->rng, 8))
				model_overrun(m, mp, index);
			m->bulk[n] = model_block_ptr(mp, index);
			m->verdict[n] = MV_FREED;
			model_give(m, mp, index);
			break;
		}
	}
	mpool_free_bulk(mp->pool, nr, m->bulk);
	return true;
}

/*
 * Write one byte into a block after freeing it: only a block known to be
 * free and intact, and only with MPOOL_POISON, which sees it when an alloc
 * reaches the block (without it, a write can corrupt the free list).
 */
static bool model_op_write_after_free(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t index;
	u8 *p;

	if (!mp || !(mp->flags & MPOOL_POISON) ||
	    !model_pick(m, mp, MB_FREE, &index))
		return false;
	p = model_block_ptr(mp, index);
	p[model_below(&m->rng, mp->exp.block_size)] ^=
		1 + model_below(&m->rng, 255);
	mp->state[index] = MB_CORRUPT;
	mp->nr_free--;
	mp->nr_corrupt++;
	m->nr_corruptions++;
	return true;
}

/*
 * Allocate until NULL: the pool must hand out exactly the blocks the model
 * has free, and have found every corrupted one.
 */
static void model_drain(struct model *m, struct model_pool *mp)
{
	size_t left;
	char *p;

	for (left = mp->exp.nr_blocks + 1; left; left--) {
		p = mpool_alloc(mp->pool, GFP_ATOMIC);
		if (!p)
			break;
		if (!mp->nr_free)
			model_fail(m, "pool %s: a block with none free",
				   mp->name);
		model_take(m, mp, p, false);
	}
	if (mp->nr_free)
		model_fail(m, "pool %s: NULL with %zu blocks free", mp->name,
			   mp->nr_free);
	mp->exp.alloc_failures++;
	model_all_found(mp);
	model_check_pool(m, mp);
	m->nr_drains++;
}

/* A drain, then half the blocks back, one at a time. */
static bool model_op_drain(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t left, index;

	if (!mp)
		return false;
	model_drain(m, mp);
	for (left = mp->nr_held / 2; left; left--) {
		if (!model_pick(m, mp, MB_HELD, &index))
			break;
		model_give(m, mp, index);
		mpool_free(mp->pool, model_block_ptr(mp, index));
	}
	return true;
}

/* Run on @cpu alone from now on: which blocks come back depends on it. */
static void model_move_to(struct model *m, unsigned int cpu)
{
	if (set_cpus_allowed_ptr(current, cpumask_of(cpu)))
		model_fail(m, "cannot move to CPU %u", cpu);
}

/*
 * Move to another online CPU, as the seed says: the next allocs find that
 * CPU's cache, and steal from the one left behind.
 */
static bool model_op_move(struct model *m)
{
	unsigned int nth = model_below(&m->rng, num_online_cpus()), cpu;

	for_each_online_cpu(cpu) {
		if (!nth--)
			break;
	}
	if (cpu >= nr_cpu_ids)
		return false;
	model_move_to(m, cpu);
	return true;
}

enum model_op_kind {
	OP_CREATE, OP_DESTROY, OP_ALLOC, OP_ALLOC_BULK, OP_FREE, OP_OVERRUN,
	OP_FREE_BULK, OP_MISUSE, OP_WRITE_AFTER_FREE, OP_DRAIN, OP_MOVE,
	NR_MODEL_OPS,
};

static const struct {
	const char *name;
	unsigned int weight;
} model_ops[NR_MODEL_OPS] = {
	[OP_CREATE]		= { "create", 3 },
	[OP_DESTROY]		= { "destroy", 2 },
	[OP_ALLOC]		= { "alloc", 30 },
	[OP_ALLOC_BULK]		= { "alloc_bulk", 10 },
	[OP_FREE]		= { "free", 25 },
	[OP_OVERRUN]		= { "overrun and free", 3 },
	[OP_FREE_BULK]		= { "free_bulk", 10 },
	[OP_MISUSE]		= { "bad free", 5 },
	[OP_WRITE_AFTER_FREE]	= { "write after free", 4 },
	[OP_DRAIN]		= { "drain", 2 },
	[OP_MOVE]		= { "move CPU", 3 },
};

static bool model_run_op(struct model *m, enum model_op_kind op)
{
	switch (op) {
	case OP_CREATE:
		return model_op_create(m);
	case OP_DESTROY:
		return model_op_destroy(m);
	case OP_ALLOC:
		return model_op_alloc(m);
	case OP_ALLOC_BULK:
		return model_op_alloc_bulk(m);
	case OP_FREE:
		return model_op_free(m, false);
	case OP_OVERRUN:
		return model_op_free(m, true);
	case OP_FREE_BULK:
		return model_op_free_bulk(m);
	case OP_MISUSE:
		return model_op_misuse(m);
	case OP_WRITE_AFTER_FREE:
		return model_op_write_after_free(m);
	case OP_DRAIN:
		return model_op_drain(m);
	default:
		return model_op_move(m);
	}
}

static enum model_op_kind model_draw_op(u64 *rng)
{
	unsigned int total = 0, pick, op;

	for (op = 0; op < NR_MODEL_OPS; op++)
		total += model_ops[op].weight;
	pick = model_below(rng, total);
	for (op = 0; pick >= model_ops[op].weight; op++)
		pick -= model_ops[op].weight;
	return op;
}

/* One step: an operation that can run now, then every check. */
static void model_step(struct model *m)
{
	enum model_op_kind op;

	do {
		op = model_draw_op(&m->rng);
		m->op = model_ops[op].name;
		m->what[0] = '\0';
	} while (!model_run_op(m, op));
	model_check_all(m);
}

/* The end of a seed: every pool drained, so exact again, then destroyed. */
static void model_finish(struct model *m)
{
	struct model_pool *mp;
	size_t i;

	m->op = "final drain and destroy";
	m->what[0] = '\0';
	for (i = 0; i < MODEL_POOLS; i++) {
		mp = &m->pools[i];
		if (!mp->pool)
			continue;
		model_drain(m, mp);
		model_free_all(m, mp);
		model_check_pool(m, mp);
		mpool_destroy(mp->pool);
		model_release_pool(mp);
	}
}

static int model_resource_init(struct kunit_resource *res, void *m)
{
	res->data = m;
	return 0;
}

/*
 * However the case ends: the blocks the model holds go back and the pools
 * go.  After a failure the model may be wrong about some block: the pool
 * then reports it destroyed with blocks in use, and keeps its region.
 */
static void model_resource_release(struct kunit_resource *res)
{
	struct model *m = res->data;
	struct model_pool *mp;
	size_t i, index;

	for (i = 0; i < MODEL_POOLS; i++) {
		mp = &m->pools[i];
		if (!mp->pool)
			continue;
		for (index = 0; mp->base && index < mp->exp.nr_blocks; index++) {
			if (mp->state[index] == MB_HELD)
				mpool_free(mp->pool, model_block_ptr(mp, index));
		}
		mpool_destroy(mp->pool);
		model_release_pool(mp);
	}
	kfree(m);
}

static struct model *model_create(struct kunit *test)
{
	struct model *m = kzalloc(sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	if (!kunit_alloc_resource(test, model_resource_init,
				  model_resource_release, GFP_KERNEL, m)) {
		kfree(m);
		KUNIT_FAIL_AND_ABORT(test, "cannot track the model");
	}
	m->test = test;
	return m;
}

/* Run one seed's steps; the pools are all gone at the end. */
static void model_run_seed(struct model *m, u64 seed)
{
	m->seed = seed;
	m->rng = seed;
	m->nr_allocs = 0;
	m->nr_bad_frees = 0;
	m->nr_corruptions = 0;
	m->nr_drains = 0;
	m->op = "start";
	m->what[0] = '\0';
	model_move_to(m, cpumask_first(cpu_online_mask));
	/* On the console only: KUnit 6.1 keeps 512 bytes of a case's log. */
	pr_info("mpool_model: %s: seed %llu: %u steps\n", m->test->name, seed,
		model_steps);
	for (m->step = 1; m->step <= model_steps; m->step++) {
		model_step(m);
		/* No preemption in the test kernel: let RCU and others in. */
		cond_resched();
	}
	model_finish(m);
	pr_info("mpool_model: %s: seed %llu: %lu blocks, %lu bad frees, %lu corruptions, %lu drains\n",
		m->test->name, seed, m->nr_allocs, m->nr_bad_frees,
		m->nr_corruptions, m->nr_drains);
}

/* ---- the runs: fixed seeds, or seeds for a time -------------------------- */

/*
 * A timed run, cut into chunks of MODEL_CHUNK_SECONDS, each a parameter of
 * its own: a chunk runs seeds from @next_seed until its time is up.
 */
struct model_run {
	unsigned int chunk;
	unsigned int nr_chunks;
	u64 next_seed;
};

static struct model_run model_seq_run, model_smp_run;
static u64 model_one_seed;

/*
 * seconds=0: the fixed seeds, the first @nr_fixed of them, or the one
 * seed= names.  seconds=N: chunks of one @run, from seed= or the first
 * fixed seed.
 */
static const void *model_gen_params(struct model_run *run, size_t nr_fixed,
				    const void *prev, char *desc)
{
	const u64 *seed = prev;

	if (model_seconds) {
		if (!prev) {
			run->chunk = 0;
			run->nr_chunks = DIV_ROUND_UP(model_seconds,
						      MODEL_CHUNK_SECONDS);
			run->next_seed = model_seed ?: model_fixed_seeds[0];
		} else if (++run->chunk == run->nr_chunks) {
			return NULL;
		}
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u s of seeds, part %u of %u",
			 model_seconds, run->chunk + 1, run->nr_chunks);
		return run;
	}
	if (model_seed) {
		if (prev)
			return NULL;
		model_one_seed = model_seed;
		seed = &model_one_seed;
	} else {
		seed = prev ? seed + 1 : model_fixed_seeds;
		if (seed == model_fixed_seeds + nr_fixed)
			return NULL;
	}
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "seed %llu", *seed);
	return seed;
}

static MPOOL_KUNIT_GEN_PARAMS(model_seq_gen_params)
{
	return model_gen_params(&model_seq_run, ARRAY_SIZE(model_fixed_seeds),
				prev, desc);
}

static MPOOL_KUNIT_GEN_PARAMS(model_smp_gen_params)
{
	return model_gen_params(&model_smp_run, MODEL_FIXED_SMP_SEEDS, prev,
				desc);
}

/* This chunk's share of seconds=, from now. */
static unsigned long model_chunk_deadline(const struct model_run *run)
{
	unsigned int secs = min_t(unsigned int, MODEL_CHUNK_SECONDS,
				  model_seconds - run->chunk * MODEL_CHUNK_SECONDS);

	return jiffies + secs * HZ;
}

/*
 * Random operations on up to MODEL_POOLS pools, from one seed or, in a
 * timed run, seed after seed; every step checked against the model.
 */
static void sequence_matches_model(struct kunit *test)
{
	struct model *m = model_create(test);
	struct model_run *run;
	unsigned long deadline;
	u64 first;

	if (!model_seconds) {
		model_run_seed(m, *(const u64 *)test->param_value);
		kunit_info(test, "seed %llu: %lu blocks, %lu corruptions\n",
			   m->seed, m->nr_allocs, m->nr_corruptions);
		return;
	}
	run = (struct model_run *)test->param_value;
	deadline = model_chunk_deadline(run);
	first = run->next_seed;
	do {
		model_run_seed(m, run->next_seed++);
	} while (time_before(jiffies, deadline));
	kunit_info(test, "seeds %llu to %llu\n", first, run->next_seed - 1);
}

/* ---- threads on every CPU, one shared pool ------------------------------- */

#define SMP_MAX_THREADS		8
#define SMP_MAX_HELD		24
#define SMP_BULK_MAX		8
/* How long the threads may take beyond their work before it is a hang. */
#define SMP_GRACE		(60 * HZ)

/* What the threads share: the pool, where its blocks are, who holds them. */
struct smp_pool {
	struct mpool *pool;	/* NULL between seeds */
	struct mpool_stats geo;	/* the geometry, and the counts before */
	char *base;		/* lowest block */
	unsigned long *claimed;	/* bit set: a thread holds the block */
	struct completion start;
	unsigned long deadline;	/* a timed run's end, or 0 */
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
	struct task_struct *task;
	struct completion done;
	unsigned int id;
	u64 seed;
	u64 rng;
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

struct smp_case {
	struct smp_pool sp;
	struct smp_thread threads[SMP_MAX_THREADS];
};

/* No assertion from a thread: count, keep the first, report at the end. */
static __printf(2, 3) void smp_error(struct smp_thread *t, const char *fmt,
				     ...)
{
	size_t len;
	va_list args;

	if (t->nr_errors++)
		return;
	len = scnprintf(t->error, sizeof(t->error),
			"thread %u on CPU %d, step %lu (%s): ", t->id,
			raw_smp_processor_id(), t->step, t->op);
	va_start(args, fmt);
	vscnprintf(t->error + len, sizeof(t->error) - len, fmt, args);
	va_end(args);
}

/* A block the pool handed this thread: check it, claim it, stamp it. */
static void smp_take(struct smp_thread *t, char *p, bool zero)
{
	const struct mpool_stats *geo = &t->sp->geo;
	size_t offset = p - t->sp->base, index = offset / geo->stride;
	struct smp_block *b;

	t->n.allocs++;
	if (!mpool_owns(t->sp->pool, p) ||
	    !mpool_owns(t->sp->pool, p + geo->block_size - 1) ||
	    offset % geo->stride || index >= geo->nr_blocks ||
	    !IS_ALIGNED((unsigned long)p, geo->align)) {
		smp_error(t, "%p is no block of the pool", p);
		return;
	}
	/* Set already: another thread holds it, or this one. */
	if (test_and_set_bit(index, t->sp->claimed)) {
		smp_error(t, "block %zu handed out twice", index);
		return;
	}
	if (zero && memchr_inv(p, 0, geo->block_size))
		smp_error(t, "block %zu not zeroed for __GFP_ZERO", index);
	b = &t->held[t->nr_held++];
	b->p = p;
	b->index = index;
	b->stamp = (u8)(t->id * 16 + t->step) | 1;
	memset(p, b->stamp, geo->block_size);
	t->n.peak_held = max(t->n.peak_held, t->nr_held);
}

/*
 * Give up held block @i, to be freed by the caller: check its stamp,
 * maybe overrun it into its red zone, and unclaim it first, as once freed
 * it may be handed out at once.
 */
static char *smp_give(struct smp_thread *t, size_t i)
{
	const struct mpool_stats *geo = &t->sp->geo;
	struct smp_block b = t->held[i];

	if (memchr_inv(b.p, b.stamp, geo->block_size))
		smp_error(t, "held block %zu changed", b.index);
	if ((geo->flags & MPOOL_REDZONE) && model_one_in(&t->rng, 8)) {
		b.p[geo->block_size + model_below(&t->rng, geo->redzone_bytes)] ^=
			1 + model_below(&t->rng, 255);
		t->n.redzone_errors++;
	}
	t->held[i] = t->held[--t->nr_held];
	clear_bit(b.index, t->sp->claimed);
	t->n.frees++;
	return b.p;
}

static void smp_op_alloc(struct smp_thread *t)
{
	bool zero;
	gfp_t gfp = model_gfp(&t->rng, &zero);
	char *p;

	t->op = "alloc";
	if (t->nr_held == SMP_MAX_HELD)
		return;
	p = mpool_alloc(t->sp->pool, gfp);
	if (p)
		smp_take(t, p, zero);
	else
		t->n.alloc_failures++;
}

static void smp_op_alloc_bulk(struct smp_thread *t)
{
	size_t nr = 1 + model_below(&t->rng, min_t(size_t, SMP_BULK_MAX,
						    SMP_MAX_HELD - t->nr_held));
	bool zero;
	gfp_t gfp = model_gfp(&t->rng, &zero);
	int got, i;

	t->op = "alloc_bulk";
	if (t->nr_held == SMP_MAX_HELD)
		return;
	got = mpool_alloc_bulk(t->sp->pool, gfp, nr, t->bulk);
	if (!got) {
		t->n.alloc_failures++;
		return;
	}
	if (got != (int)nr) {
		/* Not all or nothing: the count is wrong, the blocks lost. */
		smp_error(t, "bulk of %zu got %d", nr, got);
		return;
	}
	for (i = 0; i < got; i++)
		smp_take(t, t->bulk[i], zero);
}

static void smp_op_free(struct smp_thread *t)
{
	t->op = "free";
	if (t->nr_held)
		mpool_free(t->sp->pool,
			   smp_give(t, model_below(&t->rng, t->nr_held)));
}

/* Refused whatever the other threads do: not a block start, or no block. */
static void *smp_bad_pointer(struct smp_thread *t)
{
	size_t stride = t->sp->geo.stride;

	t->n.invalid_frees++;
	if (t->nr_held && stride > 1 && model_one_in(&t->rng, 2))
		return t->held[model_below(&t->rng, t->nr_held)].p + 1 +
		       model_below(&t->rng, stride - 1);
	return (char *)&t->n + model_below(&t->rng, sizeof(t->n));
}

static void smp_op_bad_free(struct smp_thread *t)
{
	t->op = "bad free";
	mpool_free(t->sp->pool, smp_bad_pointer(t));
}

/*
 * Held blocks, NULLs, bad pointers, and an entry twice: the good ones go
 * back together, after every entry is checked, so the second of two
 * entries of one block is a double free, whatever the other threads do.
 */
static void smp_op_free_bulk(struct smp_thread *t)
{
	size_t nr = 1 + model_below(&t->rng, ARRAY_SIZE(t->bulk)), n, first;

	t->op = "free_bulk";
	for (n = 0; n < nr; n++) {
		switch (model_below(&t->rng, 8)) {
		case 0:
			t->bulk[n] = NULL;
			t->verdict[n] = MV_NONE;
			break;
		case 1:
			t->bulk[n] = smp_bad_pointer(t);
			t->verdict[n] = MV_INVALID;
			break;
		case 2:
			if (n) {
				first = model_below(&t->rng, n);
				t->bulk[n] = t->bulk[first];
				t->verdict[n] = t->verdict[first];
				if (t->verdict[n] == MV_FREED)
					t->verdict[n] = MV_DOUBLE;
				t->n.double_frees += t->verdict[n] == MV_DOUBLE;
				t->n.invalid_frees += t->verdict[n] == MV_INVALID;
				break;
			}
			fallthrough;
		default:
			t->bulk[n] = NULL;
			t->verdict[n] = MV_NONE;
			if (!t->nr_held)
				break;
			t->bulk[n] = smp_give(t, model_below(&t->rng,
							     t->nr_held));
			t->verdict[n] = MV_FREED;
			break;
		}
	}
	mpool_free_bulk(t->sp->pool, nr, t->bulk);
}

static void smp_step(struct smp_thread *t)
{
	switch (model_below(&t->rng, 10)) {
	case 0:
	case 1:
	case 2:
		smp_op_alloc(t);
		break;
	case 3:
		smp_op_alloc_bulk(t);
		break;
	case 4:
	case 5:
	case 6:
		smp_op_free(t);
		break;
	case 7:
		smp_op_free_bulk(t);
		break;
	case 8:
		smp_op_bad_free(t);
		break;
	default:
		/* Room for another thread's steal, or its refill. */
		cond_resched();
		break;
	}
}

/* Park a thread that has done its work until kthread_stop() reaps it. */
static void smp_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int smp_thread_fn(void *data)
{
	struct smp_thread *t = data;
	struct smp_pool *sp = t->sp;

	wait_for_completion(&sp->start);
	for (t->step = 1; t->step <= model_steps; t->step++) {
		if (kthread_should_stop() ||
		    (sp->deadline && time_after(jiffies, sp->deadline)))
			break;
		smp_step(t);
		if (!(t->step % 16))
			cond_resched();
	}
	t->op = "free all";
	while (t->nr_held)
		mpool_free(sp->pool, smp_give(t, t->nr_held - 1));
	complete(&t->done);
	smp_wait_for_stop();
	return 0;
}

static int smp_resource_init(struct kunit_resource *res, void *c)
{
	res->data = c;
	return 0;
}

/* The threads are stopped before any assertion: only the pool is left. */
static void smp_resource_release(struct kunit_resource *res)
{
	struct smp_case *c = res->data;

	mpool_destroy(c->sp.pool);
	bitmap_free(c->sp.claimed);
	kfree(c);
}

static struct smp_case *smp_case_create(struct kunit *test)
{
	struct smp_case *c = kzalloc(sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	if (!kunit_alloc_resource(test, smp_resource_init,
				  smp_resource_release, GFP_KERNEL, c)) {
		kfree(c);
		KUNIT_FAIL_AND_ABORT(test, "cannot track the threads' pool");
	}
	return c;
}

/* The shared pool of a seed, its geometry checked, its blocks located. */
static void smp_create_pool(struct kunit *test, struct smp_pool *sp,
			    u64 seed, unsigned int nr_threads)
{
	u64 rng = seed;
	size_t block_size = 1 + model_below(&rng, 256);
	size_t align = model_one_in(&rng, 3) ? 0 :
		       (size_t)1 << model_below(&rng, 8);
	/* From two blocks per thread, so that they run out now and then. */
	size_t nr_blocks = nr_threads * (2 + model_below(&rng, 16));
	unsigned int flags = model_below(&rng, MPOOL_VALID_FLAGS + 1) &
			     MPOOL_VALID_FLAGS;
	struct mpool_stats exp = {};
	char diff[256];
	char *p;

	sp->pool = mpool_create("kunit_model_smp", block_size, align,
				nr_blocks, flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, sp->pool,
					 "seed %llu: mpool_create(%zu, %zu, %zu, %#x): %pe",
					 seed, block_size, align, nr_blocks,
					 flags, sp->pool);
	mpool_get_stats(sp->pool, &sp->geo);
	model_geometry(block_size, align, sp->geo.flags, &exp);
	exp.nr_blocks = nr_blocks;
	exp.region_bytes = nr_blocks * exp.stride;
	exp.flags = sp->geo.flags;
	mpool_kunit_stats_diff(&sp->geo, &exp, diff, sizeof(diff));
	KUNIT_ASSERT_STREQ_MSG(test, diff, "", "seed %llu: new pool", seed);

	/* One block, to find the lowest: the region is contiguous. */
	p = mpool_alloc(sp->pool, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL_MSG(test, p, "seed %llu: first alloc", seed);
	sp->base = p;
	while (mpool_owns(sp->pool, sp->base - sp->geo.stride))
		sp->base -= sp->geo.stride;
	mpool_free(sp->pool, p);
	mpool_get_stats(sp->pool, &sp->geo);

	sp->claimed = bitmap_zalloc(nr_blocks, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sp->claimed);
	init_completion(&sp->start);
}

/*
 * Start a thread bound to each online CPU (up to SMP_MAX_THREADS), let them
 * run, wait for them, and stop them all: no assertion from the first
 * kthread_create() to the last kthread_stop().  Returns the threads
 * created, or a negative errno.
 */
static int smp_run_threads(struct smp_case *c, u64 seed,
			   unsigned int nr_threads, unsigned int *stuck)
{
	unsigned long limit;
	struct smp_thread *t;
	unsigned int created = 0, i, cpu;
	int err = 0;

	for_each_online_cpu(cpu) {
		if (created == nr_threads)
			break;
		t = &c->threads[created];
		memset(t, 0, sizeof(*t));
		t->sp = &c->sp;
		t->id = created;
		t->seed = seed;
		t->rng = seed ^ (0x100000001b3ULL * (created + 1));
		init_completion(&t->done);
		t->task = kthread_create(smp_thread_fn, t, "mpool_model/%u",
					 cpu);
		if (IS_ERR(t->task)) {
			err = PTR_ERR(t->task);
			break;
		}
		kthread_bind(t->task, cpu);
		created++;
	}
	*stuck = 0;
	if (!err) {
		for (i = 0; i < created; i++)
			wake_up_process(c->threads[i].task);
		complete_all(&c->sp.start);
		limit = (c->sp.deadline ?: jiffies) + SMP_GRACE;
		for (i = 0; i < created; i++) {
			if (!wait_for_completion_timeout(&c->threads[i].done,
							 max_t(long, limit - jiffies, 1)))
				(*stuck)++;
		}
	}
	/* Threads never woken are stopped before they run. */
	for (i = 0; i < created; i++)
		kthread_stop(c->threads[i].task);
	return err ?: created;
}

/* The pool's counters against the sum of what the threads did. */
static void smp_reconcile(struct kunit *test, struct smp_case *c, u64 seed,
			  unsigned int nr_threads)
{
	struct smp_pool *sp = &c->sp;
	struct mpool_stats st, exp = sp->geo;
	size_t peak_held = 0;
	unsigned int i;
	char diff[320];

	for (i = 0; i < nr_threads; i++) {
		const struct smp_counts *n = &c->threads[i].n;

		KUNIT_EXPECT_EQ_MSG(test, c->threads[i].nr_errors, 0UL,
				    "seed %llu: %s; replay with seed=%llu",
				    seed, c->threads[i].error, seed);
		exp.allocs += n->allocs;
		exp.frees += n->frees;
		exp.alloc_failures += n->alloc_failures;
		exp.invalid_frees += n->invalid_frees;
		exp.double_frees += n->double_frees;
		exp.redzone_errors += n->redzone_errors;
		peak_held = max(peak_held, n->peak_held);
	}
	KUNIT_EXPECT_TRUE_MSG(test, bitmap_empty(sp->claimed,
						 sp->geo.nr_blocks),
			      "seed %llu: blocks still claimed; replay with seed=%llu",
			      seed, seed);

	mpool_get_stats(sp->pool, &st);
	exp.in_use = 0;
	/* How high it went depends on the schedule; one thread's is a floor. */
	exp.peak_in_use = max3(exp.peak_in_use, (size_t)peak_held,
			       min(st.peak_in_use, exp.nr_blocks));
	mpool_kunit_stats_diff(&st, &exp, diff, sizeof(diff));
	KUNIT_EXPECT_STREQ_MSG(test, diff, "",
			       "seed %llu: the pool against the threads' sum; replay with seed=%llu",
			       seed, seed);
}

static void smp_run_seed(struct kunit *test, struct smp_case *c, u64 seed,
			 unsigned long deadline)
{
	unsigned int nr_threads = min_t(unsigned int, num_online_cpus(),
					SMP_MAX_THREADS);
	unsigned int stuck;
	int created;

	smp_create_pool(test, &c->sp, seed, nr_threads);
	pr_info("mpool_model: %s: seed %llu: %u threads, %zu blocks of %zu bytes, flags %#x\n",
		test->name, seed, nr_threads, c->sp.geo.nr_blocks,
		c->sp.geo.block_size, c->sp.geo.flags);
	c->sp.deadline = deadline;
	created = smp_run_threads(c, seed, nr_threads, &stuck);
	KUNIT_ASSERT_EQ_MSG(test, stuck, 0U,
			    "seed %llu: threads still running after the deadline",
			    seed);
	KUNIT_ASSERT_GE_MSG(test, created, 0, "seed %llu: kthread_create(): %d",
			    seed, created);
	smp_reconcile(test, c, seed, created);

	mpool_destroy(c->sp.pool);
	c->sp.pool = NULL;
	bitmap_free(c->sp.claimed);
	c->sp.claimed = NULL;
}

/*
 * A thread per online CPU, each bound to it, runs random operations on one
 * pool; each keeps its own model, and the pool must add up to their sum.
 */
static void threads_match_their_models(struct kunit *test)
{
	struct smp_case *c;
	struct model_run *run;
	unsigned long deadline;
	u64 first;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs online");
	c = smp_case_create(test);
	if (!model_seconds) {
		smp_run_seed(test, c, *(const u64 *)test->param_value, 0);
		kunit_info(test, "seed %llu\n", *(const u64 *)test->param_value);
		return;
	}
	run = (struct model_run *)test->param_value;
	deadline = model_chunk_deadline(run);
	first = run->next_seed;
	do {
		smp_run_seed(test, c, run->next_seed++, deadline);
	} while (time_before(jiffies, deadline));
	kunit_info(test, "seeds %llu to %llu\n", first, run->next_seed - 1);
}

static struct kunit_case mpool_model_cases[] = {
	KUNIT_CASE_PARAM(sequence_matches_model, model_seq_gen_params),
	KUNIT_CASE_PARAM(threads_match_their_models, model_smp_gen_params),
	{}
};

static struct kunit_suite mpool_model_suite = {
	.name = "mpool_model",
	.test_cases = mpool_model_cases,
};

static struct kunit_suite *mpool_model_suites[] = { &mpool_model_suite };

/*
 * Not kunit_test_suites(): 6.1 runs a module's suites when it is COMING,
 * before its parameters are parsed, and seed= and seconds= would be 0.
 * Running them from the module's init, as kunit_test_suites() itself did
 * before 6.0, sees the parameters on every kernel.  run_tests is true:
 * loading this module is asking for its suites, whatever kunit.autorun=.
 */
static int __init mpool_model_init(void)
{
	return __kunit_test_suites_init(mpool_model_suites,
					ARRAY_SIZE(mpool_model_suites), true);
}
module_init(mpool_model_init);

static void __exit mpool_model_exit(void)
{
	__kunit_test_suites_exit(mpool_model_suites,
				 ARRAY_SIZE(mpool_model_suites));
}
module_exit(mpool_model_exit);

MODULE_DESCRIPTION("KUnit model-checked random test of mempool_mod");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
