// SPDX-License-Identifier: GPL-2.0
/*
 * mpool_sample - how a module uses mempool_mod.
 *
 * It takes a few scratch buffers from the shared default pool and keeps
 * its own messages in a pool of its own, sized for them.  It holds both
 * while loaded and gives everything back at unload, so the pools' debugfs
 * stats show it arrive and leave:
 *
 *	cat /sys/kernel/debug/mempool_mod/pools
 *	cat /sys/kernel/debug/mempool_mod/mpool_sample/stats
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "mempool_mod.h"

#define SAMPLE_NR_SCRATCH	4
#define SAMPLE_NR_MSGS		8

/* What this module keeps in its own pool. */
struct sample_msg {
	u64 seq;
	char text[48];
};

static struct mpool *msg_pool;
static struct sample_msg *msgs[SAMPLE_NR_MSGS];
static void *scratch[SAMPLE_NR_SCRATCH];

static void sample_give_back(void)
{
	int i;

	/* mpool_free() and mpool_destroy() take NULL, so no checks here. */
	for (i = 0; i < SAMPLE_NR_SCRATCH; i++)
		mpool_free(mpool_default(), scratch[i]);
	for (i = 0; i < SAMPLE_NR_MSGS; i++)
		mpool_free(msg_pool, msgs[i]);
	mpool_destroy(msg_pool);
}

static int __init sample_init(void)
{
	int i;

	/*
	 * The default pool is shared with every other consumer and may be
	 * empty: GFP_NOWAIT fails at once instead of waiting for a free.
	 */
	for (i = 0; i < SAMPLE_NR_SCRATCH; i++) {
		scratch[i] = mpool_alloc(mpool_default(), GFP_NOWAIT | __GFP_ZERO);
		if (!scratch[i])
			goto err_nomem;
	}

	/* A pool of one's own: exactly our object's size and alignment. */
	msg_pool = mpool_create(KBUILD_MODNAME, sizeof(struct sample_msg),
				__alignof__(struct sample_msg),
				2 * SAMPLE_NR_MSGS, 0);
	if (IS_ERR(msg_pool)) {
		int err = PTR_ERR(msg_pool);

		msg_pool = NULL;
		sample_give_back();
		return err;
	}

	/*
	 * GFP_KERNEL waits for a free on an empty pool, but may still return
	 * NULL: fault injection (fail_alloc) and a pool's destruction fail
	 * it, so every alloc is checked.  Nobody else uses this pool and it
	 * has room, so it never waits here.
	 */
	for (i = 0; i < SAMPLE_NR_MSGS; i++) {
		msgs[i] = mpool_alloc(msg_pool, GFP_KERNEL);
		if (!msgs[i])
			goto err_nomem;
		msgs[i]->seq = i;
		snprintf(msgs[i]->text, sizeof(msgs[i]->text), "message %d", i);
	}

	pr_info("holding %d scratch blocks from the default pool and %d messages\n",
		SAMPLE_NR_SCRATCH, SAMPLE_NR_MSGS);
	return 0;

err_nomem:
	sample_give_back();
	return -ENOMEM;
}

static void __exit sample_exit(void)
{
	sample_give_back();
	pr_info("gave every block back\n");
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_DESCRIPTION("Sample consumer of mempool_mod");
MODULE_AUTHOR("The mempool_mod developers");
MODULE_VERSION(MPOOL_VERSION);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(MPOOL_NS);
