// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_mod_trace_test - kselftest for mempool_mod's trace events.
 *
 * Drives a pool of the test driver's own through a known sequence of
 * commands with the events of the "mempool_mod" system enabled, reads
 * /sys/kernel/tracing/trace and checks it against what was driven: one
 * event per counter increment, as many as the pool's debugfs stats moved,
 * with the fields the sequence implies (the pool's name, the driver's
 * functions as call sites, the refusal reasons, the offset of a write
 * after free), every block handed out paired with its free, and nothing
 * written while the events are off.
 *
 * The events are those of issue 12's spec (mpool_alloc, mpool_free,
 * mpool_alloc_fail, mpool_refused_free, mpool_corruption, mpool_wait,
 * mpool_create, mpool_destroy).  Blocks are told apart by the text %p
 * prints for them, the same in every event of a boot: the raw address
 * on the test kernels, booted with no_hash_pointers, a hash elsewhere.
 * Until the kernel has drawn the key it hashes with, %p prints every
 * pointer as "(____ptrval____)", and no two blocks can be told apart: a
 * test that meets one fails and says so, rather than wait for entropy
 * (see UNHASHED_PTR).
 *
 * The tests share one load of the modules (shared_modules() in
 * mpool_selftest.h), and start from the driver's "reset".
 *
 * Must run as root; mounts tracefs and debugfs if they are not.
 */

#include "mpool_selftest.h"

#define TRACEFS_DIR		"/sys/kernel/tracing"
#define TRACE_EVENTS		TRACEFS_DIR "/events/" MPOOL_MOD
#define TRACE_FILE		TRACEFS_DIR "/trace"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC		0x74726163
#endif

/* The events of the spec. */
static const char *const event_names[] = {
	"mpool_alloc", "mpool_free", "mpool_alloc_fail", "mpool_refused_free",
	"mpool_corruption", "mpool_wait", "mpool_create", "mpool_destroy",
};

/* The driver's functions that allocate, free or misuse a block. */
#define FN_ALLOC		"tmm_cmd_alloc"
#define FN_DOUBLE_FREE		"tmm_cmd_double_free"
#define FN_FREE_INTERIOR	"tmm_cmd_free_interior"
#define FN_FREE_OUTSIDE		"tmm_cmd_free_outside"
#define FN_MISUSE_FREE		"tmm_free_to_misuse"
#define FN_REFREE		"tmm_cmd_refree"
#define FN_WAITER		"tmm_waiter_fn"

/*
 * "free <n>" and "free_all" free through tmm_free_last(), which the
 * compiler may inline into either command.
 */
static bool is_bulk_freer(const char *call_site)
{
	return is_caller(call_site, "tmm_free_last") ||
	       is_caller(call_site, "tmm_cmd_free") ||
	       is_caller(call_site, "tmm_cmd_free_all");
}

/* ---- tracefs ----------------------------------------------------------- */

static int ensure_tracefs(void)
{
	struct statfs sfs;

	if (!statfs(TRACEFS_DIR, &sfs) && sfs.f_type == TRACEFS_MAGIC)
		return 0;
	if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL) &&
	    errno != EBUSY) {
		set_why("mount tracefs on %s: %s", TRACEFS_DIR,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Open @path with O_TRUNC and close it: clears the buffer or set_event. */
static int truncate_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0) {
		set_why("open %s: %s", path, strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static int trace_clear(void)
{
	return truncate_file(TRACE_FILE);
}

/* Every event of every system off. */
static int events_all_off(void)
{
	return truncate_file(TRACEFS_DIR "/set_event");
}

/* Switch the events of the mempool_mod system, or one of them, on or off. */
static int event_enable(const char *event, bool on)
{
	char path[256];

	if (event)
		snprintf(path, sizeof(path), "%s/%s/enable", TRACE_EVENTS,
			 event);
	else
		snprintf(path, sizeof(path), "%s/enable", TRACE_EVENTS);
	return write_text(path, on ? "1" : "0");
}

/*
 * What %p prints while the kernel has no key to hash pointers with: it
 * draws one once its RNG is ready, by a work item that may come well
 * after.  The test kernels are booted with no_hash_pointers, so that %p
 * prints the address itself and this never shows; where it does, blocks
 * cannot be told apart, and the test fails with UNHASHED_HOW rather
 * than pass on text that names no block.  UNHASHED_HOW is a format.
 */
#define UNHASHED_PTR		"(____ptrval____)"
#define UNHASHED_HOW \
	"%%p printed " UNHASHED_PTR ": boot with no_hash_pointers (or wait for the RNG)"

/* ---- the trace --------------------------------------------------------- */

struct trace_event {
	char name[32];
	const char *fields;	/* "pool=... ...", inside trace.text */
};

struct trace {
	char *text;
	struct trace_event *ev;
	int nr;
	__u64 in_buffer;	/* the header's entries-in-buffer */
	__u64 written;		/* and entries-written */
	bool have_entries;
	int lost;		/* "[LOST n EVENTS]" lines */
};

static void trace_free(struct trace *t)
{
	free(t->text);
	free(t->ev);
	memset(t, 0, sizeof(*t));
}

/* The whole of @path, NUL-terminated (free() it), or NULL. */
static char *read_all(const char *path)
{
	size_t size = 1 << 16, len = 0;
	char *buf = malloc(size), *bigger;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		set_why("open %s: %s", path, strerror(errno));
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 1 == size) {
			bigger = realloc(buf, size *= 2);
			if (!bigger) {
				set_why("read %s: out of memory", path);
				break;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0) {
			if (n < 0)
				set_why("read %s: %s", path, strerror(errno));
			break;
		}
		len += n;
	}
	close(fd);
	if (n < 0 || len + 1 == size) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Split one line of the trace, "TASK-PID [CPU] FLAGS TIME: EVENT: FIELDS",
 * into its event and fields.  False if it is not such a line.
 */
static bool parse_event_line(char *line, struct trace_event *ev)
{
	char *cpu_end, *time_end, *name_end;
	size_t len;

	cpu_end = strstr(line, "] ");
	time_end = cpu_end ? strstr(cpu_end, ": ") : NULL;
	name_end = time_end ? strstr(time_end + 2, ": ") : NULL;
	if (!name_end) {
		/* An event printed with no fields. */
		if (!time_end)
			return false;
		name_end = time_end + 2 + strlen(time_end + 2);
	}
	len = name_end - (time_end + 2);
	if (!len || len >= sizeof(ev->name))
		return false;
	memcpy(ev->name, time_end + 2, len);
	ev->name[len] = '\0';
	ev->fields = *name_end ? name_end + 2 : name_end;
	return true;
}

/* Read and parse the trace: 0, or -1 with the reason in @why. */
static int trace_read(struct trace *t)
{
	char *line, *save;
	int cap = 0;

	memset(t, 0, sizeof(*t));
	t->text = read_all(TRACE_FILE);
	if (!t->text)
		return -1;
	for (line = strtok_r(t->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			if (sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu",
				   &t->in_buffer, &t->written) == 2)
				t->have_entries = true;
			continue;
		}
		if (strstr(line, "[LOST ") && strstr(line, " EVENTS]")) {
			t->lost++;
			continue;
		}
		if (t->nr == cap) {
			struct trace_event *more;

			cap = cap ? 2 * cap : 256;
			more = realloc(t->ev, cap * sizeof(*more));
			if (!more) {
				set_why("out of memory");
				return -1;
			}
			t->ev = more;
		}
		if (!parse_event_line(line, &t->ev[t->nr])) {
			set_why("%s: not an event line: \"%s\"", TRACE_FILE,
				line);
			return -1;
		}
		t->nr++;
	}
	return 0;
}

/*
 * The value of field @key of @ev into @val (of @size bytes): from after
 * "key=" to the next " word=" or the end of the line, so that a value
 * with a blank, as %pS's "fn+0x1/0x2 [module]", stays whole.  False if
 * the event has no such field.
 */
static bool field(const struct trace_event *ev, const char *key, char *val,
		  size_t size)
{
	const char *p = ev->fields, *end, *q;
	size_t klen = strlen(key), len;

	for (;;) {
		p = strstr(p, key);
		if (!p)
			return false;
		if ((p == ev->fields || p[-1] == ' ') && p[klen] == '=')
			break;
		p++;
	}
	p += klen + 1;
	for (end = p; *end; end++) {
		if (*end != ' ')
			continue;
		for (q = end + 1; islower((unsigned char)*q) || *q == '_'; q++)
			;
		if (q > end + 1 && *q == '=')
			break;
	}
	len = end - p;
	if (len >= size)
		len = size - 1;
	memcpy(val, p, len);
	val[len] = '\0';
	return true;
}

/* Whether @ev is event @name of pool @pool (any pool if NULL). */
static bool is_event(const struct trace_event *ev, const char *name,
		     const char *pool)
{
	char val[64];

	if (strcmp(ev->name, name))
		return false;
	return !pool || (field(ev, "pool", val, sizeof(val)) &&
			 !strcmp(val, pool));
}

/* How many events @name of @pool; with @key, whose @key is @value. */
static __u64 count_events(const struct trace *t, const char *name,
			  const char *pool, const char *key,
			  const char *value)
{
	char val[128];
	__u64 nr = 0;
	int i;

	for (i = 0; i < t->nr; i++) {
		if (!is_event(&t->ev[i], name, pool))
			continue;
		if (key && (!field(&t->ev[i], key, val, sizeof(val)) ||
			    strcmp(val, value)))
			continue;
		nr++;
	}
	return nr;
}

/* How many events of the mempool_mod system, whatever their pool. */
static __u64 count_mpool_events(const struct trace *t)
{
	__u64 nr = 0;
	size_t j;
	int i;

	for (i = 0; i < t->nr; i++)
		for (j = 0; j < ARRAY_SIZE(event_names); j++)
			if (!strcmp(t->ev[i].name, event_names[j]))
				nr++;
	return nr;
}

/* The number field @key of @ev, or ~0 if it has none. */
static __u64 field_ull(const struct trace_event *ev, const char *key)
{
	char val[64];
	__u64 n;

	if (!field(ev, key, val, sizeof(val)) || parse_ull(val, &n))
		return ~0ULL;
	return n;
}

/*
 * The leak finder: pair each mpool_alloc of @pool with the mpool_free of
 * the same block that follows it.  Return how many blocks are handed out
 * at the end of the trace, and count in @bad the events that break the
 * pairing: a block handed out twice, or freed while not handed out.
 * @first_bad gets the first such event's fields.
 */
static __u64 unpaired_allocs(const struct trace *t, const char *pool,
			     int *bad, char *first_bad, size_t size)
{
	char (*live)[32] = calloc(t->nr + 1, sizeof(*live));
	char block[32];
	int nr_live = 0, i, j;

	*bad = 0;
	first_bad[0] = '\0';
	if (!live) {
		snprintf(first_bad, size, "out of memory");
		*bad = 1;
		return 0;
	}
	for (i = 0; i < t->nr; i++) {
		const struct trace_event *ev = &t->ev[i];
		bool alloc = is_event(ev, "mpool_alloc", pool), was_live;

		if (!alloc && !is_event(ev, "mpool_free", pool))
			continue;
		if (!field(ev, "block", block, sizeof(block)) ||
		    !strcmp(block, UNHASHED_PTR)) {
			if (!(*bad)++)
				snprintf(first_bad, size,
					 "%s: %s: block not told apart (" UNHASHED_HOW ")",
					 ev->name, ev->fields);
			continue;
		}
		for (j = 0; j < nr_live && strcmp(live[j], block); j++)
			;
		was_live = j < nr_live;
		if (alloc == was_live) {
			if (!(*bad)++)
				snprintf(first_bad, size, "%s: %s", ev->name,
					 ev->fields);
			continue;
		}
		if (alloc)
			memcpy(live[nr_live++], block, sizeof(block));
		else
			memcpy(live[j], live[--nr_live], sizeof(block));
	}
	free(live);
	return nr_live;
}

/* How many events print a pointer as UNHASHED_PTR; the first in @first. */
static int count_unhashed(const struct trace *t, char *first, size_t size)
{
	int i, nr = 0;

	first[0] = '\0';
	for (i = 0; i < t->nr; i++) {
		if (!strstr(t->ev[i].fields, UNHASHED_PTR))
			continue;
		if (!nr++)
			snprintf(first, size, "%s: %s", t->ev[i].name,
				 t->ev[i].fields);
	}
	return nr;
}

/*
 * Check that the buffer lost nothing, every event written is there, and
 * every pointer in it tells its block apart.
 */
static void check_nothing_lost(struct __test_metadata *_metadata,
			       const struct trace *t)
{
	char first[512];

	ASSERT_EQ(0, count_unhashed(t, first, sizeof(first)))
		TH_LOG(UNHASHED_HOW "; first: %s", first);
	ASSERT_TRUE(t->have_entries)
		TH_LOG("%s has no entries-in-buffer/entries-written line",
		       TRACE_FILE);
	EXPECT_EQ(t->written, t->in_buffer)
		TH_LOG("the trace buffer overflowed");
	EXPECT_EQ(0, t->lost) TH_LOG("the trace says it lost events");
	EXPECT_EQ((__u64)t->nr, t->in_buffer)
		TH_LOG("events parsed vs entries in the buffer");
}

/* The trace now, checked for losses, and its number of unpaired allocs. */
static void check_unpaired(struct __test_metadata *_metadata,
			   const char *pool, __u64 want, const char *step)
{
	struct trace t;
	char first[512];
	int bad;

	ASSERT_EQ(0, trace_read(&t)) TH_LOG("%s: %s", step, why);
	check_nothing_lost(_metadata, &t);
	EXPECT_EQ(want, unpaired_allocs(&t, pool, &bad, first, sizeof(first)))
		TH_LOG("%s: blocks of %s allocated and not freed in the trace",
		       step, pool);
	EXPECT_EQ(0, bad)
		TH_LOG("%s: %d allocs or frees that do not pair, first: %s",
		       step, bad, first);
	trace_free(&t);
}

/* ======================================================================= */

FIXTURE(trace) {
	int unused;
};

/*
 * A pool with P, so that a write after free is found; with caches or
 * without (MPOOL_NO_PERCPU, or too few blocks to share).
 */
FIXTURE_VARIANT(trace) {
	__u64 flags;
	__u64 nr_blocks;
};

FIXTURE_VARIANT_ADD(trace, P) {
	.flags = FL_P,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(trace, PZU) {
	.flags = FL_P | FL_Z | FL_U,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(trace, P_no_percpu) {
	.flags = FL_P | FL_N,
	.nr_blocks = 64,
};

FIXTURE_VARIANT_ADD(trace, P_too_small_for_caches) {
	.flags = FL_P,
	.nr_blocks = 7,
};

FIXTURE_SETUP(trace)
{
	ASSERT_EQ(0, ensure_debugfs()) TH_LOG("%s", why);
	ASSERT_EQ(0, ensure_tracefs()) TH_LOG("%s", why);
	ASSERT_EQ(0, events_all_off()) TH_LOG("%s", why);
	/* Across CPUs, in the order things happened. */
	ASSERT_EQ(0, write_text(TRACEFS_DIR "/trace_clock", "global"))
		TH_LOG("%s", why);
	shared_modules(_metadata);
	ASSERT_EQ(0, trace_clear()) TH_LOG("%s", why);
}

/* The next test's setup resets the driver, the program's end unloads. */
FIXTURE_TEARDOWN(trace)
{
	events_all_off();
	write_text(TRACEFS_DIR "/trace_clock", "local");
}

/* Every event of the spec is there to enable, and off by default. */
TEST_F_TIMEOUT(trace, events_listed, TEST_TIMEOUT)
{
	char path[256], buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(event_names); i++) {
		snprintf(path, sizeof(path), "%s/%s/enable", TRACE_EVENTS,
			 event_names[i]);
		ASSERT_LE(0, read_text(path, buf, sizeof(buf)))
			TH_LOG("%s", why);
		EXPECT_STREQ("0\n", buf) TH_LOG("%s", path);
	}
}

/*
 * The known sequence: create, alloc, free, a double free, an interior
 * and an outside free, a write after free found by the allocs that
 * follow, which run the pool dry, a free of the quarantined block, a
 * failed alloc, free everything, destroy.
 */
TEST_F_TIMEOUT(trace, sequence, TEST_TIMEOUT)
{
	const char *own = "trace_seq";
	const __u64 block_size = 40, offset = 5;
	const __u64 nr_blocks = variant->nr_blocks;
	const __u64 nr_alloc = nr_blocks > 16 ? 10 : nr_blocks - 2;
	const __u64 nr_free = nr_alloc / 2 - 1;
	char letters[8], val[128], misused[32] = "", first[512];
	struct pool_st model, st0, st1;
	__u64 n, nr_dry, want, nr_corrupt;
	char overrun[32] = "";
	struct trace t;
	int i, bad;

	ASSERT_EQ(0, event_enable(NULL, true)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s %llu 0 %llu %s", own, block_size,
			 nr_blocks, cmd_flags_str(variant->flags, letters)))
		TH_LOG("%s", why);
	model_init(&model, block_size, 0, nr_blocks, variant->flags & ~FL_N);
	ASSERT_EQ(0, read_stats(own, &st0)) TH_LOG("%s", why);
	if (variant->flags & FL_N)
		ASSERT_EQ(0ULL, st0.v[ST_CACHE_SIZE]);

	/* K blocks held: K unpaired allocs. */
	ASSERT_EQ(0, ctl("alloc %llu", nr_alloc)) TH_LOG("%s", why);
	model_alloc(&model, nr_alloc);
	check_unpaired(_metadata, own, nr_alloc, "alloc");
	/* With Z, an overrun of the block held last, found as it is freed. */
	if (variant->flags & FL_Z) {
		ASSERT_EQ(0, ctl("overrun 2")) TH_LOG("%s", why);
		model.v[ST_REDZONE_ERRORS]++;
	}
	ASSERT_EQ(0, ctl("free %llu", nr_free)) TH_LOG("%s", why);
	model_free(&model, nr_free);
	check_unpaired(_metadata, own, nr_alloc - nr_free, "free");

	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	model_double_free(&model);
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	model.v[ST_INVALID_FREES]++;
	ASSERT_EQ(0, ctl("free_outside")) TH_LOG("%s", why);
	model.v[ST_INVALID_FREES]++;
	ASSERT_EQ(0, ctl("write_after_free %llu", offset)) TH_LOG("%s", why);
	model_free(&model, 1);

	/* Every free block asked for: the bad one is found, the last fails. */
	nr_dry = model_nr_free(&model);
	EXPECT_EQ(-ENOMEM, ctl("alloc %llu", nr_dry))
		TH_LOG("a block written after free was handed out");
	model_quarantine(&model, ST_POISON_ERRORS);
	EXPECT_EQ(-ENOMEM, model_alloc(&model, nr_dry));
	ASSERT_EQ(0, ctl("refree")) TH_LOG("%s", why);
	model.v[ST_DOUBLE_FREES]++;
	EXPECT_EQ(-ENOMEM, ctl("alloc 1")) TH_LOG("the pool is not dry");
	model_alloc(&model, 1);
	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	model_free(&model, model.v[ST_IN_USE]);
	ASSERT_EQ(0, read_stats(own, &st1)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);

	/* Now: the next test's setup clears the buffer. */
	ASSERT_EQ(0, trace_read(&t)) TH_LOG("%s", why);
	check_nothing_lost(_metadata, &t);

	/* The pool did what the model says: the counts below mean something. */
	for (i = ST_ALLOCS; i <= ST_QUARANTINED; i++)
		EXPECT_EQ(model.v[i], st1.v[i] - st0.v[i])
			TH_LOG("stats %s moved otherwise than driven",
			       stat_name(i));

	/* One event per counter increment, as many as the sequence made. */
	want = st1.v[ST_ALLOCS] - st0.v[ST_ALLOCS];
	EXPECT_EQ(model.v[ST_ALLOCS], want);
	EXPECT_EQ(want, count_events(&t, "mpool_alloc", own, NULL, NULL));
	want = st1.v[ST_FREES] - st0.v[ST_FREES];
	EXPECT_EQ(model.v[ST_FREES], want);
	EXPECT_EQ(want, count_events(&t, "mpool_free", own, NULL, NULL));
	want = st1.v[ST_ALLOC_FAILURES] - st0.v[ST_ALLOC_FAILURES];
	EXPECT_EQ(2ULL, want);
	EXPECT_EQ(want, count_events(&t, "mpool_alloc_fail", own, NULL, NULL));
	want = st1.v[ST_INVALID_FREES] - st0.v[ST_INVALID_FREES] +
	       st1.v[ST_DOUBLE_FREES] - st0.v[ST_DOUBLE_FREES];
	EXPECT_EQ(4ULL, want);
	EXPECT_EQ(want,
		  count_events(&t, "mpool_refused_free", own, NULL, NULL));
	want = st1.v[ST_POISON_ERRORS] - st0.v[ST_POISON_ERRORS] +
	       st1.v[ST_REDZONE_ERRORS] - st0.v[ST_REDZONE_ERRORS] +
	       st1.v[ST_FREELIST_ERRORS] - st0.v[ST_FREELIST_ERRORS];
	nr_corrupt = variant->flags & FL_Z ? 2 : 1;
	EXPECT_EQ(nr_corrupt, want);
	EXPECT_EQ(want, count_events(&t, "mpool_corruption", own, NULL, NULL));
	EXPECT_EQ(st1.v[ST_POISON_ERRORS] - st0.v[ST_POISON_ERRORS],
		  count_events(&t, "mpool_corruption", own, "kind", "poison"));
	EXPECT_EQ(st1.v[ST_REDZONE_ERRORS] - st0.v[ST_REDZONE_ERRORS],
		  count_events(&t, "mpool_corruption", own, "kind", "redzone"));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_create", own, NULL, NULL));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_destroy", own, NULL, NULL));
	EXPECT_EQ(0ULL, count_events(&t, "mpool_wait", own, NULL, NULL));
	/* Nothing of another pool, nothing but the spec's events. */
	EXPECT_EQ((__u64)t.nr,
		  model.v[ST_ALLOCS] + model.v[ST_FREES] + 2 + 4 + nr_corrupt +
		  2)
		TH_LOG("events beyond those of the sequence");
	EXPECT_EQ((__u64)t.nr, count_mpool_events(&t));

	/* Each refusal, by its reason, from the command that made it. */
	EXPECT_EQ(1ULL, count_events(&t, "mpool_refused_free", own, "reason",
				     "double"));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_refused_free", own, "reason",
				     "interior"));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_refused_free", own, "reason",
				     "outside"));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_refused_free", own, "reason",
				     "quarantined"));

	/* The first and last events are the pool's creation and end. */
	ASSERT_LT(0, t.nr);
	EXPECT_STREQ("mpool_create", t.ev[0].name);
	EXPECT_STREQ("mpool_destroy", t.ev[t.nr - 1].name);

	for (i = 0; i < t.nr; i++) {
		const struct trace_event *ev = &t.ev[i];
		char cs[128] = "", reason[32] = "";

		EXPECT_TRUE(field(ev, "pool", val, sizeof(val)) &&
			    !strcmp(val, own))
			TH_LOG("%s: %s: pool", ev->name, ev->fields);
		if (strcmp(ev->name, "mpool_create") &&
		    strcmp(ev->name, "mpool_destroy") &&
		    strcmp(ev->name, "mpool_corruption"))
			EXPECT_TRUE(field(ev, "call_site", cs, sizeof(cs)))
				TH_LOG("%s: %s: no call_site", ev->name,
				       ev->fields);
		if (!strcmp(ev->name, "mpool_alloc")) {
			EXPECT_TRUE(is_caller(cs, FN_ALLOC) ||
				    is_caller(cs, FN_DOUBLE_FREE))
				TH_LOG("mpool_alloc: %s", ev->fields);
			EXPECT_TRUE(field(ev, "gfp_flags", val, sizeof(val)) &&
				    val[0])
				TH_LOG("mpool_alloc: %s: gfp_flags", ev->fields);
			EXPECT_TRUE(field(ev, "source", val, sizeof(val)))
				TH_LOG("mpool_alloc: %s: source", ev->fields);
			/* No caches: every block comes from the depot. */
			if (!st0.v[ST_CACHE_SIZE]) {
				EXPECT_STREQ("depot", val)
					TH_LOG("mpool_alloc: %s", ev->fields);
			} else {
				EXPECT_TRUE(!strcmp(val, "cache") ||
					    !strcmp(val, "depot") ||
					    !strcmp(val, "steal"))
					TH_LOG("mpool_alloc: %s", ev->fields);
			}
		} else if (!strcmp(ev->name, "mpool_free")) {
			EXPECT_TRUE(is_bulk_freer(cs) ||
				    is_caller(cs, FN_DOUBLE_FREE) ||
				    is_caller(cs, FN_MISUSE_FREE))
				TH_LOG("mpool_free: %s", ev->fields);
			if (is_caller(cs, FN_MISUSE_FREE))
				field(ev, "block", misused, sizeof(misused));
			/* The first block freed is the one held last. */
			if (!overrun[0])
				field(ev, "block", overrun, sizeof(overrun));
		} else if (!strcmp(ev->name, "mpool_alloc_fail")) {
			EXPECT_TRUE(is_caller(cs, FN_ALLOC))
				TH_LOG("mpool_alloc_fail: %s", ev->fields);
			EXPECT_EQ(1ULL, field_ull(ev, "nr"))
				TH_LOG("mpool_alloc_fail: %s", ev->fields);
			EXPECT_TRUE(field(ev, "gfp_flags", val, sizeof(val)) &&
				    val[0])
				TH_LOG("mpool_alloc_fail: %s", ev->fields);
		} else if (!strcmp(ev->name, "mpool_refused_free")) {
			field(ev, "reason", reason, sizeof(reason));
			EXPECT_TRUE((!strcmp(reason, "double") &&
				     is_caller(cs, FN_DOUBLE_FREE)) ||
				    (!strcmp(reason, "interior") &&
				     is_caller(cs, FN_FREE_INTERIOR)) ||
				    (!strcmp(reason, "outside") &&
				     is_caller(cs, FN_FREE_OUTSIDE)) ||
				    (!strcmp(reason, "quarantined") &&
				     is_caller(cs, FN_REFREE)))
				TH_LOG("mpool_refused_free: %s", ev->fields);
		}
	}

	/* The double free names the block its alloc handed out. */
	for (i = 0; i < t.nr; i++) {
		char cs[128], block[32];

		if (!is_event(&t.ev[i], "mpool_alloc", own) ||
		    !field(&t.ev[i], "call_site", cs, sizeof(cs)) ||
		    !is_caller(cs, FN_DOUBLE_FREE) ||
		    !field(&t.ev[i], "block", block, sizeof(block)))
			continue;
		EXPECT_EQ(1ULL, count_events(&t, "mpool_refused_free", own,
					     "ptr", block))
			TH_LOG("no refused free of block %s, the double free's",
			       block);
	}

	/*
	 * The write after free: the block freed to misuse, at the offset
	 * written.  The overrun: the block held last, at the first byte
	 * past its usable size.  Without caches, blocks are carved in index
	 * order and the block freed last is handed out first: the block
	 * held last is nr_alloc - 1; the double free took and gave back the
	 * one "free" gave back last, and the misused block is the one held
	 * last after "free".
	 */
	EXPECT_NE(0, misused[0]) TH_LOG("no free from %s", FN_MISUSE_FREE);
	for (i = 0; i < t.nr; i++) {
		const struct trace_event *ev = &t.ev[i];
		bool poison;

		if (!is_event(ev, "mpool_corruption", own))
			continue;
		EXPECT_TRUE(field(ev, "kind", val, sizeof(val)) &&
			    (!strcmp(val, "poison") ||
			     (!strcmp(val, "redzone") &&
			      (variant->flags & FL_Z))))
			TH_LOG("mpool_corruption: %s", ev->fields);
		poison = !strcmp(val, "poison");
		EXPECT_TRUE(field(ev, "block", val, sizeof(val)) &&
			    !strcmp(val, poison ? misused : overrun))
			TH_LOG("mpool_corruption: %s: want block=%s",
			       ev->fields, poison ? misused : overrun);
		EXPECT_EQ(poison ? offset : block_size,
			  field_ull(ev, "offset"))
			TH_LOG("mpool_corruption: %s", ev->fields);
		n = field_ull(ev, "index");
		EXPECT_LT(n, nr_blocks)
			TH_LOG("mpool_corruption: %s", ev->fields);
		if (!st0.v[ST_CACHE_SIZE])
			EXPECT_EQ(poison ? nr_alloc - nr_free - 1 :
					   nr_alloc - 1, n)
				TH_LOG("mpool_corruption: %s", ev->fields);
	}
	EXPECT_EQ(1ULL, count_events(&t, "mpool_refused_free", own, "ptr",
				     misused))
		TH_LOG("the free of quarantined block %s", misused);

	/* The pool's geometry at create, what is left in use at destroy. */
	for (i = 0; i < t.nr; i++) {
		const struct trace_event *ev = &t.ev[i];

		if (is_event(ev, "mpool_create", own)) {
			EXPECT_EQ(block_size, field_ull(ev, "block_size"))
				TH_LOG("%s", ev->fields);
			EXPECT_EQ(model.v[ST_ALIGN], field_ull(ev, "align"))
				TH_LOG("%s", ev->fields);
			EXPECT_EQ(model.v[ST_STRIDE], field_ull(ev, "stride"))
				TH_LOG("%s", ev->fields);
			EXPECT_EQ(nr_blocks, field_ull(ev, "nr_blocks"))
				TH_LOG("%s", ev->fields);
			EXPECT_EQ(st0.v[ST_CACHE_SIZE],
				  field_ull(ev, "cache_size"))
				TH_LOG("%s", ev->fields);
			EXPECT_TRUE(field(ev, "flags", val, sizeof(val)) &&
				    !strcmp(val, flags_str(variant->flags,
							   letters)))
				TH_LOG("%s: want flags=%s", ev->fields,
				       letters);
		} else if (is_event(ev, "mpool_destroy", own)) {
			EXPECT_EQ(nr_blocks, field_ull(ev, "nr_blocks"))
				TH_LOG("%s", ev->fields);
			EXPECT_EQ(0ULL, field_ull(ev, "in_use"))
				TH_LOG("%s", ev->fields);
		}
	}

	/* Everything freed: no alloc without its free. */
	EXPECT_EQ(0ULL, unpaired_allocs(&t, own, &bad, first, sizeof(first)))
		TH_LOG("blocks allocated and not freed in the trace");
	EXPECT_EQ(0, bad)
		TH_LOG("%d allocs or frees that do not pair, first: %s", bad,
		       first);
	trace_free(&t);
}

/*
 * A blocking alloc on a dry pool sleeps until a free: one mpool_wait, from
 * the waiting task's call site, that says it got a block, and the alloc
 * it made.  The driver's "wait_async" returns once its task sleeps in the
 * pool, so the free comes after the sleep began, every time.
 */
TEST_F_TIMEOUT(trace, wait_until_a_free, TEST_TIMEOUT)
{
	const char *own = "trace_wait";
	const __u64 nr_blocks = variant->nr_blocks;
	char letters[8], val[128];
	struct pool_st st0, st1;
	struct trace t;
	int i;

	ASSERT_EQ(0, ctl("create %s 64 0 %llu %s", own, nr_blocks,
			 cmd_flags_str(variant->flags, letters)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc %llu", nr_blocks)) TH_LOG("%s", why);
	ASSERT_EQ(0, read_stats(own, &st0)) TH_LOG("%s", why);
	ASSERT_EQ(0ULL, st0.v[ST_FREE]) TH_LOG("the pool is not dry");
	ASSERT_EQ(0, event_enable(NULL, true)) TH_LOG("%s", why);

	ASSERT_EQ(0, ctl("wait_async"))
		TH_LOG("%s: the alloc did not sleep", why);
	ASSERT_EQ(0, ctl("free 1")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("wait_join"))
		TH_LOG("%s: the free woke no waiter", why);
	ASSERT_EQ(0, read_stats(own, &st1)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);

	ASSERT_EQ(0, trace_read(&t)) TH_LOG("%s", why);
	check_nothing_lost(_metadata, &t);
	EXPECT_EQ(1ULL, st1.v[ST_ALLOCS] - st0.v[ST_ALLOCS]);
	EXPECT_EQ(0ULL, st1.v[ST_ALLOC_FAILURES] - st0.v[ST_ALLOC_FAILURES]);
	EXPECT_EQ(1ULL, count_events(&t, "mpool_wait", own, NULL, NULL));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_wait", own, "got_block", "1"));
	EXPECT_EQ(0ULL, count_events(&t, "mpool_alloc_fail", own, NULL, NULL));
	for (i = 0; i < t.nr; i++) {
		const struct trace_event *ev = &t.ev[i];

		if (!is_event(ev, "mpool_wait", own) &&
		    !is_event(ev, "mpool_alloc", own))
			continue;
		EXPECT_TRUE(field(ev, "call_site", val, sizeof(val)) &&
			    is_caller(val, FN_WAITER))
			TH_LOG("%s: %s", ev->name, ev->fields);
		if (is_event(ev, "mpool_wait", own)) {
			EXPECT_TRUE(field_ull(ev, "waited_us") >= 1 &&
				    field_ull(ev, "waited_us") != ~0ULL)
				TH_LOG("mpool_wait: %s", ev->fields);
		} else {
			EXPECT_TRUE(field(ev, "gfp_flags", val, sizeof(val)) &&
				    !strcmp(val, "GFP_KERNEL"))
				TH_LOG("mpool_alloc: %s", ev->fields);
		}
	}
	EXPECT_EQ(1ULL, count_events(&t, "mpool_alloc", own, NULL, NULL));
	trace_free(&t);
}

/* A pool destroyed with blocks held: in_use says so, as do the pairs. */
TEST_F_TIMEOUT(trace, destroy_with_blocks_held, TEST_TIMEOUT)
{
	const char *own = "trace_held";
	const __u64 nr_blocks = 16, nr_held = 3;
	char letters[8], first[512];
	struct trace t;
	int bad;

	ASSERT_EQ(0, event_enable(NULL, true)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 64 0 %llu %s", own, nr_blocks,
			 cmd_flags_str(variant->flags, letters)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc %llu", nr_held + 2)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free 2")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("destroy_leaking")) TH_LOG("%s", why);

	ASSERT_EQ(0, trace_read(&t)) TH_LOG("%s", why);
	check_nothing_lost(_metadata, &t);
	EXPECT_EQ(1ULL, count_events(&t, "mpool_destroy", own, NULL, NULL));
	EXPECT_EQ(1ULL, count_events(&t, "mpool_destroy", own, "in_use", "3"))
		TH_LOG("want in_use=%llu at destroy", nr_held);
	EXPECT_EQ(1ULL, count_events(&t, "mpool_destroy", own, "nr_blocks",
				     "16"));
	EXPECT_EQ(nr_held, unpaired_allocs(&t, own, &bad, first,
					   sizeof(first)));
	EXPECT_EQ(0, bad) TH_LOG("first that does not pair: %s", first);
	trace_free(&t);
}

/*
 * The events off: a whole sequence writes nothing.  Then one event on:
 * only it is written, as often as its counter moves, which shows that
 * this test sees events when there are some.
 */
TEST_F_TIMEOUT(trace, disabled_writes_nothing, TEST_TIMEOUT)
{
	const char *own = "trace_off";
	char letters[8], path[256], buf[16];
	struct pool_st st;
	struct trace t;
	size_t i;

	/* Off, each of them, as the fixture left them. */
	for (i = 0; i < ARRAY_SIZE(event_names); i++) {
		snprintf(path, sizeof(path), "%s/%s/enable", TRACE_EVENTS,
			 event_names[i]);
		ASSERT_LE(0, read_text(path, buf, sizeof(buf)))
			TH_LOG("%s", why);
		ASSERT_STREQ("0\n", buf) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, ctl("create %s 40 0 8 %s", own,
			 cmd_flags_str(variant->flags, letters)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 4")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free 1")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_interior")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_outside")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("write_after_free 1")) TH_LOG("%s", why);
	EXPECT_EQ(-ENOMEM, ctl("alloc 8")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("refree")) TH_LOG("%s", why);
	ASSERT_EQ(0, read_stats(own, &st)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	/* Every counter with an event moved. */
	EXPECT_LT(0ULL, st.v[ST_ALLOCS]);
	EXPECT_LT(0ULL, st.v[ST_FREES]);
	EXPECT_LT(0ULL, st.v[ST_ALLOC_FAILURES]);
	EXPECT_LT(0ULL, st.v[ST_INVALID_FREES]);
	EXPECT_LT(0ULL, st.v[ST_DOUBLE_FREES]);
	EXPECT_LT(0ULL, st.v[ST_POISON_ERRORS]);

	ASSERT_EQ(0, trace_read(&t)) TH_LOG("%s", why);
	EXPECT_EQ(0, t.nr)
		TH_LOG("%d events written while off, first: %s: %s", t.nr,
		       t.nr ? t.ev[0].name : "", t.nr ? t.ev[0].fields : "");
	EXPECT_TRUE(t.have_entries);
	EXPECT_EQ(0ULL, t.written) TH_LOG("entries written while off");
	trace_free(&t);

	/* mpool_free alone. */
	ASSERT_EQ(0, event_enable("mpool_free", true)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("create %s 40 0 8 %s", own, letters))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("alloc 4")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free 3")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("double_free")) TH_LOG("%s", why);
	EXPECT_EQ(-ENOMEM, ctl("alloc 9")) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("free_all")) TH_LOG("%s", why);
	ASSERT_EQ(0, read_stats(own, &st)) TH_LOG("%s", why);
	ASSERT_EQ(0, ctl("destroy")) TH_LOG("%s", why);
	ASSERT_EQ(0, trace_read(&t)) TH_LOG("%s", why);
	check_nothing_lost(_metadata, &t);
	/* 3, the double free's 1, and the 8 blocks of the dry pool. */
	EXPECT_EQ(12ULL, st.v[ST_FREES]);
	EXPECT_EQ(st.v[ST_FREES],
		  count_events(&t, "mpool_free", own, NULL, NULL));
	EXPECT_EQ((__u64)t.nr, st.v[ST_FREES])
		TH_LOG("events other than mpool_free written");
	trace_free(&t);
}

TEST_HARNESS_MAIN
