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
 * Every test starts and ends with neither module loaded.  Every expected
 * value is computed here from the test's inputs, with the geometry rule
 *
 *	stride       = ALIGN(max(block_size, 8), max(align, 8))
 *	nr_blocks    = pool_size / stride
 *	region_bytes = nr_blocks * stride
 *
 * and a model of the counters that each command moves.
 *
 * Must run as root; needs debugfs (mounted here if it is not).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The 6.1 harness has an unused handler argument: not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define MPOOL_MOD		"mempool_mod"
#define TMM_MOD			"test_mempool_mod"
#define DEBUGFS_DIR		"/sys/kernel/debug"
#define MPOOL_DEBUGFS		DEBUGFS_DIR "/" MPOOL_MOD
#define MPOOL_POOLS		MPOOL_DEBUGFS "/pools"
#define MPOOL_SYSFS		"/sys/module/" MPOOL_MOD
#define TMM_DEBUGFS		DEBUGFS_DIR "/" TMM_MOD
#define TMM_CONTROL		TMM_DEBUGFS "/control"
#define DEFAULT_KO_DIR		"/mpool"

#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC		0x64626720
#endif

/* klogctl() actions, from include/linux/syslog.h. */
#define SYSLOG_ACTION_READ_ALL		3
#define SYSLOG_ACTION_SIZE_BUFFER	10

/* The module's parameter defaults, from its documentation. */
#define DEF_POOL_SIZE		1048576ULL
#define DEF_BLOCK_SIZE		64ULL
#define DEF_ALIGN		0ULL

/* The pointer size of the (x86_64) kernel: the least block size and align. */
#define PTR_BYTES		8ULL

/* Longest pool name, MPOOL_NAME_MAX in mempool_mod.h. */
#define POOL_NAME_MAX		31

#define TEST_TIMEOUT		120

/* ---- stats ------------------------------------------------------------ */

/* The keys of <pool>/stats, in the order the file has them. */
enum stat_idx {
	ST_BLOCK_SIZE,
	ST_ALIGN,
	ST_STRIDE,
	ST_NR_BLOCKS,
	ST_REGION_BYTES,
	ST_IN_USE,
	ST_FREE,
	ST_PEAK_IN_USE,
	ST_ALLOCS,
	ST_FREES,
	ST_ALLOC_FAILURES,
	ST_INVALID_FREES,
	ST_DOUBLE_FREES,
	NR_STATS
};

static const char *const stat_names[NR_STATS] = {
	[ST_BLOCK_SIZE]		= "block_size",
	[ST_ALIGN]		= "align",
	[ST_STRIDE]		= "stride",
	[ST_NR_BLOCKS]		= "nr_blocks",
	[ST_REGION_BYTES]	= "region_bytes",
	[ST_IN_USE]		= "in_use",
	[ST_FREE]		= "free",
	[ST_PEAK_IN_USE]	= "peak_in_use",
	[ST_ALLOCS]		= "allocs",
	[ST_FREES]		= "frees",
	[ST_ALLOC_FAILURES]	= "alloc_failures",
	[ST_INVALID_FREES]	= "invalid_frees",
	[ST_DOUBLE_FREES]	= "double_frees",
};

/* The columns the pools file must have (all but region_bytes and free). */
static const enum stat_idx pools_columns[] = {
	ST_BLOCK_SIZE, ST_ALIGN, ST_STRIDE, ST_NR_BLOCKS, ST_IN_USE,
	ST_PEAK_IN_USE, ST_ALLOCS, ST_FREES, ST_ALLOC_FAILURES,
	ST_INVALID_FREES, ST_DOUBLE_FREES,
};

struct pool_st {
	__u64 v[NR_STATS];
};

/* Why the last helper failed, for TH_LOG. */
static char why[1024];

static void set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static const char *stat_name(int i)
{
	return i >= 0 && i < NR_STATS ? stat_names[i] : "?";
}

static int stat_index(const char *name)
{
	int i;

	for (i = 0; i < NR_STATS; i++)
		if (!strcmp(name, stat_names[i]))
			return i;
	return -1;
}

/* ---- geometry, from the test's inputs ---------------------------------- */

static __u64 max_ull(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

static __u64 expected_align(__u64 align)
{
	return max_ull(align, PTR_BYTES);
}

static __u64 expected_stride(__u64 block_size, __u64 align)
{
	__u64 a = expected_align(align);

	return (max_ull(block_size, PTR_BYTES) + a - 1) / a * a;
}

/* A fresh pool, as the model of its stats file. */
static void model_init(struct pool_st *m, __u64 block_size, __u64 align,
		       __u64 nr_blocks)
{
	memset(m, 0, sizeof(*m));
	m->v[ST_BLOCK_SIZE] = block_size;
	m->v[ST_ALIGN] = expected_align(align);
	m->v[ST_STRIDE] = expected_stride(block_size, align);
	m->v[ST_NR_BLOCKS] = nr_blocks;
	m->v[ST_REGION_BYTES] = nr_blocks * m->v[ST_STRIDE];
	m->v[ST_FREE] = nr_blocks;
}

static void model_init_param(struct pool_st *m, __u64 pool_size, __u64 block_size,
			     __u64 align)
{
	model_init(m, block_size, align,
		   pool_size / expected_stride(block_size, align));
}

/*
 * "alloc <n>": the driver allocates until it has n blocks or the pool is
 * empty; one failed allocation ends the command.  Returns 0 or -ENOMEM,
 * what the write must return.
 */
static int model_alloc(struct pool_st *m, __u64 n)
{
	for (; n; n--) {
		if (m->v[ST_IN_USE] == m->v[ST_NR_BLOCKS]) {
			m->v[ST_ALLOC_FAILURES]++;
			return -ENOMEM;
		}
		m->v[ST_IN_USE]++;
		m->v[ST_FREE]--;
		m->v[ST_ALLOCS]++;
		m->v[ST_PEAK_IN_USE] = max_ull(m->v[ST_PEAK_IN_USE],
					       m->v[ST_IN_USE]);
	}
	return 0;
}

static void model_free(struct pool_st *m, __u64 n)
{
	m->v[ST_IN_USE] -= n;
	m->v[ST_FREE] += n;
	m->v[ST_FREES] += n;
}

/* "double_free": one alloc, one accepted free, one refused free. */
static void model_double_free(struct pool_st *m)
{
	model_alloc(m, 1);
	model_free(m, 1);
	m->v[ST_DOUBLE_FREES]++;
}

/* ---- files ------------------------------------------------------------- */

static bool path_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Read a whole (small) file into buf, NUL-terminated: length or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_why("open %s: %s", path, strerror(errno));
		return -errno;
	}
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			int err = errno;

			set_why("read %s: %s", path, strerror(err));
			close(fd);
			return -err;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Parse a decimal number that makes up the whole of s (but blanks). */
static int parse_ull(const char *s, __u64 *val)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end ? -1 : 0;
}

static void stats_path(char *path, size_t size, const char *pool)
{
	snprintf(path, size, "%s/%s/stats", MPOOL_DEBUGFS, pool);
}

/* How the last stats file read deviated from the documented layout. */
static char stats_layout[512];

/*
 * Read <pool>/stats, "key: value" lines: every key must be there, once,
 * with a number; 0, or -1 with the reason in @why.  Whether the lines are
 * exactly the documented ones in the documented order is a separate
 * check: @stats_layout says how they are not, or is empty.
 */
static int read_stats(const char *pool, struct pool_st *st)
{
	char path[256], buf[4096], *line, *save, *colon;
	bool seen[NR_STATS] = { false };
	int idx, nr_lines = 0;
	__u64 val;

	stats_layout[0] = '\0';
	stats_path(path, sizeof(path), pool);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;

	memset(st, 0, sizeof(*st));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), nr_lines++) {
		colon = strchr(line, ':');
		if (!colon) {
			set_why("%s: no colon in \"%s\"", path, line);
			return -1;
		}
		*colon = '\0';
		idx = stat_index(line);
		if (!stats_layout[0] &&
		    (nr_lines >= NR_STATS || idx != nr_lines))
			snprintf(stats_layout, sizeof(stats_layout),
				 "%s: line %d is \"%s\", want \"%s\"", path,
				 nr_lines + 1, line,
				 nr_lines < NR_STATS ? stat_names[nr_lines] :
				 "(no more lines)");
		if (idx < 0)
			continue;
		if (seen[idx]) {
			set_why("%s: %s twice", path, line);
			return -1;
		}
		if (parse_ull(colon + 1, &val)) {
			set_why("%s: %s: bad value \"%s\"", path, line,
				colon + 1);
			return -1;
		}
		seen[idx] = true;
		st->v[idx] = val;
	}
	for (idx = 0; idx < NR_STATS; idx++) {
		if (!seen[idx]) {
			set_why("%s: no %s", path, stat_names[idx]);
			return -1;
		}
	}
	return 0;
}

/* Check that <pool>/stats has exactly the documented lines, in order. */
static void check_stats_layout(struct __test_metadata *_metadata,
			       const char *pool)
{
	struct pool_st st;

	ASSERT_EQ(0, read_stats(pool, &st)) TH_LOG("%s", why);
	EXPECT_STREQ("", stats_layout) TH_LOG("layout of %s stats", pool);
}

/*
 * Find the line of @pool in the pools file, columns mapped by the header.
 * Returns how many lines name @pool (so 0 when there is none), or -1 with
 * the reason in @why if the file is malformed.  @st gets the columns of
 * the last such line; @have[i] says whether stat i is a column.
 */
static int read_pools_row(const char *pool, struct pool_st *st,
			  bool have[NR_STATS])
{
	char buf[16384], *line, *save, *tok, *tsave;
	int col_idx[64], nr_cols = 0, found = 0, i;
	__u64 val;

	if (read_text(MPOOL_POOLS, buf, sizeof(buf)) < 0)
		return -1;

	memset(st, 0, sizeof(*st));
	memset(have, 0, NR_STATS * sizeof(have[0]));

	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "# name", 6) ||
	    (line[6] != ' ' && line[6] != '\t' && line[6] != '\0')) {
		set_why("%s: header \"%s\" does not start with \"# name\"",
			MPOOL_POOLS, line ? line : "");
		return -1;
	}
	/* Column 0 is the name; map the others to the stats keys. */
	for (tok = strtok_r(line + 6, " \t", &tsave); tok;
	     tok = strtok_r(NULL, " \t", &tsave)) {
		if (nr_cols + 1 >= (int)ARRAY_SIZE(col_idx)) {
			set_why("%s: too many columns", MPOOL_POOLS);
			return -1;
		}
		i = stat_index(tok);
		if (i >= 0 && have[i]) {
			set_why("%s: column %s twice", MPOOL_POOLS, tok);
			return -1;
		}
		if (i >= 0)
			have[i] = true;
		col_idx[++nr_cols] = i;
	}
	nr_cols++;

	while ((line = strtok_r(NULL, "\n", &save))) {
		tok = strtok_r(line, " \t", &tsave);
		if (!tok || strcmp(tok, pool))
			continue;
		found++;
		for (i = 1; i < nr_cols; i++) {
			tok = strtok_r(NULL, " \t", &tsave);
			if (!tok || parse_ull(tok, &val)) {
				set_why("%s: line of %s: column %d is \"%s\"",
					MPOOL_POOLS, pool, i, tok ? tok : "");
				return -1;
			}
			if (col_idx[i] >= 0)
				st->v[col_idx[i]] = val;
		}
		if (strtok_r(NULL, " \t", &tsave)) {
			set_why("%s: line of %s has more columns than the header",
				MPOOL_POOLS, pool);
			return -1;
		}
	}
	return found;
}

/* ---- modules ----------------------------------------------------------- */

static const char *ko_dir(void)
{
	const char *dir = getenv("MPOOL_KO_DIR");

	return dir && *dir ? dir : DEFAULT_KO_DIR;
}

static void ko_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s.ko", ko_dir(), name);
}

static bool module_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return path_exists(path);
}

/* finit_module(): 0 or -errno. */
static int load_module(const char *name, const char *params)
{
	char path[512];
	int fd, ret;

	ko_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_why("open %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	if (ret)
		set_why("finit_module(%s, \"%s\"): %s", path, params,
			strerror(-ret));
	return ret;
}

/* delete_module(O_NONBLOCK): 0 or -errno. */
static int unload_module(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		return -errno;
	return 0;
}

/* Unload @name if it is loaded, retrying a busy module for a while. */
static int unload_if_loaded(const char *name)
{
	int tries, ret = 0;

	for (tries = 0; tries < 50 && module_loaded(name); tries++) {
		ret = unload_module(name);
		if (!ret || ret == -ENOENT)
			return 0;
		usleep(100000);
	}
	return module_loaded(name) ? ret ? ret : -EBUSY : 0;
}

static void unload_all(void)
{
	int ret;

	ret = unload_if_loaded(TMM_MOD);
	if (ret)
		ksft_print_msg("cannot unload %s: %s\n", TMM_MOD,
			       strerror(-ret));
	ret = unload_if_loaded(MPOOL_MOD);
	if (ret)
		ksft_print_msg("cannot unload %s: %s\n", MPOOL_MOD,
			       strerror(-ret));
}

/* Mount debugfs where the module expects it, unless it is there. */
static int ensure_debugfs(void)
{
	struct statfs sfs;

	if (!statfs(DEBUGFS_DIR, &sfs) && sfs.f_type == DEBUGFS_MAGIC)
		return 0;
	if (mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL) &&
	    errno != EBUSY) {
		set_why("mount debugfs on %s: %s", DEBUGFS_DIR,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Common setup: root, debugfs, both .ko files readable, and neither
 * module loaded (a test killed by its timeout skips its teardown, so
 * leftovers are unloaded here first).
 */
static void clean_slate(struct __test_metadata *_metadata)
{
	char path[512];
	int err;

	ASSERT_EQ(0U, geteuid()) TH_LOG("must run as root");
	ASSERT_EQ(0, ensure_debugfs()) TH_LOG("%s", why);
	ko_path(path, sizeof(path), MPOOL_MOD);
	err = access(path, R_OK) ? errno : 0;
	ASSERT_EQ(0, err)
		TH_LOG("%s: %s (set MPOOL_KO_DIR)", path, strerror(err));
	ko_path(path, sizeof(path), TMM_MOD);
	err = access(path, R_OK) ? errno : 0;
	ASSERT_EQ(0, err)
		TH_LOG("%s: %s (set MPOOL_KO_DIR)", path, strerror(err));

	unload_all();
	ASSERT_FALSE(module_loaded(TMM_MOD));
	ASSERT_FALSE(module_loaded(MPOOL_MOD));
	ASSERT_FALSE(path_exists(MPOOL_DEBUGFS));
	ASSERT_FALSE(path_exists(TMM_DEBUGFS));
}

/* ---- the test driver's control file ------------------------------------ */

/* Write one command: 0 if the whole write succeeded, else -errno. */
static int ctl(const char *fmt, ...)
{
	char cmd[256];
	ssize_t n;
	va_list ap;
	int fd, len, err;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);

	fd = open(TMM_CONTROL, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		set_why("open %s: %s", TMM_CONTROL, strerror(err));
		return -err;
	}
	n = write(fd, cmd, len);
	err = n < 0 ? errno : 0;
	close(fd);
	if (n < 0) {
		set_why("\"%s\": %s", cmd, strerror(err));
		return -err;
	}
	if (n != len) {
		set_why("\"%s\": wrote %zd of %d bytes", cmd, n, len);
		return -EIO;
	}
	return 0;
}

/* Read the status line "target=<name> held=<n>": 0 or -1. */
static int ctl_status(char *target, size_t size, __u64 *held)
{
	static const char tpfx[] = "target=", hpfx[] = " held=";
	char buf[256], *name, *h, *nl;
	size_t len;

	if (read_text(TMM_CONTROL, buf, sizeof(buf)) < 0)
		return -1;
	nl = strchr(buf, '\n');
	name = buf + sizeof(tpfx) - 1;
	h = strstr(buf, hpfx);
	len = h && h >= name ? (size_t)(h - name) : size;
	if (strncmp(buf, tpfx, sizeof(tpfx) - 1) || !nl || nl[1] ||
	    len >= size || memchr(name, ' ', len)) {
		set_why("%s: bad status \"%s\"", TMM_CONTROL, buf);
		return -1;
	}
	*nl = '\0';
	if (parse_ull(h + sizeof(hpfx) - 1, held)) {
		set_why("%s: bad held count in \"%s\"", TMM_CONTROL, buf);
		return -1;
	}
	memcpy(target, name, len);
	target[len] = '\0';
	return 0;
}

/* ---- checks ------------------------------------------------------------ */

/* Compare <pool>/stats with the model, field by field. */
static void check_stats(struct __test_metadata *_metadata, const char *pool,
			const struct pool_st *model, const char *step)
{
	struct pool_st st;
	int i;

	ASSERT_EQ(0, read_stats(pool, &st)) TH_LOG("%s: %s", step, why);
	for (i = 0; i < NR_STATS; i++) {
		EXPECT_EQ(model->v[i], st.v[i])
			TH_LOG("%s: pool %s: %s", step, pool, stat_name(i));
	}
	/* The invariants the header promises, whatever the model says. */
	EXPECT_EQ(st.v[ST_IN_USE], st.v[ST_ALLOCS] - st.v[ST_FREES])
		TH_LOG("%s: pool %s: allocs - frees != in_use", step, pool);
	EXPECT_EQ(st.v[ST_NR_BLOCKS], st.v[ST_IN_USE] + st.v[ST_FREE])
		TH_LOG("%s: pool %s: in_use + free != nr_blocks", step, pool);
	EXPECT_LE(st.v[ST_IN_USE], st.v[ST_PEAK_IN_USE])
		TH_LOG("%s: pool %s: peak_in_use < in_use", step, pool);
}

/* Check the driver's status line: its target and how many blocks it holds. */
static void check_held(struct __test_metadata *_metadata, const char *target,
		       __u64 held, const char *step)
{
	char name[64];
	__u64 n;

	ASSERT_EQ(0, ctl_status(name, sizeof(name), &n))
		TH_LOG("%s: %s", step, why);
	EXPECT_STREQ(target, name) TH_LOG("%s: driver target", step);
	EXPECT_EQ(held, n) TH_LOG("%s: driver held", step);
}

/* Check that the pools line of @pool agrees with <pool>/stats. */
static void check_pools_row(struct __test_metadata *_metadata,
			    const char *pool, const char *step)
{
	struct pool_st row, st;
	bool have[NR_STATS];
	size_t i;

	ASSERT_EQ(0, read_stats(pool, &st)) TH_LOG("%s: %s", step, why);
	why[0] = '\0';
	ASSERT_EQ(1, read_pools_row(pool, &row, have))
		TH_LOG("%s: want one line for %s in %s%s%s", step, pool,
		       MPOOL_POOLS, *why ? ": " : "", why);
	for (i = 0; i < ARRAY_SIZE(pools_columns); i++) {
		enum stat_idx c = pools_columns[i];

		EXPECT_TRUE(have[c])
			TH_LOG("%s: %s has no column %s", step, MPOOL_POOLS,
			       stat_names[c]);
	}
	for (i = 0; i < NR_STATS; i++) {
		if (!have[i])
			continue;
		EXPECT_EQ(st.v[i], row.v[i])
			TH_LOG("%s: %s: column %s of %s", step, MPOOL_POOLS,
			       stat_names[i], pool);
	}
}

static void check_no_pools_row(struct __test_metadata *_metadata,
			       const char *pool, const char *step)
{
	struct pool_st row;
	bool have[NR_STATS];

	why[0] = '\0';
	EXPECT_EQ(0, read_pools_row(pool, &row, have))
		TH_LOG("%s: %s still lists %s%s%s", step, MPOOL_POOLS, pool,
		       *why ? ": " : "", why);
}

static void check_mode_0444(struct __test_metadata *_metadata,
			    const char *path)
{
	struct stat st;

	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISREG(st.st_mode)) TH_LOG("%s: not a regular file", path);
	EXPECT_EQ(0444U, st.st_mode & 07777) TH_LOG("%s: mode", path);
}

/* ---- the kernel log ---------------------------------------------------- */

/* The whole kernel log buffer, NUL-terminated (free() it), or NULL. */
static char *klog_read(void)
{
	int size, len;
	char *buf;

	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size <= 0)
		size = 1 << 20;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	len = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (len < 0) {
		set_why("klogctl(SYSLOG_ACTION_READ_ALL): %s", strerror(errno));
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * The part of @after that was logged after @before was read.  If the
 * buffer did not wrap, @before is a prefix of @after; otherwise look for
 * the tail of @before (its last lines, unique thanks to their timestamps).
 */
static const char *klog_since(const char *before, const char *after)
{
	size_t blen = strlen(before), tail_len;
	const char *tail, *hit;

	if (!strncmp(before, after, blen))
		return after + blen;

	tail = before + (blen > 512 ? blen - 512 : 0);
	/* Start the anchor at a line boundary. */
	if (tail != before) {
		const char *nl = strchr(tail, '\n');

		tail = nl ? nl + 1 : tail;
	}
	tail_len = strlen(tail);
	if (!tail_len)
		return after;
	hit = strstr(after, tail);
	return hit ? hit + tail_len : after;
}

/*
 * Where the message of a log line starts: after the "<level>" prefix of
 * SYSLOG_ACTION_READ_ALL and any "[timestamp]" or "[caller]" groups.
 */
static const char *klog_message(const char *line)
{
	const char *p = line;

	if (*p == '<') {
		const char *gt = strchr(p, '>');

		if (gt && gt - p <= 4)
			p = gt + 1;
	}
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p != '[')
			break;
		p = strchr(p, ']');
		if (!p)
			return line + strlen(line);
		p++;
	}
	return p;
}

/*
 * In @log, find the lines whose message starts with "mempool_mod: ".
 * Copy the last one's message to @last and count those that contain
 * @word into @nr_with_word; return how many there were.
 */
static int klog_find(const char *log, const char *word, char *last,
		     size_t size, int *nr_with_word)
{
	static const char prefix[] = MPOOL_MOD ": ";
	const char *line = log, *eol, *msg;
	int nr = 0;
	size_t len;

	*nr_with_word = 0;
	last[0] = '\0';
	for (; *line; line = *eol ? eol + 1 : eol) {
		eol = strchrnul(line, '\n');
		msg = klog_message(line);
		if (msg >= eol || strncmp(msg, prefix, sizeof(prefix) - 1))
			continue;
		len = eol - msg;
		if (len >= size)
			len = size - 1;
		memcpy(last, msg, len);
		last[len] = '\0';
		if (memmem(msg, eol - msg, word, strlen(word)))
			(*nr_with_word)++;
		nr++;
	}
	return nr;
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
};

FIXTURE_VARIANT_ADD(good_param, defaults) {
	.params = "",
	.pool_size = DEF_POOL_SIZE,
	.block_size = DEF_BLOCK_SIZE,
	.align = DEF_ALIGN,
};

FIXTURE_VARIANT_ADD(good_param, bs100_align64) {
	.params = "pool_size=65536 block_size=100 align=64",
	.pool_size = 65536,
	.block_size = 100,
	.align = 64,
};

/* Blocks and alignment below a pointer are raised to one. */
FIXTURE_VARIANT_ADD(good_param, bs1_align1) {
	.params = "pool_size=4096 block_size=1 align=1",
	.pool_size = 4096,
	.block_size = 1,
	.align = 1,
};

/* pool_size not a multiple of the stride: the block count rounds down. */
FIXTURE_VARIANT_ADD(good_param, rounds_down) {
	.params = "pool_size=1000 block_size=100",
	.pool_size = 1000,
	.block_size = 100,
	.align = DEF_ALIGN,
};

/* Exactly one stride is enough for a pool. */
FIXTURE_VARIANT_ADD(good_param, one_block) {
	.params = "pool_size=64 block_size=64",
	.pool_size = 64,
	.block_size = 64,
	.align = DEF_ALIGN,
};

/* An alignment above the page size. */
FIXTURE_VARIANT_ADD(good_param, align8192) {
	.params = "pool_size=65536 block_size=24 align=8192",
	.pool_size = 65536,
	.block_size = 24,
	.align = 8192,
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
			 variant->align);
	ASSERT_LT(0ULL, model.v[ST_NR_BLOCKS]);
	check_stats_layout(_metadata, "default");
	check_stats(_metadata, "default", &model, "after load");
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

	model_init_param(&model, pool_size, block_size, align);
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
	model_init_param(&model, pool_size, DEF_BLOCK_SIZE, DEF_ALIGN);
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
		"create p 32 0 10 1",
	};
	struct pool_st model;
	size_t i;
	int ret;

	ASSERT_EQ(0, load_module(MPOOL_MOD, "pool_size=4096"))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN);

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
	model_init_param(&def, 4096, DEF_BLOCK_SIZE, DEF_ALIGN);
	snprintf(dir, sizeof(dir), "%s/%s", MPOOL_DEBUGFS, own);
	stats_path(path, sizeof(path), own);

	/* Blocks held from the default pool are freed at the switch. */
	ASSERT_EQ(0, ctl("alloc 3")) TH_LOG("%s", why);
	model_alloc(&def, 3);

	ASSERT_FALSE(path_exists(dir));
	ASSERT_EQ(0, ctl("create %s 32 16 100", own)) TH_LOG("%s", why);
	model_init(&mine, 32, 16, 100);
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
	model_init(&mine, 1, 0, 1);
	check_stats(_metadata, name31, &mine, "create longest name");
	check_held(_metadata, name31, 0, "create longest name");
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 32 16 100", own)) TH_LOG("%s", why);
	model_init(&mine, 32, 16, 100);
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
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN);
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
	model_init_param(&model, 4096, DEF_BLOCK_SIZE, DEF_ALIGN);
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
	model_init_param(&def, 4096, DEF_BLOCK_SIZE, DEF_ALIGN);
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

TEST_HARNESS_MAIN
