// SPDX-License-Identifier: GPL-2.0
/*
 * The model-checked random test of mempool_mod, shared by the KUnit suite
 * mpool_model and the host build of the pool's core (see mpool_model.h):
 * random sequences of operations, drawn from a seed, run against pools
 * through the public API alone, while a small model says what each pool
 * must answer.  After every step each block held is checked (distinct,
 * aligned, inside its pool, its contents as left) and every statistic
 * compared with the model's.
 *
 * The sequence runs on one CPU at a time and moves between CPUs as the
 * seed says, so that a seed replays exactly: which block an alloc returns
 * depends on which CPU's cache it uses.  The threads' operations run on
 * one shared pool, each thread with a model of what it did; the pool's
 * counters must add up to their sum once they stop.
 */

#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mempool_mod.h"
#include "mpool_kunit_stats.h"
#include "mpool_model.h"

/*
 * The flags a seed draws from: those before MPOOL_SHRINKABLE, so that a
 * seed makes the pools it made before regions.  The model never asks for
 * a shrinker: memory pressure would give regions back behind its back.
 */
#define MODEL_FLAGS	(MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER | \
			 MPOOL_NO_PERCPU)

/* ---- random choices: splitmix64, or a fuzzer's bytes --------------------- */

/* The next @bytes bytes of a fuzzer's input, little-endian; 0 past its end. */
static u64 model_bytes(struct model_rng *r, size_t bytes)
{
	u64 v = 0;
	size_t i;

	for (i = 0; i < bytes && r->size; i++, r->size--)
		v |= (u64)*r->data++ << (8 * i);
	return v;
}

static u64 model_rand(struct model_rng *r)
{
	u64 z;

	if (r->data)
		return model_bytes(r, sizeof(u64));
	z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* @x % @n: with div64_u64(), as a 32-bit kernel has no u64 % of its own. */
static size_t model_mod(u64 x, size_t n)
{
	return x - div64_u64(x, n) * n;
}

/* A number in [0, @n), 0 for @n 0. */
static size_t model_below(struct model_rng *r, size_t n)
{
	if (!n)
		return 0;
	/* A fuzzer's byte per small choice: a mutation changes one choice. */
	if (r->data)
		return model_mod(model_bytes(r, n <= 0x100 ? 1 :
					     n <= 0x10000 ? 2 : 8), n);
	return model_mod(model_rand(r), n);
}

/* True once in @n. */
static bool model_one_in(struct model_rng *r, size_t n)
{
	return !model_below(r, n);
}

/* GFP_ATOMIC or GFP_NOWAIT: never one that blocks on an empty pool. */
static gfp_t model_gfp(struct model_rng *r, bool *zero)
{
	gfp_t gfp = model_one_in(r, 2) ? GFP_ATOMIC : GFP_NOWAIT;

	*zero = model_one_in(r, 3);
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

static __printf(2, 3) void model_fail(struct model *m, const char *fmt, ...)
{
	char why[256];
	va_list args;

	va_start(args, fmt);
	vscnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	model_abort(m, why);
}

/* ---- regions: where a model index is, for a pool that grows ---- */

/* The model's slot of @index, and the first index of slot @slot. */
static unsigned int model_slot(const struct model_pool *mp, size_t index)
{
	size_t min = mp->exp.min_blocks;

	return index < min ? 0 : 1 + (index - min) / mp->grow_blocks;
}

static size_t model_slot_first(const struct model_pool *mp,
			       unsigned int slot)
{
	return slot ? mp->exp.min_blocks + (slot - 1) * mp->grow_blocks : 0;
}

static size_t model_slot_blocks(const struct model_pool *mp,
				unsigned int slot)
{
	return slot ? mp->grow_blocks : mp->exp.min_blocks;
}

/* The model indexes: every block there may ever be. */
static size_t model_nr_index(const struct model_pool *mp)
{
	return mp->regions ? mp->nr_index : mp->exp.nr_blocks;
}

/* Whether block @index is the pool's and the model knows where it is. */
static bool model_usable(const struct model_pool *mp, size_t index)
{
	const struct model_region *r;

	if (!mp->regions)
		return mp->base;
	r = &mp->regions[model_slot(mp, index)];
	return r->live && r->base;
}

static char *model_block_ptr(const struct model_pool *mp, size_t index)
{
	unsigned int slot;

	if (!mp->regions)
		return mp->base + index * mp->exp.stride;
	slot = model_slot(mp, index);
	return mp->regions[slot].base +
	       (index - model_slot_first(mp, slot)) * mp->exp.stride;
}

/* Block @index of @mp, drawn at random among those in @state. */
static bool model_pick(struct model *m, struct model_pool *mp,
		       enum model_block state, size_t *index)
{
	size_t nr = model_nr_index(mp), start, i;

	if (!mp->base)
		return false;
	start = model_below(&m->rng, nr);
	for (i = 0; i < nr; i++) {
		*index = (start + i) % nr;
		if (mp->state[*index] == state && model_usable(mp, *index))
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
	size_t bytes = mp->exp.min_blocks * stride;
	char *base = p;

	while (mpool_owns(mp->pool, base - stride))
		base -= stride;
	if (mpool_owns(mp->pool, base - 1) ||
	    !mpool_owns(mp->pool, base + bytes - 1) ||
	    mpool_owns(mp->pool, base + bytes))
		model_fail(m, "pool %s: owns no region of %zu bytes from %p",
			   mp->name, bytes, base);
	mp->base = base;
	if (mp->regions)
		mp->regions[0].base = base;
}

/*
 * Regions the pool added since the model last looked, by its own
 * mpool_grow() or by its worker: live, their blocks free, their place
 * unknown until one of them is handed out.  From @st, a snapshot, or a
 * new one.  The model gives regions back only by mpool_shrink(), and
 * counts them then: every grow it has not counted is a new region.
 */
static void model_absorb(struct model *m, struct model_pool *mp,
			 struct mpool_stats *st)
{
	struct mpool_stats snap;
	unsigned int slot;

	if (!mp->regions)
		return;
	if (!st) {
		mpool_get_stats(mp->pool, &snap);
		st = &snap;
	}
	while (st->grows > mp->exp.grows) {
		for (slot = 1; slot < mp->nr_slots; slot++) {
			if (!mp->regions[slot].live)
				break;
		}
		if (slot == mp->nr_slots)
			model_fail(m, "pool %s: %llu grows, more regions than %zu blocks hold",
				   mp->name, (unsigned long long)st->grows,
				   mp->exp.max_blocks);
		mp->regions[slot].live = true;
		mp->regions[slot].base = NULL;
		memset(mp->state + model_slot_first(mp, slot), MB_UNSEEN,
		       mp->grow_blocks);
		mp->nr_free += mp->grow_blocks;
		mp->exp.nr_blocks += mp->grow_blocks;
		mp->exp.region_bytes = mp->exp.nr_blocks * mp->exp.stride;
		mp->exp.nr_regions++;
		mp->exp.grows++;
		m->nr_grows++;
	}
}

/*
 * Where @p is in the known regions of @mp: 1 and its model index if it
 * starts a block, -1 inside one, 0 in none.
 */
static int model_index_of(const struct model_pool *mp, const char *p,
			  size_t *index)
{
	size_t stride = mp->exp.stride, offset;
	unsigned int slot;
	const char *base;

	for (slot = 0; slot < mp->nr_slots; slot++) {
		base = mp->regions[slot].base;
		if (!mp->regions[slot].live || !base || p < base)
			continue;
		offset = p - base;
		if (offset >= model_slot_blocks(mp, slot) * stride)
			continue;
		*index = model_slot_first(mp, slot) + offset / stride;
		return offset % stride ? -1 : 1;
	}
	return 0;
}

/*
 * A block of a region the model has not seen yet: one of those the pool
 * added.  Regions are never adjacent (vmalloc leaves a guard page after
 * each), so the region is the run of @grow_blocks blocks the pool owns
 * from the lowest block below @p that it owns.
 */
static void model_learn_region(struct model *m, struct model_pool *mp,
			       char *p)
{
	size_t stride = mp->exp.stride, bytes = mp->grow_blocks * stride, k;
	unsigned int slot;
	char *base = p;

	for (slot = 1; slot < mp->nr_slots; slot++) {
		if (mp->regions[slot].live && !mp->regions[slot].base)
			break;
	}
	if (slot == mp->nr_slots) {
		/* Maybe the worker added one since the model looked. */
		model_absorb(m, mp, NULL);
		for (slot = 1; slot < mp->nr_slots; slot++) {
			if (mp->regions[slot].live && !mp->regions[slot].base)
				break;
		}
	}
	if (slot == mp->nr_slots)
		model_fail(m, "pool %s handed out %p, in no region it has",
			   mp->name, p);
	for (k = 1; k < mp->grow_blocks && mpool_owns(mp->pool, base - stride);
	     k++)
		base -= stride;
	if (mpool_owns(mp->pool, base - 1) ||
	    !mpool_owns(mp->pool, base + bytes - 1) ||
	    mpool_owns(mp->pool, base + bytes))
		model_fail(m, "pool %s: owns no region of %zu bytes from %p around %p",
			   mp->name, bytes, base, p);
	mp->regions[slot].base = base;
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
	if (mp->regions) {
		if (!model_index_of(mp, p, &index))
			model_learn_region(m, mp, p);
		if (model_index_of(mp, p, &index) != 1)
			model_fail(m, "pool %s handed out %p: no block", mp->name,
				   p);
	} else {
		offset = p - mp->base;
		index = offset / mp->exp.stride;
		if (offset % mp->exp.stride || index >= mp->exp.nr_blocks)
			model_fail(m, "pool %s handed out %p: offset %zu is no block",
				   mp->name, p, offset);
	}
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

/* Block @p, just taken, given back at once. */
static void model_take_back(struct model *m, struct model_pool *mp, char *p)
{
	size_t index;

	if (model_index_of(mp, p, &index) != 1)
		model_fail(m, "pool %s: %p lost", mp->name, p);
	model_give(m, mp, index);
	mpool_free(mp->pool, p);
}

/*
 * An alloc returned NULL: no block was free anywhere, so every corrupted
 * one has been reached, found and quarantined by now.
 */
static void model_all_found(struct model_pool *mp)
{
	size_t i;

	for (i = 0; mp->nr_corrupt && i < model_nr_index(mp); i++) {
		if (mp->state[i] != MB_CORRUPT)
			continue;
		mp->state[i] = MB_QUARANTINED;
		mp->exp.poison_errors++;
		mp->exp.quarantined++;
		mp->nr_corrupt--;
	}
}

/* The statistics regions add, which every pool has: each as the model's. */
static void model_check_regions(struct model *m, struct model_pool *mp,
				const struct mpool_stats *st,
				const struct mpool_stats *exp)
{
	static const char * const names[] = {
		"min_blocks", "max_blocks", "nr_regions", "grows", "shrinks",
		"grow_failures",
	};
	const u64 got[] = {
		st->min_blocks, st->max_blocks, st->nr_regions, st->grows,
		st->shrinks, st->grow_failures,
	};
	const u64 want[] = {
		exp->min_blocks, exp->max_blocks, exp->nr_regions, exp->grows,
		exp->shrinks, exp->grow_failures,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (got[i] != want[i])
			model_fail(m, "pool %s: %s %llu, not %llu", mp->name,
				   names[i], (unsigned long long)got[i],
				   (unsigned long long)want[i]);
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
	/* What the worker added meanwhile: in this snapshot, and now known. */
	model_absorb(m, mp, &st);
	exp = mp->exp;
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
	/* What regions add to the statistics: every pool has them. */
	model_check_regions(m, mp, &st, &exp);
}

void model_check_all(struct model *m)
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

static size_t model_random_block_size(struct model_rng *rng)
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

static size_t model_random_align(struct model_rng *rng)
{
	if (model_one_in(rng, 3))
		return 0;
	/* Up to 8 KiB: beyond a page, the region has slack before it. */
	return (size_t)1 << model_below(rng, 14);
}

static size_t model_random_nr_blocks(struct model_rng *rng)
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
	kfree(mp->regions);
	memset(mp, 0, sizeof(*mp));
}

/*
 * @pool, just made of @min blocks in one region that may grow to @max:
 * the model's, and what the model expects of its statistics.
 */
static void model_adopt_pool(struct model *m, struct model_pool *mp,
			     struct mpool *pool, size_t block_size,
			     size_t align, unsigned int flags, size_t min,
			     size_t max)
{
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
	mp->exp.nr_blocks = min;
	mp->exp.region_bytes = min * mp->exp.stride;
	mp->exp.flags = mp->flags;
	mp->exp.min_blocks = min;
	mp->exp.max_blocks = max;
	mp->exp.nr_regions = 1;
}

/*
 * A pool that grows: @min blocks in its first region, 1 to 4 regions more
 * of a random size or the default, a max_blocks not always a whole number
 * of them (rounded down), a random low mark or the default.  A pool that
 * may grow refuses MPOOL_NO_PERCPU: asked with it first, then without.
 */
static bool model_create_growing(struct model *m, struct model_pool *mp,
				 size_t block_size, size_t align, size_t min,
				 unsigned int flags)
{
	char *p;
	size_t grow_arg = model_one_in(&m->rng, 3) ? 0 :
			  1 + model_below(&m->rng, 64);
	size_t grow = grow_arg ?: roundup_pow_of_two(min);
	size_t k = 1 + model_below(&m->rng, 4);
	struct mpool_args args = {
		.align = align,
		.flags = flags,
		.min_blocks = min,
		.max_blocks = min + k * grow + model_below(&m->rng, grow),
		.grow_blocks = grow_arg,
		.low_blocks = model_one_in(&m->rng, 2) ? 0 :
			      1 + model_below(&m->rng, grow),
	};
	struct mpool *pool;

	if (flags & MPOOL_NO_PERCPU) {
		pool = mpool_create_args(mp->name, block_size, &args);
		if (PTR_ERR_OR_ZERO(pool) != -EINVAL) {
			if (!IS_ERR_OR_NULL(pool))
				mpool_destroy(pool);
			model_fail(m, "create_args(%zu, %zu, %zu..%zu, NO_PERCPU): %pe",
				   block_size, align, min, args.max_blocks,
				   pool);
		}
		args.flags = flags &= ~MPOOL_NO_PERCPU;
	}
	mp->grow_blocks = grow;
	mp->nr_index = min + k * grow;
	mp->nr_slots = 1 + k;
	mp->state = kcalloc(mp->nr_index, 1, GFP_KERNEL);
	mp->stamp = kcalloc(mp->nr_index, 1, GFP_KERNEL);
	mp->regions = kcalloc(mp->nr_slots, sizeof(*mp->regions), GFP_KERNEL);
	if (!mp->state || !mp->stamp || !mp->regions) {
		model_release_pool(mp);
		model_fail(m, "no memory for the model of %zu blocks", min);
	}
	pool = mpool_create_args(mp->name, block_size, &args);
	if (IS_ERR_OR_NULL(pool)) {
		model_release_pool(mp);
		model_fail(m, "create_args(%zu, %zu, %zu..%zu by %zu low %zu, %#x): %pe",
			   block_size, align, min, args.max_blocks, grow_arg,
			   args.low_blocks, flags, pool);
	}
	model_adopt_pool(m, mp, pool, block_size, align, flags, min,
			 mp->nr_index);
	mp->regions[0].live = true;
	mp->nr_free = min;

	/*
	 * One block, and back: the first region is the only one now, so it
	 * is the first block's, and the model learns where it is.
	 */
	p = mpool_alloc(pool, GFP_ATOMIC);
	if (!p)
		model_fail(m, "pool %s: new, and its first alloc NULL", mp->name);
	model_take(m, mp, p, false);
	model_take_back(m, mp, p);
	return true;
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
	flags = model_below(&m->rng, MODEL_FLAGS + 1) & MODEL_FLAGS;

	snprintf(mp->name, sizeof(mp->name), "kunit_model_%zu", slot);
	if (m->regions && !model_one_in(&m->rng, 4))
		return model_create_growing(m, mp, block_size, align, nr_blocks,
					    flags);
	mp->state = kcalloc(nr_blocks, 1, GFP_KERNEL);
	mp->stamp = kcalloc(nr_blocks, 1, GFP_KERNEL);
	if (!mp->state || !mp->stamp) {
		model_release_pool(mp);
		model_fail(m, "no memory for the model of %zu blocks", nr_blocks);
	}
	if (m->regions) {
		/* A pool of one region through the new call: max_blocks 0. */
		struct mpool_args args = {
			.align = align,
			.flags = flags,
			.min_blocks = nr_blocks,
		};

		pool = mpool_create_args(mp->name, block_size, &args);
	} else {
		pool = mpool_create(mp->name, block_size, align, nr_blocks,
				    flags);
	}
	if (IS_ERR_OR_NULL(pool)) {
		model_release_pool(mp);
		model_fail(m, "mpool_create(%zu, %zu, %zu, %#x): %pe",
			   block_size, align, nr_blocks, flags, pool);
	}
	model_adopt_pool(m, mp, pool, block_size, align, flags, nr_blocks,
			 nr_blocks);
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
	/* None free as the model last looked: the worker added some since? */
	if (!mp->nr_free)
		model_absorb(m, mp, NULL);
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
	/* More than the model knew of: the worker may have added some since. */
	if (got && nr > mp->nr_free)
		model_absorb(m, mp, NULL);
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
		/* Past the first region: a guard page follows it. */
		return mp->base + mp->exp.min_blocks * stride +
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
		index = model_below(&m->rng, model_nr_index(mp));
		if (!model_usable(mp, index))
			index %= mp->exp.min_blocks;
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
/*
 * Entries @n to @n + 7 of a bulk free: an aligned run of eight blocks, in
 * order, which mpool_free_bulk() claims with one cmpxchg when all are
 * held.  Each one not held is refused, and the run's others are then
 * claimed one by one.  Returns how many entries it wrote: 8, or 0.
 */
static size_t model_run_of_eight(struct model *m, struct model_pool *mp,
				 size_t n)
{
	size_t first, i, nr = mp->exp.nr_blocks;
	unsigned int slot = 0;

	if (mp->regions && mp->base) {
		/* A region the model knows: a grown one starts a run. */
		slot = model_below(&m->rng, mp->nr_slots);
		if (!model_usable(mp, model_slot_first(mp, slot)))
			slot = 0;
		nr = model_slot_blocks(mp, slot);
	}
	if (!mp->base || nr < 8 || n + 8 > MODEL_BULK_MAX)
		return 0;
	first = model_slot_first(mp, slot) + model_below(&m->rng, nr / 8) * 8;
	for (i = first; i < first + 8; i++, n++) {
		m->bulk[n] = model_block_ptr(mp, i);
		if (mp->state[i] == MB_HELD) {
			m->verdict[n] = MV_FREED;
			model_give(m, mp, i);
		} else {
			m->verdict[n] = MV_DOUBLE;
			mp->exp.double_frees++;
		}
	}
	return 8;
}

static bool model_op_free_bulk(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t nr, n = 0, index;
	enum model_verdict verdict;

	if (!mp)
		return false;
	nr = 1 + model_below(&m->rng, MODEL_BULK_MAX);
	if (nr >= 8 && model_one_in(&m->rng, 4))
		n = model_run_of_eight(m, mp, 0);
	for (; n < nr; n++) {
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

	/* As many as there may ever be: the worker may add some meanwhile. */
	for (left = max(mp->exp.nr_blocks, mp->nr_index) + 1; left; left--) {
		p = mpool_alloc(mp->pool, GFP_ATOMIC);
		if (!p)
			break;
		if (!mp->nr_free)
			model_absorb(m, mp, NULL);
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

/*
 * mpool_grow() by @nr blocks, whole regions: -EINVAL for none, -ENOSPC
 * when they do not all fit under max_blocks (all of a pool of one
 * region), and none added; else 0 and the regions are the pool's, their
 * blocks free.  The worker may add regions meanwhile: the model judges by
 * what it knew before the call, and learns them after.
 */
static bool model_op_grow(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t grow, nr, regions;
	int err, want;
	u64 grows;

	if (!mp)
		return false;
	/* Up to a region more than fits; a pool of one region: any number. */
	grow = mp->grow_blocks ?: 1;
	nr = model_one_in(&m->rng, 16) ? 0 :
	     1 + model_below(&m->rng, mp->grow_blocks ?
			     (mp->nr_slots + 1) * grow : 64);
	regions = DIV_ROUND_UP(nr, grow);
	want = !nr ? -EINVAL :
	       !mp->grow_blocks ||
	       mp->exp.nr_blocks + regions * grow > mp->exp.max_blocks ?
	       -ENOSPC : 0;
	grows = mp->exp.grows;
	snprintf(m->what, sizeof(m->what), " of %zu on %s, %zu of %zu blocks",
		 nr, mp->name, mp->exp.nr_blocks, mp->exp.max_blocks);
	err = mpool_grow(mp->pool, nr);
	model_absorb(m, mp, NULL);
	/* The worker grew it past room for these meanwhile: fair. */
	if (!want && err == -ENOSPC &&
	    mp->exp.nr_blocks + regions * grow > mp->exp.max_blocks)
		want = -ENOSPC;
	if (err != want)
		model_fail(m, "pool %s: mpool_grow(%zu): %d, not %d", mp->name,
			   nr, err, want);
	if (!err && mp->exp.grows < grows + regions)
		model_fail(m, "pool %s: mpool_grow(%zu) added %llu regions, not %zu",
			   mp->name, nr,
			   (unsigned long long)(mp->exp.grows - grows), regions);
	return true;
}

/* Whether the model's region @slot of @mp holds no block but free ones. */
static bool model_region_free(const struct model_pool *mp, unsigned int slot)
{
	size_t first = model_slot_first(mp, slot), i;

	for (i = first; i < first + mp->grow_blocks; i++) {
		if (mp->state[i] != MB_UNSEEN && mp->state[i] != MB_FREE)
			return false;
	}
	return true;
}

/*
 * mpool_shrink(): every region but the first whose blocks are all free
 * must go, and no other; the CPUs' caches are emptied first, so a block
 * freed into one counts as free.  Only while the model knows of no
 * corrupted block it has not seen found: a region holding one may go, or
 * not, if the flush found it, which the model cannot tell.  A region the
 * worker added after the model last looked is free and goes too: the
 * model counts those from the grows and shrinks the pool reports.
 */
static bool model_op_shrink(struct model *m)
{
	struct model_pool *mp = model_some_pool(m);
	size_t freed, want = 0, extra;
	struct mpool_stats st;
	unsigned int slot;
	u64 grows;

	if (!mp || mp->nr_corrupt)
		return false;
	for (slot = 1; slot < mp->nr_slots; slot++) {
		if (mp->regions[slot].live && model_region_free(mp, slot))
			want++;
	}
	grows = mp->exp.grows;
	snprintf(m->what, sizeof(m->what), " on %s, %zu of %zu regions free",
		 mp->name, want, mp->exp.nr_regions);
	freed = mpool_shrink(mp->pool);
	mpool_get_stats(mp->pool, &st);
	if (!mp->grow_blocks) {
		if (freed)
			model_fail(m, "pool %s of one region gave back %zu blocks",
				   mp->name, freed);
		return true;
	}
	/* The worker's regions since the model looked, given back or not. */
	if (freed % mp->grow_blocks || freed / mp->grow_blocks < want ||
	    freed / mp->grow_blocks - want > st.grows - grows ||
	    st.shrinks - mp->exp.shrinks != freed / mp->grow_blocks)
		model_fail(m, "pool %s: shrank %zu blocks, %llu regions, not %zu of %zu (+%llu)",
			   mp->name, freed,
			   (unsigned long long)(st.shrinks - mp->exp.shrinks),
			   want, mp->grow_blocks,
			   (unsigned long long)(st.grows - grows));
	extra = freed / mp->grow_blocks - want;
	for (slot = 1; slot < mp->nr_slots; slot++) {
		struct model_region *r = &mp->regions[slot];

		if (!r->live || !model_region_free(mp, slot))
			continue;
		if (r->base && mpool_owns(mp->pool, r->base) &&
		    st.grows == grows)
			model_fail(m, "pool %s: region %p, all free, kept",
				   mp->name, r->base);
		r->live = false;
		r->base = NULL;
		memset(mp->state + model_slot_first(mp, slot), MB_UNSEEN,
		       mp->grow_blocks);
		mp->nr_free -= mp->grow_blocks;
		mp->exp.nr_blocks -= mp->grow_blocks;
		mp->exp.nr_regions--;
		mp->exp.shrinks++;
		m->nr_shrunk++;
	}
	/* The worker's given back: counted as grown, then as gone. */
	for (; extra; extra--) {
		mp->exp.grows++;
		mp->exp.shrinks++;
		m->nr_grows++;
		m->nr_shrunk++;
	}
	mp->exp.region_bytes = mp->exp.nr_blocks * mp->exp.stride;
	/* A region kept holds a block not free: its blocks are still there. */
	for (slot = 1; slot < mp->nr_slots; slot++) {
		struct model_region *r = &mp->regions[slot];

		if (r->live && r->base && !mpool_owns(mp->pool, r->base))
			model_fail(m, "pool %s: region %p, not all free, gone",
				   mp->name, r->base);
	}
	return true;
}

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
	[OP_GROW]		= { "grow", 4 },
	[OP_SHRINK]		= { "shrink", 3 },
};

const char *model_op_name(enum model_op_kind op)
{
	return op < NR_MODEL_OPS ? model_ops[op].name : "?";
}

bool model_run_op(struct model *m, enum model_op_kind op)
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
	case OP_GROW:
		return model_op_grow(m);
	case OP_SHRINK:
		return model_op_shrink(m);
	default:
		return model_op_move(m);
	}
}

static enum model_op_kind model_draw_op(struct model_rng *rng, bool regions)
{
	unsigned int total = 0, pick, op;
	unsigned int nr = regions ? NR_MODEL_OPS : NR_MODEL_OPS_ONE_REGION;

	for (op = 0; op < nr; op++)
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
		op = model_draw_op(&m->rng, m->regions);
		m->op = model_ops[op].name;
		m->what[0] = '\0';
	} while (!model_run_op(m, op));
	model_check_all(m);
}

/* The end of a seed: every pool drained, so exact again, then destroyed. */
void model_finish(struct model *m)
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

/*
 * However the seed ends: the blocks the model holds go back and the pools
 * go.  After a failure the model may be wrong about some block: the pool
 * then reports it destroyed with blocks in use, and keeps its region.
 */
void model_release(struct model *m)
{
	struct model_pool *mp;
	size_t i, index;

	for (i = 0; i < MODEL_POOLS; i++) {
		mp = &m->pools[i];
		if (!mp->pool)
			continue;
		for (index = 0; mp->base && index < model_nr_index(mp);
		     index++) {
			if (mp->state[index] == MB_HELD &&
			    model_usable(mp, index))
				mpool_free(mp->pool, model_block_ptr(mp, index));
		}
		mpool_destroy(mp->pool);
		model_release_pool(mp);
	}
}

/* Run one seed's steps; the pools are all gone at the end. */
void model_run_seed(struct model *m, u64 seed)
{
	m->seed = seed;
	m->rng.state = seed;
	m->nr_allocs = 0;
	m->nr_bad_frees = 0;
	m->nr_corruptions = 0;
	m->nr_drains = 0;
	m->nr_grows = 0;
	m->nr_shrunk = 0;
	m->op = "start";
	m->what[0] = '\0';
	model_move_to(m, cpumask_first(cpu_online_mask));
	/* On the console only: KUnit 6.1 keeps 512 bytes of a case's log. */
	pr_info("mpool_model: %s: seed %llu: %u steps\n", m->name, seed,
		m->steps);
	for (m->step = 1; m->step <= m->steps; m->step++) {
		model_step(m);
		/* No preemption in the test kernel: let RCU and others in. */
		cond_resched();
	}
	model_finish(m);
	pr_info("mpool_model: %s: seed %llu: %lu blocks, %lu bad frees, %lu corruptions, %lu drains, %lu regions grown, %lu given back\n",
		m->name, seed, m->nr_allocs, m->nr_bad_frees,
		m->nr_corruptions, m->nr_drains, m->nr_grows, m->nr_shrunk);
}

/* ---- threads on every CPU, one shared pool ------------------------------- */

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

void smp_step(struct smp_thread *t)
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

void smp_free_all(struct smp_thread *t)
{
	t->op = "free all";
	while (t->nr_held)
		mpool_free(t->sp->pool, smp_give(t, t->nr_held - 1));
}

void smp_thread_init(struct smp_thread *t, struct smp_pool *sp,
		     unsigned int id, u64 seed)
{
	memset(t, 0, sizeof(*t));
	t->sp = sp;
	t->id = id;
	t->seed = seed;
	t->rng.state = seed ^ (0x100000001b3ULL * (id + 1));
}

int smp_pool_create(struct smp_pool *sp, u64 seed, unsigned int nr_threads,
		    char *why, size_t size)
{
	struct model_rng rng = { .state = seed };
	size_t block_size = 1 + model_below(&rng, 256);
	size_t align = model_one_in(&rng, 3) ? 0 :
		       (size_t)1 << model_below(&rng, 8);
	/* From two blocks per thread, so that they run out now and then. */
	size_t nr_blocks = nr_threads * (2 + model_below(&rng, 16));
	unsigned int flags = model_below(&rng, MODEL_FLAGS + 1) & MODEL_FLAGS;
	struct mpool_stats exp = {};
	char diff[256];
	char *p;

	memset(sp, 0, sizeof(*sp));
	sp->pool = mpool_create("kunit_model_smp", block_size, align,
				nr_blocks, flags);
	if (IS_ERR_OR_NULL(sp->pool)) {
		scnprintf(why, size, "mpool_create(%zu, %zu, %zu, %#x): %pe",
			  block_size, align, nr_blocks, flags, sp->pool);
		sp->pool = NULL;
		return -1;
	}
	mpool_get_stats(sp->pool, &sp->geo);
	model_geometry(block_size, align, sp->geo.flags, &exp);
	exp.nr_blocks = nr_blocks;
	exp.region_bytes = nr_blocks * exp.stride;
	exp.flags = sp->geo.flags;
	mpool_kunit_stats_diff(&sp->geo, &exp, diff, sizeof(diff));
	if (diff[0]) {
		scnprintf(why, size, "new pool:%s", diff);
		return -1;
	}

	/* One block, to find the lowest: the region is contiguous. */
	p = mpool_alloc(sp->pool, GFP_ATOMIC);
	if (!p) {
		scnprintf(why, size, "first alloc: NULL");
		return -1;
	}
	sp->base = p;
	while (mpool_owns(sp->pool, sp->base - sp->geo.stride))
		sp->base -= sp->geo.stride;
	mpool_free(sp->pool, p);
	mpool_get_stats(sp->pool, &sp->geo);

	sp->claimed = bitmap_zalloc(nr_blocks, GFP_KERNEL);
	if (!sp->claimed) {
		scnprintf(why, size, "no memory for %zu claims", nr_blocks);
		return -1;
	}
	return 0;
}

void smp_pool_destroy(struct smp_pool *sp)
{
	mpool_destroy(sp->pool);
	sp->pool = NULL;
	bitmap_free(sp->claimed);
	sp->claimed = NULL;
}

void smp_expected(const struct smp_pool *sp, const struct smp_thread *threads,
		  unsigned int nr, const struct mpool_stats *st,
		  struct mpool_stats *exp)
{
	size_t peak_held = 0;
	unsigned int i;

	*exp = sp->geo;
	for (i = 0; i < nr; i++) {
		const struct smp_counts *n = &threads[i].n;

		exp->allocs += n->allocs;
		exp->frees += n->frees;
		exp->alloc_failures += n->alloc_failures;
		exp->invalid_frees += n->invalid_frees;
		exp->double_frees += n->double_frees;
		exp->redzone_errors += n->redzone_errors;
		peak_held = max(peak_held, n->peak_held);
	}
	exp->in_use = 0;
	/* How high it went depends on the schedule; one thread's is a floor. */
	exp->peak_in_use = max3(exp->peak_in_use, (size_t)peak_held,
				min(st->peak_in_use, exp->nr_blocks));
}
