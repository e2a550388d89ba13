// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_mod_test - kselftest for the mempool_mod module.
 *
 * Loads mempool_mod.ko and the test driver test_mempool_mod.ko from
 * $MPOOL_KO_DIR (default /mpool) with finit_module(), drives the pools
 * through /sys/kernel/debug/test_mempool_mod/control and checks what
 * mempool_mod reports in /sys/kernel/debug/mempool_mod/, in
 * /sys/module/mempool_mod/parameters/ and in the kernel log.
 *
 * A test of loading or of the parameters starts and ends with neither
 * module loaded.  The others (corruption, soak) share one load of both,
 * and start from the driver's "reset" (shared_modules() in
 * mpool_selftest.h); the program ends with neither module loaded.  Every
 * expected value is computed here from the test's inputs, with the
 * geometry rules
 * (a = max(align, 8))
 *
 *	no P or Z:  stride = ALIGN(max(block_size, 8), a), redzone_bytes 0
 *	P or Z:     link   = ALIGN(block_size, 8) + (Z ? 8 : 0)
 *		    stride = ALIGN(link + 8, a)
 *		    redzone_bytes = Z ? link - block_size : 0
 *	nr_blocks    = pool_size / stride
 *	region_bytes = nr_blocks * stride
 *
 * a model of the counters that each command moves, and the pool's
 * documented behaviour: blocks are carved in index order, and the free
 * list hands out the block freed last.
 *
 * Must run as root; needs debugfs (mounted here if it is not).
 *
 * Environment:
 *
 *	MPOOL_KO_DIR		where the two .ko files are (default /mpool)
 *	MPOOL_SOAK_OPS		the allocs and frees each soak does in all, at
 *				least SOAK_OPS_MIN (default 2000000: make
 *				check-full's soak; make check runs a shorter
 *				one).  Every one of them is done and asserted
 *	MPOOL_SOAK_MAX_RUNNING	how many soak threads run at once, 0 for all
 *				(default SOAK_MAX_RUNNING, 2)
 */

#include "mpool_selftest.h"

/* The figures of the driver's last soak, as its soak file says them. */
struct soak_result {
	__u64 threads;
	__u64 ops;
	__u64 allocs;
	__u64 frees;
	__u64 alloc_failures;
	__u64 corruptions;
	__u64 held;
};

static int read_soak(struct soak_result *r)
{
	static const char *const keys[] = {
		"threads", "ops", "allocs", "frees", "alloc_failures",
		"corruptions", "held",
	};
	__u64 *vals[] = {
		&r->threads, &r->ops, &r->allocs, &r->frees,
		&r->alloc_failures, &r->corruptions, &r->held,
	};
	char buf[1024], *line, *save, *colon;
	unsigned int seen = 0;
	size_t i;

	if (read_text(TMM_SOAK, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			if (strcmp(line, keys[i]))
				continue;
			if (parse_ull(colon + 1, vals[i])) {
				set_why("%s: %s: \"%s\"", TMM_SOAK, line,
					colon + 1);
				return -1;
			}
			seen |= 1U << i;
		}
	}
	if (seen != (1U << ARRAY_SIZE(keys)) - 1) {
		set_why("%s: keys missing (seen mask %#x)", TMM_SOAK, seen);
		return -1;
	}
	return 0;
}

static void allocations_path(char *path, size_t size, const char *pool)
{
	snprintf(path, size, "%s/%s/allocations", MPOOL_DEBUGFS, pool);
}

/* One line of an allocations file: "%8zu %pS oldest_ms=%u". */
struct caller_line {
	__u64 blocks;
	char caller[128];	/* "func+0x../0x.. [module]" */
};

#define ALLOCATIONS_HEADER	"# blocks caller oldest_ms"

/*
 * Read <pool>/allocations into @lines (room for @max): the number of
 * caller lines, or -1 with the reason in @why if the file is malformed.
 */
static int read_allocations(const char *pool, struct caller_line *lines,
			    int max)
{
	char path[256], buf[8192], *line, *save, *ms, *end;
	int nr = 0;
	__u64 val;

	allocations_path(path, sizeof(path), pool);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strcmp(line, ALLOCATIONS_HEADER)) {
		set_why("%s: header \"%s\", want \"%s\"", path,
			line ? line : "", ALLOCATIONS_HEADER);
		return -1;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (nr == max) {
			set_why("%s: more than %d callers", path, max);
			return -1;
		}
		lines[nr].blocks = strtoull(line, &end, 10);
		ms = strstr(end, " oldest_ms=");
		if (end == line || *end != ' ' || !ms ||
		    parse_ull(ms + strlen(" oldest_ms="), &val)) {
			set_why("%s: bad line \"%s\"", path, line);
			return -1;
		}
		while (*end == ' ')
			end++;
		snprintf(lines[nr].caller, sizeof(lines[nr].caller), "%.*s",
			 (int)(ms - end), end);
		nr++;
	}
	return nr;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ======================================================================= */
/* 1. Bad parameters: the load fails with EINVAL, leaves nothing, says why. */

FIXTURE(bad_param) {
	int unused;
};

FIXTURE_VARIANT(bad_param) {
	const char *params;
	const char *param;	/* the parameter the log line must name */
};

FIXTURE_VARIANT_ADD(bad_param, block_size_0) {
	.params = "block_size=0",
	.param = "block_size",
};

FIXTURE_VARIANT_ADD(bad_param, pool_size_0) {
	.params = "pool_size=0",
	.param = "pool_size",
};

FIXTURE_VARIANT_ADD(bad_param, align_3) {
	.params = "align=3",
	.param = "align",
};

FIXTURE_VARIANT_ADD(bad_param, align_48) {
	.params = "align=48",
	.param = "align",
};

FIXTURE_VARIANT_ADD(bad_param, pool_smaller_than_stride) {
	.params = "pool_size=32 block_size=64",
	.param = "pool_size",
};

/* debug= takes only P, Z and U: the kernel's own line names it. */
FIXTURE_VARIANT_ADD(bad_param, debug_Q) {
	.params = "debug=Q",
	.param = "debug",
};

FIXTURE_VARIANT_ADD(bad_param, debug_PX) {
	.params = "debug=PX",
	.param = "debug",
};

/* A bool: the kernel's own line names it, as for debug=. */
FIXTURE_VARIANT_ADD(bad_param, percpu_maybe) {
	.params = "percpu=maybe",
	.param = "percpu",
};

FIXTURE_SETUP(bad_param)
{
	clean_slate(_metadata);
}

FIXTURE_TEARDOWN(bad_param)
{
	unload_all();
}

TEST_F_TIMEOUT(bad_param, load_fails_einval, TEST_TIMEOUT)
{
	char *before, *after, last[512];
	int ret, nr, nr_named;

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);

	ret = load_module(MPOOL_MOD, variant->params);
	after = klog_read();
	EXPECT_EQ(-EINVAL, ret)
		TH_LOG("finit_module(\"%s\") = %d (%s), want -EINVAL",
		       variant->params, ret, ret ? strerror(-ret) : "success");
	EXPECT_FALSE(module_loaded(MPOOL_MOD))
		TH_LOG("%s left behind", MPOOL_SYSFS);
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS))
		TH_LOG("%s left behind", MPOOL_DEBUGFS);

	ASSERT_NE(NULL, after) TH_LOG("%s", why);
	nr = klog_find(klog_since(before, after), variant->param, last,
		       sizeof(last), &nr_named);
	ASSERT_LT(0, nr)
		TH_LOG("no new kernel log line starts with \"%s: \"",
		       MPOOL_MOD);
	EXPECT_NE(NULL, strstr(last, variant->param))
		TH_LOG("last log line \"%s\" does not name %s", last,
		       variant->param);
	EXPECT_EQ(1, nr_named)
		TH_LOG("%d new \"%s: \" lines name %s, want one", nr_named,
		       MPOOL_MOD, variant->param);
	free(before);
	free(after);
}

/* ======================================================================= */
/* 2. Good parameters: the default pool has the geometry they ask for. */

FIXTURE(good_param) {
	int unused;
};

FIXTURE_VARIANT(good_param) {
	const char *params;
	__u64 pool_size;
	__u64 block_size;
	__u64 align;
	int cache_size;		/* per CPU, or -1: the rule's, not checked */
};

/* 16384 blocks: every CPU of a 4-CPU guest caches the most it can. */
FIXTURE_VARIANT_ADD(good_param, defaults) {
	.params = "",
	.pool_size = DEF_POOL_SIZE,
	.block_size = DEF_BLOCK_SIZE,
	.align = DEF_ALIGN,
	.cache_size = MPOOL_CACHE_MAX,
};

FIXTURE_VARIANT_ADD(good_param, no_percpu) {
	.params = "percpu=0",
	.pool_size = DEF_POOL_SIZE,
	.block_size = DEF_BLOCK_SIZE,
	.align = DEF_ALIGN,
	.cache_size = 0,
};

FIXTURE_VARIANT_ADD(good_param, bs100_align64) {
	.params = "pool_size=65536 block_size=100 align=64",
	.pool_size = 65536,
	.block_size = 100,
	.align = 64,
	.cache_size = -1,
};

/* Blocks and alignment below a pointer are raised to one. */
FIXTURE_VARIANT_ADD(good_param, bs1_align1) {
	.params = "pool_size=4096 block_size=1 align=1",
	.pool_size = 4096,
	.block_size = 1,
	.align = 1,
	.cache_size = -1,
};

/* pool_size not a multiple of the stride: the block count rounds down. */
FIXTURE_VARIANT_ADD(good_param, rounds_down) {
	.params = "pool_size=1000 block_size=100",
	.pool_size = 1000,
	.block_size = 100,
	.align = DEF_ALIGN,
	.cache_size = -1,
};

/* Exactly one stride is enough for a pool. */
FIXTURE_VARIANT_ADD(good_param, one_block) {
	.params = "pool_size=64 block_size=64",
	.pool_size = 64,
	.block_size = 64,
	.align = DEF_ALIGN,
	.cache_size = -1,
};

/* An alignment above the page size. */
FIXTURE_VARIANT_ADD(good_param, align8192) {
	.params = "pool_size=65536 block_size=24 align=8192",
	.pool_size = 65536,
	.block_size = 24,
	.align = 8192,
	.cache_size = -1,
};

FIXTURE_SETUP(good_param)
{
	clean_slate(_metadata);
}

FIXTURE_TEARDOWN(good_param)
{
	unload_all();
}

TEST_F_TIMEOUT(good_param, geometry, TEST_TIMEOUT)
{
	static const char *const names[] = { "pool_size", "block_size",
					     "align" };
	const __u64 values[] = { variant->pool_size, variant->block_size,
			       variant->align };
	char path[256], buf[64];
	struct pool_st model;
	struct stat st;
	size_t i;
	__u64 val;

	ASSERT_EQ(0, load_module(MPOOL_MOD, variant->params))
		TH_LOG("%s", why);
	ASSERT_TRUE(module_loaded(MPOOL_MOD));

	/* The parameters read back, read-only. */
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/parameters/%s", MPOOL_SYSFS,
			 names[i]);
		ASSERT_EQ(0, stat(path, &st))
			TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(0U, st.st_mode & 0222)
			TH_LOG("%s is writable: mode %o", path,
			       st.st_mode & 07777);
		ASSERT_LE(0, read_text(path, buf, sizeof(buf)))
			TH_LOG("%s", why);
		ASSERT_EQ(0, parse_ull(buf, &val))
			TH_LOG("%s: \"%s\"", path, buf);
		EXPECT_EQ(values[i], val) TH_LOG("%s", path);
	}

	/* The default pool: computed geometry, nothing in use, no counts. */
	model_init_param(&model, variant->pool_size, variant->block_size,
			 variant->align, FL_NONE);
	ASSERT_LT(0ULL, model.v[ST_NR_BLOCKS]);
	check_stats_layout(_metadata, "default");
	check_stats(_metadata, "default", &model, "after load");
	if (variant->cache_size >= 0) {
		struct pool_st got;

		ASSERT_EQ(0, read_stats("default", &got)) TH_LOG("%s", why);
		EXPECT_EQ((__u64)variant->cache_size, got.v[ST_CACHE_SIZE]);
	}
}

/* ======================================================================= */
/* 2b. debug=: the default pool gets the flags, read back canonically. */

FIXTURE(debug_param) {
	int unused;
};

FIXTURE_VARIANT(debug_param) {
	const char *params;
	__u64 flags;
};

FIXTURE_VARIANT_ADD(debug_param, P) {
	.params = "debug=P",
	.flags = FL_P,
};

/* Letters in any case. */
FIXTURE_VARIANT_ADD(debug_param, z) {
	.params = "debug=z",
	.flags = FL_Z,
};

/* In any order: read back in the canonical one. */
FIXTURE_VARIANT_ADD(debug_param, UZP) {
	.params = "debug=UZP",
	.flags = FL_P | FL_Z | FL_U,
};

FIXTURE_VARIANT_ADD(debug_param, empty) {
	.params = "debug=",
	.flags = FL_NONE,
};

FIXTURE_VARIANT_ADD(debug_param, dash) {
	.params = "debug=-",
	.flags = FL_NONE,
};

FIXTURE_SETUP(debug_param)
{
	clean_slate(_metadata);
}

FIXTURE_TEARDOWN(debug_param)
{
	unload_all();
}

TEST_F_TIMEOUT(debug_param, default_pool_flags, TEST_TIMEOUT)
{
	char buf[64], want[16], letters[8], path[256];
	struct pool_st model;
	struct stat st;

	ASSERT_EQ(0, load_module(MPOOL_MOD, variant->params))
		TH_LOG("%s", why);

	ASSERT_EQ(0, stat(MPOOL_DEBUG_PARAM, &st))
		TH_LOG("%s: %s", MPOOL_DEBUG_PARAM, strerror(errno));
	EXPECT_EQ(0644U, st.st_mode & 07777) TH_LOG("%s: mode", MPOOL_DEBUG_PARAM);
	ASSERT_LE(0, read_text(MPOOL_DEBUG_PARAM, buf, sizeof(buf)))
		TH_LOG("%s", why);
	snprintf(want, sizeof(want), "%s\n", flags_str(variant->flags, letters));
	EXPECT_STREQ(want, buf) TH_LOG("%s after %s", MPOOL_DEBUG_PARAM,
				       variant->params);

	/* The flags decide the geometry too: the link word, the red zone. */
	model_init_param(&model, DEF_POOL_SIZE, DEF_BLOCK_SIZE, DEF_ALIGN,
			 variant->flags);
	check_stats_layout(_metadata, "default");
	check_stats(_metadata, "default", &model, variant->params);
	check_pools_row(_metadata, "default", variant->params);

	/* Only a pool that tracks callers lists them. */
	allocations_path(path, sizeof(path), "default");
	EXPECT_EQ(!!(variant->flags & FL_U), path_exists(path))
		TH_LOG("%s with %s", path, variant->params);
}

/* ======================================================================= */
/* 3.-6. One module set per test, driven through the test driver. */

FIXTURE(mpool) {
	int unused;
};

FIXTURE_SETUP(mpool)
{
	clean_slate(_metadata);
}

FIXTURE_TEARDOWN(mpool)
{
	unload_all();
}

/* 3. The debugfs files: mode 0444, pools agrees with default/stats. */
TEST_F_TIMEOUT(mpool, debugfs_files, TEST_TIMEOUT)
{
	const __u64 pool_size = 65536, block_size = 100, align = 64;
	struct pool_st model;
	char path[256];

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=65536 block_size=100 align=64"))
		TH_LOG("%s", why);

	stats_path(path, sizeof(path), "default");
	check_mode_0444(_metadata, MPOOL_POOLS);
	check_mode_0444(_metadata, path);

	model_init_param(&model, pool_size, block_size, align, FL_NONE);
	check_stats_layout(_metadata, "default");
	check_stats(_metadata, "default", &model, "after load");
	check_pools_row(_metadata, "default", "after load");

	/* Make the counters differ, so a mixed-up column shows. */
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 9")) TH_LOG("%s", why);
	model_alloc(&model, 9);
	ASSERT_EQ(0, ctl("free 2")) TH_LOG("%s", why);
	model_free(&model, 2);
	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	model_double_free(&model);
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	model.v[ST_INVALID_FREES] += 2;
	check_stats(_metadata, "default", &model, "after driving");
	check_pools_row(_metadata, "default", "after driving");
}

/* 4. Each driver command moves the default pool's stats exactly. */
TEST_F_TIMEOUT(mpool, driver_moves_stats, TEST_TIMEOUT)
{
	const __u64 pool_size = 4096;	/* 64 blocks of the default 64 bytes */
	struct pool_st model;
	__u64 n;
	int ret;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&model, pool_size, DEF_BLOCK_SIZE, DEF_ALIGN,
			 FL_NONE);
	check_stats(_metadata, "default", &model, "start");
	check_held(_metadata, "default", 0, "start");

	ASSERT_EQ(0, ctl("alloc 10")) TH_LOG("%s", why);
	ASSERT_EQ(0, model_alloc(&model, 10));
	check_stats(_metadata, "default", &model, "alloc 10");
	check_held(_metadata, "default", 10, "alloc 10");

	ASSERT_EQ(0, ctl("free 4")) TH_LOG("%s", why);
	model_free(&model, 4);
	check_stats(_metadata, "default", &model, "free 4");
	check_held(_metadata, "default", 6, "free 4");

	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	model_double_free(&model);
	check_stats(_metadata, "default", &model, "double_free");
	check_held(_metadata, "default", 6, "double_free");

	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	model.v[ST_INVALID_FREES]++;
	check_stats(_metadata, "default", &model, "free_interior");
	check_held(_metadata, "default", 6, "free_interior");

	ASSERT_EQ(0, ctl("free_outside")) TH_LOG("%s", why);
	model.v[ST_INVALID_FREES]++;
	check_stats(_metadata, "default", &model, "free_outside");
	check_held(_metadata, "default", 6, "free_outside");

	/* One more than is free: the last allocation fails. */
	n = model.v[ST_FREE] + 1;
	ret = ctl("alloc %llu", n);
	EXPECT_EQ(-ENOMEM, ret) TH_LOG("alloc %llu: %s", n, why);
	EXPECT_EQ(-ENOMEM, model_alloc(&model, n));
	EXPECT_EQ(model.v[ST_NR_BLOCKS], model.v[ST_IN_USE]);
	check_stats(_metadata, "default", &model, "alloc free+1");
	check_held(_metadata, "default", model.v[ST_NR_BLOCKS],
		   "alloc free+1");

	/* Exhausted: double_free cannot get its block. */
	EXPECT_EQ(-ENOMEM, ctl("double_free"));
	model_alloc(&model, 1);
	check_stats(_metadata, "default", &model, "double_free when empty");

	/* Refusals leave a full pool as it was, apart from their count. */
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_outside")) TH_LOG("%s", why);
	model.v[ST_INVALID_FREES] += 2;
	check_stats(_metadata, "default", &model, "refused frees when full");

	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	model_free(&model, model.v[ST_IN_USE]);
	EXPECT_EQ(0ULL, model.v[ST_IN_USE]);
	EXPECT_EQ(model.v[ST_NR_BLOCKS], model.v[ST_PEAK_IN_USE]);
	check_stats(_metadata, "default", &model, "free_all");
	check_held(_metadata, "default", 0, "free_all");

	/* The pool works again after running out. */
	ASSERT_EQ(0, ctl("alloc %llu", model.v[ST_NR_BLOCKS]))
		TH_LOG("%s", why);
	ASSERT_EQ(0, model_alloc(&model, model.v[ST_NR_BLOCKS]));
	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	model_free(&model, model.v[ST_NR_BLOCKS]);
	check_stats(_metadata, "default", &model, "refill");
	check_pools_row(_metadata, "default", "end");
}

/* Malformed commands are refused with EINVAL and change nothing. */
TEST_F_TIMEOUT(mpool, driver_rejects_bad_commands, TEST_TIMEOUT)
{
	static const char *const bad[] = {
		"\n", "nonsense", "alloc", "alloc x", "alloc -1",
		"alloc 1 2", "free", "free 1", "free_all 1", "free_interior",
		"destroy", "create", "create p 32 0", "create p x 0 10",
		"create p 32 0 10 1", "create p 32 0 10 Q",
		"create p 32 0 10 P U", "destroy_leaking", "alloc_wait",
		"write_after_free", "write_after_free 0", "corrupt_link",
		"overrun 1", "refree", "sleep_in_atomic 1", "soak", "soak 1 1",
		"soak 0 1 1 0", "soak 1 1 0 0", "soak 17 1 1 0", "soak 1 1 1",
		"reset 1",
	};
	struct pool_st model;
	size_t i;
	int ret;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN,
			 FL_NONE);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = ctl("%s", bad[i]);
		EXPECT_EQ(-EINVAL, ret)
			TH_LOG("\"%s\": %d (%s)", bad[i], ret,
			       ret ? strerror(-ret) : "success");
	}
	check_stats(_metadata, "default", &model, "bad commands");
	check_held(_metadata, "default", 0, "bad commands");
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS "/p"));

	/* "free <n>" with fewer held is refused and frees nothing. */
	ASSERT_EQ(0, ctl("alloc 3")) TH_LOG("%s", why);
	model_alloc(&model, 3);
	EXPECT_EQ(-EINVAL, ctl("free 4"));
	check_stats(_metadata, "default", &model, "free 4 of 3");
	check_held(_metadata, "default", 3, "free 4 of 3");

	/* Misuse outside the block, or past a red zone it has not, is refused. */
	EXPECT_EQ(-EINVAL, ctl("write_after_free %llu", DEF_BLOCK_SIZE));
	EXPECT_EQ(-EINVAL, ctl("overrun 1"));
	check_stats(_metadata, "default", &model, "misuse out of bounds");
	check_held(_metadata, "default", 3, "misuse out of bounds");
}

/* 5. A pool of the driver's own: created, used, listed and destroyed. */
TEST_F_TIMEOUT(mpool, own_pool, TEST_TIMEOUT)
{
	static const char *const bad_create[] = {
		"create bad_bs 0 0 10",		/* block_size 0 */
		"create bad_align3 32 3 10",	/* align not a power of two */
		"create bad_align48 32 48 10",	/* align not a power of two */
		"create bad_nr 32 0 0",		/* no blocks */
		/* one character over MPOOL_NAME_MAX */
		"create n_234567890123456789012345678901 32 0 10",
		"create bad/name 32 0 10",	/* not a directory name */
	};
	const char *own = "selftest_pool";
	const char *name31 = "n_23456789012345678901234567890";
	struct pool_st def, mine;
	char dir[256], path[256];
	size_t i;
	int ret;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&def, 4096, DEF_BLOCK_SIZE, DEF_ALIGN,
			 FL_NONE);
	snprintf(dir, sizeof(dir), "%s/%s", MPOOL_DEBUGFS, own);
	stats_path(path, sizeof(path), own);

	/* Blocks held from the default pool are freed at the switch. */
	ASSERT_EQ(0, ctl("alloc 3")) TH_LOG("%s", why);
	model_alloc(&def, 3);

	ASSERT_FALSE(path_exists(dir));
	ASSERT_EQ(0, ctl("create %s 32 16 100", own)) TH_LOG("%s", why);
	model_init(&mine, 32, 16, 100, FL_NONE);
	model_free(&def, 3);
	ASSERT_TRUE(path_exists(path)) TH_LOG("no %s", path);
	check_mode_0444(_metadata, path);
	check_stats_layout(_metadata, own);
	EXPECT_EQ(32ULL, mine.v[ST_STRIDE]);
	check_stats(_metadata, own, &mine, "create");
	check_stats(_metadata, "default", &def, "create");
	check_held(_metadata, own, 0, "create");
	check_pools_row(_metadata, own, "create");
	check_pools_row(_metadata, "default", "create");

	/* Commands now act on the own pool, not on the default one. */
	ASSERT_EQ(0, ctl("alloc 100")) TH_LOG("%s", why);
	model_alloc(&mine, 100);
	EXPECT_EQ(-ENOMEM, ctl("alloc 1"));
	model_alloc(&mine, 1);
	ASSERT_EQ(0, ctl("free 40")) TH_LOG("%s", why);
	model_free(&mine, 40);
	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	model_double_free(&mine);
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_outside")) TH_LOG("%s", why);
	mine.v[ST_INVALID_FREES] += 2;
	check_stats(_metadata, own, &mine, "driving own pool");
	check_stats(_metadata, "default", &def, "driving own pool");
	check_held(_metadata, own, 60, "driving own pool");
	check_pools_row(_metadata, own, "driving own pool");

	/* One pool of its own at a time. */
	ret = ctl("create other_pool 64 0 10");
	EXPECT_EQ(-EBUSY, ret) TH_LOG("second create: %s", why);
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS "/other_pool"));
	check_held(_metadata, own, 60, "second create");

	/* destroy: the directory and the pools line go. */
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	EXPECT_FALSE(path_exists(dir)) TH_LOG("%s left behind", dir);
	check_no_pools_row(_metadata, own, "destroy");
	check_held(_metadata, "default", 0, "destroy");
	check_stats(_metadata, "default", &def, "destroy");
	EXPECT_EQ(-EINVAL, ctl("destroy"));

	/* A name in use is refused with EEXIST, and nothing changes. */
	ret = ctl("create default 64 0 10");
	EXPECT_EQ(-EEXIST, ret) TH_LOG("create default: %s", why);
	check_held(_metadata, "default", 0, "create default");
	check_stats(_metadata, "default", &def, "create default");
	EXPECT_EQ(-EINVAL, ctl("destroy"));

	/* Bad arguments are refused with EINVAL, and nothing changes. */
	for (i = 0; i < ARRAY_SIZE(bad_create); i++) {
		ret = ctl("%s", bad_create[i]);
		EXPECT_EQ(-EINVAL, ret)
			TH_LOG("\"%s\": %d (%s)", bad_create[i], ret,
			       ret ? strerror(-ret) : "success");
		if (!ret)
			ctl("destroy");
		check_held(_metadata, "default", 0, bad_create[i]);
	}
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS "/bad_bs"));
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS "/bad_align3"));
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS "/bad_align48"));
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS "/bad_nr"));
	check_stats(_metadata, "default", &def, "bad create");

	/* The longest name is fine; the same name can come back. */
	ASSERT_EQ(0, ctl("create %s 1 0 1", name31)) TH_LOG("%s", why);
	model_init(&mine, 1, 0, 1, FL_NONE);
	check_stats(_metadata, name31, &mine, "create longest name");
	check_held(_metadata, name31, 0, "create longest name");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 32 16 100", own)) TH_LOG("%s", why);
	model_init(&mine, 32, 16, 100, FL_NONE);
	check_stats(_metadata, own, &mine, "create again");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	EXPECT_FALSE(path_exists(dir)) TH_LOG("%s left behind", dir);
	check_pools_row(_metadata, "default", "end");
}

/* 6. Unloading leaves nothing; mempool_mod cannot go while it is used. */
TEST_F_TIMEOUT(mpool, unload_leaves_nothing, TEST_TIMEOUT)
{
	struct pool_st model;
	int ret;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN,
			 FL_NONE);
	ASSERT_EQ(0, ctl("alloc 5")) TH_LOG("%s", why);
	model_alloc(&model, 5);

	/* In use by the driver: refused, and the pool keeps working. */
	ret = unload_module(MPOOL_MOD);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EAGAIN || ret == -EBUSY)
		TH_LOG("delete_module(%s) with a user: %d (%s)", MPOOL_MOD,
		       ret, ret ? strerror(-ret) : "success");
	ASSERT_TRUE(module_loaded(MPOOL_MOD));
	ASSERT_TRUE(path_exists(MPOOL_DEBUGFS));
	check_stats(_metadata, "default", &model, "refused unload");
	check_held(_metadata, "default", 5, "refused unload");

	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	model_free(&model, 5);
	check_stats(_metadata, "default", &model, "free_all");

	ASSERT_EQ(0, unload_module(TMM_MOD));
	EXPECT_FALSE(module_loaded(TMM_MOD));
	EXPECT_FALSE(path_exists(TMM_DEBUGFS))
		TH_LOG("%s left behind", TMM_DEBUGFS);
	check_stats(_metadata, "default", &model, "driver unloaded");

	ASSERT_EQ(0, unload_module(MPOOL_MOD));
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS))
		TH_LOG("%s left behind", MPOOL_DEBUGFS);
	EXPECT_FALSE(path_exists(MPOOL_SYSFS))
		TH_LOG("%s left behind", MPOOL_SYSFS);

	/* And it loads again, fresh. */
	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN,
			 FL_NONE);
	check_stats(_metadata, "default", &model, "reload");
	ASSERT_EQ(0, unload_module(MPOOL_MOD));
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS));
	EXPECT_FALSE(path_exists(MPOOL_SYSFS));
}

/* The driver's exit gives back what it holds and destroys its own pool. */
TEST_F_TIMEOUT(mpool, driver_exit_releases, TEST_TIMEOUT)
{
	const char *own = "selftest_pool";
	struct pool_st def;
	char dir[256];

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	model_init_param(&def, 4096, DEF_BLOCK_SIZE, DEF_ALIGN,
			 FL_NONE);
	snprintf(dir, sizeof(dir), "%s/%s", MPOOL_DEBUGFS, own);

	/* Blocks of the default pool, still held at unload. */
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 7")) TH_LOG("%s", why);
	model_alloc(&def, 7);
	check_stats(_metadata, "default", &def, "alloc 7");
	ASSERT_EQ(0, unload_module(TMM_MOD));
	model_free(&def, 7);
	check_stats(_metadata, "default", &def, "driver unloaded");

	/* An own pool, with blocks held, at unload. */
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 32 16 100", own)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 5")) TH_LOG("%s", why);
	ASSERT_TRUE(path_exists(dir));
	ASSERT_EQ(0, unload_module(TMM_MOD));
	EXPECT_FALSE(path_exists(dir)) TH_LOG("%s left behind", dir);
	check_no_pools_row(_metadata, own, "driver unloaded");
	check_stats(_metadata, "default", &def, "own pool gone");
	check_pools_row(_metadata, "default", "own pool gone");
}

/* A pool its creator never destroyed is named and freed at unload. */
TEST_F_TIMEOUT(mpool, forgotten_pool_reported_at_unload, TEST_TIMEOUT)
{
	const char *own = "selftest_forgotten";
	char *before, *after, last[512], dir[256];
	int nr, nr_named;

	snprintf(dir, sizeof(dir), "%s/%s", MPOOL_DEBUGFS, own);
	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 32 16 100", own)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("forget")) TH_LOG("%s", why);
	ASSERT_EQ(0, unload_module(TMM_MOD));
	EXPECT_TRUE(path_exists(dir))
		TH_LOG("%s went away, but nobody destroyed the pool", dir);

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, unload_module(MPOOL_MOD));
	after = klog_read();
	ASSERT_NE(NULL, after) TH_LOG("%s", why);
	EXPECT_FALSE(path_exists(MPOOL_DEBUGFS))
		TH_LOG("%s left behind", MPOOL_DEBUGFS);

	nr = klog_find(klog_since(before, after), own, last, sizeof(last),
		       &nr_named);
	EXPECT_EQ(1, nr_named)
		TH_LOG("%d of %d new \"%s: \" lines name %s, want one",
		       nr_named, nr, MPOOL_MOD, own);
	EXPECT_NE(NULL, strstr(last, "never destroyed"))
		TH_LOG("last log line \"%s\" does not say the pool was never destroyed",
		       last);
	free(before);
	free(after);
}

/* ======================================================================= */
/* 7. Debug flags: who holds what, and what is reported when pools die. */

/*
 * Allocate every block the pool can still hand out, check that one more
 * is refused, free them all: after a corruption, the pool must neither
 * lose a good block nor hand out a quarantined one.
 */
static void check_pool_still_works(struct __test_metadata *_metadata,
				   const char *pool, struct pool_st *model)
{
	__u64 n = model_nr_free(model);

	ASSERT_EQ(0, ctl("alloc %llu", n)) TH_LOG("%s", why);
	ASSERT_EQ(0, model_alloc(model, n));
	EXPECT_EQ(-ENOMEM, ctl("alloc 1"))
		TH_LOG("pool %s handed out more than its %llu good blocks",
		       pool, n);
	model_alloc(model, 1);
	check_stats(_metadata, pool, model, "every good block allocated");
	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	model_free(model, model->v[ST_IN_USE]);
	check_stats(_metadata, pool, model, "every block freed");
	check_pools_row(_metadata, pool, "every block freed");
}

/* "create": our own pool, and its model. */
static void create_own(struct __test_metadata *_metadata, const char *name,
		       __u64 block_size, __u64 nr_blocks, __u64 flags,
		       struct pool_st *model)
{
	char letters[8];

	ASSERT_EQ(0, ctl("create %s %llu 0 %llu %s", name, block_size,
			 nr_blocks, flags_str(flags, letters)))
		TH_LOG("%s", why);
	model_init(model, block_size, 0, nr_blocks, flags);
	check_stats(_metadata, name, model, "create");
}

/*
 * A pool of 7 blocks: too few to share among 4 CPUs, so it has no per-CPU
 * caches, and the block freed last is the next one handed out, on
 * whichever CPU the next command runs.
 */
#define UNCACHED_NR_BLOCKS	7

static void create_own_uncached(struct __test_metadata *_metadata,
				const char *name, __u64 block_size,
				__u64 flags, struct pool_st *model)
{
	struct pool_st st;

	create_own(_metadata, name, block_size, UNCACHED_NR_BLOCKS, flags,
		   model);
	ASSERT_EQ(0, read_stats(name, &st)) TH_LOG("%s", why);
	ASSERT_EQ(0ULL, st.v[ST_CACHE_SIZE]) TH_LOG("%s has caches", name);
}

/* The two call sites of the driver that allocate, and one that frees. */
#define TMM_ALLOC_FN		"tmm_cmd_alloc"
#define TMM_ALLOC_WAIT_FN	"tmm_cmd_alloc_wait"
/* What frees the blocks write_after_free and corrupt_link misuse. */
#define TMM_MISUSE_FREE_FN	"tmm_free_to_misuse"

/* The allocations file lists blocks by caller, most first, live. */
TEST_F_TIMEOUT(mpool, allocations_by_caller, TEST_TIMEOUT)
{
	const __u64 nr_plain = 3, nr_wait = 5;
	const char *own = "selftest_track";
	struct caller_line lines[8];
	char path[256];
	int nr;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);

	/* Without U there is nothing to list. */
	allocations_path(path, sizeof(path), "default");
	EXPECT_FALSE(path_exists(path)) TH_LOG("%s exists", path);
	ASSERT_EQ(0, ctl("create selftest_pz 32 0 16 PZ")) TH_LOG("%s", why);
	allocations_path(path, sizeof(path), "selftest_pz");
	EXPECT_FALSE(path_exists(path)) TH_LOG("%s exists", path);
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);

	ASSERT_EQ(0, ctl("create %s 32 0 64 U", own)) TH_LOG("%s", why);
	allocations_path(path, sizeof(path), own);
	check_mode_0444(_metadata, path);
	nr = read_allocations(own, lines, ARRAY_SIZE(lines));
	EXPECT_EQ(0, nr) TH_LOG("%s", nr < 0 ? why : "caller lines in a new pool");

	/* The smaller group first, so that "most first" is not "first seen". */
	ASSERT_EQ(0, ctl("alloc %llu", nr_plain)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc_wait %llu", nr_wait)) TH_LOG("%s", why);
	nr = read_allocations(own, lines, ARRAY_SIZE(lines));
	ASSERT_EQ(2, nr) TH_LOG("%s", nr < 0 ? why : "want two callers");
	EXPECT_EQ(nr_wait, lines[0].blocks);
	EXPECT_TRUE(is_caller(lines[0].caller, TMM_ALLOC_WAIT_FN))
		TH_LOG("first caller \"%s\", want %s", lines[0].caller,
		       TMM_ALLOC_WAIT_FN);
	EXPECT_EQ(nr_plain, lines[1].blocks);
	EXPECT_TRUE(is_caller(lines[1].caller, TMM_ALLOC_FN))
		TH_LOG("second caller \"%s\", want %s", lines[1].caller,
		       TMM_ALLOC_FN);

	/* "free <n>" frees the blocks held last: alloc_wait's. */
	ASSERT_EQ(0, ctl("free %llu", nr_wait)) TH_LOG("%s", why);
	nr = read_allocations(own, lines, ARRAY_SIZE(lines));
	ASSERT_EQ(1, nr) TH_LOG("%s", nr < 0 ? why : "want one caller");
	EXPECT_EQ(nr_plain, lines[0].blocks);
	EXPECT_TRUE(is_caller(lines[0].caller, TMM_ALLOC_FN))
		TH_LOG("caller \"%s\", want %s", lines[0].caller, TMM_ALLOC_FN);

	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	nr = read_allocations(own, lines, ARRAY_SIZE(lines));
	EXPECT_EQ(0, nr) TH_LOG("%s", nr < 0 ? why : "callers after free_all");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
}

/* A pool destroyed with blocks in use says how many, and who took them. */
TEST_F_TIMEOUT(mpool, leak_report_names_callers, TEST_TIMEOUT)
{
	const __u64 nr_blocks = 64, nr_plain = 2, nr_wait = 4;
	const char *own = "selftest_leak";
	char *before, *log, first[512], head[128], plain[128], wait[128];
	const char *at_wait, *at_plain;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 32 0 %llu U", own, nr_blocks))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc %llu", nr_plain)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc_wait %llu", nr_wait)) TH_LOG("%s", why);

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("destroy_leaking")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	check_held(_metadata, "default", 0, "destroy_leaking");
	check_no_pools_row(_metadata, own, "destroy_leaking");

	snprintf(head, sizeof(head), "pool %s destroyed with %llu of %llu blocks still in use",
		 own, nr_plain + nr_wait, nr_blocks);
	EXPECT_EQ(1, klog_count(log, (const char *[]){ head, NULL }, first,
				sizeof(first)))
		TH_LOG("want one \"%s\" line", head);
	snprintf(wait, sizeof(wait), "pool %s: %llu blocks allocated by " TMM_ALLOC_WAIT_FN "+",
		 own, nr_wait);
	snprintf(plain, sizeof(plain), "pool %s: %llu blocks allocated by " TMM_ALLOC_FN "+",
		 own, nr_plain);
	EXPECT_EQ(1, klog_count(log, (const char *[]){ wait, NULL }, first,
				sizeof(first)))
		TH_LOG("want one \"%s\" line", wait);
	EXPECT_EQ(1, klog_count(log, (const char *[]){ plain, NULL }, first,
				sizeof(first)))
		TH_LOG("want one \"%s\" line", plain);
	/* The top callers: most blocks first. */
	at_wait = strstr(log, wait);
	at_plain = strstr(log, plain);
	EXPECT_TRUE(at_wait && at_plain && at_wait < at_plain)
		TH_LOG("the caller of %llu blocks is not named before the one of %llu",
		       nr_wait, nr_plain);
	free(before);
	free(log);
}

/* debug= at run time: new pools get it, old ones keep theirs. */
TEST_F_TIMEOUT(mpool, debug_param_at_run_time, TEST_TIMEOUT)
{
	const char *own = "selftest_debug";
	struct pool_st def, mine;
	char buf[64];

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096 debug=U"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&def, 4096, DEF_BLOCK_SIZE, DEF_ALIGN, FL_U);
	check_stats(_metadata, "default", &def, "load with debug=U");

	ASSERT_EQ(0, write_text(MPOOL_DEBUG_PARAM, "zp\n")) TH_LOG("%s", why);
	ASSERT_LE(0, read_text(MPOOL_DEBUG_PARAM, buf, sizeof(buf)))
		TH_LOG("%s", why);
	EXPECT_STREQ("PZ\n", buf) TH_LOG("after writing \"zp\"");
	check_stats(_metadata, "default", &def, "debug=zp at run time");

	/* Ored into the flags the creator asks for. */
	ASSERT_EQ(0, ctl("create %s 40 0 16 U", own)) TH_LOG("%s", why);
	model_init(&mine, 40, 0, 16, FL_P | FL_Z | FL_U);
	check_stats(_metadata, own, &mine, "created under debug=PZ");
	check_pools_row(_metadata, own, "created under debug=PZ");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);

	/* A bad value is refused and changes nothing. */
	EXPECT_EQ(-EINVAL, write_text(MPOOL_DEBUG_PARAM, "X\n"));
	EXPECT_EQ(-EINVAL, write_text(MPOOL_DEBUG_PARAM, "P-\n"));
	ASSERT_LE(0, read_text(MPOOL_DEBUG_PARAM, buf, sizeof(buf)))
		TH_LOG("%s", why);
	EXPECT_STREQ("PZ\n", buf) TH_LOG("after bad writes");

	ASSERT_EQ(0, write_text(MPOOL_DEBUG_PARAM, "-\n")) TH_LOG("%s", why);
	ASSERT_LE(0, read_text(MPOOL_DEBUG_PARAM, buf, sizeof(buf)))
		TH_LOG("%s", why);
	EXPECT_STREQ("-\n", buf) TH_LOG("after writing \"-\"");
	ASSERT_EQ(0, ctl("create %s 40 0 16", own)) TH_LOG("%s", why);
	model_init(&mine, 40, 0, 16, FL_NONE);
	check_stats(_metadata, own, &mine, "created under debug=-");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	check_stats(_metadata, "default", &def, "end");
}

/* One file of a fail_alloc fault attribute, and what to write to it. */
struct fail_setting {
	const char *file;
	const char *value;
};

/*
 * Load the pool and the driver, create @own (16 blocks of 32 bytes), and
 * write @settings to its fail_alloc files, in order.  False, with nothing
 * written, where the kernel has no CONFIG_FAULT_INJECTION_DEBUG_FS.
 */
static bool arm_fail_alloc(struct __test_metadata *_metadata, const char *own,
			   struct pool_st *model,
			   const struct fail_setting *settings, size_t nr)
{
	char dir[256], path[320];
	size_t i;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	create_own(_metadata, own, 32, 16, FL_NONE, model);
	snprintf(dir, sizeof(dir), "%s/%s/fail_alloc", MPOOL_DEBUGFS, own);
	if (!path_exists(dir))
		return false;
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, settings[i].file);
		ASSERT_EQ(0, write_text(path, settings[i].value))
			TH_LOG("%s: %s", path, why);
	}
	return true;
}

/* fail_alloc fails the next allocations, whatever their gfp, then stops. */
TEST_F_TIMEOUT(mpool, fail_alloc_injection, TEST_TIMEOUT)
{
	/* verbose first: a stack dump would look like a splat on the console. */
	static const struct fail_setting settings[] = {
		{ "verbose", "0\n" },
		{ "times", "3\n" },
		{ "probability", "100\n" },
	};
	const char *own = "selftest_fail";
	struct pool_st model;

	/* The harness's SKIP line has no test name: the reason gives it. */
	if (!arm_fail_alloc(_metadata, own, &model, settings,
			    ARRAY_SIZE(settings)))
		SKIP(return, "fail_alloc_injection: no fault injection");

	/* GFP_KERNEL fails too, rather than wait for a block that is there. */
	EXPECT_EQ(-ENOMEM, ctl("alloc 1")) TH_LOG("first alloc");
	EXPECT_EQ(-ENOMEM, ctl("alloc_wait 1")) TH_LOG("second alloc (GFP_KERNEL)");
	EXPECT_EQ(-ENOMEM, ctl("alloc 1")) TH_LOG("third alloc");
	model.v[ST_ALLOC_FAILURES] += 3;
	check_stats(_metadata, own, &model, "three injected failures");
	check_held(_metadata, own, 0, "three injected failures");

	ASSERT_EQ(0, ctl("alloc 1")) TH_LOG("fourth alloc: %s", why);
	model_alloc(&model, 1);
	check_stats(_metadata, own, &model, "fourth alloc");
	check_pool_still_works(_metadata, own, &model);
}

/*
 * A verbose, rate-limited fail_alloc, as a consumer would set it: the
 * failure is reported, and lockdep stays quiet about the ratelimit's lock.
 */
TEST_F_TIMEOUT(mpool, fail_alloc_verbose_ratelimited, TEST_TIMEOUT)
{
	/* verbose=1: one line per failure, no stack dump; rate-limited. */
	static const struct fail_setting settings[] = {
		{ "verbose_ratelimit_interval_ms", "1000\n" },
		{ "verbose", "1\n" },
		{ "times", "1\n" },
		{ "probability", "100\n" },
	};
	static const char forced[] = "FAULT_INJECTION: forcing a failure";
	const char *own = "selftest_fail_verbose";
	struct pool_st model;
	char *before, *log;

	if (!arm_fail_alloc(_metadata, own, &model, settings,
			    ARRAY_SIZE(settings)))
		SKIP(return, "fail_alloc_verbose_ratelimited: no fault injection");

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	EXPECT_EQ(-ENOMEM, ctl("alloc 1")) TH_LOG("the injected failure");
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	EXPECT_NE(NULL, strstr(log, forced)) TH_LOG("no \"%s\" in the log", forced);
	EXPECT_EQ(NULL, strstr(log, "non-static key"))
		TH_LOG("lockdep complained about the fault attribute's lock");
	free(log);
	free(before);
	model.v[ST_ALLOC_FAILURES] += 1;
	check_stats(_metadata, own, &model, "one verbose injected failure");
	check_pool_still_works(_metadata, own, &model);
}

/* A GFP_KERNEL alloc in atomic context is reported, even if it need not sleep. */
TEST_F_TIMEOUT(mpool, sleep_in_atomic_reported, TEST_TIMEOUT)
{
	static const char begins[] = TMM_MOD ": expected splat begins";
	static const char ends[] = TMM_MOD ": expected splat ends";
	static const char bug[] = "BUG: sleeping function called from invalid context";
	const char *from, *to;
	struct pool_st model;
	char *before, *log;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN, FL_NONE);

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("sleep_in_atomic")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);

	from = strstr(log, begins);
	to = from ? strstr(from, ends) : NULL;
	ASSERT_TRUE(from && to) TH_LOG("no \"%s\" ... \"%s\" in the log", begins, ends);
	EXPECT_EQ(NULL, strstr(to + 1, begins)) TH_LOG("markers twice");
	EXPECT_NE(NULL, memmem(from, to - from, bug, strlen(bug)))
		TH_LOG("no \"%s\" between the markers", bug);
	/* Its stack trace, at least, names the function that may sleep. */
	EXPECT_NE(NULL, memmem(from, to - from, "mpool_alloc+", 12))
		TH_LOG("the report between the markers does not name mpool_alloc");

	model_alloc(&model, 1);
	model_free(&model, 1);
	check_stats(_metadata, "default", &model, "sleep_in_atomic");
	free(before);
	free(log);
}

/* ======================================================================= */
/* 8. Corruption by a consumer: reported, counted, and survived. */

FIXTURE(corruption) {
	int unused;
};

/* With U, the reports also name who last allocated or freed the block. */
FIXTURE_VARIANT(corruption) {
	__u64 track;
};

FIXTURE_VARIANT_ADD(corruption, untracked) {
	.track = FL_NONE,
};

FIXTURE_VARIANT_ADD(corruption, tracked) {
	.track = FL_U,
};

/* Pools of their own: they share the modules (see shared_modules()). */
FIXTURE_SETUP(corruption)
{
	shared_modules(_metadata);
}

/* The next test's setup resets the driver, the program's end unloads. */
FIXTURE_TEARDOWN(corruption)
{
}

/*
 * Check that @log has exactly one line with all of @words (up to NULL)
 * and, if @track_fn, one naming @track_fn as who @track_what ("allocated"
 * or "last freed") block @index of @pool.
 */
static void check_report(struct __test_metadata *_metadata, const char *log,
			 const char *const *words, const char *pool,
			 __u64 index, const char *track_what,
			 const char *track_fn)
{
	char first[512], who[160], all[512] = "";
	const char *const *word;
	int nr;

	for (word = words; *word; word++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all),
			 " \"%s\"", *word);
	nr = klog_count(log, words, first, sizeof(first));
	EXPECT_EQ(1, nr) TH_LOG("want one log line with%s", all);
	if (!track_fn)
		return;
	snprintf(who, sizeof(who), "pool %s: block %llu %s by %s+", pool,
		 index, track_what, track_fn);
	nr = klog_count(log, (const char *[]){ who, NULL }, first,
			sizeof(first));
	EXPECT_EQ(1, nr) TH_LOG("want one log line with \"%s\"", who);
}

/*
 * Free again the block the driver misused, now quarantined: refused and
 * counted as a double free, named in the log, and nothing else changes.
 */
static void check_refree_refused(struct __test_metadata *_metadata,
				 const char *pool, __u64 index,
				 struct pool_st *model)
{
	char *before, *log, head[64], block[64];

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("refree")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	model->v[ST_DOUBLE_FREES]++;
	check_stats(_metadata, pool, model, "free of a quarantined block");

	snprintf(head, sizeof(head), "pool %s: refused free of", pool);
	snprintf(block, sizeof(block), "(block %llu + 0) from tmm_cmd_refree+",
		 index);
	check_report(_metadata, log, (const char *[]){ head, block, NULL },
		     pool, index, NULL, NULL);
	free(before);
	free(log);
}

/* A write after free on a P pool: found at the next alloc, quarantined. */
TEST_F_TIMEOUT(corruption, write_after_free, TEST_TIMEOUT)
{
	const __u64 block_size = 40, offset = 5, nr_held = 2;
	const char *own = "selftest_waf";
	char *before, *log, head[64], block[64], where[32];
	struct pool_st model;

	create_own_uncached(_metadata, own, block_size, FL_P | variant->track,
			    &model);
	/* Blocks 0 and 1; the write hits the one freed last, block 1. */
	ASSERT_EQ(0, ctl("alloc %llu", nr_held)) TH_LOG("%s", why);
	model_alloc(&model, nr_held);
	ASSERT_EQ(0, ctl("write_after_free %llu", offset)) TH_LOG("%s", why);
	model_free(&model, 1);
	check_stats(_metadata, own, &model, "write after free");

	/* The freed block is next in line: found, quarantined, replaced. */
	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 1")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	model_quarantine(&model, ST_POISON_ERRORS);
	model_alloc(&model, 1);
	check_stats(_metadata, own, &model, "alloc after the write");
	check_pools_row(_metadata, own, "alloc after the write");

	snprintf(head, sizeof(head), "pool %s:", own);
	snprintf(block, sizeof(block), "write after free in block %llu",
		 nr_held - 1);
	snprintf(where, sizeof(where), "offset %llu", offset);
	check_report(_metadata, log, (const char *[]){ head, block, where, NULL },
		     own, nr_held - 1, "last freed",
		     variant->track ? TMM_MISUSE_FREE_FN : NULL);
	free(before);
	free(log);

	check_refree_refused(_metadata, own, nr_held - 1, &model);
	check_pool_still_works(_metadata, own, &model);
}

/* The last free block written after free: the alloc fails, no bad block. */
TEST_F_TIMEOUT(corruption, write_after_free_last_block, TEST_TIMEOUT)
{
	const __u64 nr_blocks = 2;
	const char *own = "selftest_waf_last";
	struct pool_st model;

	create_own(_metadata, own, 40, nr_blocks, FL_P | variant->track,
		   &model);
	ASSERT_EQ(0, ctl("alloc %llu", nr_blocks)) TH_LOG("%s", why);
	model_alloc(&model, nr_blocks);
	ASSERT_EQ(0, ctl("write_after_free 0")) TH_LOG("%s", why);
	model_free(&model, 1);

	/* GFP_NOWAIT: nothing else to hand out. */
	EXPECT_EQ(-ENOMEM, ctl("alloc 1"))
		TH_LOG("a block written after free was handed out");
	model_quarantine(&model, ST_POISON_ERRORS);
	model_alloc(&model, 1);
	check_stats(_metadata, own, &model, "alloc of the bad last block");

	check_refree_refused(_metadata, own, nr_blocks - 1, &model);
	check_pool_still_works(_metadata, own, &model);
}

/* An overrun on a Z pool: found at free, counted, the block taken back. */
TEST_F_TIMEOUT(corruption, overrun, TEST_TIMEOUT)
{
	const __u64 block_size = 36, nr_held = 3, nr_bytes = 3;
	const char *own = "selftest_overrun";
	char *before, *log, head[64], block[64], where[32];
	struct pool_st model;

	create_own_uncached(_metadata, own, block_size, FL_Z | variant->track,
			    &model);
	ASSERT_LE(nr_bytes, model.v[ST_REDZONE_BYTES]);
	ASSERT_EQ(0, ctl("alloc %llu", nr_held)) TH_LOG("%s", why);
	model_alloc(&model, nr_held);
	/* Past the end of the block held last, block 2. */
	ASSERT_EQ(0, ctl("overrun %llu", nr_bytes)) TH_LOG("%s", why);
	check_stats(_metadata, own, &model, "overrun");

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free 1")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	model_free(&model, 1);
	model.v[ST_REDZONE_ERRORS]++;
	check_stats(_metadata, own, &model, "free after the overrun");
	check_pools_row(_metadata, own, "free after the overrun");

	/* The first changed byte is the first one past the usable size. */
	snprintf(head, sizeof(head), "pool %s:", own);
	snprintf(block, sizeof(block), "overrun of block %llu", nr_held - 1);
	snprintf(where, sizeof(where), "offset %llu", block_size);
	check_report(_metadata, log, (const char *[]){ head, block, where, NULL },
		     own, nr_held - 1, "allocated",
		     variant->track ? TMM_ALLOC_FN : NULL);
	free(before);
	free(log);

	check_pool_still_works(_metadata, own, &model);
}

/* A broken free-list link on a plain pool: not followed, list rebuilt. */
TEST_F_TIMEOUT(corruption, corrupt_link, TEST_TIMEOUT)
{
	const __u64 nr_carved = 4;
	const char *own = "selftest_link";
	char *before, *log, head[64], block[64], rebuilt[64];
	struct pool_st model;

	/* Every free reaches the depot's list, where the links are. */
	create_own_uncached(_metadata, own, 64, FL_NONE | variant->track,
			    &model);
	/* Carve blocks 0..3 and free 3, 2, 1, then block 0, broken, last. */
	ASSERT_EQ(0, ctl("alloc %llu", nr_carved)) TH_LOG("%s", why);
	model_alloc(&model, nr_carved);
	ASSERT_EQ(0, ctl("free %llu", nr_carved - 1)) TH_LOG("%s", why);
	model_free(&model, nr_carved - 1);
	ASSERT_EQ(0, ctl("corrupt_link")) TH_LOG("%s", why);
	model_free(&model, 1);
	check_stats(_metadata, own, &model, "corrupt link");

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 1")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	model_quarantine(&model, ST_FREELIST_ERRORS);
	model_alloc(&model, 1);
	check_stats(_metadata, own, &model, "alloc after the corruption");
	check_pools_row(_metadata, own, "alloc after the corruption");

	/* Rebuilt from every carved block but the quarantined one. */
	snprintf(head, sizeof(head), "pool %s:", own);
	snprintf(block, sizeof(block), "corrupt free-list link in block 0");
	snprintf(rebuilt, sizeof(rebuilt), "rebuilt with %llu blocks",
		 nr_carved - 1);
	check_report(_metadata, log,
		     (const char *[]){ head, block, "offset 0", rebuilt, NULL },
		     own, 0, "last freed",
		     variant->track ? TMM_MISUSE_FREE_FN : NULL);
	free(before);
	free(log);

	check_refree_refused(_metadata, own, 0, &model);
	check_pool_still_works(_metadata, own, &model);
}

/* A double free on a P and Z pool: refused before any check touches it. */
TEST_F_TIMEOUT(corruption, double_free, TEST_TIMEOUT)
{
	const __u64 nr_held = 2;
	const char *own = "selftest_df";
	char *before, *log, head[64], block[64];
	struct pool_st model;

	/*
	 * No caches: with them, the commands' allocs may run on two CPUs
	 * and take blocks from two CPUs' caches, in no fixed order.
	 */
	create_own_uncached(_metadata, own, 40, FL_P | FL_Z | variant->track,
			    &model);
	ASSERT_EQ(0, ctl("alloc %llu", nr_held)) TH_LOG("%s", why);
	model_alloc(&model, nr_held);

	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);
	/* Its block is the next one carved, block 2. */
	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	model_double_free(&model);
	check_stats(_metadata, own, &model, "double free");
	check_pools_row(_metadata, own, "double free");

	snprintf(head, sizeof(head), "pool %s: refused free of", own);
	snprintf(block, sizeof(block), "(block %llu + 0) from tmm_cmd_double_free+",
		 nr_held);
	check_report(_metadata, log,
		     (const char *[]){ head, block, "double free", NULL },
		     own, nr_held, NULL, NULL);
	free(before);
	free(log);

	check_pool_still_works(_metadata, own, &model);
}

/* ======================================================================= */
/* 9. Soak: every CPU allocates and frees at once; nothing is lost or shared. */

/* The ops of a soak, unless $MPOOL_SOAK_OPS says otherwise. */
#define SOAK_OPS		2000000ULL
/* Fewer would test nothing: every thread does some hundreds at least. */
#define SOAK_OPS_MIN		10000ULL
#define SOAK_THREADS_PER_CPU	3
#define SOAK_MAX_HELD		32
#define SOAK_BLOCK_SIZE		100	/* not a multiple of 8: a partial tail */
/*
 * A hang guard, not a measure: the default soak once took over 100 s on
 * the slowest guest.  The harness's timeout is fixed when it is built: a
 * soak much longer than the default needs a larger one.
 */
#define SOAK_TIMEOUT		480
/*
 * How many threads allocate and free at any moment, unless
 * $MPOOL_SOAK_MAX_RUNNING says otherwise (0: all of them).  make check
 * runs 4 vCPUs on 2 host cores: with more than 2 vCPUs spinning on the
 * pool's lock, each handoff waits for the host to schedule the next
 * owner, and 2M ops take many minutes instead of seconds.  Threads on
 * every CPU still take turns, so every pair of CPUs meets.
 */
#define SOAK_MAX_RUNNING	2

static unsigned long soak_max_running(void)
{
	const char *env = getenv("MPOOL_SOAK_MAX_RUNNING");

	return env && *env ? strtoul(env, NULL, 10) : SOAK_MAX_RUNNING;
}

/* $MPOOL_SOAK_OPS, or SOAK_OPS; 0 if it is not a number of SOAK_OPS_MIN or more. */
static __u64 soak_ops(void)
{
	const char *env = getenv("MPOOL_SOAK_OPS");
	__u64 ops;

	if (!env || !*env)
		return SOAK_OPS;
	return !parse_ull(env, &ops) && ops >= SOAK_OPS_MIN ? ops : 0;
}

FIXTURE(soak) {
	int unused;
};

FIXTURE_VARIANT(soak) {
	__u64 flags;
};

FIXTURE_VARIANT_ADD(soak, plain) {
	.flags = FL_NONE,
};

FIXTURE_VARIANT_ADD(soak, PZU) {
	.flags = FL_P | FL_Z | FL_U,
};

FIXTURE_SETUP(soak)
{
	shared_modules(_metadata);
}

FIXTURE_TEARDOWN(soak)
{
}

/* With U: the allocations file accounts for every block in use. */
static void check_allocations_total(struct __test_metadata *_metadata,
				    const char *pool, __u64 in_use)
{
	struct caller_line lines[64];
	__u64 total = 0;
	int nr, i;

	nr = read_allocations(pool, lines, ARRAY_SIZE(lines));
	ASSERT_LE(0, nr) TH_LOG("%s", why);
	for (i = 0; i < nr; i++)
		total += lines[i].blocks;
	EXPECT_EQ(in_use, total) TH_LOG("blocks in %s's allocations file", pool);
}

/* Two million ops by default; $MPOOL_SOAK_OPS for another size. */
TEST_F_TIMEOUT(soak, two_million_ops, SOAK_TIMEOUT)
{
	const char *own = "selftest_soak";
	__u64 nr_cpus, nr_threads, ops, ops_per_thread, nr_blocks;
	struct soak_result res;
	struct pool_st st;
	char letters[8];
	double t0, secs;

	ops = soak_ops();
	ASSERT_NE(0ULL, ops)
		TH_LOG("MPOOL_SOAK_OPS=%s: want a number of %llu or more",
		       getenv("MPOOL_SOAK_OPS"), SOAK_OPS_MIN);
	nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ASSERT_LT(0ULL, nr_cpus);
	nr_threads = SOAK_THREADS_PER_CPU * nr_cpus;
	ops_per_thread = (ops + nr_threads - 1) / nr_threads;
	/* Room for all the blocks all threads may hold, and no more. */
	nr_blocks = nr_threads * SOAK_MAX_HELD;

	ASSERT_EQ(0, ctl("create %s %d 0 %llu %s", own, SOAK_BLOCK_SIZE,
			 nr_blocks, flags_str(variant->flags, letters)))
		TH_LOG("%s", why);

	t0 = now_s();
	ASSERT_EQ(0, ctl("soak %d %llu %d %lu", SOAK_THREADS_PER_CPU,
			 ops_per_thread, SOAK_MAX_HELD, soak_max_running()))
		TH_LOG("%s", why);
	secs = now_s() - t0;
	ASSERT_EQ(0, read_soak(&res)) TH_LOG("%s", why);
	ksft_print_msg("soak, %s pool: %llu ops, %llu threads, %llu CPUs, %lu at once: %.1f s\n",
		       letters, res.ops, res.threads, nr_cpus,
		       soak_max_running(), secs);

	/* What the driver saw. */
	EXPECT_EQ(nr_threads, res.threads);
	EXPECT_LE(ops, res.ops);
	EXPECT_LE(nr_threads * ops_per_thread, res.ops);
	EXPECT_EQ(res.ops, res.allocs + res.frees + res.alloc_failures);
	EXPECT_EQ(0ULL, res.corruptions);
	/* The pool never runs out: no atomic alloc has reason to fail. */
	EXPECT_EQ(0ULL, res.alloc_failures);
	/* Every thread ends holding a block or more. */
	EXPECT_LE(nr_threads, res.held);
	check_held(_metadata, own, res.held, "after the soak");

	/* What the pool saw: the same, and consistent with itself. */
	ASSERT_EQ(0, read_stats(own, &st)) TH_LOG("%s", why);
	EXPECT_EQ(res.allocs, st.v[ST_ALLOCS]);
	EXPECT_EQ(res.frees, st.v[ST_FREES]);
	EXPECT_EQ(res.alloc_failures, st.v[ST_ALLOC_FAILURES]);
	EXPECT_EQ(st.v[ST_IN_USE], st.v[ST_ALLOCS] - st.v[ST_FREES]);
	EXPECT_EQ(res.held, st.v[ST_IN_USE]);
	EXPECT_LE(st.v[ST_PEAK_IN_USE], nr_blocks);
	EXPECT_EQ(0ULL, st.v[ST_INVALID_FREES]);
	EXPECT_EQ(0ULL, st.v[ST_DOUBLE_FREES]);
	EXPECT_EQ(0ULL, st.v[ST_POISON_ERRORS]);
	EXPECT_EQ(0ULL, st.v[ST_REDZONE_ERRORS]);
	EXPECT_EQ(0ULL, st.v[ST_FREELIST_ERRORS]);
	EXPECT_EQ(0ULL, st.v[ST_QUARANTINED]);
	if (variant->flags & FL_U)
		check_allocations_total(_metadata, own, st.v[ST_IN_USE]);

	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	ASSERT_EQ(0, read_stats(own, &st)) TH_LOG("%s", why);
	EXPECT_EQ(0ULL, st.v[ST_IN_USE]);
	EXPECT_EQ(st.v[ST_ALLOCS], st.v[ST_FREES]);
	EXPECT_EQ(res.frees + res.held, st.v[ST_FREES]);
	check_held(_metadata, own, 0, "free_all");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
}

TEST_HARNESS_MAIN
