// SPDX-License-Identifier: GPL-2.0
/*
 * The pure-logic cases on the host, as the KUnit suites mpool_create,
 * mpool_layout, mpool_abi, mpool_debug_layout and mpool_debug_flags have
 * them: what mpool_create() accepts and refuses, where blocks sit, what a
 * consumer built against an older or newer header reads, and the debug
 * flags' layout and letters.  On the host they run under the sanitizers,
 * and every allocation mpool_create() makes can be failed in turn.
 */
#include <stdio.h>
#include <stdlib.h>

#include "host_log.h"
#include "mpool_create_cases.h"
#include "mpool_host.h"
#include "tap.h"

static bool case_ok;
static int case_done;

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		tap_diag("%s:%d: %s: " fmt, __FILE__, __LINE__, #cond,	\
			 ##__VA_ARGS__);				\
		case_ok = false;					\
	}								\
} while (0)

/* One TAP case: its body runs once; "continue" ends it early. */
#define CASE_F(fmt, ...)						\
	for (case_ok = true, case_done = 0; !case_done;			\
	     tap_result(case_ok, fmt, ##__VA_ARGS__), case_done = 1)
#define CASE(name)	CASE_F("%s", name)

/* ---- mpool_create: the arguments it refuses ---- */

/* One of kunit/mpool_create_cases.h's tables, each entry a case. */
static void create_table(const char *concern, const struct create_param *t,
			 size_t n)
{
	const struct create_param *p;
	struct mpool_stats st;
	struct mpool *pool;
	size_t i;

	for (i = 0; i < n; i++) {
		p = &t[i];
		CASE_F("create, %s: %s", concern, p->desc) {
			pool = mpool_create(p->name, p->block_size, p->align,
					    p->nr_blocks, p->flags);
			CHECK(pool != NULL, "NULL");
			CHECK(PTR_ERR_OR_ZERO(pool) == p->err, "%d, not %d",
			      PTR_ERR_OR_ZERO(pool), p->err);
			if (IS_ERR_OR_NULL(pool))
				continue;
			mpool_get_stats(pool, &st);
			CHECK(st.block_size == p->block_size, "%zu",
			      st.block_size);
			CHECK(st.nr_blocks == p->nr_blocks, "%zu", st.nr_blocks);
			CHECK(st.in_use == 0, "%zu", st.in_use);
			mpool_destroy(pool);
		}
	}
}

static void create_cases(void)
{
	create_table("valid", create_valid_params,
		     ARRAY_SIZE(create_valid_params));
	create_table("bad arguments", create_bad_args_params,
		     ARRAY_SIZE(create_bad_args_params));
	create_table("bad name", create_bad_name_params,
		     ARRAY_SIZE(create_bad_name_params));
	create_table("overflow", create_overflow_params,
		     ARRAY_SIZE(create_overflow_params));
}

static void create_name_cases(void)
{
	struct mpool *a, *b, *c;
	struct mpool_stats st;
	void *blocks[4];

	CASE("create refuses a live name") {
		a = mpool_create("kunit_dup", 64, 0, 4, 0);
		CHECK(!IS_ERR(a), "%ld", PTR_ERR(a));
		CHECK(PTR_ERR(mpool_create("kunit_dup", 64, 0, 4, 0)) ==
		      -EEXIST, "");
		CHECK(PTR_ERR(mpool_create("kunit_dup", 32, 8, 2, 0)) ==
		      -EEXIST, "");
		b = mpool_create("kunit_du", 64, 0, 4, 0);
		c = mpool_create("kunit_dup2", 64, 0, 4, 0);
		CHECK(!IS_ERR(b) && !IS_ERR(c), "prefix or extension refused");
		mpool_get_stats(a, &st);
		CHECK(st.block_size == 64 && st.nr_blocks == 4, "");
		CHECK(mpool_alloc_bulk(a, GFP_NOWAIT, 4, blocks) == 4, "");
		mpool_free_bulk(a, 4, blocks);
		mpool_destroy(a);
		mpool_destroy(b);
		mpool_destroy(c);
	}
	CASE("create reuses a destroyed name") {
		a = mpool_create("kunit_reuse", 64, 0, 4, 0);
		CHECK(mpool_alloc_bulk(a, GFP_NOWAIT, 2, blocks) == 2, "");
		mpool_free_bulk(a, 2, blocks);
		mpool_destroy(a);
		a = mpool_create("kunit_reuse", 128, 64, 2, 0);
		CHECK(!IS_ERR(a), "%ld", PTR_ERR(a));
		mpool_get_stats(a, &st);
		CHECK(st.block_size == 128 && st.align == 64 &&
		      st.stride == 128 && st.nr_blocks == 2 &&
		      st.region_bytes == 256 && st.allocs == 0, "");
		mpool_destroy(a);
	}
}

/*
 * Each allocation mpool_create() makes fails in turn: -ENOMEM, and no
 * leak (LeakSanitizer) and no double free (AddressSanitizer) on the way
 * out; then the same create succeeds.
 */
static void create_enomem_cases(void)
{
	static const unsigned int flags[] = {
		0, MPOOL_NO_PERCPU, MPOOL_TRACK_CALLER | MPOOL_POISON,
	};
	struct mpool *pool;
	long n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		CASE(i == 0 ? "create fails with -ENOMEM at each allocation" :
		     i == 1 ? "... with MPOOL_NO_PERCPU" :
			      "... with MPOOL_TRACK_CALLER") {
			for (n = 0; ; n++) {
				mpool_shim_fail_allocs = n;
				pool = mpool_create("kunit_enomem", 64, 0, 256,
						    flags[i]);
				mpool_shim_fail_allocs = -1;
				if (!IS_ERR(pool))
					break;
				CHECK(PTR_ERR(pool) == -ENOMEM,
				      "allocation %ld: %ld", n, PTR_ERR(pool));
			}
			CHECK(n >= 3, "only %ld allocations", n);
			mpool_destroy(pool);
		}
	}
}

/*
 * Pools whose metadata passes INT_MAX bytes, which kvmalloc() refuses
 * (as the shim's does): a MPOOL_NO_PERCPU pool's 4-byte links on either
 * side of it, from 536,870,912 blocks on, a MPOOL_TRACK_CALLER pool's
 * tracks (40 bytes each on 64-bit) at 2^26 blocks, and a state map (a
 * 64-byte line per 32 blocks, with full rings) past 2^30 blocks.  Each is created,
 * hands out a block, takes it back and is destroyed.  8-byte blocks: 8
 * GiB of region for the largest, mapped lazily by the shim and touched
 * only where carved.
 */
static void create_large_meta_cases(void)
{
	static const struct {
		size_t nr_blocks;
		unsigned int flags;
		size_t meta;	/* bytes a block of metadata, at least */
		const char *what;
	} big[] = {
		{ INT_MAX / sizeof(u32), MPOOL_NO_PERCPU, 4,
		  "MPOOL_NO_PERCPU, links of INT_MAX - 3 bytes" },
		{ INT_MAX / sizeof(u32) + 1, MPOOL_NO_PERCPU, 4,
		  "MPOOL_NO_PERCPU, links of INT_MAX + 1 bytes" },
		{ 1UL << 26, MPOOL_TRACK_CALLER, 4,
		  "MPOOL_TRACK_CALLER, tracks past INT_MAX bytes" },
		{ (1UL << 30) + 1, 0, 2,
		  "a state map past INT_MAX bytes (a line per 32 blocks)" },
	};
	struct mpool_stats st;
	struct mpool *pool;
	char *block;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(big); i++) {
		CASE_F("create, %s: %zu blocks", big[i].what,
		       big[i].nr_blocks) {
			pool = mpool_create("kunit_large_meta", 8, 0,
					    big[i].nr_blocks, big[i].flags);
			CHECK(!IS_ERR(pool), "%ld", PTR_ERR(pool));
			if (IS_ERR(pool))
				continue;
			mpool_get_stats(pool, &st);
			CHECK(st.nr_blocks == big[i].nr_blocks &&
			      st.region_bytes == 8 * big[i].nr_blocks &&
			      st.meta_bytes > big[i].meta * big[i].nr_blocks,
			      "%zu blocks, region %zu, meta %zu", st.nr_blocks,
			      st.region_bytes, st.meta_bytes);
			block = mpool_alloc(pool, GFP_KERNEL);
			CHECK(block && mpool_owns(pool, block), "no block");
			if (block) {
				memset(block, 0x5a, 8);
				mpool_free(pool, block);
			}
			mpool_get_stats(pool, &st);
			CHECK(st.allocs == 1 && st.frees == 1 && st.in_use == 0,
			      "%llu allocs, %llu frees, %zu in use", st.allocs,
			      st.frees, st.in_use);
			mpool_destroy(pool);
		}
	}
}

/* ---- mpool_layout: where blocks sit ---- */

struct layout_param {
	size_t block_size, align, block_align, stride;
};

static const struct layout_param layout_params[] = {
	{ 1, 0, 8, 8 }, { 8, 1, 8, 8 }, { 3, 2, 8, 8 }, { 9, 4, 8, 16 },
	{ 17, 0, 8, 24 }, { 4097, 0, 8, 4104 },
	{ 24, 16, 16, 32 }, { 64, 64, 64, 64 }, { 100, 32, 32, 128 },
	{ 1000, 512, 512, 1024 }, { 4096, 4096, 4096, 4096 },
	{ 5000, 4096, 4096, 8192 }, { 64, 8192, 8192, 8192 },
};

#define LAYOUT_NR_BLOCKS	8

static void layout_cases(void)
{
	const struct layout_param *p;
	char *held[LAYOUT_NR_BLOCKS], *first, *last;
	unsigned long seen;
	struct mpool_stats st;
	struct mpool *pool;
	size_t i, j, off;
	char name[64];

	for (i = 0; i < ARRAY_SIZE(layout_params); i++) {
		p = &layout_params[i];
		snprintf(name, sizeof(name), "layout: block_size %zu, align %zu",
			 p->block_size, p->align);
		CASE(name) {
			pool = mpool_create("kunit_layout", p->block_size,
					    p->align, LAYOUT_NR_BLOCKS, 0);
			CHECK(!IS_ERR(pool), "%ld", PTR_ERR(pool));
			if (IS_ERR(pool))
				continue;
			mpool_get_stats(pool, &st);
			CHECK(st.align == p->block_align && st.stride == p->stride &&
			      st.region_bytes == LAYOUT_NR_BLOCKS * p->stride,
			      "align %zu stride %zu region %zu", st.align,
			      st.stride, st.region_bytes);
			first = NULL;
			for (j = 0; j < LAYOUT_NR_BLOCKS; j++) {
				held[j] = mpool_alloc(pool, GFP_KERNEL);
				CHECK(held[j], "alloc %zu", j);
				if (!held[j])
					break;
				if (!first || held[j] < first)
					first = held[j];
			}
			if (j < LAYOUT_NR_BLOCKS) {
				mpool_free_bulk(pool, j, (void **)held);
				mpool_destroy(pool);
				continue;
			}
			seen = 0;
			for (j = 0; j < LAYOUT_NR_BLOCKS; j++) {
				off = held[j] - first;
				CHECK(IS_ALIGNED((unsigned long)held[j],
						 p->block_align), "block %zu", j);
				CHECK(off % p->stride == 0 &&
				      off / p->stride < LAYOUT_NR_BLOCKS &&
				      mpool_owns(pool, held[j] + p->block_size - 1),
				      "block %zu at %zu", j, off);
				CHECK(!(seen & BIT(off / p->stride)), "twice");
				seen |= BIT(off / p->stride);
				memset(held[j], j + 1, p->block_size);
			}
			for (j = 0; j < LAYOUT_NR_BLOCKS; j++)
				CHECK(!memchr_inv(held[j], j + 1, p->block_size),
				      "block %zu overlaps", j);
			last = first + (LAYOUT_NR_BLOCKS - 1) * p->stride;
			CHECK(mpool_owns(pool, last + p->stride - 1), "");
			CHECK(!mpool_owns(pool, last + p->stride), "");
			CHECK(!mpool_owns(pool, first - 1), "");
			mpool_get_stats(pool, &st);
			CHECK(st.allocs == LAYOUT_NR_BLOCKS &&
			      st.in_use == LAYOUT_NR_BLOCKS &&
			      st.peak_in_use == LAYOUT_NR_BLOCKS, "");
			mpool_free_bulk(pool, LAYOUT_NR_BLOCKS, (void **)held);
			mpool_destroy(pool);
		}
	}
}

/* ---- mpool_abi: older and newer consumers' struct mpool_stats ---- */

#define ABI_NR_BLOCKS	16
#define ABI_BLOCK_SIZE	40
#define ABI_IN_USE	11
#define ABI_GUARD	0x5a5a5a5a5a5a5a5aULL

/* struct mpool_stats before @meta_bytes, as an older consumer has it. */
struct mpool_stats_before_meta {
	size_t block_size, align, stride, nr_blocks, region_bytes;
	size_t in_use, peak_in_use;
	u64 allocs, frees, alloc_failures, invalid_frees, double_frees;
	u64 poison_errors, redzone_errors, freelist_errors;
	size_t quarantined;
	unsigned int flags;
	size_t redzone_bytes, cached, cache_size;
};

static_assert(sizeof(struct mpool_stats_before_meta) ==
	      offsetof(struct mpool_stats, meta_bytes));

static void abi_cases(void)
{
	struct {
		struct mpool_stats_before_meta st;
		u64 guard[4];
	} old;
	struct {
		struct mpool_stats st;
		u64 future[3];
		u64 guard;
	} newer;
	void *blocks[ABI_NR_BLOCKS];
	struct mpool *pool;
	u64 guard = ABI_GUARD;
	size_t got, i;

	pool = mpool_create("abi_kunit", ABI_BLOCK_SIZE, 8, ABI_NR_BLOCKS,
			    MPOOL_NO_PERCPU);
	for (i = 0; i < ABI_NR_BLOCKS; i++)
		blocks[i] = mpool_alloc(pool, GFP_NOWAIT);
	CHECK(!mpool_alloc(pool, GFP_NOWAIT), "");
	mpool_free_bulk(pool, ABI_NR_BLOCKS - ABI_IN_USE, blocks + ABI_IN_USE);

	CASE("abi: an older consumer reads its prefix") {
		memset(&old.st, 0xee, sizeof(old.st));
		for (i = 0; i < ARRAY_SIZE(old.guard); i++)
			old.guard[i] = ABI_GUARD;
		got = mpool_read_stats(pool, &old.st, sizeof(old.st));
		CHECK(got == sizeof(old.st), "%zu", got);
		for (i = 0; i < ARRAY_SIZE(old.guard); i++)
			CHECK(old.guard[i] == ABI_GUARD, "guard %zu", i);
		CHECK(old.st.block_size == ABI_BLOCK_SIZE && old.st.align == 8 &&
		      old.st.nr_blocks == ABI_NR_BLOCKS &&
		      old.st.in_use == ABI_IN_USE &&
		      old.st.peak_in_use == ABI_NR_BLOCKS &&
		      old.st.allocs == ABI_NR_BLOCKS &&
		      old.st.frees == ABI_NR_BLOCKS - ABI_IN_USE &&
		      old.st.alloc_failures == 1 && old.st.double_frees == 0 &&
		      old.st.quarantined == 0 &&
		      old.st.flags == MPOOL_NO_PERCPU && old.st.cached == 0 &&
		      old.st.cache_size == 0, "");
	}
	CASE("abi: today's consumer reads everything") {
		memset(&newer, 0xee, sizeof(newer));
		newer.guard = ABI_GUARD;
		mpool_get_stats(pool, &newer.st);
		CHECK(newer.future[0] == 0xeeeeeeeeeeeeeeeeULL, "written past");
		CHECK(newer.st.in_use == ABI_IN_USE &&
		      newer.st.alloc_failures == 1, "");
		CHECK(newer.st.meta_bytes >= ABI_NR_BLOCKS &&
		      newer.st.meta_bytes < SZ_1M, "%zu", newer.st.meta_bytes);
	}
	CASE("abi: a newer consumer gets zeroes beyond") {
		memset(&newer, 0xee, sizeof(newer));
		newer.guard = ABI_GUARD;
		got = mpool_read_stats(pool, &newer,
				       offsetof(typeof(newer), guard));
		CHECK(got == sizeof(struct mpool_stats), "%zu", got);
		for (i = 0; i < ARRAY_SIZE(newer.future); i++)
			CHECK(newer.future[i] == 0, "field %zu", i);
		CHECK(newer.guard == ABI_GUARD && newer.st.in_use == ABI_IN_USE,
		      "");
	}
	CASE("abi: size 0 writes nothing") {
		CHECK(mpool_read_stats(pool, &guard, 0) == 0, "");
		CHECK(guard == ABI_GUARD, "");
	}
	mpool_free_bulk(pool, ABI_IN_USE, blocks);
	mpool_destroy(pool);
}

/* ---- mpool_debug_layout and mpool_debug_flags ---- */

#define DBG_NR_BLOCKS	128
#define DBG_PZU		(MPOOL_POISON | MPOOL_REDZONE | MPOOL_TRACK_CALLER)

/* Worked out by hand, for 64-bit pointers, as the KUnit suite has them. */
static void debug_worked_examples(void)
{
	static const struct {
		size_t block_size, align;
		unsigned int flags;
		size_t stride, redzone_bytes;
	} ex[] = {
		{ 52, 0, 0, 56, 0 },
		{ 52, 0, MPOOL_TRACK_CALLER, 56, 0 },
		{ 52, 0, MPOOL_POISON, 64, 0 },
		{ 52, 0, MPOOL_REDZONE, 72, 12 },
		{ 64, 0, MPOOL_REDZONE, 80, 8 },
		{ 1, 0, MPOOL_REDZONE, 24, 15 },
		{ 52, 64, DBG_PZU, 128, 12 },
	};
	struct mpool_stats st;
	struct mpool *pool;
	size_t i;

	CASE("debug layout: worked examples") {
		for (i = 0; i < ARRAY_SIZE(ex); i++) {
			pool = mpool_create("kunit_dbg_layout", ex[i].block_size,
					    ex[i].align, 4, ex[i].flags);
			CHECK(!IS_ERR(pool), "row %zu", i);
			if (IS_ERR(pool))
				continue;
			mpool_get_stats(pool, &st);
			CHECK(st.stride == ex[i].stride &&
			      st.redzone_bytes == ex[i].redzone_bytes,
			      "row %zu: stride %zu, red zone %zu", i, st.stride,
			      st.redzone_bytes);
			mpool_destroy(pool);
		}
	}
}

/*
 * Every flag combination on one geometry: blocks carved in order from
 * block 0 on one CPU, red zones armed, free blocks poisoned, a block
 * written whole and freed taken back without a report.
 */
static void debug_layout_follows_spec(size_t block_size, size_t align)
{
	char *held[DBG_NR_BLOCKS], name[64], *first;
	size_t i, got, redzone;
	struct mpool_stats st;
	unsigned int flags;
	struct mpool *pool;

	snprintf(name, sizeof(name),
		 "debug layout: block_size %zu, align %zu, all flags",
		 block_size, align);
	CASE(name) for (flags = 0; flags <= MPOOL_VALID_FLAGS; flags++) {
		pool = mpool_create("kunit_dbg_layout", block_size, align,
				    DBG_NR_BLOCKS, flags);
		CHECK(!IS_ERR(pool), "flags %#x", flags);
		if (IS_ERR(pool))
			continue;
		mpool_get_stats(pool, &st);
		CHECK(st.flags == flags, "%#x", st.flags);
		redzone = st.redzone_bytes;
		for (got = 0; got < DBG_NR_BLOCKS; got++) {
			held[got] = mpool_alloc(pool, GFP_NOWAIT);
			if (!held[got])
				break;
			CHECK(held[got] == held[0] + got * st.stride,
			      "flags %#x: block %zu misplaced", flags, got);
			if (flags & MPOOL_REDZONE)
				CHECK(!memchr_inv(held[got] + block_size,
						  MPOOL_REDZONE_ACTIVE, redzone),
				      "flags %#x: red zone not armed", flags);
			memset(held[got], 0x5a, block_size);
		}
		CHECK(got == DBG_NR_BLOCKS, "flags %#x: %zu blocks", flags, got);
		CHECK(!mpool_alloc(pool, GFP_NOWAIT), "one block too many");
		first = held[0];
		mpool_free_bulk(pool, got, (void **)held);
		for (i = 0; (flags & MPOOL_POISON) && i < got; i++)
			CHECK(!memchr_inv(first + i * st.stride,
					  MPOOL_POISON_FREE, block_size),
			      "flags %#x: block %zu not poisoned", flags, i);
		mpool_get_stats(pool, &st);
		CHECK(st.in_use == 0 && st.redzone_errors == 0 &&
		      st.poison_errors == 0 && st.freelist_errors == 0 &&
		      st.alloc_failures == 1, "flags %#x", flags);
		mpool_destroy(pool);
	}
}

static void debug_flags_cases(void)
{
	static const unsigned int unknown[] = {
		BIT(6), BIT(31), MPOOL_VALID_FLAGS | BIT(6),
		MPOOL_POISON | BIT(16), ~0U,
	};
	static const struct {
		unsigned int flags;
		const char *letters;
	} letters[] = {
		{ 0, "-" }, { MPOOL_POISON, "P" }, { MPOOL_REDZONE, "Z" },
		{ MPOOL_TRACK_CALLER, "U" }, { DBG_PZU, "PZU" },
		{ MPOOL_NO_PERCPU, "-" }, { DBG_PZU | MPOOL_NO_PERCPU, "PZU" },
	};
	struct mpool_stats st;
	struct mpool *pool;
	unsigned int flags;
	char buf[8];
	size_t i;

	CASE("debug flags: every valid combination accepted") {
		for (flags = 0; flags <= MPOOL_VALID_FLAGS; flags++) {
			pool = mpool_create("kunit_dbg_flags", 52, 0,
					    DBG_NR_BLOCKS, flags);
			CHECK(!IS_ERR(pool), "%#x", flags);
			if (IS_ERR(pool))
				continue;
			mpool_get_stats(pool, &st);
			CHECK(st.flags == flags, "%#x: %#x", flags, st.flags);
			CHECK((st.cache_size == 0) ==
			      !!(flags & MPOOL_NO_PERCPU),
			      "%#x: cache_size %zu", flags, st.cache_size);
			mpool_destroy(pool);
		}
	}
	CASE("debug flags: unknown flags refused") {
		for (i = 0; i < ARRAY_SIZE(unknown); i++) {
			pool = mpool_create("kunit_dbg_badflags", 52, 0,
					    DBG_NR_BLOCKS, unknown[i]);
			CHECK(PTR_ERR(pool) == -EINVAL, "%#x", unknown[i]);
			if (!IS_ERR(pool))
				mpool_destroy(pool);
		}
	}
	CASE("debug flags: letters, as debug= takes them") {
		for (i = 0; i < ARRAY_SIZE(letters); i++) {
			mpool_host_flags_letters(letters[i].flags, buf,
						 sizeof(buf));
			CHECK(!strcmp(buf, letters[i].letters), "%#x: %s",
			      letters[i].flags, buf);
		}
	}
	CASE("debug flags: debug= adds to every new pool") {
		mpool_host_set_debug_flags(MPOOL_POISON | MPOOL_REDZONE);
		pool = mpool_create("kunit_dbg_param", 52, 0, 16,
				    MPOOL_TRACK_CALLER);
		mpool_host_set_debug_flags(0);
		CHECK(!IS_ERR(pool), "");
		mpool_get_stats(pool, &st);
		CHECK(st.flags == DBG_PZU && st.redzone_bytes == 12, "%#x",
		      st.flags);
		mpool_destroy(pool);
	}
}

/* ---- refused frees: counted, reported, the pool intact ---- */

static void misuse_cases(void)
{
	char foreign[64], *a, *b;
	struct mpool_stats st;
	struct mpool *pool;

	pool = mpool_create("kunit_misuse", 48, 0, 64, 0);
	a = mpool_alloc(pool, GFP_NOWAIT);
	b = mpool_alloc(pool, GFP_NOWAIT);
	CASE("misuse: every bad pointer refused and named") {
		host_log_clear();
		mpool_free(pool, foreign + 8);
		CHECK(host_log_has("outside the pool"), "");
		mpool_free(pool, a + 1);
		CHECK(host_log_has("not the start of a block"), "");
		CHECK(host_log_has("(block "), "where");
		mpool_free(pool, b);
		mpool_free(pool, b);
		CHECK(host_log_has("double free"), "");
		mpool_get_stats(pool, &st);
		CHECK(st.invalid_frees == 2 && st.double_frees == 1 &&
		      st.in_use == 1, "%llu invalid, %llu double, %zu in use",
		      st.invalid_frees, st.double_frees, st.in_use);
		mpool_free(pool, a);
		mpool_get_stats(pool, &st);
		CHECK(st.in_use == 0 && st.frees == 2, "");
	}
	mpool_destroy(pool);
	CASE("misuse: destroy with blocks in use names their caller") {
		pool = mpool_create("kunit_leak", 48, 0, 8, MPOOL_TRACK_CALLER);
		a = mpool_alloc(pool, GFP_NOWAIT);
		host_log_clear();
		mpool_destroy(pool);
		CHECK(host_log_has("destroyed with 1 of 8 blocks still in use"),
		      "");
		CHECK(host_log_has("1 blocks allocated by"), "");
		/* The region stays, by design: the block is still valid. */
		memset(a, 0, 48);
	}
}

/*
 * A call whose gfp may block lets the CPU go between its holds of the
 * lock, however many it makes: a bulk alloc of a whole large pool, and an
 * alloc that finds the free list's rebuild under way and finishes it.
 * One whose gfp may not block never does.
 */
static void resched_cases(void)
{
	const size_t nr = 4096;
	unsigned long before;
	struct mpool *pool;
	void **blocks = calloc(nr, sizeof(*blocks));
	size_t i;
	int got;

	pool = mpool_create("logic_resched", 32, 0, nr, 0);
	CASE("resched: a GFP_KERNEL bulk of 4096 blocks lets the CPU go") {
		before = mpool_shim_nr_resched;
		got = mpool_alloc_bulk(pool, GFP_KERNEL, nr, blocks);
		CHECK(got == (int)nr, "got %d", got);
		CHECK(mpool_shim_nr_resched > before, "no cond_resched()");
		mpool_free_bulk(pool, got, blocks);
	}
	CASE("resched: a GFP_ATOMIC bulk of 4096 blocks never does") {
		before = mpool_shim_nr_resched;
		got = mpool_alloc_bulk(pool, GFP_ATOMIC, nr, blocks);
		CHECK(got == (int)nr, "got %d", got);
		CHECK(mpool_shim_nr_resched == before, "%lu cond_resched()",
		      mpool_shim_nr_resched - before);
		mpool_free_bulk(pool, got, blocks);
	}
	mpool_destroy(pool);

	/* Cacheless: the free blocks sit on the hardened list. */
	mpool_test_make_small(true);
	pool = mpool_create("logic_rebuild", 32, 0, nr, 0);
	mpool_test_make_small(false);
	CASE("resched: a GFP_KERNEL alloc finishing a rebuild lets the CPU go") {
		for (i = 0; i < nr; i++)
			blocks[i] = mpool_alloc(pool, GFP_KERNEL);
		mpool_free(pool, blocks[0]);
		mpool_free(pool, blocks[1]);
		/* The list's head, blocks[1]: its link now leads nowhere. */
		*(unsigned long *)blocks[1] = 0x5a5a5a5a5a5a5a5aUL;
		before = mpool_shim_nr_resched;
		CHECK(mpool_alloc(pool, GFP_KERNEL) == blocks[0],
		      "not the block below the corrupt one");
		CHECK(mpool_shim_nr_resched > before, "no cond_resched()");
		mpool_free_bulk(pool, 1, blocks);
		mpool_free_bulk(pool, nr - 2, blocks + 2);
	}
	mpool_destroy(pool);
	free(blocks);
}

int main(void)
{
	tap_begin("logic_test: create, layout, ABI and debug flags");
	mpool_shim_thread_enter(0);
	mpool_shim_set_nr_cpus(2);
	host_log_capture();
	if (mpool_host_init()) {
		tap_result(false, "init");
		return tap_end();
	}
	create_cases();
	create_name_cases();
	create_enomem_cases();
	create_large_meta_cases();
	layout_cases();
	abi_cases();
	debug_worked_examples();
	debug_layout_follows_spec(1, 0);
	debug_layout_follows_spec(8, 0);
	debug_layout_follows_spec(52, 0);
	debug_layout_follows_spec(64, 0);
	debug_layout_follows_spec(24, 16);
	debug_layout_follows_spec(100, 32);
	debug_layout_follows_spec(52, 64);
	debug_layout_follows_spec(1000, 512);
	debug_layout_follows_spec(4097, 0);
	debug_layout_follows_spec(64, 4096);
	debug_flags_cases();
	misuse_cases();
	resched_cases();
	mpool_host_exit();
	mpool_shim_thread_leave();
	return tap_end();
}
