// SPDX-License-Identifier: GPL-2.0
/*
 * Module load and unload, and the parameters: the default pool's geometry
 * and debug=, the debug flags every new pool gets.
 */

static unsigned long param_pool_size = SZ_1M;
module_param_named(pool_size, param_pool_size, ulong, 0444);
MODULE_PARM_DESC(pool_size, "Bytes of the default pool's region (default 1 MiB)");

static unsigned long param_block_size = 64;
module_param_named(block_size, param_block_size, ulong, 0444);
MODULE_PARM_DESC(block_size, "Usable bytes per block of the default pool (default 64)");

static unsigned long param_align;
module_param_named(align, param_align, ulong, 0444);
MODULE_PARM_DESC(align, "Block alignment of the default pool, a power of two (default 0: pointer size)");

static bool param_percpu = true;
module_param_named(percpu, param_percpu, bool, 0444);
MODULE_PARM_DESC(percpu, "Per-CPU caches in front of the default pool's lock (default Y)");

/*
 * debug= takes slub_debug's letters, in any case and order, or "" or "-"
 * for none.  A bad letter fails the write, and so insmod, with -EINVAL;
 * the kernel's own message names the parameter and the value.
 */
static int mpool_debug_parse(const char *val, unsigned int *flags)
{
	const char *letter;
	unsigned char c;

	*flags = 0;
	if (!strcmp(val, "-") || !strcmp(val, "-\n"))
		return 0;
	for (; *val && *val != '\n'; val++) {
		c = *val;
		letter = isascii(c) ? strchr(mpool_flag_letters, toupper(c)) :
				      NULL;
		if (!letter)
			return -EINVAL;
		*flags |= BIT(letter - mpool_flag_letters);
	}
	return *val && val[1] ? -EINVAL : 0;
}

static int mpool_debug_set(const char *val, const struct kernel_param *kp)
{
	unsigned int flags;
	int err;

	err = mpool_debug_parse(val, &flags);
	if (err)
		return err;
	WRITE_ONCE(mpool_debug_flags, flags);
	return 0;
}

static int mpool_debug_get(char *buffer, const struct kernel_param *kp)
{
	int len = mpool_flags_letters(READ_ONCE(mpool_debug_flags), buffer,
				      PAGE_SIZE - 1);

	buffer[len++] = '\n';
	return len;
}

static const struct kernel_param_ops mpool_debug_ops = {
	.set = mpool_debug_set,
	.get = mpool_debug_get,
};
module_param_cb(debug, &mpool_debug_ops, NULL, 0644);
MODULE_PARM_DESC(debug, "Debug flags for the default pool and every pool created while set: P poison, Z red zone, U track callers (default none)");

/* Refuse bad parameters with one line that names the parameter. */
static int __init mpool_check_params(size_t *stride)
{
	struct mpool_layout layout;
	int err;

	if (!param_block_size) {
		pr_err("block_size=0: must be at least 1\n");
		return -EINVAL;
	}
	/* mpool_layout() knows the rules: turn its verdict into a message. */
	err = mpool_layout(param_block_size, param_align, mpool_debug_flags,
			   &layout);
	if (err == -EINVAL) {
		pr_err("align=%lu: must be 0 or a power of two\n", param_align);
		return -EINVAL;
	}
	if (err) {
		pr_err("block_size=%lu: too large for align=%lu\n",
		       param_block_size, param_align);
		return -EINVAL;
	}
	if (param_pool_size < layout.stride) {
		pr_err("pool_size=%lu: smaller than one block (stride %zu)\n",
		       param_pool_size, layout.stride);
		return -EINVAL;
	}
	*stride = layout.stride;
	return 0;
}

static int __init mpool_init(void)
{
	struct mpool *pool;
	size_t stride;
	int err;

	err = mpool_check_params(&stride);
	if (err)
		return err;

	err = mpool_cpuhp_init();
	if (err)
		return err;
	err = mpool_sysfs_init();
	if (err) {
		mpool_cpuhp_exit();
		return err;
	}
	mpool_debugfs_init();
	pool = mpool_create("default", param_block_size, param_align,
			    param_pool_size / stride,
			    param_percpu ? 0 : MPOOL_NO_PERCPU);
	if (IS_ERR(pool)) {
		err = PTR_ERR(pool);
		pr_err("pool_size=%lu: cannot create the default pool: %pe\n",
		       param_pool_size, pool);
		mpool_debugfs_exit();
		mpool_sysfs_exit();
		mpool_cpuhp_exit();
		/* A size too large is a bad parameter, like the others. */
		return err == -EOVERFLOW || err == -E2BIG ? -EINVAL : err;
	}
	mpool_default_pool = pool;
	return 0;
}

static void __exit mpool_exit(void)
{
	struct mpool *pool;

	mpool_release(mpool_default_pool);

	/* Consumers are unloaded by now: what is left was forgotten. */
	for (;;) {
		mutex_lock(&mpool_list_lock);
		pool = list_first_entry_or_null(&mpool_list, struct mpool, node);
		mutex_unlock(&mpool_list_lock);
		if (!pool)
			break;
		pr_warn("pool %s was never destroyed; destroying it\n",
			pool->name);
		mpool_release(pool);
	}
	mpool_debugfs_exit();
	mpool_sysfs_exit();
	mpool_cpuhp_exit();
	/* Regions a shrink gave back are freed by this module's callback. */
	rcu_barrier();
}

module_init(mpool_init);
module_exit(mpool_exit);
