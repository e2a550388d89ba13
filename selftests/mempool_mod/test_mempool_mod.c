// SPDX-License-Identifier: GPL-2.0
/*
 * test_mempool_mod - drive mempool_mod from user space, for its selftests.
 *
 * The module offers one file, /sys/kernel/debug/test_mempool_mod/control.
 * Each write() to it is one command run against the target pool, which is
 * the default pool of mempool_mod unless a pool of our own was created:
 *
 *	alloc <n>		allocate n blocks (GFP_NOWAIT) and hold them;
 *				-ENOMEM if one allocation failed, keeping the
 *				blocks obtained before it
 *	free <n>		free the n blocks held last (-EINVAL if fewer)
 *	free_all		free every held block
 *	double_free		allocate a block, free it, free it again
 *	free_interior		free the last held block plus one byte; the
 *				block stays held (-EINVAL if none is held)
 *	free_outside		free a pointer to a static object of ours
 *	create <name> <block_size> <align> <nr_blocks>
 *				create our own pool and target it: -EBUSY if
 *				we have one, mpool_create()'s error otherwise
 *	destroy			free what we hold of our pool, destroy it and
 *				target the default pool (-EINVAL if none)
 *	forget			like destroy, but leave the pool alive and
 *				forget it, as a buggy consumer would
 *
 * A write returns its byte count on success and a negative errno on error.
 * Reading the file gives one line: "target=<pool name> held=<n>".
 *
 * Every held block belongs to the target pool: before the target changes,
 * every held block is freed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mempool_mod.h"

MODULE_IMPORT_NS(MEMPOOL_MOD);

/* Longest command accepted by one write(), without the terminating NUL. */
#define TMM_CMD_MAX		128
/* Smallest capacity of the held array, in blocks. */
#define TMM_HELD_MIN		64

/**
 * struct tmm_state - what the driver holds; every member under @lock
 * @lock:	serialises the commands, the status read and module exit
 * @target:	the pool the commands act on
 * @target_name: name of @target, for the status line
 * @own:	our own pool, made by "create", or NULL
 * @held:	blocks we got from @target and did not free yet, in order
 * @nr_held:	number of valid entries in @held
 * @capacity:	number of entries @held has room for
 */
struct tmm_state {
	struct mutex lock;	/* protects this struct */
	struct mpool *target;
	const char *target_name;
	struct mpool *own;
	void **held;
	size_t nr_held;
	size_t capacity;
};

static struct tmm_state tmm = {
	.lock = __MUTEX_INITIALIZER(tmm.lock),
};

/* Not a block of any pool: what "free_outside" tries to free. */
static u64 tmm_outside_object;

static struct dentry *tmm_debugfs_dir;

/**
 * tmm_reserve() - make room for one more held block
 *
 * Grows @tmm.held geometrically, so that "alloc <n>" costs O(n) copies
 * without allocating room for a huge @n before any block was obtained.
 *
 * Context: Process context, @tmm.lock held.
 * Return: 0, or -ENOMEM.
 */
static int tmm_reserve(void)
{
	size_t capacity;
	void **held;

	lockdep_assert_held(&tmm.lock);

	if (tmm.nr_held < tmm.capacity)
		return 0;
	if (check_mul_overflow(max_t(size_t, tmm.capacity, TMM_HELD_MIN / 2),
			       (size_t)2, &capacity))
		return -ENOMEM;
	held = kvmalloc_array(capacity, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	if (tmm.nr_held)
		memcpy(held, tmm.held, tmm.nr_held * sizeof(*held));
	kvfree(tmm.held);
	tmm.held = held;
	tmm.capacity = capacity;
	return 0;
}

/**
 * tmm_free_last() - free the blocks held last
 * @n: how many blocks to free; at most @tmm.nr_held
 *
 * Context: Process context, @tmm.lock held.
 */
static void tmm_free_last(size_t n)
{
	lockdep_assert_held(&tmm.lock);

	while (n--) {
		mpool_free(tmm.target, tmm.held[--tmm.nr_held]);
		cond_resched();
	}
}

/**
 * tmm_release_all() - free every held block and the held array
 *
 * Context: Process context, @tmm.lock held.
 */
static void tmm_release_all(void)
{
	lockdep_assert_held(&tmm.lock);

	tmm_free_last(tmm.nr_held);
	kvfree(tmm.held);
	tmm.held = NULL;
	tmm.capacity = 0;
}

/**
 * tmm_parse_size() - parse a decimal count argument
 * @arg: the argument
 * @val: where to store the value
 *
 * Return: 0, or -EINVAL if @arg is not a number that fits a size_t.
 */
static int tmm_parse_size(const char *arg, size_t *val)
{
	unsigned long v;

	if (kstrtoul(arg, 10, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

/* "alloc <n>" */
static int tmm_cmd_alloc(char **argv)
{
	size_t n, i;
	void *block;
	int err;

	if (tmm_parse_size(argv[0], &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = tmm_reserve();
		if (err)
			return err;
		block = mpool_alloc(tmm.target, GFP_NOWAIT);
		if (!block)
			return -ENOMEM;
		tmm.held[tmm.nr_held++] = block;
		cond_resched();
	}
	return 0;
}

/* "free <n>" */
static int tmm_cmd_free(char **argv)
{
	size_t n;

	if (tmm_parse_size(argv[0], &n) || n > tmm.nr_held)
		return -EINVAL;
	tmm_free_last(n);
	return 0;
}

/* "free_all" */
static int tmm_cmd_free_all(char **argv)
{
	tmm_free_last(tmm.nr_held);
	return 0;
}

/* "double_free": the pool must refuse the second free. */
static int tmm_cmd_double_free(char **argv)
{
	void *block = mpool_alloc(tmm.target, GFP_NOWAIT);

	if (!block)
		return -ENOMEM;
	mpool_free(tmm.target, block);
	mpool_free(tmm.target, block);
	return 0;
}

/* "free_interior": the pool must refuse a pointer inside a held block. */
static int tmm_cmd_free_interior(char **argv)
{
	if (!tmm.nr_held)
		return -EINVAL;
	mpool_free(tmm.target, (char *)tmm.held[tmm.nr_held - 1] + 1);
	return 0;
}

/* "free_outside": the pool must refuse a pointer it never handed out. */
static int tmm_cmd_free_outside(char **argv)
{
	mpool_free(tmm.target, &tmm_outside_object);
	return 0;
}

/* "create <name> <block_size> <align> <nr_blocks>" */
static int tmm_cmd_create(char **argv)
{
	size_t block_size, align, nr_blocks;
	struct mpool *pool;
	const char *name;

	if (tmm.own)
		return -EBUSY;
	if (tmm_parse_size(argv[1], &block_size) ||
	    tmm_parse_size(argv[2], &align) ||
	    tmm_parse_size(argv[3], &nr_blocks))
		return -EINVAL;
	name = kstrdup(argv[0], GFP_KERNEL);
	if (!name)
		return -ENOMEM;

	pool = mpool_create(name, block_size, align, nr_blocks, 0);
	if (IS_ERR(pool)) {
		kfree(name);
		return PTR_ERR(pool);
	}

	/* Our blocks come from the old target: give them back first. */
	tmm_release_all();
	tmm.own = pool;
	tmm.target = pool;
	tmm.target_name = name;
	return 0;
}

/*
 * Stop using our own pool: give its blocks back and target the default
 * pool again.  Return the pool, for the caller to destroy or to forget.
 */
static struct mpool *tmm_drop_own(void)
{
	struct mpool *own = tmm.own;

	lockdep_assert_held(&tmm.lock);

	tmm_release_all();
	kfree(tmm.target_name);
	tmm.own = NULL;
	tmm.target = mpool_default();
	tmm.target_name = "default";
	return own;
}

/* "destroy" */
static int tmm_cmd_destroy(char **argv)
{
	if (!tmm.own)
		return -EINVAL;
	mpool_destroy(tmm_drop_own());
	return 0;
}

/* "forget": mempool_mod must report the pool when it is unloaded. */
static int tmm_cmd_forget(char **argv)
{
	if (!tmm.own)
		return -EINVAL;
	tmm_drop_own();
	return 0;
}

/**
 * struct tmm_cmd - one command of the control file
 * @name:	first word of the command
 * @nr_args:	number of words that must follow it
 * @run:	handler, given the words after @name; called with the lock
 *		held; returns 0 or a negative errno
 */
struct tmm_cmd {
	const char *name;
	int nr_args;
	int (*run)(char **argv);
};

static const struct tmm_cmd tmm_cmds[] = {
	{ "alloc",		1, tmm_cmd_alloc },
	{ "free",		1, tmm_cmd_free },
	{ "free_all",		0, tmm_cmd_free_all },
	{ "double_free",	0, tmm_cmd_double_free },
	{ "free_interior",	0, tmm_cmd_free_interior },
	{ "free_outside",	0, tmm_cmd_free_outside },
	{ "create",		4, tmm_cmd_create },
	{ "destroy",		0, tmm_cmd_destroy },
	{ "forget",		0, tmm_cmd_forget },
};

/**
 * tmm_run() - run one command line
 * @line: the command, NUL-terminated
 *
 * Context: Process context. Takes @tmm.lock.
 * Return: 0, or a negative errno: -EINVAL for an unknown command or a
 * wrong number of arguments, else whatever the command returns.
 */
static int tmm_run(const char *line)
{
	const struct tmm_cmd *cmd;
	char **argv;
	int argc, err = -EINVAL;
	size_t i;

	argv = argv_split(GFP_KERNEL, line, &argc);
	if (!argv)
		return -ENOMEM;

	for (i = 0; i < ARRAY_SIZE(tmm_cmds); i++) {
		cmd = &tmm_cmds[i];
		if (argc == cmd->nr_args + 1 && !strcmp(argv[0], cmd->name)) {
			mutex_lock(&tmm.lock);
			err = cmd->run(argv + 1);
			mutex_unlock(&tmm.lock);
			break;
		}
	}

	argv_free(argv);
	return err;
}

static ssize_t tmm_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char *line;
	int err;

	if (!count || count > TMM_CMD_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);

	err = tmm_run(line);
	kfree(line);
	return err ? err : count;
}

static ssize_t tmm_control_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char status[TMM_CMD_MAX];
	int len;

	mutex_lock(&tmm.lock);
	len = scnprintf(status, sizeof(status), "target=%s held=%zu\n",
			tmm.target_name, tmm.nr_held);
	mutex_unlock(&tmm.lock);

	return simple_read_from_buffer(ubuf, count, ppos, status, len);
}

static const struct file_operations tmm_control_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= tmm_control_read,
	.write	= tmm_control_write,
	.llseek	= default_llseek,
};

static int __init test_mempool_mod_init(void)
{
	struct dentry *file;

	/* mempool_mod is loaded before us, with its default pool. */
	tmm.target = mpool_default();
	tmm.target_name = "default";

	tmm_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(tmm_debugfs_dir))
		return PTR_ERR(tmm_debugfs_dir);
	file = debugfs_create_file("control", 0600, tmm_debugfs_dir, NULL,
				   &tmm_control_fops);
	if (IS_ERR(file)) {
		debugfs_remove_recursive(tmm_debugfs_dir);
		return PTR_ERR(file);
	}
	return 0;
}

static void __exit test_mempool_mod_exit(void)
{
	debugfs_remove_recursive(tmm_debugfs_dir);

	mutex_lock(&tmm.lock);
	if (tmm.own)
		mpool_destroy(tmm_drop_own());
	tmm_release_all();
	mutex_unlock(&tmm.lock);
}

module_init(test_mempool_mod_init);
module_exit(test_mempool_mod_exit);

MODULE_DESCRIPTION("Test driver for mempool_mod: drives its pools from debugfs");
MODULE_LICENSE("GPL");
