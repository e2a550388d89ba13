// SPDX-License-Identifier: GPL-2.0
/*
 * mpool_bench - mempool_mod's pools against the kernel's own allocators,
 * measured in one boot.
 *
 * Loading the module runs every measurement, destroys what it created and
 * keeps the results, as plain lines, in /sys/kernel/debug/mpool_bench/results
 * for the host's bench/format.awk:
 *
 *	info <key> <value>
 *	overhead <allocator> <block size> <millibytes per block>
 *	sample <pattern> <allocator> <block size> <threads> <rep> <blocks>
 *		<wall ns> <sum of the threads' ns>
 *	create <mpool|vmalloc> <bytes> <rep> <ns>
 *	grow <mpool|gen_pool> <bytes> <rep> <ns>
 *	error <what>
 *
 * A sample is one repetition of one pattern on one allocator at one block
 * size: <threads> kthreads, each bound to a CPU of its own and released
 * together, share the allocating and freeing of pairs= blocks.
 * Repetitions are interleaved, every allocator in rep 1, then every
 * allocator in rep 2 and so on, so that drift (the host's load, under
 * QEMU) hits them alike; the host takes the median.  Under QEMU TCG only
 * the ratios between allocators of one boot mean anything.
 *
 * Every allocator is used as a consumer would: GFP_KERNEL, and one word of
 * each block written between its alloc and its free.
 *
 * mpool_traced is mpool with its mpool_alloc and mpool_free trace events
 * on, in the pair pattern, during its own samples only: what a developer
 * pays while tracing, next to mpool in the same boot with them off.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/trace_events.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#ifdef MPOOL_BENCH_OBJPOOL
#include <linux/objpool.h>
#endif

#include "mempool_mod.h"

MODULE_IMPORT_NS(MPOOL_NS);

/*
 * Split among the threads, so that a sample takes about as long (50-200 ms
 * under TCG) whether its threads contend or not.
 */
static unsigned long bench_pairs = 250000;
module_param_named(pairs, bench_pairs, ulong, 0444);
MODULE_PARM_DESC(pairs, "Blocks allocated and freed per sample, by all its threads together (default 250000)");

static unsigned int bench_reps = 7;
module_param_named(reps, bench_reps, uint, 0444);
MODULE_PARM_DESC(reps, "Repetitions of every measurement (default 7)");

static unsigned int bench_warmup = 1;
module_param_named(warmup, bench_warmup, uint, 0444);
MODULE_PARM_DESC(warmup, "Repetitions run first and not reported (default 1)");

static unsigned int bench_big_mib = 1024;
module_param_named(big_mib, bench_big_mib, uint, 0444);
MODULE_PARM_DESC(big_mib, "Size of the large pool of the creation test, in MiB (default 1024; 0: no creation test)");

/* Enough that the batches of every thread together never empty a pool. */
#define BENCH_BLOCKS		4096
#define BENCH_BATCH		32
#define BENCH_BULK		16
/* Blocks per call: every pattern does whole calls. */
#define BENCH_GRAIN		BENCH_BATCH
/* A mempool_t's reserve, used only when the slab fails. */
#define BENCH_MEMPOOL_MIN	16
/* Block size of the creation test's pools. */
#define BENCH_CREATE_BLOCK	64
#define BENCH_BUF_SIZE		SZ_512K

static const size_t bench_sizes[] = { 64, 256, 1024 };

enum bench_kind {
	BENCH_MPOOL,
	BENCH_MPOOL_NOPCPU,
	BENCH_MPOOL_TRACED,
	BENCH_KMEM_CACHE,
	BENCH_MEMPOOL,
	BENCH_GEN_POOL,
	BENCH_OBJPOOL,
	BENCH_NR_KINDS
};

static const char * const bench_kind_name[] = {
	[BENCH_MPOOL]		= "mpool",
	[BENCH_MPOOL_NOPCPU]	= "mpool_nopcpu",
	[BENCH_MPOOL_TRACED]	= "mpool_traced",
	[BENCH_KMEM_CACHE]	= "kmem_cache",
	[BENCH_MEMPOOL]		= "mempool_t",
	[BENCH_GEN_POOL]	= "gen_pool",
	[BENCH_OBJPOOL]		= "objpool",
};

/*
 * pair: alloc one block, free it.  batch: alloc BENCH_BATCH, then free
 * them in the same order.  bulk: the bulk calls, BENCH_BULK at a time,
 * for the allocators that have them.
 */
enum bench_pattern {
	BENCH_PAIR,
	BENCH_BATCHED,
	BENCH_BULKED,
	BENCH_NR_PATTERNS
};

static const char * const bench_pattern_name[] = {
	[BENCH_PAIR]	= "pair",
	[BENCH_BATCHED]	= "batch32",
	[BENCH_BULKED]	= "bulk16",
};

/* One allocator at one block size. */
struct bench_target {
	enum bench_kind kind;
	size_t size;
	bool ready;			/* set up; measured */
	struct mpool *mpool;
	u64 mpool_bad;			/* its error counters, last seen */
	struct kmem_cache *cache;	/* kmem_cache, and under mempool_t */
	mempool_t *mempool;
	struct gen_pool *gen_pool;
	void *gen_region;		/* what gen_pool hands out */
#ifdef MPOOL_BENCH_OBJPOOL
	struct objpool_head objpool;
#endif
};

static struct bench_target bench_targets[ARRAY_SIZE(bench_sizes)][BENCH_NR_KINDS];

struct bench_sample;

struct bench_thread {
	struct bench_sample *sample;
	u64 start;
	u64 end;
	int err;
	void *blocks[BENCH_BATCH];
};

/* One repetition of one measurement, and its threads. */
struct bench_sample {
	struct bench_target *target;
	enum bench_pattern pattern;
	unsigned long blocks;		/* per thread */
	bool abort;			/* a thread could not be created */
	atomic_t starting;		/* threads not yet waiting for @go */
	struct completion ready;	/* every thread waits for @go */
	struct completion go;
	struct completion done;		/* once per thread */
	struct bench_thread threads[];
};

static unsigned int *bench_cpus;	/* thread i runs on bench_cpus[i] */
static unsigned int bench_nr_cpus;
static unsigned int bench_threads[3];	/* 1, 2 and every CPU, once each */
static unsigned int bench_nr_threads;

static char *bench_buf;
static size_t bench_len;
static bool bench_truncated;
static struct dentry *bench_dir;

static __printf(1, 2) void bench_emit(const char *fmt, ...)
{
	size_t room = BENCH_BUF_SIZE - bench_len;
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(bench_buf + bench_len, room, fmt, args);
	va_end(args);
	if (len >= room) {
		bench_truncated = true;
		bench_buf[bench_len] = '\0';
		return;
	}
	bench_len += len;
}

/* ---- the loops: one switch on constants, folded away by inlining ------- */

static __always_inline void *bench_alloc(struct bench_target *t,
					 enum bench_kind kind)
{
	switch (kind) {
	case BENCH_MPOOL:
	case BENCH_MPOOL_NOPCPU:
	case BENCH_MPOOL_TRACED:
		return mpool_alloc(t->mpool, GFP_KERNEL);
	case BENCH_KMEM_CACHE:
		return kmem_cache_alloc(t->cache, GFP_KERNEL);
	case BENCH_MEMPOOL:
		return mempool_alloc(t->mempool, GFP_KERNEL);
	case BENCH_GEN_POOL:
		return (void *)gen_pool_alloc(t->gen_pool, t->size);
#ifdef MPOOL_BENCH_OBJPOOL
	case BENCH_OBJPOOL:
		return objpool_pop(&t->objpool);
#endif
	default:
		return NULL;
	}
}

static __always_inline void bench_free(struct bench_target *t,
				       enum bench_kind kind, void *block)
{
	switch (kind) {
	case BENCH_MPOOL:
	case BENCH_MPOOL_NOPCPU:
	case BENCH_MPOOL_TRACED:
		mpool_free(t->mpool, block);
		break;
	case BENCH_KMEM_CACHE:
		kmem_cache_free(t->cache, block);
		break;
	case BENCH_MEMPOOL:
		mempool_free(block, t->mempool);
		break;
	case BENCH_GEN_POOL:
		gen_pool_free(t->gen_pool, (unsigned long)block, t->size);
		break;
#ifdef MPOOL_BENCH_OBJPOOL
	case BENCH_OBJPOOL:
		objpool_push(block, &t->objpool);
		break;
#endif
	default:
		break;
	}
}

/* Give the CPU up now and then: these threads never sleep otherwise. */
static __always_inline void bench_yield(unsigned long done)
{
	if (!(done % 1024))
		cond_resched();
}

/* @batch blocks at a time, one call each: alloc them all, free them all. */
static __always_inline int bench_loop(struct bench_target *t,
				      enum bench_kind kind, unsigned long nr,
				      unsigned int batch, void **blocks)
{
	unsigned long done;
	unsigned int i;

	for (done = 0; done < nr; done += batch) {
		for (i = 0; i < batch; i++) {
			blocks[i] = bench_alloc(t, kind);
			if (unlikely(!blocks[i]))
				goto fail;
			*(unsigned long *)blocks[i] = done;
		}
		for (i = 0; i < batch; i++)
			bench_free(t, kind, blocks[i]);
		bench_yield(done);
	}
	return 0;
fail:
	while (i--)
		bench_free(t, kind, blocks[i]);
	return -ENOMEM;
}

static __always_inline int bench_bulk_loop(struct bench_target *t,
					   enum bench_kind kind,
					   unsigned long nr, void **blocks)
{
	unsigned long done;
	unsigned int i;
	int got;

	for (done = 0; done < nr; done += BENCH_BULK) {
		if (kind == BENCH_KMEM_CACHE)
			got = kmem_cache_alloc_bulk(t->cache, GFP_KERNEL,
						    BENCH_BULK, blocks);
		else
			got = mpool_alloc_bulk(t->mpool, GFP_KERNEL,
					       BENCH_BULK, blocks);
		/*
		 * Both are all or nothing: zero is the one failure, and the
		 * test for it holds where kmem_cache_alloc_bulk() returns a
		 * bool, as it does in mm's tree since mid-2026.
		 */
		if (unlikely(!got))
			return -ENOMEM;
		for (i = 0; i < BENCH_BULK; i++)
			*(unsigned long *)blocks[i] = done;
		if (kind == BENCH_KMEM_CACHE)
			kmem_cache_free_bulk(t->cache, BENCH_BULK, blocks);
		else
			mpool_free_bulk(t->mpool, BENCH_BULK, blocks);
		bench_yield(done);
	}
	return 0;
}

static __always_inline int bench_pattern_loop(struct bench_target *t,
					      enum bench_kind kind,
					      enum bench_pattern pattern,
					      unsigned long nr, void **blocks)
{
	switch (pattern) {
	case BENCH_PAIR:
		return bench_loop(t, kind, nr, 1, blocks);
	case BENCH_BATCHED:
		return bench_loop(t, kind, nr, BENCH_BATCH, blocks);
	case BENCH_BULKED:
		if (kind == BENCH_MPOOL || kind == BENCH_MPOOL_NOPCPU ||
		    kind == BENCH_KMEM_CACHE)
			return bench_bulk_loop(t, kind, nr, blocks);
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

/* Each allocator's loops are compiled with direct calls into it. */
static noinline int bench_run(struct bench_target *t,
			      enum bench_pattern pattern, unsigned long nr,
			      void **blocks)
{
	switch (t->kind) {
	case BENCH_MPOOL:
	case BENCH_MPOOL_NOPCPU:
	case BENCH_MPOOL_TRACED:
		return bench_pattern_loop(t, BENCH_MPOOL, pattern, nr, blocks);
	case BENCH_KMEM_CACHE:
		return bench_pattern_loop(t, BENCH_KMEM_CACHE, pattern, nr,
					  blocks);
	case BENCH_MEMPOOL:
		return bench_pattern_loop(t, BENCH_MEMPOOL, pattern, nr, blocks);
	case BENCH_GEN_POOL:
		return bench_pattern_loop(t, BENCH_GEN_POOL, pattern, nr,
					  blocks);
	case BENCH_OBJPOOL:
		return bench_pattern_loop(t, BENCH_OBJPOOL, pattern, nr, blocks);
	default:
		return -EINVAL;
	}
}

static bool bench_has_pattern(const struct bench_target *t,
			      enum bench_pattern pattern)
{
	if (t->kind == BENCH_MPOOL_TRACED)
		return pattern == BENCH_PAIR;
	return pattern != BENCH_BULKED || t->kind == BENCH_MPOOL ||
	       t->kind == BENCH_MPOOL_NOPCPU || t->kind == BENCH_KMEM_CACHE;
}

/* mpool_traced's events, on for its samples only; 0 or -errno. */
static int bench_trace(const struct bench_target *t, bool on)
{
	if (t->kind != BENCH_MPOOL_TRACED)
		return 0;
	return trace_set_clr_event("mempool_mod", "mpool_alloc", on) ?:
	       trace_set_clr_event("mempool_mod", "mpool_free", on);
}

/* ---- one sample: threads bound to CPUs, released together -------------- */

static int bench_thread_fn(void *data)
{
	struct bench_thread *thread = data;
	struct bench_sample *s = thread->sample;

	if (atomic_dec_and_test(&s->starting))
		complete(&s->ready);
	wait_for_completion(&s->go);
	if (!READ_ONCE(s->abort)) {
		thread->start = ktime_get_ns();
		thread->err = bench_run(s->target, s->pattern, s->blocks,
					thread->blocks);
		thread->end = ktime_get_ns();
	}
	/* The sample may be freed once @done completes: touch it no more. */
	kthread_complete_and_exit(&s->done, 0);
}

/* An mpool's error counters must not move: the loops misuse nothing. */
static void bench_check_mpool(struct bench_target *t)
{
	struct mpool_stats st;
	u64 corrupt, bad;

	mpool_get_stats(t->mpool, &st);
	corrupt = st.poison_errors + st.redzone_errors + st.freelist_errors;
	bad = st.alloc_failures + st.invalid_frees + st.double_frees + corrupt;
	if (bad == t->mpool_bad)
		return;
	t->mpool_bad = bad;
	bench_emit("error %s %zu failed %llu invalid %llu double %llu corrupt %llu\n",
		   bench_kind_name[t->kind], t->size, st.alloc_failures,
		   st.invalid_frees, st.double_frees, corrupt);
}

/* Run one sample; report it unless @rep is negative (a warm-up). */
static int bench_sample(struct bench_target *t, enum bench_pattern pattern,
			unsigned int nr_threads, int rep)
{
	u64 first = U64_MAX, last = 0, sum = 0;
	struct task_struct *task;
	struct bench_sample *s;
	unsigned int i, started;
	int err = 0;

	s = kzalloc(struct_size(s, threads, nr_threads), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->target = t;
	s->pattern = pattern;
	s->blocks = roundup(DIV_ROUND_UP(bench_pairs, nr_threads), BENCH_GRAIN);
	atomic_set(&s->starting, nr_threads);
	init_completion(&s->ready);
	init_completion(&s->go);
	init_completion(&s->done);

	for (started = 0; started < nr_threads; started++) {
		s->threads[started].sample = s;
		task = kthread_create(bench_thread_fn, &s->threads[started],
				      "mpool_bench/%u", bench_cpus[started]);
		if (IS_ERR(task)) {
			err = PTR_ERR(task);
			break;
		}
		kthread_bind(task, bench_cpus[started]);
		wake_up_process(task);
	}
	if (!err)
		err = bench_trace(t, true);
	if (err)
		WRITE_ONCE(s->abort, true);
	else
		wait_for_completion(&s->ready);
	complete_all(&s->go);
	for (i = 0; i < started; i++)
		wait_for_completion(&s->done);
	bench_trace(t, false);

	for (i = 0; i < started && !err; i++) {
		err = s->threads[i].err;
		first = min(first, s->threads[i].start);
		last = max(last, s->threads[i].end);
		sum += s->threads[i].end - s->threads[i].start;
	}
	if (err)
		bench_emit("error %s %s %zu threads %u: %d\n",
			   bench_pattern_name[pattern], bench_kind_name[t->kind],
			   t->size, nr_threads, err);
	else if (rep >= 0)
		bench_emit("sample %s %s %zu %u %d %lu %llu %llu\n",
			   bench_pattern_name[pattern], bench_kind_name[t->kind],
			   t->size, nr_threads, rep, s->blocks * nr_threads,
			   last - first, sum);
	if (t->mpool)
		bench_check_mpool(t);
	kfree(s);
	return err;
}

/* ---- the allocators under test: set up, overhead, tear down ------------ */

static int bench_target_init(struct bench_target *t, enum bench_kind kind,
			     size_t size)
{
	const size_t bytes = BENCH_BLOCKS * size;
	char name[32];
	int err;

	t->kind = kind;
	t->size = size;
	snprintf(name, sizeof(name), "bench_%s_%zu", bench_kind_name[kind],
		 size);
	/* No events to switch on (make bench ABLATE=untraced): no such row. */
	if (kind == BENCH_MPOOL_TRACED &&
	    trace_set_clr_event("mempool_mod", "mpool_alloc", 0))
		return -EOPNOTSUPP;
	switch (kind) {
	case BENCH_MPOOL:
	case BENCH_MPOOL_NOPCPU:
	case BENCH_MPOOL_TRACED:
		t->mpool = mpool_create(name, size, 0, BENCH_BLOCKS,
					kind == BENCH_MPOOL_NOPCPU ?
					MPOOL_NO_PERCPU : 0);
		if (IS_ERR(t->mpool)) {
			err = PTR_ERR(t->mpool);
			t->mpool = NULL;
			return err;
		}
		return 0;
	case BENCH_KMEM_CACHE:
	case BENCH_MEMPOOL:
		/* As a user gets it: mergeable, no flags. */
		t->cache = kmem_cache_create(name, size, 0, 0, NULL);
		if (!t->cache)
			return -ENOMEM;
		if (kind == BENCH_KMEM_CACHE)
			return 0;
		t->mempool = mempool_create_slab_pool(BENCH_MEMPOOL_MIN,
						      t->cache);
		return t->mempool ? 0 : -ENOMEM;
	case BENCH_GEN_POOL:
		t->gen_region = vmalloc(bytes);
		t->gen_pool = gen_pool_create(ilog2(size), NUMA_NO_NODE);
		if (!t->gen_region || !t->gen_pool)
			return -ENOMEM;
		return gen_pool_add(t->gen_pool, (unsigned long)t->gen_region,
				    bytes, NUMA_NO_NODE);
	case BENCH_OBJPOOL:
#ifdef MPOOL_BENCH_OBJPOOL
		return objpool_init(&t->objpool, BENCH_BLOCKS, size, GFP_KERNEL,
				    NULL, NULL, NULL);
#else
		return -EOPNOTSUPP;
#endif
	default:
		return -EINVAL;
	}
}

/* Only for a target whose init failed or whose blocks are all back. */
static void bench_target_exit(struct bench_target *t)
{
#ifdef MPOOL_BENCH_OBJPOOL
	if (t->kind == BENCH_OBJPOOL && t->ready)
		objpool_fini(&t->objpool);
#endif
	if (t->gen_pool)
		gen_pool_destroy(t->gen_pool);
	vfree(t->gen_region);
	mempool_destroy(t->mempool);
	kmem_cache_destroy(t->cache);
	mpool_destroy(t->mpool);
	memset(t, 0, sizeof(*t));
}

#ifdef MPOOL_BENCH_OBJPOOL
/*
 * objpool keeps, on every possible CPU, a vmalloc'd ring with room for
 * every object (a power of two), followed by that CPU's share of them.
 */
static size_t bench_objpool_bytes(const struct bench_target *t)
{
	size_t bytes = nr_cpu_ids * sizeof(struct objpool_slot *);
	unsigned int nr_cpus = num_possible_cpus(), i;
	size_t capacity = roundup_pow_of_two(BENCH_BLOCKS);
	size_t objs;

	for (i = 0; i < nr_cpus; i++) {
		objs = BENCH_BLOCKS / nr_cpus + (i < BENCH_BLOCKS % nr_cpus);
		bytes += PAGE_ALIGN(sizeof(struct objpool_slot) +
				    capacity * sizeof(void *) +
				    objs * ALIGN(t->size, sizeof(long)));
	}
	return bytes;
}
#endif

/*
 * What one block costs beyond the bytes asked for, in thousandths of a
 * byte, from what each allocator keeps: see bench/format.awk's notes.
 */
static long bench_overhead(struct bench_target *t)
{
	struct mpool_stats st;
	size_t bytes = 0;
	void *block;

	switch (t->kind) {
	case BENCH_MPOOL:
	case BENCH_MPOOL_NOPCPU:
	case BENCH_MPOOL_TRACED:
		mpool_get_stats(t->mpool, &st);
		bytes = st.region_bytes - st.block_size * st.nr_blocks +
			st.meta_bytes;
		return bytes * 1000 / st.nr_blocks;
	case BENCH_KMEM_CACHE:
	case BENCH_MEMPOOL:
		/* ksize(): the object's stride in its slab. */
		block = kmem_cache_alloc(t->cache, GFP_KERNEL);
		if (!block)
			return -1;
		bytes = ksize(block);
		kmem_cache_free(t->cache, block);
		return ((long)bytes - (long)t->size) * 1000;
	case BENCH_GEN_POOL:
		bytes = sizeof(struct gen_pool_chunk) +
			BITS_TO_LONGS(BENCH_BLOCKS) * sizeof(long);
		return bytes * 1000 / BENCH_BLOCKS;
#ifdef MPOOL_BENCH_OBJPOOL
	case BENCH_OBJPOOL:
		return (long)(bench_objpool_bytes(t) * 1000 / BENCH_BLOCKS) -
		       (long)(t->size * 1000);
#endif
	default:
		return -1;
	}
}

static void bench_setup(void)
{
	struct bench_target *t;
	unsigned int s, k;
	int err;

	for (s = 0; s < ARRAY_SIZE(bench_sizes); s++) {
		for (k = 0; k < BENCH_NR_KINDS; k++) {
			t = &bench_targets[s][k];
			err = bench_target_init(t, k, bench_sizes[s]);
			if (err) {
				if (err != -EOPNOTSUPP)
					bench_emit("error setup %s %zu: %d\n",
						   bench_kind_name[k],
						   bench_sizes[s], err);
				bench_target_exit(t);
				continue;
			}
			t->ready = true;
			bench_emit("overhead %s %zu %ld\n", bench_kind_name[k],
				   bench_sizes[s], bench_overhead(t));
		}
	}
}

static void bench_teardown(void)
{
	unsigned int s, k;

	for (s = 0; s < ARRAY_SIZE(bench_sizes); s++)
		for (k = 0; k < BENCH_NR_KINDS; k++)
			bench_target_exit(&bench_targets[s][k]);
}

/* ---- the measurements -------------------------------------------------- */

/* Every allocator at every size and thread count, once; rep < 0: warm-up. */
static void bench_rep(int rep)
{
	struct bench_target *t;
	unsigned int p, s, n, k;

	for (p = 0; p < BENCH_NR_PATTERNS; p++)
		for (s = 0; s < ARRAY_SIZE(bench_sizes); s++)
			for (n = 0; n < bench_nr_threads; n++)
				for (k = 0; k < BENCH_NR_KINDS; k++) {
					t = &bench_targets[s][k];
					if (t->ready && bench_has_pattern(t, p))
						bench_sample(t, p,
							     bench_threads[n],
							     rep);
				}
}

static void bench_create_mpool(size_t bytes, int rep)
{
	struct mpool *pool;
	u64 start;

	start = ktime_get_ns();
	pool = mpool_create("bench_create", BENCH_CREATE_BLOCK, 0,
			    bytes / BENCH_CREATE_BLOCK, 0);
	if (IS_ERR(pool)) {
		bench_emit("error create mpool %zu: %ld\n", bytes, PTR_ERR(pool));
		return;
	}
	if (rep >= 0)
		bench_emit("create mpool %zu %d %llu\n", bytes, rep,
			   ktime_get_ns() - start);
	mpool_destroy(pool);
}

static void bench_create_vmalloc(size_t bytes, int rep)
{
	void *region;
	u64 start;

	start = ktime_get_ns();
	region = vmalloc(bytes);
	if (!region) {
		bench_emit("error create vmalloc %zu\n", bytes);
		return;
	}
	if (rep >= 0)
		bench_emit("create vmalloc %zu %d %llu\n", bytes, rep,
			   ktime_get_ns() - start);
	vfree(region);
}

/*
 * Every repetition (warm-ups first) of @mpool and @peer at each size,
 * taking turns at going first: the second gets the pages the first just
 * freed, and the warm-up makes QEMU back the guest's pages.
 */
static void bench_take_turns(const size_t *sizes, unsigned int nr,
			     void (*mpool)(size_t bytes, int rep),
			     void (*peer)(size_t bytes, int rep))
{
	unsigned int i;
	int rep;

	for (rep = -(int)bench_warmup; rep < (int)bench_reps; rep++) {
		for (i = 0; i < nr; i++) {
			if (rep & 1) {
				peer(sizes[i], rep);
				mpool(sizes[i], rep);
			} else {
				mpool(sizes[i], rep);
				peer(sizes[i], rep);
			}
			cond_resched();
		}
	}
}

/*
 * How long creating a pool takes next to the vmalloc under it.  Carving is
 * lazy, so the two should be close whatever the size.
 */
static void bench_create(void)
{
	const size_t sizes[] = { SZ_1M, (size_t)bench_big_mib * SZ_1M };

	bench_take_turns(sizes, ARRAY_SIZE(sizes), bench_create_mpool,
			 bench_create_vmalloc);
}

/* Regions a grow adds, 64-byte blocks: the small and the large case. */
static const size_t bench_grow_sizes[] = { SZ_64K, SZ_4M };

/*
 * mpool_grow() by one region of @bytes: its vmalloc, the region's table
 * entry and its blocks in the depot.  The pool starts at one block.
 */
static void bench_grow_mpool(size_t bytes, int rep)
{
	struct mpool_args args = {
		.min_blocks = 1,
		.max_blocks = 1 + bytes / BENCH_CREATE_BLOCK,
		.grow_blocks = bytes / BENCH_CREATE_BLOCK,
	};
	struct mpool *pool;
	u64 start, ns;
	int err;

	pool = mpool_create_args("bench_grow", BENCH_CREATE_BLOCK, &args);
	if (IS_ERR(pool)) {
		bench_emit("error grow mpool %zu: %ld\n", bytes, PTR_ERR(pool));
		return;
	}
	start = ktime_get_ns();
	err = mpool_grow(pool, args.grow_blocks);
	ns = ktime_get_ns() - start;
	if (err)
		bench_emit("error grow mpool %zu: %d\n", bytes, err);
	else if (rep >= 0)
		bench_emit("grow mpool %zu %d %llu\n", bytes, rep, ns);
	mpool_destroy(pool);
}

/*
 * gen_pool's way to grow by as much: vmalloc() a chunk and
 * gen_pool_add() it, which allocates the chunk's bitmap.
 */
static void bench_grow_gen_pool(size_t bytes, int rep)
{
	struct gen_pool *gp;
	void *region;
	u64 start, ns;
	int err;

	gp = gen_pool_create(ilog2(BENCH_CREATE_BLOCK), NUMA_NO_NODE);
	if (!gp) {
		bench_emit("error grow gen_pool %zu\n", bytes);
		return;
	}
	start = ktime_get_ns();
	region = vmalloc(bytes);
	err = region ? gen_pool_add(gp, (unsigned long)region, bytes,
				    NUMA_NO_NODE) : -ENOMEM;
	ns = ktime_get_ns() - start;
	if (err)
		bench_emit("error grow gen_pool %zu: %d\n", bytes, err);
	else if (rep >= 0)
		bench_emit("grow gen_pool %zu %d %llu\n", bytes, rep, ns);
	gen_pool_destroy(gp);
	vfree(region);
}

/*
 * What a grow costs next to gen_pool's: both are a vmalloc and their
 * bookkeeping; gen_pool's bitmap is zeroed, mpool's blocks are carved
 * later.
 */
static void bench_grow(void)
{
	bench_take_turns(bench_grow_sizes, ARRAY_SIZE(bench_grow_sizes),
			 bench_grow_mpool, bench_grow_gen_pool);
}

/* Thread i runs on the i-th online CPU; 1, 2 and all of them. */
static int bench_pick_cpus(void)
{
	unsigned int cpu, n = 0;

	bench_cpus = kcalloc(num_online_cpus(), sizeof(*bench_cpus),
			     GFP_KERNEL);
	if (!bench_cpus)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		if (n == num_online_cpus())
			break;
		bench_cpus[n++] = cpu;
	}
	bench_nr_cpus = n;

	bench_threads[bench_nr_threads++] = 1;
	if (n > 2)
		bench_threads[bench_nr_threads++] = 2;
	if (n > 1)
		bench_threads[bench_nr_threads++] = n;
	return 0;
}

static int bench_results_show(struct seq_file *m, void *v)
{
	seq_write(m, bench_buf, bench_len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_results);

static int __init mpool_bench_init(void)
{
	int err, rep;

	if (!bench_reps || !bench_pairs)
		return -EINVAL;
	bench_buf = vzalloc(BENCH_BUF_SIZE);
	if (!bench_buf)
		return -ENOMEM;
	err = bench_pick_cpus();
	if (err) {
		vfree(bench_buf);
		return err;
	}

	bench_emit("info kernel %s\n", utsname()->release);
	bench_emit("info init_on_alloc %d\n", want_init_on_alloc(GFP_KERNEL));
	bench_emit("info init_on_free %d\n", want_init_on_free());
	bench_emit("info cpus %u\n", bench_nr_cpus);
	bench_emit("info pairs %lu\n", bench_pairs);
	bench_emit("info reps %u\n", bench_reps);
	bench_emit("info warmup %u\n", bench_warmup);
	bench_emit("info pool_blocks %u\n", BENCH_BLOCKS);
#ifdef MPOOL_BENCH_OBJPOOL
	bench_emit("info objpool 1\n");
#else
	bench_emit("info objpool 0\n");
#endif

	bench_setup();
	for (rep = -(int)bench_warmup; rep < (int)bench_reps; rep++) {
		bench_rep(rep);
		pr_info("repetition %d of %u done\n", rep + 1, bench_reps);
	}
	bench_teardown();
	if (bench_big_mib)
		bench_create();
	bench_grow();
	if (bench_truncated)
		pr_err("results truncated at %zu bytes\n", bench_len);
	bench_emit("end %s\n", bench_truncated ? "truncated" : "ok");

	bench_dir = debugfs_create_dir("mpool_bench", NULL);
	debugfs_create_file("results", 0444, bench_dir, NULL,
			    &bench_results_fops);
	return 0;
}

static void __exit mpool_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	kfree(bench_cpus);
	vfree(bench_buf);
}

module_init(mpool_bench_init);
module_exit(mpool_bench_exit);

MODULE_DESCRIPTION("Benchmark of mempool_mod against the kernel's allocators");
MODULE_LICENSE("GPL");
