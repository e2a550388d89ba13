/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the mempool_mod selftest programs share.
 *
 * Each program (mempool_mod_test, mempool_mod_trace_test,
 * mempool_mod_sysfs_test) includes this once: the kselftest harness, the
 * paths of the modules' files, loading and unloading the modules from
 * $MPOOL_KO_DIR (default /mpool), the test driver's control file, the
 * debugfs stats of a pool and its model, the sysfs files of a pool, and
 * the kernel log.  Helpers are static inline, so that a program that uses
 * only some of them builds without warnings.
 *
 * A helper that fails says why in @why, for TH_LOG.
 */
#ifndef MPOOL_SELFTEST_H
#define MPOOL_SELFTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
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
#include <time.h>
#include <unistd.h>

/* The 6.1 harness has an unused handler argument: not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
/*
 * Nor this: the 6.12 harness's TEST_F() keeps a local across its own
 * setjmp(), and GCC says so wherever the macro is expanded.  This file
 * calls no setjmp() of its own.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#define MPOOL_MOD		"mempool_mod"
#define TMM_MOD			"test_mempool_mod"
#define DEBUGFS_DIR		"/sys/kernel/debug"
#define MPOOL_DEBUGFS		DEBUGFS_DIR "/" MPOOL_MOD
#define MPOOL_POOLS		MPOOL_DEBUGFS "/pools"
#define MPOOL_SYSFS		"/sys/module/" MPOOL_MOD
#define TMM_DEBUGFS		DEBUGFS_DIR "/" TMM_MOD
#define TMM_CONTROL		TMM_DEBUGFS "/control"
#define TMM_SOAK		TMM_DEBUGFS "/soak"
#define MPOOL_DEBUG_PARAM	MPOOL_SYSFS "/parameters/debug"
/* One directory per pool, issue 12's sysfs files. */
#define MPOOL_SYSFS_POOLS	"/sys/kernel/" MPOOL_MOD
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

/* The debug flags, as the documentation spells them: "PZU", "-" for none. */
#define FL_P			0x1ULL	/* poison free blocks */
#define FL_Z			0x2ULL	/* red zone after each block */
#define FL_U			0x4ULL	/* track callers */
#define FL_NONE			0x0ULL
/*
 * MPOOL_NO_PERCPU, the driver's "create" letter N: not a debug flag, so
 * neither in flag_letters nor in the files' flags, where it shows as
 * cache_size 0.
 */
#define FL_N			0x8ULL
/* Most blocks a CPU caches, from mempool_mod.h. */
#define MPOOL_CACHE_MAX		64
static const char flag_letters[] = "PZU";

#define TEST_TIMEOUT		120

/* ---- stats ------------------------------------------------------------ */

/* The keys of <pool>/stats, in the order the file has them. */
enum stat_idx {
	ST_BLOCK_SIZE,
	ST_ALIGN,
	ST_STRIDE,
	ST_NR_BLOCKS,
	ST_REGION_BYTES,
	ST_META_BYTES,		/* the model checks bounds only */
	ST_FLAGS,		/* letters in the files, FL_* bits here */
	ST_REDZONE_BYTES,
	ST_CACHE_SIZE,		/* per CPU; the model checks bounds only */
	ST_IN_USE,
	ST_FREE,
	ST_CACHED,		/* the model checks bounds only */
	ST_PEAK_IN_USE,
	ST_ALLOCS,
	ST_FREES,
	ST_ALLOC_FAILURES,
	ST_INVALID_FREES,
	ST_DOUBLE_FREES,
	ST_POISON_ERRORS,
	ST_REDZONE_ERRORS,
	ST_FREELIST_ERRORS,
	ST_QUARANTINED,
	ST_MIN_BLOCKS,
	ST_MAX_BLOCKS,
	ST_NR_REGIONS,
	ST_GROWS,
	ST_SHRINKS,
	ST_GROW_FAILURES,
	NR_STATS
};

static const char *const stat_names[NR_STATS] = {
	[ST_BLOCK_SIZE]		= "block_size",
	[ST_ALIGN]		= "align",
	[ST_STRIDE]		= "stride",
	[ST_NR_BLOCKS]		= "nr_blocks",
	[ST_REGION_BYTES]	= "region_bytes",
	[ST_META_BYTES]		= "meta_bytes",
	[ST_FLAGS]		= "flags",
	[ST_REDZONE_BYTES]	= "redzone_bytes",
	[ST_CACHE_SIZE]		= "cache_size",
	[ST_IN_USE]		= "in_use",
	[ST_FREE]		= "free",
	[ST_CACHED]		= "cached",
	[ST_PEAK_IN_USE]	= "peak_in_use",
	[ST_ALLOCS]		= "allocs",
	[ST_FREES]		= "frees",
	[ST_ALLOC_FAILURES]	= "alloc_failures",
	[ST_INVALID_FREES]	= "invalid_frees",
	[ST_DOUBLE_FREES]	= "double_frees",
	[ST_POISON_ERRORS]	= "poison_errors",
	[ST_REDZONE_ERRORS]	= "redzone_errors",
	[ST_FREELIST_ERRORS]	= "freelist_errors",
	[ST_QUARANTINED]	= "quarantined",
	[ST_MIN_BLOCKS]		= "min_blocks",
	[ST_MAX_BLOCKS]		= "max_blocks",
	[ST_NR_REGIONS]		= "nr_regions",
	[ST_GROWS]		= "grows",
	[ST_SHRINKS]		= "shrinks",
	[ST_GROW_FAILURES]	= "grow_failures",
};

/* The columns the pools file must have. */
static const enum stat_idx pools_columns[] = {
	ST_BLOCK_SIZE, ST_ALIGN, ST_STRIDE, ST_NR_BLOCKS, ST_IN_USE,
	ST_PEAK_IN_USE, ST_ALLOCS, ST_FREES, ST_ALLOC_FAILURES,
	ST_INVALID_FREES, ST_DOUBLE_FREES, ST_POISON_ERRORS,
	ST_REDZONE_ERRORS, ST_FREELIST_ERRORS, ST_QUARANTINED, ST_FLAGS,
};

struct pool_st {
	__u64 v[NR_STATS];
};

/* Why the last helper failed, for TH_LOG. */
static char why[1024];

static inline void set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static inline const char *stat_name(int i)
{
	return i >= 0 && i < NR_STATS ? stat_names[i] : "?";
}

static inline int stat_index(const char *name)
{
	int i;

	for (i = 0; i < NR_STATS; i++)
		if (!strcmp(name, stat_names[i]))
			return i;
	return -1;
}

/* The canonical spelling of FL_* @flags: "PZU" letters in order, or "-". */
static inline const char *flags_str(__u64 flags, char *buf)
{
	char *p = buf;
	int i;

	for (i = 0; flag_letters[i]; i++)
		if (flags & (1ULL << i))
			*p++ = flag_letters[i];
	if (p == buf)
		*p++ = '-';
	*p = '\0';
	return buf;
}

/* Parse the canonical spelling of some flags (blanks around it allowed). */
static inline int parse_flags(const char *s, __u64 *flags)
{
	char word[8], canon[8];
	size_t len;
	const char *l;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strcspn(s, " \t\n");
	if (!len || len >= sizeof(word) || s[len + strspn(s + len, " \t\n")])
		return -1;
	memcpy(word, s, len);
	word[len] = '\0';
	*flags = 0;
	if (strcmp(word, "-")) {
		for (l = word; *l; l++) {
			const char *at = strchr(flag_letters, *l);

			if (!at)
				return -1;
			*flags |= 1ULL << (at - flag_letters);
		}
	}
	return strcmp(word, flags_str(*flags, canon)) ? -1 : 0;
}

/* ---- geometry, from the test's inputs ---------------------------------- */

static inline __u64 max_ull(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

static inline __u64 expected_align(__u64 align)
{
	return max_ull(align, PTR_BYTES);
}

static inline __u64 align_up(__u64 n, __u64 a)
{
	return (n + a - 1) / a * a;
}

/* Where a free block keeps its link when P or Z moves it out. */
static inline __u64 expected_link_offset(__u64 block_size, __u64 flags)
{
	return align_up(block_size, PTR_BYTES) + (flags & FL_Z ? PTR_BYTES : 0);
}

static inline __u64 expected_stride(__u64 block_size, __u64 align, __u64 flags)
{
	__u64 a = expected_align(align);

	if (!(flags & (FL_P | FL_Z)))
		return align_up(max_ull(block_size, PTR_BYTES), a);
	return align_up(expected_link_offset(block_size, flags) + PTR_BYTES, a);
}

static inline __u64 expected_redzone_bytes(__u64 block_size, __u64 flags)
{
	if (!(flags & FL_Z))
		return 0;
	return expected_link_offset(block_size, flags) - block_size;
}

/* Blocks that can still be handed out. */
static inline __u64 model_nr_free(const struct pool_st *m)
{
	return m->v[ST_NR_BLOCKS] - m->v[ST_IN_USE] - m->v[ST_QUARANTINED];
}

/* A fresh pool, as the model of its stats file. */
static inline void model_init(struct pool_st *m, __u64 block_size, __u64 align,
			      __u64 nr_blocks, __u64 flags)
{
	memset(m, 0, sizeof(*m));
	m->v[ST_BLOCK_SIZE] = block_size;
	m->v[ST_ALIGN] = expected_align(align);
	m->v[ST_STRIDE] = expected_stride(block_size, align, flags);
	m->v[ST_NR_BLOCKS] = nr_blocks;
	m->v[ST_REGION_BYTES] = nr_blocks * m->v[ST_STRIDE];
	m->v[ST_FLAGS] = flags;
	m->v[ST_REDZONE_BYTES] = expected_redzone_bytes(block_size, flags);
	m->v[ST_FREE] = nr_blocks;
	/* One region, fixed: what mpool_create() and the parameters make. */
	m->v[ST_MIN_BLOCKS] = nr_blocks;
	m->v[ST_MAX_BLOCKS] = nr_blocks;
	m->v[ST_NR_REGIONS] = 1;
}

static inline void model_init_param(struct pool_st *m, __u64 pool_size,
				    __u64 block_size, __u64 align, __u64 flags)
{
	model_init(m, block_size, align,
		   pool_size / expected_stride(block_size, align, flags), flags);
}

/*
 * "alloc <n>": the driver allocates until it has n blocks or the pool is
 * empty; one failed allocation ends the command.  Returns 0 or -ENOMEM,
 * what the write must return.
 */
static inline int model_alloc(struct pool_st *m, __u64 n)
{
	for (; n; n--) {
		if (!model_nr_free(m)) {
			m->v[ST_ALLOC_FAILURES]++;
			return -ENOMEM;
		}
		m->v[ST_IN_USE]++;
		m->v[ST_ALLOCS]++;
		m->v[ST_PEAK_IN_USE] = max_ull(m->v[ST_PEAK_IN_USE],
					       m->v[ST_IN_USE]);
		m->v[ST_FREE] = model_nr_free(m);
	}
	return 0;
}

static inline void model_free(struct pool_st *m, __u64 n)
{
	m->v[ST_IN_USE] -= n;
	m->v[ST_FREES] += n;
	m->v[ST_FREE] = model_nr_free(m);
}

/* A free block found corrupt is taken out of service, counted in @err. */
static inline void model_quarantine(struct pool_st *m, enum stat_idx err)
{
	m->v[err]++;
	m->v[ST_QUARANTINED]++;
	m->v[ST_FREE] = model_nr_free(m);
}

/* "double_free": one alloc, one accepted free, one refused free. */
static inline void model_double_free(struct pool_st *m)
{
	model_alloc(m, 1);
	model_free(m, 1);
	m->v[ST_DOUBLE_FREES]++;
}

/* ---- files ------------------------------------------------------------- */

static inline bool path_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Read a whole (small) file into buf, NUL-terminated: length or -errno. */
static inline ssize_t read_text(const char *path, char *buf, size_t size)
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
static inline int parse_ull(const char *s, __u64 *val)
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

static inline void stats_path(char *path, size_t size, const char *pool)
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
static inline int read_stats(const char *pool, struct pool_st *st)
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
		if (idx == ST_FLAGS ? parse_flags(colon + 1, &val) :
				      parse_ull(colon + 1, &val)) {
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
static inline void check_stats_layout(struct __test_metadata *_metadata,
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
static inline int read_pools_row(const char *pool, struct pool_st *st,
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
			if (!tok || (col_idx[i] == ST_FLAGS ?
				     parse_flags(tok, &val) :
				     parse_ull(tok, &val))) {
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

static inline const char *ko_dir(void)
{
	const char *dir = getenv("MPOOL_KO_DIR");

	return dir && *dir ? dir : DEFAULT_KO_DIR;
}

static inline void ko_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s.ko", ko_dir(), name);
}

static inline bool module_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return path_exists(path);
}

/* finit_module(): 0 or -errno. */
static inline int load_module(const char *name, const char *params)
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
static inline int unload_module(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		return -errno;
	return 0;
}

/*
 * Unload @name if it is loaded, retrying a busy module every 100 ms for
 * a minute at most: a hang guard, not a measure of how soon a module's
 * last user lets go.
 */
static inline int unload_if_loaded(const char *name)
{
	int tries, ret = 0;

	for (tries = 0; tries < 600 && module_loaded(name); tries++) {
		ret = unload_module(name);
		if (!ret || ret == -ENOENT)
			return 0;
		usleep(100000);
	}
	return module_loaded(name) ? ret ? ret : -EBUSY : 0;
}

static inline void unload_all(void)
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
static inline int ensure_debugfs(void)
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
static inline void clean_slate(struct __test_metadata *_metadata)
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

/* ---- modules shared by the tests that do not load them ----------------- */

/*
 * The parameters of the shared load of mempool_mod, each file of
 * /sys/module/mempool_mod/parameters and what it must read.  debug is
 * writable: a test that changed it leaves a load that is not this one.
 */
#define SHARED_MPOOL_PARAMS	"pool_size=4096"
static const char *const shared_param_files[][2] = {
	{ "pool_size", "4096\n" },
	{ "block_size", "64\n" },
	{ "align", "0\n" },
	{ "percpu", "Y\n" },
	{ "debug", "-\n" },
};

/* The harness's process, the only one to unload at exit: not its forks. */
static pid_t shared_main_pid;

static inline int ctl(const char *fmt, ...);
static inline int ctl_status(char *target, size_t size, __u64 *held);

/* Whether mempool_mod and the driver are loaded as the shared load is. */
static inline bool shared_modules_loaded(void)
{
	char path[256], buf[64];
	size_t i;

	if (!module_loaded(MPOOL_MOD) || !module_loaded(TMM_MOD))
		return false;
	for (i = 0; i < ARRAY_SIZE(shared_param_files); i++) {
		snprintf(path, sizeof(path), "%s/parameters/%s", MPOOL_SYSFS,
			 shared_param_files[i][0]);
		if (read_text(path, buf, sizeof(buf)) < 0 ||
		    strcmp(buf, shared_param_files[i][1]))
			return false;
	}
	return true;
}

static void shared_modules_unload(void)
{
	if (getpid() == shared_main_pid)
		unload_all();
}

/*
 * Every program ends with neither module loaded, whatever its tests
 * shared: the next program, or shell test, loads its own.
 */
static void __attribute__((constructor)) shared_modules_init(void)
{
	shared_main_pid = getpid();
	atexit(shared_modules_unload);
}

/*
 * Setup of a fixture that tests neither loading nor parameters: its
 * tests share one load of mempool_mod (SHARED_MPOOL_PARAMS) and the
 * driver, made by the first of them and unloaded when the program ends.
 * Each test starts from the driver's "reset": no pool of the driver's,
 * nothing held, the default pool its target.  The default pool's
 * counters go on from test to test: such a test uses pools of its own.
 * A load that is not the shared one (left by a test that loads, or one
 * killed by its timeout) is replaced.
 */
static inline void shared_modules(struct __test_metadata *_metadata)
{
	char target[64];
	__u64 held;

	if (shared_modules_loaded()) {
		ASSERT_EQ(0, ctl("reset")) TH_LOG("%s", why);
		ASSERT_EQ(0, ctl_status(target, sizeof(target), &held))
			TH_LOG("%s", why);
		ASSERT_STREQ("default", target) TH_LOG("target after reset");
		ASSERT_EQ(0ULL, held) TH_LOG("blocks held after reset");
		return;
	}
	clean_slate(_metadata);
	ASSERT_EQ(0, load_module(MPOOL_MOD, SHARED_MPOOL_PARAMS))
		TH_LOG("%s", why);
	ASSERT_EQ(0, load_module(TMM_MOD, "")) TH_LOG("%s", why);
}

/* ---- the test driver's control file ------------------------------------ */

/* Write one command: 0 if the whole write succeeded, else -errno. */
static inline int ctl(const char *fmt, ...)
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
static inline int ctl_status(char *target, size_t size, __u64 *held)
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

/* CPUs the kernel may ever bring up, from "0-3" or "0"; 0 if unknown. */
static inline __u64 possible_cpus(void)
{
	char buf[64];
	unsigned int first, last;
	int n;

	if (read_text("/sys/devices/system/cpu/possible", buf, sizeof(buf)) < 0)
		return 0;
	n = sscanf(buf, "%u-%u", &first, &last);
	if (n == 1)
		last = first;
	return n >= 1 && last >= first ? last - first + 1 : 0;
}

/*
 * The per-CPU caches, which the model does not follow: a cache size the
 * pool can afford, no more cached than the caches hold, and a peak that
 * counts the cached blocks too, so at most that much above the model's.
 */
static inline void check_caches(struct __test_metadata *_metadata,
				const char *pool, const struct pool_st *model,
				const struct pool_st *st, const char *step)
{
	__u64 size = st->v[ST_CACHE_SIZE];
	__u64 slack = possible_cpus() * size;

	EXPECT_TRUE(size <= MPOOL_CACHE_MAX && !(size & (size - 1)))
		TH_LOG("%s: pool %s: cache_size %llu", step, pool, size);
	EXPECT_LE(2 * slack, st->v[ST_NR_BLOCKS])
		TH_LOG("%s: pool %s: caches of %llu for %llu blocks", step,
		       pool, size, st->v[ST_NR_BLOCKS]);
	EXPECT_LE(st->v[ST_CACHED], slack)
		TH_LOG("%s: pool %s: cached", step, pool);
	EXPECT_LE(st->v[ST_NR_BLOCKS] + slack * sizeof(void *),
		  st->v[ST_META_BYTES])
		TH_LOG("%s: pool %s: meta_bytes below a state byte a block and the caches",
		       step, pool);
	EXPECT_LE(st->v[ST_CACHED], st->v[ST_FREE])
		TH_LOG("%s: pool %s: cached > free", step, pool);
	EXPECT_LE(model->v[ST_PEAK_IN_USE], st->v[ST_PEAK_IN_USE])
		TH_LOG("%s: pool %s: peak_in_use below the model's", step,
		       pool);
	EXPECT_LE(st->v[ST_PEAK_IN_USE], model->v[ST_PEAK_IN_USE] + slack)
		TH_LOG("%s: pool %s: peak_in_use beyond the caches' slack",
		       step, pool);
}

static inline bool stat_follows_caches(int i)
{
	return i == ST_CACHE_SIZE || i == ST_CACHED || i == ST_PEAK_IN_USE ||
	       i == ST_META_BYTES;
}

static inline void check_sysfs(struct __test_metadata *_metadata,
			       const char *pool, const char *step);

/*
 * Compare <pool>/stats with the model, field by field, and the pool's
 * sysfs files with its stats.
 */
static inline void check_stats(struct __test_metadata *_metadata,
			       const char *pool, const struct pool_st *model,
			       const char *step)
{
	struct pool_st st;
	int i;

	ASSERT_EQ(0, read_stats(pool, &st)) TH_LOG("%s: %s", step, why);
	for (i = 0; i < NR_STATS; i++) {
		if (stat_follows_caches(i))
			continue;
		EXPECT_EQ(model->v[i], st.v[i])
			TH_LOG("%s: pool %s: %s", step, pool, stat_name(i));
	}
	check_caches(_metadata, pool, model, &st, step);
	/* The invariants the header promises, whatever the model says. */
	EXPECT_EQ(st.v[ST_IN_USE], st.v[ST_ALLOCS] - st.v[ST_FREES])
		TH_LOG("%s: pool %s: allocs - frees != in_use", step, pool);
	EXPECT_EQ(st.v[ST_NR_BLOCKS],
		  st.v[ST_IN_USE] + st.v[ST_FREE] + st.v[ST_QUARANTINED])
		TH_LOG("%s: pool %s: in_use + free + quarantined != nr_blocks",
		       step, pool);
	EXPECT_LE(st.v[ST_IN_USE], st.v[ST_PEAK_IN_USE])
		TH_LOG("%s: pool %s: peak_in_use < in_use", step, pool);
	check_sysfs(_metadata, pool, step);
}

/* Check the driver's status line: its target and how many blocks it holds. */
static inline void check_held(struct __test_metadata *_metadata,
			      const char *target, __u64 held, const char *step)
{
	char name[64];
	__u64 n;

	ASSERT_EQ(0, ctl_status(name, sizeof(name), &n))
		TH_LOG("%s: %s", step, why);
	EXPECT_STREQ(target, name) TH_LOG("%s: driver target", step);
	EXPECT_EQ(held, n) TH_LOG("%s: driver held", step);
}

/* Check that the pools line of @pool agrees with <pool>/stats. */
static inline void check_pools_row(struct __test_metadata *_metadata,
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

static inline void check_no_pools_row(struct __test_metadata *_metadata,
				      const char *pool, const char *step)
{
	struct pool_st row;
	bool have[NR_STATS];

	why[0] = '\0';
	EXPECT_EQ(0, read_pools_row(pool, &row, have))
		TH_LOG("%s: %s still lists %s%s%s", step, MPOOL_POOLS, pool,
		       *why ? ": " : "", why);
}

static inline void check_mode_0444(struct __test_metadata *_metadata,
				   const char *path)
{
	struct stat st;

	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISREG(st.st_mode)) TH_LOG("%s: not a regular file", path);
	EXPECT_EQ(0444U, st.st_mode & 07777) TH_LOG("%s: mode", path);
}

/* ---- sysfs: one directory per pool, a file per stats key ------------- */

static inline void sysfs_path(char *path, size_t size, const char *pool,
			      const char *file)
{
	snprintf(path, size, "%s/%s%s%s", MPOOL_SYSFS_POOLS, pool,
		 file ? "/" : "", file ? file : "");
}

/*
 * Read the sysfs file of stats key @idx of @pool, which must hold one
 * value and a newline, nothing else: digits, or for "flags" the letters
 * of "PZU" in that order or "-".  0; -errno if the open or the read
 * failed; -EINVAL if the text is not one such value.  @why says which.
 */
static inline int read_sysfs_stat(const char *pool, int idx, __u64 *val)
{
	char path[512], buf[64];
	ssize_t len;
	size_t span;
	int err;

	sysfs_path(path, sizeof(path), pool, stat_names[idx]);
	len = read_text(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	span = strspn(buf, idx == ST_FLAGS ? "PZU-" : "0123456789");
	err = idx == ST_FLAGS ? parse_flags(buf, val) : parse_ull(buf, val);
	if (!len || span != (size_t)len - 1 || buf[span] != '\n' || err) {
		set_why("%s: \"%s\" is not one value and a newline", path,
			buf);
		return -EINVAL;
	}
	return 0;
}

/* Read every sysfs file of @pool: 0, or the first read_sysfs_stat() error. */
static inline int read_sysfs(const char *pool, struct pool_st *st)
{
	int i, err;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < NR_STATS; i++) {
		err = read_sysfs_stat(pool, i, &st->v[i]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The sysfs directory of @pool holds the files of the spec, one per stats
 * key, each a regular file of mode 0444, and no other file.
 */
static inline void check_sysfs_files(struct __test_metadata *_metadata,
				     const char *pool, const char *step)
{
	bool seen[NR_STATS] = { false };
	char dir[256], path[512];
	struct dirent *de;
	DIR *d;
	int i;

	sysfs_path(dir, sizeof(dir), pool, NULL);
	d = opendir(dir);
	ASSERT_NE(NULL, d) TH_LOG("%s: %s: %s", step, dir, strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		i = stat_index(de->d_name);
		EXPECT_LE(0, i)
			TH_LOG("%s: %s/%s is not a file of the spec", step,
			       dir, de->d_name);
		if (i >= 0)
			seen[i] = true;
	}
	closedir(d);
	for (i = 0; i < NR_STATS; i++) {
		EXPECT_TRUE(seen[i])
			TH_LOG("%s: no %s in %s", step, stat_name(i), dir);
		if (!seen[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, stat_names[i]);
		check_mode_0444(_metadata, path);
	}
}

/*
 * Every sysfs file of @pool as the spec has it, each value equal to the
 * key of the same name in <pool>/stats.  The pool must be idle: both
 * are read one after the other.
 */
static inline void check_sysfs(struct __test_metadata *_metadata,
			       const char *pool, const char *step)
{
	struct pool_st sys, st;
	int i;

	check_sysfs_files(_metadata, pool, step);
	ASSERT_EQ(0, read_sysfs(pool, &sys)) TH_LOG("%s: %s", step, why);
	ASSERT_EQ(0, read_stats(pool, &st)) TH_LOG("%s: %s", step, why);
	for (i = 0; i < NR_STATS; i++)
		EXPECT_EQ(st.v[i], sys.v[i])
			TH_LOG("%s: pool %s: sysfs %s differs from stats",
			       step, pool, stat_name(i));
}

/* The letters of the driver's "create" for FL_* @flags: "PZUN", or "-". */
static inline const char *cmd_flags_str(__u64 flags, char *buf)
{
	size_t len;

	flags_str(flags, buf);
	if (flags & FL_N) {
		len = buf[0] == '-' ? 0 : strlen(buf);
		buf[len] = 'N';
		buf[len + 1] = '\0';
	}
	return buf;
}

/* ---- the kernel log ---------------------------------------------------- */

/* The whole kernel log buffer, NUL-terminated (free() it), or NULL. */
static inline char *klog_read(void)
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
static inline const char *klog_since(const char *before, const char *after)
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
static inline const char *klog_message(const char *line)
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
static inline int klog_find(const char *log, const char *word, char *last,
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

/*
 * Whether @msg (of @len bytes) contains @word as a whole: a word that
 * ends in a letter or digit must not go on with another one, so that
 * "block 1" is not found in "block 12".
 */
static inline bool msg_has_word(const char *msg, size_t len, const char *word)
{
	size_t wlen = strlen(word), off = 0;
	const char *hit;
	bool wordy_end = wlen && isalnum((unsigned char)word[wlen - 1]);

	while ((hit = memmem(msg + off, len - off, word, wlen))) {
		size_t end = hit - msg + wlen;

		if (!wordy_end || end == len ||
		    !(isalnum((unsigned char)msg[end]) || msg[end] == '_'))
			return true;
		off = hit - msg + 1;
	}
	return false;
}

/*
 * Count the lines of @log whose message (prefixes stripped) contains
 * each of @words (up to a NULL), as msg_has_word() does.  Copy the first
 * such message to @first (of @size bytes).
 */
static inline int klog_count(const char *log, const char *const *words,
			     char *first, size_t size)
{
	const char *line, *eol, *msg;
	const char *const *word;
	size_t len;
	int nr = 0;

	first[0] = '\0';
	for (line = log; *line; line = *eol ? eol + 1 : eol) {
		eol = strchrnul(line, '\n');
		msg = klog_message(line);
		if (msg >= eol)
			continue;
		for (word = words; *word; word++)
			if (!msg_has_word(msg, eol - msg, *word))
				break;
		if (*word)
			continue;
		if (!nr++) {
			len = eol - msg < (long)size ? (size_t)(eol - msg) :
							size - 1;
			memcpy(first, msg, len);
			first[len] = '\0';
		}
	}
	return nr;
}

/* The kernel log since @before, or NULL; free() the result. */
static inline char *klog_read_since(const char *before)
{
	char *after = klog_read();
	const char *since;
	char *copy;

	if (!after)
		return NULL;
	since = klog_since(before, after);
	copy = strdup(since);
	free(after);
	return copy;
}

/* ---- more files ------------------------------------------------------- */

/* write() @text to @path in one go: 0, or -errno. */
static inline int write_text(const char *path, const char *text)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		set_why("open %s: %s", path, strerror(err));
		return -err;
	}
	n = write(fd, text, strlen(text));
	err = n < 0 ? errno : 0;
	close(fd);
	if (n < 0) {
		set_why("write \"%s\" to %s: %s", text, path, strerror(err));
		return -err;
	}
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

/* Whether @symbol, printed by %pS, is in function @func of our driver. */
static inline bool is_caller(const char *symbol, const char *func)
{
	size_t len = strlen(func);

	return !strncmp(symbol, func, len) && symbol[len] == '+' &&
	       strstr(symbol, " [" TMM_MOD "]");
}

#endif /* MPOOL_SELFTEST_H */
