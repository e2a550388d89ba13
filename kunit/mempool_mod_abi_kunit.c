// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mempool_mod's binary compatibility promise: a consumer
 * built against an older mempool_mod.h, whose struct mpool_stats is a
 * prefix of today's, reads correct values and nothing past its struct is
 * written; one built against a newer header gets zeroes where this module
 * knows no field.  Each case passes mpool_read_stats() the size such a
 * consumer's mpool_get_stats() would, with guard words after the struct.
 */

#include <kunit/test.h>

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "mempool_mod.h"

#define ABI_NR_BLOCKS	16
#define ABI_BLOCK_SIZE	40
#define ABI_IN_USE	11
#define ABI_GUARD	0x5a5a5a5a5a5a5a5aULL
#define ABI_GUARD_BYTE	0x5a
#define ABI_GUARD_BYTES	32

/*
 * struct mpool_stats before @meta_bytes was added: what a consumer built
 * against that header passes.
 */
struct mpool_stats_before_meta {
	size_t block_size;
	size_t align;
	size_t stride;
	size_t nr_blocks;
	size_t region_bytes;
	size_t in_use;
	size_t peak_in_use;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 invalid_frees;
	u64 double_frees;
	u64 poison_errors;
	u64 redzone_errors;
	u64 freelist_errors;
	size_t quarantined;
	unsigned int flags;
	size_t redzone_bytes;
	size_t cached;
	size_t cache_size;
};

/*
 * The promise itself: fields are only ever added at the end.  Where a u64
 * is 8-aligned on a 32-bit kernel, the older struct ends in padding that
 * the newer one's @meta_bytes takes.
 */
static_assert(sizeof(struct mpool_stats_before_meta) ==
	      ALIGN(offsetof(struct mpool_stats, meta_bytes),
		    __alignof__(struct mpool_stats_before_meta)));
static_assert(offsetof(struct mpool_stats_before_meta, cache_size) ==
	      offsetof(struct mpool_stats, cache_size));

/*
 * struct mpool_stats of release 1.1, before the regions' fields: what a
 * consumer built against that header passes.  Flat, as that header had
 * it: the struct above embedded would bring its tail padding, which on
 * a 32-bit kernel is where @meta_bytes goes.
 */
struct mpool_stats_before_regions {
	size_t block_size;
	size_t align;
	size_t stride;
	size_t nr_blocks;
	size_t region_bytes;
	size_t in_use;
	size_t peak_in_use;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 invalid_frees;
	u64 double_frees;
	u64 poison_errors;
	u64 redzone_errors;
	u64 freelist_errors;
	size_t quarantined;
	unsigned int flags;
	size_t redzone_bytes;
	size_t cached;
	size_t cache_size;
	size_t meta_bytes;
};

static_assert(sizeof(struct mpool_stats_before_regions) ==
	      ALIGN(offsetof(struct mpool_stats, min_blocks),
		    __alignof__(struct mpool_stats_before_regions)));
static_assert(offsetof(struct mpool_stats_before_regions, meta_bytes) ==
	      offsetof(struct mpool_stats, meta_bytes));

struct abi_ctx {
	struct mpool *pool;
	void *blocks[ABI_NR_BLOCKS];
};

/*
 * A pool with known counts: every block allocated, one alloc refused,
 * five blocks freed.  No CPU caches, so the counts are exact.
 */
static int abi_init(struct kunit *test)
{
	struct abi_ctx *ctx;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->pool = mpool_create("abi_kunit", ABI_BLOCK_SIZE, 8, ABI_NR_BLOCKS,
				 MPOOL_NO_PERCPU);
	if (IS_ERR(ctx->pool))
		return PTR_ERR(ctx->pool);
	test->priv = ctx;

	for (i = 0; i < ABI_NR_BLOCKS; i++) {
		ctx->blocks[i] = mpool_alloc(ctx->pool, GFP_NOWAIT);
		if (!ctx->blocks[i])
			return -ENOMEM;
	}
	if (mpool_alloc(ctx->pool, GFP_NOWAIT))
		return -EEXIST;
	for (i = ABI_IN_USE; i < ABI_NR_BLOCKS; i++) {
		mpool_free(ctx->pool, ctx->blocks[i]);
		ctx->blocks[i] = NULL;
	}
	return 0;
}

static void abi_exit(struct kunit *test)
{
	struct abi_ctx *ctx = test->priv;
	int i;

	if (!ctx || IS_ERR_OR_NULL(ctx->pool))
		return;
	for (i = 0; i < ABI_NR_BLOCKS; i++)
		mpool_free(ctx->pool, ctx->blocks[i]);
	mpool_destroy(ctx->pool);
}

/*
 * Read the stats into @st, @size bytes, as a consumer built with a struct
 * of that size does, with guard bytes after it: nothing may land there.
 */
static void abi_read_prefix(struct kunit *test, void *st, size_t size)
{
	struct abi_ctx *ctx = test->priv;
	u8 *buf;

	buf = kunit_kmalloc(test, size + ABI_GUARD_BYTES, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0xee, size);
	memset(buf + size, ABI_GUARD_BYTE, ABI_GUARD_BYTES);

	KUNIT_EXPECT_EQ(test, mpool_read_stats(ctx->pool, buf, size), size);
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(buf + size, ABI_GUARD_BYTE,
					       ABI_GUARD_BYTES),
			      "written past the struct of %zu bytes", size);
	memcpy(st, buf, size);
}

static void old_consumer_reads_its_prefix(struct kunit *test)
{
	struct mpool_stats_before_meta old;

	abi_read_prefix(test, &old, sizeof(old));
	KUNIT_EXPECT_EQ(test, old.block_size, ABI_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, old.align, 8);
	KUNIT_EXPECT_EQ(test, old.nr_blocks, ABI_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, old.in_use, ABI_IN_USE);
	KUNIT_EXPECT_EQ(test, old.peak_in_use, ABI_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, old.allocs, ABI_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, old.frees, ABI_NR_BLOCKS - ABI_IN_USE);
	KUNIT_EXPECT_EQ(test, old.alloc_failures, 1);
	KUNIT_EXPECT_EQ(test, old.double_frees, 0);
	KUNIT_EXPECT_EQ(test, old.quarantined, 0);
	KUNIT_EXPECT_EQ(test, old.flags, MPOOL_NO_PERCPU);
	KUNIT_EXPECT_EQ(test, old.cached, 0);
	KUNIT_EXPECT_EQ(test, old.cache_size, 0);
}

/* A 1.1 consumer: its struct ends at @meta_bytes, and nothing beyond. */
static void consumer_of_1_1_reads_its_prefix(struct kunit *test)
{
	struct mpool_stats_before_regions old;

	abi_read_prefix(test, &old, sizeof(old));
	KUNIT_EXPECT_EQ(test, old.nr_blocks, ABI_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, old.in_use, ABI_IN_USE);
	KUNIT_EXPECT_GE(test, old.meta_bytes, ABI_NR_BLOCKS);
	KUNIT_EXPECT_LT(test, old.meta_bytes, SZ_1M);
}

static void today_consumer_reads_everything(struct kunit *test)
{
	struct abi_ctx *ctx = test->priv;
	struct {
		struct mpool_stats st;
		u64 guard;
	} now;

	memset(&now.st, 0xee, sizeof(now.st));
	now.guard = ABI_GUARD;

	mpool_get_stats(ctx->pool, &now.st);

	KUNIT_EXPECT_EQ(test, now.guard, ABI_GUARD);
	KUNIT_EXPECT_EQ(test, now.st.in_use, ABI_IN_USE);
	KUNIT_EXPECT_EQ(test, now.st.alloc_failures, 1);
	/* The region and the state map at least: a real value, not 0xee. */
	KUNIT_EXPECT_GE(test, now.st.meta_bytes, ABI_NR_BLOCKS);
	KUNIT_EXPECT_LT(test, now.st.meta_bytes, SZ_1M);
	/* A pool of mpool_create(): one region, at its bound from the start. */
	KUNIT_EXPECT_EQ(test, now.st.min_blocks, ABI_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, now.st.max_blocks, ABI_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, now.st.nr_regions, 1);
	KUNIT_EXPECT_EQ(test, now.st.grows, 0);
	KUNIT_EXPECT_EQ(test, now.st.shrinks, 0);
	KUNIT_EXPECT_EQ(test, now.st.grow_failures, 0);
}

static void newer_consumer_gets_zeroes_beyond(struct kunit *test)
{
	struct abi_ctx *ctx = test->priv;
	struct {
		struct mpool_stats st;
		u64 future[3];
		u64 guard;
	} newer;
	size_t got;
	int i;

	memset(&newer, 0xee, sizeof(newer));
	newer.guard = ABI_GUARD;

	got = mpool_read_stats(ctx->pool, &newer,
			       offsetof(typeof(newer), guard));

	KUNIT_EXPECT_EQ(test, got, sizeof(struct mpool_stats));
	for (i = 0; i < ARRAY_SIZE(newer.future); i++)
		KUNIT_EXPECT_EQ_MSG(test, newer.future[i], 0,
				    "unknown field %d not zeroed", i);
	KUNIT_EXPECT_EQ(test, newer.guard, ABI_GUARD);
	KUNIT_EXPECT_EQ(test, newer.st.in_use, ABI_IN_USE);
}

static void size_zero_writes_nothing(struct kunit *test)
{
	struct abi_ctx *ctx = test->priv;
	u64 guard = ABI_GUARD;

	KUNIT_EXPECT_EQ(test, mpool_read_stats(ctx->pool, &guard, 0), 0);
	KUNIT_EXPECT_EQ(test, guard, ABI_GUARD);
}

static struct kunit_case mpool_abi_cases[] = {
	KUNIT_CASE(old_consumer_reads_its_prefix),
	KUNIT_CASE(consumer_of_1_1_reads_its_prefix),
	KUNIT_CASE(today_consumer_reads_everything),
	KUNIT_CASE(newer_consumer_gets_zeroes_beyond),
	KUNIT_CASE(size_zero_writes_nothing),
	{}
};

static struct kunit_suite mpool_abi_suite = {
	.name = "mpool_abi",
	.init = abi_init,
	.exit = abi_exit,
	.test_cases = mpool_abi_cases,
};

kunit_test_suite(mpool_abi_suite);

MODULE_DESCRIPTION("KUnit tests for mempool_mod's binary compatibility");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
