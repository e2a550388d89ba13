// SPDX-License-Identifier: GPL-2.0
/*
 * mpool_bench_dma - mempool_mod against dma_pool on dma_pool's own kind
 * of workload, as mm/dmapool_test.c measures it: on one CPU, allocate a
 * pool's worth of blocks, free them all, 100 rounds, for each of its
 * geometries.  dma_pool gets a dummy device with a 64-bit mask, as there.
 *
 * Loading the module runs every measurement and keeps the results in
 * /sys/kernel/debug/mpool_bench_dma/results for bench/format.awk:
 *
 *	info dma_rounds <rounds>
 *	dma <size> <align> <boundary> <allocator> <blocks> <rep> <ns>
 *	error <what>
 *
 * <ns> is one repetition's 100 rounds of <blocks> allocs and frees.
 * Repetitions are interleaved over the allocators; the host takes the
 * median.  mpool knows no boundary: its 68-byte row keeps dma_pool's
 * size and alignment, not the 4096-byte boundary.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mempool_mod.h"

MODULE_IMPORT_NS(MPOOL_NS);

#define DMA_ROUNDS	100
#define DMA_BUF_SIZE	(64 * 1024)

static unsigned int dma_reps = 7;
module_param_named(reps, dma_reps, uint, 0444);
MODULE_PARM_DESC(reps, "Repetitions of each measurement (default 7)");

static unsigned int dma_cpu;
module_param_named(cpu, dma_cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "CPU to measure on (default 0)");

/* mm/dmapool_test.c's geometries. */
static const struct dma_geometry {
	size_t size;
	size_t align;
	size_t boundary;
} dma_geometries[] = {
	{ 16, 16, 0 },
	{ 64, 64, 0 },
	{ 256, 256, 0 },
	{ 1024, 1024, 0 },
	{ 4096, 4096, 0 },
	{ 68, 32, 4096 },
};

enum dma_kind { DMA_DMA_POOL, DMA_MPOOL, DMA_MPOOL_NOPCPU, DMA_NR_KINDS };

static const char * const dma_kind_name[] = {
	[DMA_DMA_POOL]		= "dma_pool",
	[DMA_MPOOL]		= "mpool",
	[DMA_MPOOL_NOPCPU]	= "mpool_nopcpu",
};

struct dma_target {
	enum dma_kind kind;
	struct dma_pool *dma_pool;
	struct mpool *mpool;
};

struct dma_block {
	void *v;
	dma_addr_t dma;
};

static struct device dma_dev;
static u64 dma_mask;
static char *dma_buf;
static size_t dma_len;
static struct dentry *dma_dir;

static __printf(1, 2) void dma_emit(const char *fmt, ...)
{
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(dma_buf + dma_len, DMA_BUF_SIZE - dma_len, fmt, args);
	va_end(args);
	dma_len = min_t(size_t, dma_len + len, DMA_BUF_SIZE - 1);
}

/* As mm/dmapool_test.c sizes a pool: half a MiB of 4 KiB pages' worth. */
static int dma_nr_blocks(size_t size)
{
	return clamp_t(int, (PAGE_SIZE / size) * 512, 1024, 8192);
}

static __always_inline void *dma_alloc(struct dma_target *t, dma_addr_t *dma)
{
	if (t->kind == DMA_DMA_POOL)
		return dma_pool_alloc(t->dma_pool, GFP_KERNEL, dma);
	return mpool_alloc(t->mpool, GFP_KERNEL);
}

static __always_inline void dma_free(struct dma_target *t, void *v,
				     dma_addr_t dma)
{
	if (t->kind == DMA_DMA_POOL)
		dma_pool_free(t->dma_pool, v, dma);
	else
		mpool_free(t->mpool, v);
}

/* One repetition: DMA_ROUNDS of a pool's worth of allocs, then frees. */
static noinline s64 dma_rounds(struct dma_target *t, struct dma_block *b,
			       int blocks)
{
	ktime_t start = ktime_get();
	int round, i;

	for (round = 0; round < DMA_ROUNDS; round++) {
		for (i = 0; i < blocks; i++) {
			b[i].v = dma_alloc(t, &b[i].dma);
			if (unlikely(!b[i].v))
				goto fail;
		}
		for (i = 0; i < blocks; i++)
			dma_free(t, b[i].v, b[i].dma);
		cond_resched();
	}
	return ktime_to_ns(ktime_sub(ktime_get(), start));

fail:
	while (i--)
		dma_free(t, b[i].v, b[i].dma);
	return -ENOMEM;
}

static int dma_target_init(struct dma_target *t, enum dma_kind kind,
			   const struct dma_geometry *g, int blocks)
{
	t->kind = kind;
	if (kind == DMA_DMA_POOL) {
		t->dma_pool = dma_pool_create("mpool_bench_dma", &dma_dev,
					      g->size, g->align, g->boundary);
		return t->dma_pool ? 0 : -ENOMEM;
	}
	t->mpool = mpool_create(dma_kind_name[kind], g->size, g->align, blocks,
				kind == DMA_MPOOL_NOPCPU ? MPOOL_NO_PERCPU : 0);
	if (IS_ERR(t->mpool)) {
		int err = PTR_ERR(t->mpool);

		t->mpool = NULL;
		return err;
	}
	return 0;
}

static void dma_target_exit(struct dma_target *t)
{
	dma_pool_destroy(t->dma_pool);
	mpool_destroy(t->mpool);
}

static void dma_measure(const struct dma_geometry *g)
{
	struct dma_target targets[DMA_NR_KINDS] = {};
	int blocks = dma_nr_blocks(g->size);
	struct dma_block *b;
	int kind, rep;
	s64 ns;

	b = kvcalloc(blocks, sizeof(*b), GFP_KERNEL);
	if (!b) {
		dma_emit("error no memory for %d blocks\n", blocks);
		return;
	}
	for (kind = 0; kind < DMA_NR_KINDS; kind++) {
		if (dma_target_init(&targets[kind], kind, g, blocks)) {
			dma_emit("error create %s %zu\n", dma_kind_name[kind],
				 g->size);
			goto out;
		}
	}
	/* Rep -1 warms the pools up: dma_pool allocates its pages then. */
	for (rep = -1; rep < (int)dma_reps; rep++) {
		for (kind = 0; kind < DMA_NR_KINDS; kind++) {
			ns = dma_rounds(&targets[kind], b, blocks);
			if (ns < 0) {
				dma_emit("error alloc %s %zu\n",
					 dma_kind_name[kind], g->size);
				goto out;
			}
			if (rep >= 0)
				dma_emit("dma %zu %zu %zu %s %d %d %lld\n",
					 g->size, g->align, g->boundary,
					 dma_kind_name[kind], blocks, rep, ns);
		}
	}
out:
	for (kind = 0; kind < DMA_NR_KINDS; kind++)
		dma_target_exit(&targets[kind]);
	kvfree(b);
}

static int dma_thread(void *data)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dma_geometries); i++)
		dma_measure(&dma_geometries[i]);
	complete(data);
	return 0;
}

static void dma_dev_release(struct device *dev)
{
}

static int dma_dev_init(void)
{
	int err;

	err = dev_set_name(&dma_dev, "mpool_bench_dma");
	if (err)
		return err;
	dma_dev.release = dma_dev_release;
	err = device_register(&dma_dev);
	if (err) {
		put_device(&dma_dev);
		return err;
	}
	set_dma_ops(&dma_dev, NULL);
	dma_dev.dma_mask = &dma_mask;
	err = dma_set_mask_and_coherent(&dma_dev, DMA_BIT_MASK(64));
	if (err)
		device_unregister(&dma_dev);
	return err;
}

static int dma_results_show(struct seq_file *m, void *v)
{
	seq_write(m, dma_buf, dma_len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dma_results);

static int __init mpool_bench_dma_init(void)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *task;
	int err;

	if (!dma_reps || !cpu_online(dma_cpu))
		return -EINVAL;
	dma_buf = vzalloc(DMA_BUF_SIZE);
	if (!dma_buf)
		return -ENOMEM;
	err = dma_dev_init();
	if (err)
		goto free_buf;

	dma_emit("info dma_rounds %d\n", DMA_ROUNDS);

	/* One CPU, as dma_pool's users and its test: mpool's own cache. */
	task = kthread_create(dma_thread, &done, "mpool_bench_dma");
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto unregister;
	}
	kthread_bind(task, dma_cpu);
	wake_up_process(task);
	/*
	 * Minutes under TCG: a wait that wakes every few seconds is not the
	 * hung task the watchdog reports after 120 s of one sleep.
	 */
	while (!wait_for_completion_timeout(&done, 10 * HZ))
		;

	dma_dir = debugfs_create_dir("mpool_bench_dma", NULL);
	debugfs_create_file("results", 0444, dma_dir, NULL, &dma_results_fops);
	device_unregister(&dma_dev);
	return 0;

unregister:
	device_unregister(&dma_dev);
free_buf:
	vfree(dma_buf);
	return err;
}

static void __exit mpool_bench_dma_exit(void)
{
	debugfs_remove_recursive(dma_dir);
	vfree(dma_buf);
}

module_init(mpool_bench_dma_init);
module_exit(mpool_bench_dma_exit);

MODULE_DESCRIPTION("mempool_mod against dma_pool on dma_pool's workload");
MODULE_LICENSE("GPL");
