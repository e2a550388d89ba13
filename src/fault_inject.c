// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for consumers: each pool's debugfs directory holds a
 * fail_alloc fault attribute, as failslab does for the slab allocators, so
 * a consumer can exercise the paths where mpool_alloc() returns NULL.  It
 * compiles away on kernels without CONFIG_FAULT_INJECTION_DEBUG_FS.
 */

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS

static void mpool_fail_alloc_init(struct mpool *pool)
{
	pool->fail_alloc = (struct fault_attr)FAULT_ATTR_INITIALIZER;
	/*
	 * The initializer gives the ratelimit's lock a static lockdep key,
	 * which a kzalloc'ed pool is not: lockdep would switch itself off
	 * the first time a verbose fault is rate-limited.
	 */
	raw_spin_lock_init(&pool->fail_alloc.ratelimit_state.lock);
}

static void mpool_fail_alloc_debugfs(struct mpool *pool)
{
	/* Like every debugfs file: the pool works without it. */
	fault_create_debugfs_attr("fail_alloc", pool->debugfs_dir,
				  &pool->fail_alloc);
}

static bool mpool_should_fail_alloc(struct mpool *pool)
{
	return should_fail(&pool->fail_alloc, pool->block_size);
}

#else /* !CONFIG_FAULT_INJECTION_DEBUG_FS */

static void mpool_fail_alloc_init(struct mpool *pool)
{
}

static void mpool_fail_alloc_debugfs(struct mpool *pool)
{
}

static bool mpool_should_fail_alloc(struct mpool *pool)
{
	return false;
}

#endif /* CONFIG_FAULT_INJECTION_DEBUG_FS */
