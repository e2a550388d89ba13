/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mpool_create() must accept and refuse, one table per concern:
 * the KUnit suite mpool_create runs each table as a case of its own,
 * and tools/testing/mpool/logic_test.c runs the same tables on the host.
 */
#ifndef _MPOOL_CREATE_CASES_H
#define _MPOOL_CREATE_CASES_H

#include <linux/errno.h>
#include <linux/limits.h>

#include "mempool_mod.h"

struct create_param {
	const char *desc;
	const char *name;
	size_t block_size;
	size_t align;
	size_t nr_blocks;
	unsigned int flags;
	int err;
};

static const struct create_param create_valid_params[] = {
	/* desc, name, block_size, align, nr_blocks, flags, err */
	{ "one block of one byte", "kunit_create_min", 1, 0, 1, 0, 0 },
	{ "name of 31 characters", "kunit_create_name_of_31_chars_x",
	  64, 0, 4, 0, 0 },
	{ "name with [A-Z0-9.-]", "Kunit-create_0.9", 64, 0, 4, 0, 0 },
	{ "align 1", "kunit_create_align1", 64, 1, 4, 0, 0 },
	{ "align 8192", "kunit_create_align8k", 64, 8192, 4, 0, 0 },
};

/* The lowest bit mpool_create() does not know, whatever bits it knows. */
#define LOWEST_UNKNOWN_FLAG	(~MPOOL_VALID_FLAGS & -~MPOOL_VALID_FLAGS)

static const struct create_param create_bad_args_params[] = {
	{ "block_size 0", "kunit_create_bad", 0, 0, 4, 0, -EINVAL },
	{ "nr_blocks 0", "kunit_create_bad", 64, 0, 0, 0, -EINVAL },
	{ "align 3", "kunit_create_bad", 64, 3, 4, 0, -EINVAL },
	{ "align 24", "kunit_create_bad", 64, 24, 4, 0, -EINVAL },
	{ "lowest unknown flag", "kunit_create_bad", 64, 0, 4,
	  LOWEST_UNKNOWN_FLAG, -EINVAL },
	{ "flags 0x80000000", "kunit_create_bad", 64, 0, 4, 0x80000000U,
	  -EINVAL },
};

static const struct create_param create_bad_name_params[] = {
	{ "NULL", NULL, 64, 0, 4, 0, -EINVAL },
	{ "empty", "", 64, 0, 4, 0, -EINVAL },
	{ "32 characters", "kunit_create_name_of_32_chars_xy",
	  64, 0, 4, 0, -EINVAL },
	{ "with '/'", "kunit/create", 64, 0, 4, 0, -EINVAL },
	{ "with ' '", "kunit create", 64, 0, 4, 0, -EINVAL },
	{ "with byte 0xe9", "kunit_caf\xe9", 64, 0, 4, 0, -EINVAL },
	{ "starting with '.'", ".kunit_create", 64, 0, 4, 0, -EINVAL },
	{ "reserved \"pools\"", "pools", 64, 0, 4, 0, -EINVAL },
};

static const struct create_param create_overflow_params[] = {
	{ "block_size SIZE_MAX", "kunit_create_big", SIZE_MAX, 0, 1, 0,
	  -EOVERFLOW },
	{ "nr_blocks SIZE_MAX", "kunit_create_big", 64, 0, SIZE_MAX, 0,
	  -EOVERFLOW },
	{ "region of 2^64 bytes", "kunit_create_big",
	  64, 0, SIZE_MAX / 64 + 1, 0, -EOVERFLOW },
	/* 2^31 on a 32-bit kernel. */
	{ "align 2^63", "kunit_create_big", 64, BIT(BITS_PER_LONG - 1), 2, 0,
	  -EOVERFLOW },
	/* 16 GiB would fit in a size_t, but not its state map in a kvmalloc. */
	{ "one block more than MPOOL_MAX_BLOCKS", "kunit_create_big",
	  1, 0, (size_t)MPOOL_MAX_BLOCKS + 1, 0, -E2BIG },
};

#endif /* _MPOOL_CREATE_CASES_H */
