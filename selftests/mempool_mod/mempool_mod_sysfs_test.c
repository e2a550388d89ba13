// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_mod_sysfs_test - kselftest for mempool_mod's sysfs files.
 *
 * Issue 12's spec: one directory per pool under /sys/kernel/mempool_mod/,
 * made at mpool_create() and gone at mpool_destroy(), holding one file per
 * key of the pool's debugfs stats, each of mode 0444 with one value and a
 * newline, equal to that key of <pool>/stats; /sys/kernel/mempool_mod/
 * itself exists while the module is loaded.  A read of a pool's file
 * while the pool is destroyed fails with ENODEV, or ENOENT once the file
 * is gone, and never upsets the kernel.
 *
 * Each pool the tests create is checked after known activity, read while
 * it is idle: the default pool under several parameters, and pools of the
 * test driver's own with each mix of flags.
 *
 * Must run as root; needs debugfs (mounted here if it is not).
 */

#include "mpool_selftest.h"

#include <sys/mman.h>
#include <sys/wait.h>

/* The names of the entries of @dir but "." and "..", space-separated. */
static int list_dir(const char *dir, char *names, size_t size)
{
	struct dirent *de;
	size_t len = 0;
	DIR *d;

	names[0] = '\0';
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		len += snprintf(names + len, len < size ? size - len : 0,
				"%s%s", len ? " " : "", de->d_name);
	}
	closedir(d);
	return 0;
}

/* Whether the sysfs directory of @pool exists: 0, or -errno of lstat(). */
static int pool_dir_state(const char *pool)
{
	char path[256];
	struct stat st;

	sysfs_path(path, sizeof(path), pool, NULL);
	if (lstat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Read one sysfs file's text exactly, into @buf. */
static int read_sysfs_text(const char *pool, const char *file, char *buf,
			   size_t size)
{
	char path[256];

	sysfs_path(path, sizeof(path), pool, file);
	return read_text(path, buf, size) < 0 ? -1 : 0;
}

/*
 * Drive the target pool through known activity, every counter with a
 * command moved, the pool idle at the end with @hold blocks held:
 * run it dry and one more (a failure), two refused frees, a double free,
 * with Z an overrun, with P a write after free found by the next alloc.
 * @nr_blocks is the pool's, @flags its debug flags.
 */
static void drive(struct __test_metadata *_metadata, const char *pool,
		  __u64 nr_blocks, __u64 flags)
{
	struct pool_st st;

	ASSERT_EQ(-ENOMEM, ctl("alloc %llu", nr_blocks + 1))
		TH_LOG("%s: want the last alloc to fail", pool);
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_outside")) TH_LOG("%s", why);
	if (flags & FL_Z)
		ASSERT_EQ(0, ctl("overrun 1")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free 1")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	if (flags & FL_P) {
		/* The one free block, so the next alloc finds the write. */
		ASSERT_EQ(0, ctl("write_after_free 0")) TH_LOG("%s", why);
		EXPECT_EQ(-ENOMEM, ctl("alloc 2"));
	}

	ASSERT_EQ(0, read_stats(pool, &st)) TH_LOG("%s", why);
	EXPECT_LT(nr_blocks, st.v[ST_ALLOCS]);
	EXPECT_LT(0ULL, st.v[ST_FREES]);
	EXPECT_LE(1ULL, st.v[ST_ALLOC_FAILURES]);
	EXPECT_EQ(2ULL, st.v[ST_INVALID_FREES]);
	EXPECT_EQ(1ULL, st.v[ST_DOUBLE_FREES]);
	EXPECT_EQ(flags & FL_Z ? 1ULL : 0ULL, st.v[ST_REDZONE_ERRORS]);
	EXPECT_EQ(flags & FL_P ? 1ULL : 0ULL, st.v[ST_POISON_ERRORS]);
	EXPECT_EQ(flags & FL_P ? 1ULL : 0ULL, st.v[ST_QUARANTINED]);
}

/* The "flags" file says @flags as the spec spells them, and a newline. */
static void check_flags_file(struct __test_metadata *_metadata,
			     const char *pool, __u64 flags)
{
	char want[16], letters[8], buf[64];

	snprintf(want, sizeof(want), "%s\n", flags_str(flags, letters));
	ASSERT_EQ(0, read_sysfs_text(pool, "flags", buf, sizeof(buf)))
		TH_LOG("%s", why);
	EXPECT_STREQ(want, buf) TH_LOG("pool %s: flags", pool);
}

/* ======================================================================= */
/* 1. The default pool, under several parameters. */

FIXTURE(default_pool) {
	int unused;
};

FIXTURE_VARIANT(default_pool) {
	const char *params;
	__u64 flags;		/* what debug= asks for */
	bool no_percpu;
};

FIXTURE_VARIANT_ADD(default_pool, defaults) {
	.params = "",
};

FIXTURE_VARIANT_ADD(default_pool, no_percpu) {
	.params = "percpu=0",
	.no_percpu = true,
};

FIXTURE_VARIANT_ADD(default_pool, bs100_align64) {
	.params = "pool_size=65536 block_size=100 align=64",
};

FIXTURE_VARIANT_ADD(default_pool, one_block) {
	.params = "pool_size=64 block_size=64",
};

FIXTURE_VARIANT_ADD(default_pool, debug_PZU) {
	.params = "pool_size=65536 debug=PZU",
	.flags = FL_P | FL_Z | FL_U,
};

FIXTURE_VARIANT_ADD(default_pool, debug_P_no_percpu) {
	.params = "pool_size=8192 debug=P percpu=0",
	.flags = FL_P,
	.no_percpu = true,
};

FIXTURE_SETUP(default_pool)
{
	clean_slate(_metadata);
}

FIXTURE_TEARDOWN(default_pool)
{
	unload_all();
}

TEST_F_TIMEOUT(default_pool, files_match_stats, TEST_TIMEOUT)
{
	char names[256], buf[64];
	struct pool_st st;

	ASSERT_EQ(-ENOENT, pool_dir_state(""))
		TH_LOG("%s exists before the module is loaded",
		       MPOOL_SYSFS_POOLS);
	ASSERT_EQ(0, load_module(MPOOL_MOD, variant->params))
		TH_LOG("%s", why);
	ASSERT_EQ(0, list_dir(MPOOL_SYSFS_POOLS, names, sizeof(names)))
		TH_LOG("%s: %s", MPOOL_SYSFS_POOLS, strerror(errno));
	EXPECT_STREQ("default", names)
		TH_LOG("the pools in %s after load", MPOOL_SYSFS_POOLS);
	check_sysfs(_metadata, "default", "after load");
	check_flags_file(_metadata, "default", variant->flags);
	if (variant->no_percpu) {
		ASSERT_EQ(0, read_sysfs_text("default", "cache_size", buf,
					     sizeof(buf)));
		EXPECT_STREQ("0\n", buf) TH_LOG("percpu=0: cache_size");
	}

	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, read_stats("default", &st)) TH_LOG("%s", why);
	drive(_metadata, "default", st.v[ST_NR_BLOCKS], variant->flags);
	check_sysfs(_metadata, "default", "after driving");
	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	check_sysfs(_metadata, "default", "after free_all");

	ASSERT_EQ(0, unload_module(TMM_MOD));
	check_sysfs(_metadata, "default", "driver unloaded");
	ASSERT_EQ(0, unload_module(MPOOL_MOD));
	EXPECT_EQ(-ENOENT, pool_dir_state(""))
		TH_LOG("%s left behind at unload", MPOOL_SYSFS_POOLS);
}

/* ======================================================================= */
/* 2. Pools of the driver's own, with each mix of flags. */

FIXTURE(own_pool) {
	int unused;
};

FIXTURE_VARIANT(own_pool) {
	__u64 flags;		/* FL_*, FL_N for MPOOL_NO_PERCPU */
	__u64 nr_blocks;
};

FIXTURE_VARIANT_ADD(own_pool, none) {
	.flags = FL_NONE,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, P) {
	.flags = FL_P,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, Z) {
	.flags = FL_Z,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, U) {
	.flags = FL_U,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, PZ) {
	.flags = FL_P | FL_Z,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, PZU) {
	.flags = FL_P | FL_Z | FL_U,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, NO_PERCPU) {
	.flags = FL_N,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(own_pool, PZU_NO_PERCPU) {
	.flags = FL_P | FL_Z | FL_U | FL_N,
	.nr_blocks = 64,
};

/* Too few blocks to share among the CPUs: no caches either. */
FIXTURE_VARIANT_ADD(own_pool, P_7_blocks) {
	.flags = FL_P,
	.nr_blocks = 7,
};

FIXTURE_SETUP(own_pool)
{
	clean_slate(_metadata);
	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(own_pool)
{
	unload_all();
}

/*
 * The directory comes with the pool and goes with it, at destroy, at the
 * driver's unload (which destroys it) and at mempool_mod's unload (for a
 * pool its owner forgot); its files follow the pool's stats meanwhile.
 */
TEST_F_TIMEOUT(own_pool, lifecycle, TEST_TIMEOUT)
{
	const char *own = "sysfs_own";
	const __u64 debug = variant->flags & ~FL_N;
	char letters[8], names[256], buf[64];

	ASSERT_EQ(-ENOENT, pool_dir_state(own));
	ASSERT_EQ(0, ctl("create %s 40 0 %llu %s", own, variant->nr_blocks,
			 cmd_flags_str(variant->flags, letters)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, pool_dir_state(own)) TH_LOG("no directory at create");
	ASSERT_EQ(0, list_dir(MPOOL_SYSFS_POOLS, names, sizeof(names)));
	EXPECT_TRUE(!strcmp(names, "default sysfs_own") ||
		    !strcmp(names, "sysfs_own default"))
		TH_LOG("%s holds \"%s\"", MPOOL_SYSFS_POOLS, names);
	check_sysfs(_metadata, own, "create");
	check_flags_file(_metadata, own, debug);
	if (variant->flags & FL_N) {
		ASSERT_EQ(0, read_sysfs_text(own, "cache_size", buf,
					     sizeof(buf)));
		EXPECT_STREQ("0\n", buf) TH_LOG("N: cache_size");
	}

	drive(_metadata, own, variant->nr_blocks, debug);
	check_sysfs(_metadata, own, "after driving");
	check_sysfs(_metadata, "default", "after driving");
	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	check_sysfs(_metadata, own, "after free_all");

	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	EXPECT_EQ(-ENOENT, pool_dir_state(own)) TH_LOG("left at destroy");
	check_sysfs(_metadata, "default", "after destroy");

	/* The same name again: a fresh directory, fresh counters. */
	ASSERT_EQ(0, ctl("create %s 40 0 %llu %s", own, variant->nr_blocks,
			 letters))
		TH_LOG("%s", why);
	ASSERT_EQ(0, read_sysfs_text(own, "allocs", buf, sizeof(buf)))
		TH_LOG("%s", why);
	EXPECT_STREQ("0\n", buf) TH_LOG("allocs of a new pool");
	ASSERT_EQ(0, ctl("alloc 2")) TH_LOG("%s", why);
	check_sysfs(_metadata, own, "created again");
	ASSERT_EQ(0, unload_module(TMM_MOD));
	EXPECT_EQ(-ENOENT, pool_dir_state(own))
		TH_LOG("left at the driver's unload");

	/* Forgotten by its owner: destroyed, and gone, with mempool_mod. */
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 40 0 %llu %s", own, variant->nr_blocks,
			 letters))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("forget")) TH_LOG("%s", why);
	ASSERT_EQ(0, unload_module(TMM_MOD));
	ASSERT_EQ(0, pool_dir_state(own)) TH_LOG("a live pool lost its files");
	check_sysfs(_metadata, own, "forgotten");
	ASSERT_EQ(0, unload_module(MPOOL_MOD));
	EXPECT_EQ(-ENOENT, pool_dir_state(""))
		TH_LOG("%s left behind at unload", MPOOL_SYSFS_POOLS);
}

/* ======================================================================= */
/* 3. Reads against destroys. */

FIXTURE(race) {
	int unused;
};

FIXTURE_SETUP(race)
{
	clean_slate(_metadata);
	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(race)
{
	unload_all();
}

/* A file opened before its pool is destroyed reads ENODEV after. */
TEST_F_TIMEOUT(race, open_file_after_destroy, TEST_TIMEOUT)
{
	const char *own = "sysfs_stale";
	char path[256], buf[64];
	ssize_t n;
	int fd, err;

	ASSERT_EQ(0, ctl("create %s 40 0 64", own)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 3")) TH_LOG("%s", why);
	sysfs_path(path, sizeof(path), own, "in_use");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	ASSERT_EQ(2, n) TH_LOG("%s: %zd bytes", path, n);
	buf[n] = '\0';
	EXPECT_STREQ("3\n", buf);
	/* Before the destroy: kernfs refuses a seek on a removed file too. */
	ASSERT_EQ(0, (int)lseek(fd, 0, SEEK_SET));

	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? errno : 0;
	EXPECT_EQ(-1, n) TH_LOG("read %zd bytes of a destroyed pool", n);
	EXPECT_EQ(ENODEV, err) TH_LOG("errno %s", strerror(err));
	close(fd);
}

/* What a reader did, in memory it shares with the test. */
struct reader {
	int stop;		/* set by the test, atomically */
	__u64 reads;		/* files read whole, one value each */
	__u64 own_reads;	/* of them, files of a pool but the default */
	__u64 enoent;
	__u64 enodev;
	__u64 bad;		/* any other failure, or a malformed value */
	char first_bad[256];
};

/* Read every file of every pool directory, until told to stop. */
static void reader_loop(struct reader *r)
{
	struct dirent *de;
	__u64 val;
	DIR *root;
	int i, err;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		root = opendir(MPOOL_SYSFS_POOLS);
		/* mempool_mod is unloaded at the end. */
		if (!root && errno == ENOENT) {
			r->enoent++;
			continue;
		}
		if (!root) {
			r->bad++;
			snprintf(r->first_bad, sizeof(r->first_bad),
				 "opendir %s: %s", MPOOL_SYSFS_POOLS,
				 strerror(errno));
			continue;
		}
		while ((de = readdir(root))) {
			if (de->d_name[0] == '.')
				continue;
			for (i = 0; i < NR_STATS; i++) {
				err = read_sysfs_stat(de->d_name, i, &val);
				if (!err) {
					r->reads++;
					/* The test polls it. */
					if (strcmp(de->d_name, "default"))
						__atomic_fetch_add(&r->own_reads, 1,
								   __ATOMIC_RELAXED);
				} else if (err == -ENOENT) {
					r->enoent++;
				} else if (err == -ENODEV) {
					r->enodev++;
				} else if (!r->bad++) {
					snprintf(r->first_bad,
						 sizeof(r->first_bad), "%.200s",
						 why);
				}
			}
		}
		closedir(root);
	}
}

#define NR_READERS		2
/*
 * Pools created and destroyed under the readers: RACE_CYCLES at least,
 * and on until every reader read RACE_MIN_OWN_READS files of the pools
 * created (a few pools' directories read whole), however late the
 * readers got going on a slow guest: the test cannot pass without
 * having raced.  RACE_HANG_GUARD_S ends the cycles of a test whose
 * readers never get there.
 */
#define RACE_CYCLES		200
#define RACE_MIN_OWN_READS	100ULL
#define RACE_HANG_GUARD_S	120

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether every reader read RACE_MIN_OWN_READS files of created pools. */
static bool readers_met_pools(struct reader *readers)
{
	int i;

	for (i = 0; i < NR_READERS; i++) {
		if (__atomic_load_n(&readers[i].own_reads, __ATOMIC_RELAXED) <
		    RACE_MIN_OWN_READS)
			return false;
	}
	return true;
}

/* Lines of the kernel log that say the kernel went wrong. */
static const char *const splats[] = {
	"BUG:", "WARNING:", "KASAN:", "UBSAN:", "Oops", "general protection",
	"Call Trace:", "refcount_t:", "list_del corruption",
	"list_add corruption", "duplicate filename",
};

/*
 * Readers read every file of /sys/kernel/mempool_mod/ in a loop while
 * pools are created and destroyed under them: each read succeeds or
 * fails with ENOENT or ENODEV, and the kernel says nothing wrong.
 */
TEST_F_TIMEOUT(race, read_while_destroy, 300)
{
	static const char *const flag_mixes[] = { "-", "P", "PZU", "N", "Z",
						  "U", "PZN", "PU" };
	struct reader *readers;
	pid_t pids[NR_READERS];
	char *before, *log, first[512];
	__u64 reads = 0, own_reads = 0, enoent = 0, enodev = 0;
	int i, status, nr, cycles;
	double give_up;
	size_t j;

	readers = mmap(NULL, NR_READERS * sizeof(*readers),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		       0);
	ASSERT_NE(MAP_FAILED, readers) TH_LOG("mmap: %s", strerror(errno));
	memset(readers, 0, NR_READERS * sizeof(*readers));
	before = klog_read();
	ASSERT_NE(NULL, before) TH_LOG("%s", why);

	for (i = 0; i < NR_READERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]) TH_LOG("fork: %s", strerror(errno));
		if (!pids[i]) {
			reader_loop(&readers[i]);
			_exit(0);
		}
	}

	/* Three names in turn: a name comes back while readers hold it. */
	give_up = now_s() + RACE_HANG_GUARD_S;
	for (i = 0;
	     i < RACE_CYCLES ||
	     (!readers_met_pools(readers) && now_s() < give_up);
	     i++) {
		EXPECT_EQ(0, ctl("create race_%d 40 0 64 %s", i % 3,
				 flag_mixes[i % ARRAY_SIZE(flag_mixes)]))
			TH_LOG("cycle %d: %s", i, why);
		EXPECT_EQ(0, ctl("alloc %d", i % 5)) TH_LOG("%s", why);
		EXPECT_EQ(0, ctl("destroy")) TH_LOG("cycle %d: %s", i, why);
	}
	cycles = i;
	/* And the modules going, under the readers too. */
	ASSERT_EQ(0, ctl("create race_unload 40 0 64 P")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 2")) TH_LOG("%s", why);
	EXPECT_EQ(0, unload_if_loaded(TMM_MOD));
	EXPECT_EQ(0, unload_if_loaded(MPOOL_MOD));

	for (i = 0; i < NR_READERS; i++)
		__atomic_store_n(&readers[i].stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NR_READERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("reader %d: status %#x", i, status);
		EXPECT_EQ(0ULL, readers[i].bad)
			TH_LOG("reader %d: %llu bad reads, first: %s", i,
			       readers[i].bad, readers[i].first_bad);
		/* Else it never met a created pool: it proved nothing. */
		EXPECT_LE(RACE_MIN_OWN_READS, readers[i].own_reads)
			TH_LOG("reader %d: %llu reads of created pools by the hang guard",
			       i, readers[i].own_reads);
		reads += readers[i].reads;
		own_reads += readers[i].own_reads;
		enoent += readers[i].enoent;
		enodev += readers[i].enodev;
	}
	ksft_print_msg("%d cycles: %llu reads, %llu of created pools, %llu ENOENT, %llu ENODEV\n",
		       cycles, reads, own_reads, enoent, enodev);
	munmap(readers, NR_READERS * sizeof(*readers));

	log = klog_read_since(before);
	ASSERT_NE(NULL, log) TH_LOG("%s", why);
	for (j = 0; j < ARRAY_SIZE(splats); j++) {
		nr = klog_count(log, (const char *[]){ splats[j], NULL },
				first, sizeof(first));
		EXPECT_EQ(0, nr) TH_LOG("kernel log: %s", first);
	}
	free(before);
	free(log);
}

TEST_HARNESS_MAIN
