// SPDX-License-Identifier: GPL-2.0
/*
 * mpoolstat - show the statistics of mempool_mod's pools
 *
 * mempool_mod publishes each pool in /sys/kernel/mempool_mod/<pool>/, one
 * file per value: a decimal number and a newline, or for "flags" the
 * debug letters.  This tool reads every pool's files and prints a table
 * like slabtop's, sorted by a column, or one JSON document per sample for
 * scripts, or Prometheus's text format for node_exporter's textfile
 * collector.  With -i it samples again every interval and shows, like
 * vmstat, the activity since the previous sample as rates over the time
 * measured between the two samples (CLOCK_MONOTONIC).
 *
 * A pool can be destroyed at any moment: its files then fail with ENOENT
 * (gone) or ENODEV (being destroyed).  Such a pool is left out of the
 * sample and named on stderr (and in the JSON's "gone" list).
 *
 * mempool_mod 1.2.0 added a pool's regions: min_blocks, max_blocks,
 * nr_regions, grows, shrinks and grow_failures.  A 1.1 module has none of
 * these files, and mpoolstat still shows its pools: what they would hold
 * is "-" in the table, null in JSON, and no series in Prometheus's format.
 * A pool with some of them but not all is an error, as any missing file.
 *
 * Exit status: 0 success, 1 an error (unreadable or malformed file,
 * output failed), 2 bad usage, 3 the module is not loaded.
 *
 * MPOOLSTAT_SYSFS=DIR reads DIR instead of /sys/kernel/mempool_mod: for
 * tests against a fake tree.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYSFS_DIR		"/sys/kernel/mempool_mod"
#define MODULE_DIR		"/sys/module/mempool_mod"
#define SYSFS_ENV		"MPOOLSTAT_SYSFS"

#define STATUS_ERROR		1
#define STATUS_USAGE		2
#define STATUS_NOT_LOADED	3

/* Longest value file we expect: a 20-digit number or the flags. */
#define VALUE_MAX		64
#define FLAGS_MAX		16
/* Widest cell of the table: a 20-digit number or a formatted rate. */
#define CELL_MAX		32

/* The files of a pool that hold a number, in the spec's order. */
enum field {
	F_BLOCK_SIZE, F_ALIGN, F_STRIDE, F_NR_BLOCKS, F_REGION_BYTES,
	F_META_BYTES, F_REDZONE_BYTES, F_CACHE_SIZE,
	F_IN_USE, F_FREE, F_CACHED, F_PEAK_IN_USE, F_ALLOCS, F_FREES,
	F_ALLOC_FAILURES, F_INVALID_FREES, F_DOUBLE_FREES, F_POISON_ERRORS,
	F_REDZONE_ERRORS, F_FREELIST_ERRORS, F_QUARANTINED,
	F_MIN_BLOCKS, F_MAX_BLOCKS, F_NR_REGIONS, F_GROWS, F_SHRINKS,
	F_GROW_FAILURES,
	NR_FIELDS
};

/* The fields from here on came with 1.2.0: absent from a 1.1 module. */
#define FIRST_REGION_FIELD	F_MIN_BLOCKS

static const char * const field_names[NR_FIELDS] = {
	[F_BLOCK_SIZE]		= "block_size",
	[F_ALIGN]		= "align",
	[F_STRIDE]		= "stride",
	[F_NR_BLOCKS]		= "nr_blocks",
	[F_REGION_BYTES]	= "region_bytes",
	[F_META_BYTES]		= "meta_bytes",
	[F_REDZONE_BYTES]	= "redzone_bytes",
	[F_CACHE_SIZE]		= "cache_size",
	[F_IN_USE]		= "in_use",
	[F_FREE]		= "free",
	[F_CACHED]		= "cached",
	[F_PEAK_IN_USE]		= "peak_in_use",
	[F_ALLOCS]		= "allocs",
	[F_FREES]		= "frees",
	[F_ALLOC_FAILURES]	= "alloc_failures",
	[F_INVALID_FREES]	= "invalid_frees",
	[F_DOUBLE_FREES]	= "double_frees",
	[F_POISON_ERRORS]	= "poison_errors",
	[F_REDZONE_ERRORS]	= "redzone_errors",
	[F_FREELIST_ERRORS]	= "freelist_errors",
	[F_QUARANTINED]		= "quarantined",
	[F_MIN_BLOCKS]		= "min_blocks",
	[F_MAX_BLOCKS]		= "max_blocks",
	[F_NR_REGIONS]		= "nr_regions",
	[F_GROWS]		= "grows",
	[F_SHRINKS]		= "shrinks",
	[F_GROW_FAILURES]	= "grow_failures",
};

/* What a pool did between the previous sample and this one. */
struct activity {
	bool known;		/* false: the pool is new, or was re-created */
	unsigned long long allocs;
	unsigned long long frees;
	unsigned long long alloc_failures;
	long long in_use;	/* change of in_use, may be negative */
	bool regions_known;	/* false: a 1.1 module's pool, in either sample */
	unsigned long long grows;
	unsigned long long shrinks;
	unsigned long long grow_failures;
};

struct pool {
	char name[NAME_MAX + 1];
	char flags[FLAGS_MAX];		/* "PZU" letters, or "-" */
	unsigned long long val[NR_FIELDS];
	bool has_regions;		/* the files of 1.2.0 are there */
	struct activity delta;
};

struct sample {
	struct pool *pools;
	size_t nr_pools;
	size_t cap_pools;
	char **gone;			/* pools left out: names */
	size_t nr_gone;
	struct timespec when;		/* CLOCK_MONOTONIC, at the first read */
	struct timespec wall;		/* CLOCK_REALTIME, the same moment */
	double interval;		/* seconds since the previous sample; 0: none */
};

/* The table's columns; the header of each is also its key for -s. */
enum column {
	C_NAME, C_BLOCK_SIZE, C_NR_BLOCKS, C_MAX_BLOCKS, C_REGIONS, C_IN_USE,
	C_FREE, C_PEAK_IN_USE, C_ALLOCS, C_FREES, C_ALLOC_FAILURES, C_REFUSED,
	C_ERRORS, C_FLAGS,
	C_ALLOCS_RATE, C_FREES_RATE, C_FAILURES_RATE, C_IN_USE_DELTA,
	C_GROWS_DELTA, C_SHRINKS_DELTA,
	NR_COLUMNS
};

#define FIRST_ACTIVITY_COLUMN	C_ALLOCS_RATE

static const char * const column_names[NR_COLUMNS] = {
	[C_NAME]		= "name",
	[C_BLOCK_SIZE]		= "block_size",
	[C_NR_BLOCKS]		= "nr_blocks",
	[C_MAX_BLOCKS]		= "max_blocks",
	[C_REGIONS]		= "regions",
	[C_IN_USE]		= "in_use",
	[C_FREE]		= "free",
	[C_PEAK_IN_USE]		= "peak_in_use",
	[C_ALLOCS]		= "allocs",
	[C_FREES]		= "frees",
	[C_ALLOC_FAILURES]	= "alloc_failures",
	[C_REFUSED]		= "refused",
	[C_ERRORS]		= "errors",
	[C_FLAGS]		= "flags",
	[C_ALLOCS_RATE]		= "allocs/s",
	[C_FREES_RATE]		= "frees/s",
	[C_FAILURES_RATE]	= "failures/s",
	[C_IN_USE_DELTA]	= "in_use_delta",
	[C_GROWS_DELTA]		= "grows_delta",
	[C_SHRINKS_DELTA]	= "shrinks_delta",
};

enum format { FORMAT_TABLE, FORMAT_JSON, FORMAT_PROMETHEUS };

struct options {
	const char *dir;
	enum format format;
	enum column sort;
	double interval;		/* seconds; 0: one sample */
	unsigned long count;		/* samples; 0: until killed */
};

static const char *progname = "mpoolstat";

/* ---- reading a pool ---------------------------------------------------- */

enum read_result { POOL_READ, POOL_GONE, POOL_ERROR };

/* Read the file @file of the pool directory @dirfd, without its newline. */
static int read_value(int dirfd, const char *file, char *buf, size_t size)
{
	ssize_t len;
	int fd, err;

	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (len < 0)
		return -err;
	buf[len] = '\0';
	if (len == 0 || buf[len - 1] != '\n')
		return -EBADMSG;
	buf[len - 1] = '\0';
	return 0;
}

static bool parse_number(const char *s, unsigned long long *val)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*val = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* "-", or capital letters: "PZU" now, any letter a later module adds. */
static bool valid_flags(const char *s)
{
	return *s && strlen(s) < FLAGS_MAX && strspn(s, "-ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(s);
}

/*
 * A file of a pool could not be read: the pool is gone if it was being
 * destroyed (ENODEV) or its directory went (ENOENT and no directory);
 * anything else is an error, said on stderr.
 */
static enum read_result read_failed(const struct options *opt, int rootfd,
				    const char *pool, const char *file, int err)
{
	if (err == -ENODEV ||
	    (err == -ENOENT && faccessat(rootfd, pool, F_OK, 0) && errno == ENOENT))
		return POOL_GONE;
	if (err == -EBADMSG)
		fprintf(stderr, "%s: %s/%s/%s: not a value and a newline\n",
			progname, opt->dir, pool, file);
	else
		fprintf(stderr, "%s: %s/%s/%s: %s\n", progname, opt->dir, pool,
			file, strerror(-err));
	return POOL_ERROR;
}

/*
 * Whether reading field @f of the pool @pool (open as @dirfd) failed with
 * @err as it does on a 1.1 module: @f is the first of 1.2.0's files, it
 * is not there but the pool's directory is (else the pool is gone), and
 * neither is any other of them.  A module has them all or none: a pool
 * with some but not all is broken, and said so.
 */
static bool older_module(int rootfd, int dirfd, const char *pool,
			 enum field f, int err)
{
	if (f != FIRST_REGION_FIELD || err != -ENOENT ||
	    faccessat(rootfd, pool, F_OK, 0))
		return false;
	for (f++; f < NR_FIELDS; f++)
		if (!faccessat(dirfd, field_names[f], F_OK, 0) || errno != ENOENT)
			return false;
	return true;
}

static enum read_result read_pool(const struct options *opt, int rootfd,
				  const char *name, struct pool *p)
{
	char buf[VALUE_MAX];
	int dirfd, err = 0;
	enum field f;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	dirfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return read_failed(opt, rootfd, name, ".", -errno);

	for (f = 0; f < NR_FIELDS && !err; f++) {
		err = read_value(dirfd, field_names[f], buf, sizeof(buf));
		if (!err && !parse_number(buf, &p->val[f]))
			err = -EBADMSG;
		if (err)
			break;
	}
	if (!err)
		p->has_regions = true;
	else if (older_module(rootfd, dirfd, name, f, err))
		err = 0;
	if (err) {
		close(dirfd);
		return read_failed(opt, rootfd, name, field_names[f], err);
	}

	err = read_value(dirfd, "flags", buf, sizeof(buf));
	close(dirfd);
	if (!err && !valid_flags(buf))
		err = -EBADMSG;
	if (err)
		return read_failed(opt, rootfd, name, "flags", err);
	snprintf(p->flags, sizeof(p->flags), "%s", buf);
	return POOL_READ;
}

/* ---- reading a sample -------------------------------------------------- */

static void *xrealloc(void *ptr, size_t nmemb, size_t size)
{
	ptr = reallocarray(ptr, nmemb, size);
	if (!ptr) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(STATUS_ERROR);
	}
	return ptr;
}

static struct pool *sample_new_pool(struct sample *s)
{
	if (s->nr_pools == s->cap_pools) {
		s->cap_pools = s->cap_pools ? 2 * s->cap_pools : 16;
		s->pools = xrealloc(s->pools, s->cap_pools, sizeof(*s->pools));
	}
	return &s->pools[s->nr_pools];
}

static void sample_add_gone(struct sample *s, const char *name)
{
	s->gone = xrealloc(s->gone, s->nr_gone + 1, sizeof(*s->gone));
	s->gone[s->nr_gone] = strdup(name);
	if (!s->gone[s->nr_gone]) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(STATUS_ERROR);
	}
	s->nr_gone++;
}

static void sample_clear(struct sample *s)
{
	size_t i;

	for (i = 0; i < s->nr_gone; i++)
		free(s->gone[i]);
	free(s->gone);
	s->gone = NULL;
	s->nr_gone = 0;
	s->nr_pools = 0;
	s->interval = 0;
}

static bool is_directory(int rootfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return !fstatat(rootfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISDIR(st.st_mode);
}

/* Say why the directory of the pools is not there, and how to exit. */
static int report_no_directory(const struct options *opt, int err)
{
	if (err != ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", progname, opt->dir, strerror(err));
		return STATUS_ERROR;
	}
	if (getenv(SYSFS_ENV)) {
		fprintf(stderr, "%s: %s=%s: no such directory\n", progname,
			SYSFS_ENV, opt->dir);
		return STATUS_NOT_LOADED;
	}
	if (!access(MODULE_DIR, F_OK)) {
		fprintf(stderr, "%s: mempool_mod is loaded without %s: older than mpoolstat\n",
			progname, SYSFS_DIR);
		return STATUS_ERROR;
	}
	fprintf(stderr, "%s: mempool_mod is not loaded (no %s)\n", progname,
		SYSFS_DIR);
	return STATUS_NOT_LOADED;
}

/* Read every pool into @s.  Return 0, or the exit status to end with. */
static int read_sample(const struct options *opt, struct sample *s)
{
	struct dirent *de;
	DIR *dir;

	sample_clear(s);
	dir = opendir(opt->dir);
	if (!dir)
		return report_no_directory(opt, errno);
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	clock_gettime(CLOCK_REALTIME, &s->wall);

	for (errno = 0; (de = readdir(dir)); errno = 0) {
		if (de->d_name[0] == '.' || !is_directory(dirfd(dir), de))
			continue;
		switch (read_pool(opt, dirfd(dir), de->d_name, sample_new_pool(s))) {
		case POOL_READ:
			s->nr_pools++;
			break;
		case POOL_GONE:
			sample_add_gone(s, de->d_name);
			break;
		case POOL_ERROR:
			closedir(dir);
			return STATUS_ERROR;
		}
	}
	if (errno) {
		fprintf(stderr, "%s: %s: %s\n", progname, opt->dir, strerror(errno));
		closedir(dir);
		return STATUS_ERROR;
	}
	closedir(dir);
	return 0;
}

/* ---- comparing with the previous sample -------------------------------- */

static const struct pool *find_pool(const struct sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nr_pools; i++)
		if (!strcmp(s->pools[i].name, name))
			return &s->pools[i];
	return NULL;
}

static bool was_gone(const struct sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nr_gone; i++)
		if (!strcmp(s->gone[i], name))
			return true;
	return false;
}

static double seconds_between(const struct timespec *from,
			      const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	       (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

/*
 * The activity of @now since @then.  A counter that went backwards means
 * the pool was destroyed and created again under the same name: its
 * activity is unknown.
 */
static struct activity activity_since(const struct pool *then,
				      const struct pool *now)
{
	struct activity a = { .known = false };

	if (now->val[F_ALLOCS] < then->val[F_ALLOCS] ||
	    now->val[F_FREES] < then->val[F_FREES] ||
	    now->val[F_ALLOC_FAILURES] < then->val[F_ALLOC_FAILURES])
		return a;
	a.known = true;
	a.allocs = now->val[F_ALLOCS] - then->val[F_ALLOCS];
	a.frees = now->val[F_FREES] - then->val[F_FREES];
	a.alloc_failures = now->val[F_ALLOC_FAILURES] - then->val[F_ALLOC_FAILURES];
	a.in_use = (long long)(now->val[F_IN_USE] - then->val[F_IN_USE]);
	if (!then->has_regions || !now->has_regions)
		return a;
	if (now->val[F_GROWS] < then->val[F_GROWS] ||
	    now->val[F_SHRINKS] < then->val[F_SHRINKS] ||
	    now->val[F_GROW_FAILURES] < then->val[F_GROW_FAILURES]) {
		a.known = false;
		return a;
	}
	a.regions_known = true;
	a.grows = now->val[F_GROWS] - then->val[F_GROWS];
	a.shrinks = now->val[F_SHRINKS] - then->val[F_SHRINKS];
	a.grow_failures = now->val[F_GROW_FAILURES] - then->val[F_GROW_FAILURES];
	return a;
}

/*
 * Give each pool of @now its activity since @prev, and name in @now's
 * gone list the pools of @prev that are no longer there.
 */
static void compare_samples(const struct sample *prev, struct sample *now)
{
	const struct pool *then;
	size_t i;

	now->interval = seconds_between(&prev->when, &now->when);
	for (i = 0; i < now->nr_pools; i++) {
		then = find_pool(prev, now->pools[i].name);
		if (then)
			now->pools[i].delta = activity_since(then, &now->pools[i]);
	}
	for (i = 0; i < prev->nr_pools; i++)
		if (!find_pool(now, prev->pools[i].name) &&
		    !was_gone(now, prev->pools[i].name))
			sample_add_gone(now, prev->pools[i].name);
}

static void report_gone(const struct sample *s)
{
	size_t i;

	for (i = 0; i < s->nr_gone; i++)
		fprintf(stderr, "%s: pool %s is gone: left out of this sample\n",
			progname, s->gone[i]);
}

/* ---- the values of a column -------------------------------------------- */

/* Whether @p has the field @f: 1.2.0's fields are not on a 1.1 module. */
static bool has_field(const struct pool *p, enum field f)
{
	return f < FIRST_REGION_FIELD || p->has_regions;
}

static unsigned long long refused_frees(const struct pool *p)
{
	return p->val[F_INVALID_FREES] + p->val[F_DOUBLE_FREES];
}

static unsigned long long corruptions(const struct pool *p)
{
	return p->val[F_POISON_ERRORS] + p->val[F_REDZONE_ERRORS] +
	       p->val[F_FREELIST_ERRORS];
}

static bool is_activity_column(enum column c)
{
	return c >= FIRST_ACTIVITY_COLUMN;
}

/* Whether @p has a value for the column @c: a 1.1 module has no regions. */
static bool counter_known(const struct pool *p, enum column c)
{
	return (c != C_MAX_BLOCKS && c != C_REGIONS) || p->has_regions;
}

static unsigned long long counter_column(const struct pool *p, enum column c)
{
	switch (c) {
	case C_BLOCK_SIZE:	return p->val[F_BLOCK_SIZE];
	case C_NR_BLOCKS:	return p->val[F_NR_BLOCKS];
	case C_MAX_BLOCKS:	return p->val[F_MAX_BLOCKS];
	case C_REGIONS:		return p->val[F_NR_REGIONS];
	case C_IN_USE:		return p->val[F_IN_USE];
	case C_FREE:		return p->val[F_FREE];
	case C_PEAK_IN_USE:	return p->val[F_PEAK_IN_USE];
	case C_ALLOCS:		return p->val[F_ALLOCS];
	case C_FREES:		return p->val[F_FREES];
	case C_ALLOC_FAILURES:	return p->val[F_ALLOC_FAILURES];
	case C_REFUSED:		return refused_frees(p);
	case C_ERRORS:		return corruptions(p);
	default:		return 0;
	}
}

/* A rate or change of an activity column; NAN when not known. */
static double activity_column(const struct pool *p, double interval,
			      enum column c)
{
	if (!p->delta.known || interval <= 0)
		return NAN;
	/* A 1.1 module's pool, in either sample: no region counters. */
	if ((c == C_GROWS_DELTA || c == C_SHRINKS_DELTA) && !p->delta.regions_known)
		return NAN;
	switch (c) {
	case C_ALLOCS_RATE:	return p->delta.allocs / interval;
	case C_FREES_RATE:	return p->delta.frees / interval;
	case C_FAILURES_RATE:	return p->delta.alloc_failures / interval;
	case C_IN_USE_DELTA:	return p->delta.in_use;
	case C_GROWS_DELTA:	return p->delta.grows;
	case C_SHRINKS_DELTA:	return p->delta.shrinks;
	default:		return NAN;
	}
}

/* ---- sorting ----------------------------------------------------------- */

static enum column sort_column;
static double sort_interval;

/* Numbers sort largest first; unknown activity or regions sort last. */
static int compare_activity(const struct pool *p, const struct pool *q)
{
	double a = activity_column(p, sort_interval, sort_column);
	double b = activity_column(q, sort_interval, sort_column);

	if (isnan(a) || isnan(b))
		return !!isnan(a) - !!isnan(b);
	return (a < b) - (a > b);
}

static int compare_pools(const void *x, const void *y)
{
	const struct pool *p = x, *q = y;
	unsigned long long a, b;
	int order;

	switch (sort_column) {
	case C_NAME:
		return strcmp(p->name, q->name);
	case C_FLAGS:
		order = strcmp(p->flags, q->flags);
		break;
	default:
		if (is_activity_column(sort_column)) {
			order = compare_activity(p, q);
			break;
		}
		if (!counter_known(p, sort_column) || !counter_known(q, sort_column)) {
			order = !counter_known(p, sort_column) -
				!counter_known(q, sort_column);
			break;
		}
		a = counter_column(p, sort_column);
		b = counter_column(q, sort_column);
		order = (a < b) - (a > b);
	}
	return order ? order : strcmp(p->name, q->name);
}

static void sort_sample(struct sample *s, enum column by)
{
	sort_column = by;
	sort_interval = s->interval;
	qsort(s->pools, s->nr_pools, sizeof(*s->pools), compare_pools);
}

/* ---- the table --------------------------------------------------------- */

static void format_cell(char *cell, const struct pool *p, double interval,
			enum column c)
{
	double v;

	if (c == C_NAME) {
		snprintf(cell, CELL_MAX, "%.*s", CELL_MAX - 1, p->name);
	} else if (c == C_FLAGS) {
		snprintf(cell, CELL_MAX, "%s", p->flags);
	} else if (!is_activity_column(c)) {
		if (counter_known(p, c))
			snprintf(cell, CELL_MAX, "%llu", counter_column(p, c));
		else
			snprintf(cell, CELL_MAX, "-");
	} else {
		v = activity_column(p, interval, c);
		if (isnan(v))
			snprintf(cell, CELL_MAX, "-");
		else if (c == C_IN_USE_DELTA)
			snprintf(cell, CELL_MAX, "%+lld", p->delta.in_use);
		else if (c == C_GROWS_DELTA)
			snprintf(cell, CELL_MAX, "%llu", p->delta.grows);
		else if (c == C_SHRINKS_DELTA)
			snprintf(cell, CELL_MAX, "%llu", p->delta.shrinks);
		else
			snprintf(cell, CELL_MAX, "%.1f", v);
	}
}

static bool left_aligned(enum column c)
{
	return c == C_NAME || c == C_FLAGS;
}

static void print_row(char cells[][CELL_MAX], const int *width, int nr_columns)
{
	int c;

	for (c = 0; c < nr_columns; c++) {
		if (c)
			putchar(' ');
		if (!left_aligned(c))
			printf("%*s", width[c], cells[c]);
		else if (c < nr_columns - 1)
			printf("%-*s", width[c], cells[c]);
		else
			printf("%s", cells[c]);
	}
	putchar('\n');
}

/* The table, each column as wide as its widest cell. */
static void print_table(const struct sample *s, bool with_activity)
{
	int nr_columns = with_activity ? NR_COLUMNS : FIRST_ACTIVITY_COLUMN;
	char (*cells)[NR_COLUMNS][CELL_MAX];
	int width[NR_COLUMNS];
	size_t i;
	int c;

	cells = xrealloc(NULL, s->nr_pools + 1, sizeof(*cells));
	for (c = 0; c < nr_columns; c++) {
		snprintf(cells[0][c], CELL_MAX, "%s", column_names[c]);
		width[c] = strlen(cells[0][c]);
	}
	for (i = 0; i < s->nr_pools; i++) {
		for (c = 0; c < nr_columns; c++) {
			format_cell(cells[i + 1][c], &s->pools[i], s->interval, c);
			if ((int)strlen(cells[i + 1][c]) > width[c])
				width[c] = strlen(cells[i + 1][c]);
		}
	}
	for (i = 0; i <= s->nr_pools; i++)
		print_row(cells[i], width, nr_columns);
	free(cells);
}

/* ---- JSON -------------------------------------------------------------- */

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json_activity(const struct pool *p, double interval)
{
	const struct activity *d = &p->delta;

	if (!d->known || interval <= 0) {
		printf(",\"delta\":null,\"rate\":null");
		return;
	}
	printf(",\"delta\":{\"allocs\":%llu,\"frees\":%llu", d->allocs, d->frees);
	printf(",\"alloc_failures\":%llu,\"in_use\":%lld", d->alloc_failures,
	       d->in_use);
	if (d->regions_known)
		printf(",\"grows\":%llu,\"shrinks\":%llu,\"grow_failures\":%llu}",
		       d->grows, d->shrinks, d->grow_failures);
	else
		printf(",\"grows\":null,\"shrinks\":null,\"grow_failures\":null}");
	printf(",\"rate\":{\"allocs\":%.3f,\"frees\":%.3f,\"alloc_failures\":%.3f}",
	       d->allocs / interval, d->frees / interval,
	       d->alloc_failures / interval);
}

static void print_json_pool(const struct pool *p, double interval)
{
	enum field f;

	printf("{\"name\":");
	print_json_string(p->name);
	printf(",\"flags\":");
	print_json_string(p->flags);
	for (f = 0; f < NR_FIELDS; f++) {
		if (has_field(p, f))
			printf(",\"%s\":%llu", field_names[f], p->val[f]);
		else
			printf(",\"%s\":null", field_names[f]);
	}
	printf(",\"refused\":%llu,\"errors\":%llu", refused_frees(p),
	       corruptions(p));
	print_json_activity(p, interval);
	putchar('}');
}

/* One sample, one line: a JSON document. */
static void print_json(const struct sample *s, unsigned long number)
{
	size_t i;

	printf("{\"sample\":%lu,\"time\":%lld.%03ld,\"interval_s\":", number,
	       (long long)s->wall.tv_sec, s->wall.tv_nsec / 1000000);
	if (s->interval > 0)
		printf("%.6f", s->interval);
	else
		printf("null");
	printf(",\"pools\":[");
	for (i = 0; i < s->nr_pools; i++) {
		if (i)
			putchar(',');
		print_json_pool(&s->pools[i], s->interval);
	}
	printf("],\"gone\":[");
	for (i = 0; i < s->nr_gone; i++) {
		if (i)
			putchar(',');
		print_json_string(s->gone[i]);
	}
	printf("]}\n");
}

/* ---- Prometheus -------------------------------------------------------- */

/* One time series: a family's name, its help, and the value it shows. */
struct metric {
	const char *name;
	const char *type;
	const char *help;
	enum field field;
	const char *label;	/* another label than pool, or NULL */
};

#define GAUGE(n, h, f)		{ .name = n, .type = "gauge", .help = h, .field = f }
#define COUNTER(n, h, f)	{ .name = n, .type = "counter", .help = h, .field = f }
#define COUNTER_BY(n, h, f, l)	{ .name = n, .type = "counter", .help = h, .field = f, .label = l }
/* Another series of the family of the entry before it. */
#define SERIES(n, f, l)		{ .name = n, .field = f, .label = l }

static const struct metric metrics[] = {
	GAUGE("mempool_mod_block_size_bytes", "Usable bytes of each block.", F_BLOCK_SIZE),
	GAUGE("mempool_mod_align_bytes", "Alignment of every block.", F_ALIGN),
	GAUGE("mempool_mod_stride_bytes", "Distance between two blocks.", F_STRIDE),
	GAUGE("mempool_mod_blocks", "Blocks in the pool.", F_NR_BLOCKS),
	GAUGE("mempool_mod_region_bytes", "Bytes of the pool's regions.", F_REGION_BYTES),
	GAUGE("mempool_mod_meta_bytes", "Bytes the pool costs beyond its regions.",
	      F_META_BYTES),
	GAUGE("mempool_mod_redzone_bytes", "Guard bytes after each block.", F_REDZONE_BYTES),
	GAUGE("mempool_mod_cpu_cache_blocks", "Most free blocks each CPU caches.",
	      F_CACHE_SIZE),
	GAUGE("mempool_mod_blocks_in_use", "Blocks handed out now.", F_IN_USE),
	GAUGE("mempool_mod_blocks_free", "Blocks that can still be handed out.", F_FREE),
	GAUGE("mempool_mod_blocks_cached", "Free blocks in the CPUs' caches now.", F_CACHED),
	GAUGE("mempool_mod_blocks_in_use_peak", "Highest count of blocks in use so far.",
	      F_PEAK_IN_USE),
	GAUGE("mempool_mod_blocks_quarantined", "Blocks out of service after a corruption.",
	      F_QUARANTINED),
	COUNTER("mempool_mod_allocs_total", "Successful allocations.", F_ALLOCS),
	COUNTER("mempool_mod_frees_total", "Accepted frees.", F_FREES),
	COUNTER("mempool_mod_alloc_failures_total", "Allocations that returned NULL.",
		F_ALLOC_FAILURES),
	COUNTER_BY("mempool_mod_refused_frees_total", "Frees refused, by reason.",
		   F_INVALID_FREES, "reason=\"invalid\""),
	SERIES("mempool_mod_refused_frees_total", F_DOUBLE_FREES, "reason=\"double\""),
	COUNTER_BY("mempool_mod_corruptions_total", "Corruptions found, by kind.",
		   F_POISON_ERRORS, "kind=\"poison\""),
	SERIES("mempool_mod_corruptions_total", F_REDZONE_ERRORS, "kind=\"redzone\""),
	SERIES("mempool_mod_corruptions_total", F_FREELIST_ERRORS, "kind=\"freelist\""),
	/* Since 1.2.0: no series for a 1.1 module's pool. */
	GAUGE("mempool_mod_blocks_min", "Blocks of the first region, kept for life.",
	      F_MIN_BLOCKS),
	GAUGE("mempool_mod_blocks_max", "Most blocks the pool may grow to.", F_MAX_BLOCKS),
	GAUGE("mempool_mod_regions", "Regions the pool has now.", F_NR_REGIONS),
	COUNTER("mempool_mod_grows_total", "Regions added to the pool.", F_GROWS),
	COUNTER("mempool_mod_shrinks_total", "Regions given back by the pool.", F_SHRINKS),
	COUNTER("mempool_mod_grow_failures_total",
		"Regions that could not be added for want of memory.", F_GROW_FAILURES),
};

/* A label value, escaped as the text format wants. */
static void print_label_value(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void print_series_start(const char *name, const struct pool *p)
{
	printf("%s{pool=\"", name);
	print_label_value(p->name);
	putchar('"');
}

/*
 * Whether any pool of @s has the field @f: a family none has (1.2.0's on
 * a 1.1 module) is left out whole, HELP and TYPE too.
 */
static bool any_has_field(const struct sample *s, enum field f)
{
	size_t i;

	for (i = 0; i < s->nr_pools; i++)
		if (has_field(&s->pools[i], f))
			return true;
	return false;
}

static void print_prometheus(const struct sample *s)
{
	const struct metric *m;
	size_t i;

	for (m = metrics; m < metrics + sizeof(metrics) / sizeof(*m); m++) {
		if (m->help && any_has_field(s, m->field))
			printf("# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
			       m->name, m->type);
		for (i = 0; i < s->nr_pools; i++) {
			if (!has_field(&s->pools[i], m->field))
				continue;
			print_series_start(m->name, &s->pools[i]);
			if (m->label)
				printf(",%s", m->label);
			printf("} %llu\n", s->pools[i].val[m->field]);
		}
	}
	printf("# HELP mempool_mod_pool_info The pool's debug flags, as debug= takes them.\n");
	printf("# TYPE mempool_mod_pool_info gauge\n");
	for (i = 0; i < s->nr_pools; i++) {
		print_series_start("mempool_mod_pool_info", &s->pools[i]);
		printf(",flags=\"");
		print_label_value(s->pools[i].flags);
		printf("\"} 1\n");
	}
}

/* ---- options ----------------------------------------------------------- */

static void print_help(FILE *out)
{
	fprintf(out,
		"Usage: %s [-s COLUMN] [-i SECONDS [-c COUNT]] [--json | --prometheus]\n"
		"Show the statistics of mempool_mod's pools, from %s.\n"
		"\n"
		"  -s, --sort=COLUMN     sort by COLUMN: numbers largest first, name (the\n"
		"                        default) and flags in ascending order\n"
		"  -i, --interval=SECONDS  sample every SECONDS (a decimal number) and show\n"
		"                        allocs/s, frees/s, failures/s, in_use_delta,\n"
		"                        grows_delta and shrinks_delta\n"
		"  -c, --count=COUNT     with -i, stop after COUNT samples\n"
		"  -j, --json            one JSON document per sample, on one line\n"
		"  -p, --prometheus      Prometheus's text format, for node_exporter's\n"
		"                        textfile collector (one sample, no -i)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Columns: name block_size nr_blocks max_blocks regions in_use free\n"
		"peak_in_use allocs frees alloc_failures refused (invalid_frees +\n"
		"double_frees) errors (poison_errors + redzone_errors + freelist_errors)\n"
		"flags; with -i allocs/s frees/s failures/s in_use_delta grows_delta\n"
		"shrinks_delta.  max_blocks, regions and the last two show - for a\n"
		"mempool_mod older than 1.2.0.\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 bad options, 3 mempool_mod not loaded.\n"
		"%s=DIR reads DIR instead of %s (for tests).\n",
		progname, SYSFS_DIR, SYSFS_ENV, SYSFS_DIR);
}

/* Say "WHAT[ ARG]: PROBLEM" and how to get help; give the exit status. */
static int usage_error(const char *what, const char *arg, const char *problem)
{
	fprintf(stderr, "%s: %s%s%s: %s\nTry '%s --help'.\n", progname, what,
		arg ? " " : "", arg ? arg : "", problem, progname);
	return STATUS_USAGE;
}

static bool parse_column(const char *s, enum column *c)
{
	int i;

	for (i = 0; i < NR_COLUMNS; i++) {
		if (!strcmp(s, column_names[i])) {
			*c = i;
			return true;
		}
	}
	return false;
}

static bool parse_interval(const char *s, double *seconds)
{
	char *end;

	errno = 0;
	*seconds = strtod(s, &end);
	return !errno && end != s && !*end && isfinite(*seconds) &&
	       *seconds > 0 && *seconds <= 86400;
}

static bool parse_count(const char *s, unsigned long *count)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*count = strtoul(s, &end, 10);
	return !errno && !*end && *count > 0;
}

static const struct option long_options[] = {
	{ "sort",	required_argument,	NULL, 's' },
	{ "interval",	required_argument,	NULL, 'i' },
	{ "count",	required_argument,	NULL, 'c' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "prometheus",	no_argument,		NULL, 'p' },
	{ "help",	no_argument,		NULL, 'h' },
	{ }
};

/* The combinations of options that make no sense. */
static int check_options(const struct options *opt, bool count_given)
{
	if (count_given && !opt->interval)
		return usage_error("-c", NULL, "needs -i");
	if (opt->format == FORMAT_PROMETHEUS && opt->interval)
		return usage_error("--prometheus", NULL, "prints one sample: no -i");
	if (is_activity_column(opt->sort) && !opt->interval)
		return usage_error("-s", column_names[opt->sort], "needs -i");
	return 0;
}

/* Fill @opt from the command line.  Return 0, or the exit status. */
static int parse_options(int argc, char **argv, struct options *opt)
{
	bool count_given = false, format_given = false;
	int c;

	while ((c = getopt_long(argc, argv, "s:i:c:jph", long_options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_column(optarg, &opt->sort))
				return usage_error("-s", optarg, "no such column");
			break;
		case 'i':
			if (!parse_interval(optarg, &opt->interval))
				return usage_error("-i", optarg,
						   "not a number of seconds in (0, 86400]");
			break;
		case 'c':
			if (!parse_count(optarg, &opt->count))
				return usage_error("-c", optarg, "not a count above 0");
			count_given = true;
			break;
		case 'j':
		case 'p':
			if (format_given)
				return usage_error("--json and --prometheus", NULL, "choose one");
			opt->format = c == 'j' ? FORMAT_JSON : FORMAT_PROMETHEUS;
			format_given = true;
			break;
		case 'h':
			print_help(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '%s --help'.\n", progname);
			return STATUS_USAGE;
		}
	}
	if (optind < argc)
		return usage_error(argv[optind], NULL, "unexpected argument");
	if (!opt->interval)
		opt->count = 1;
	return check_options(opt, count_given);
}

/* ---- main -------------------------------------------------------------- */

static void print_sample(const struct options *opt, const struct sample *s,
			 unsigned long number)
{
	switch (opt->format) {
	case FORMAT_TABLE:
		if (number > 1)
			putchar('\n');
		print_table(s, opt->interval > 0);
		break;
	case FORMAT_JSON:
		print_json(s, number);
		break;
	case FORMAT_PROMETHEUS:
		print_prometheus(s);
		break;
	}
}

static void timespec_add(struct timespec *t, double seconds)
{
	long long ns = t->tv_nsec + (long long)(seconds * 1e9);

	t->tv_sec += ns / 1000000000;
	t->tv_nsec = ns % 1000000000;
}

/* Sleep until @deadline on CLOCK_MONOTONIC; at once if it is past. */
static void sleep_until(const struct timespec *deadline)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
		;
}

static int run(const struct options *opt)
{
	struct sample samples[2] = { };
	struct sample *prev = &samples[0], *now = &samples[1], *tmp;
	struct timespec next;
	unsigned long n;
	int status = 0;

	for (n = 1; !opt->count || n <= opt->count; n++) {
		if (n > 1)
			sleep_until(&next);
		status = read_sample(opt, now);
		if (status)
			break;
		if (n > 1)
			compare_samples(prev, now);
		report_gone(now);
		sort_sample(now, opt->sort);
		print_sample(opt, now, n);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "%s: writing the output: %s\n", progname,
				strerror(errno));
			status = STATUS_ERROR;
			break;
		}
		next = now->when;
		timespec_add(&next, opt->interval);
		tmp = prev;
		prev = now;
		now = tmp;
	}
	sample_clear(prev);
	sample_clear(now);
	free(prev->pools);
	free(now->pools);
	return status;
}

int main(int argc, char **argv)
{
	struct options opt = { .dir = SYSFS_DIR, .sort = C_NAME };
	int status;

	status = parse_options(argc, argv, &opt);
	if (status)
		return status;
	if (getenv(SYSFS_ENV))
		opt.dir = getenv(SYSFS_ENV);
	return run(&opt);
}
