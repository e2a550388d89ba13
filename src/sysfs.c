// SPDX-License-Identifier: GPL-2.0
/*
 * The stable interface: /sys/kernel/mempool_mod/<pool>/, one value per
 * file, as /sys/kernel/slab/<cache>/ has them, and documented in
 * Documentation/ABI/testing/sysfs-kernel-mempool_mod.  debugfs keeps the
 * human-readable views.
 *
 * Every file is 0444.  /proc/slabinfo and SLUB's files went 0400 because
 * a slab's counters tell an attacker when the slab it shares with its
 * victim's objects fills up; a pool's regions hold its consumers' blocks
 * alone, never another's objects, so its counters groom nothing, and tools such as
 * mpoolstat run as any user.  A geometry file reads the pool's fixed
 * fields alone; a counter takes the pool's lock for a few loads and sums
 * the CPUs' counters, as /proc/stat sums its own for any reader.
 *
 * No show() may take mpool_list_lock: mpool_sysfs_remove() runs under it
 * and waits for every show() in progress.
 *
 * Each pool's directory is a plain kobject_create_and_add() one, so its
 * release is the core kernel's: it may run whenever the last reference
 * goes (a second later with CONFIG_DEBUG_KOBJECT_RELEASE), after the
 * module is gone too, and module exit waits for none.  With no pointer to
 * the pool beside the kobject, a show() finds its pool by the kobject in
 * mpool_sysfs_pools, under mpool_sysfs_lock, or fails with -ENODEV.
 * mpool_sysfs_remove() takes the pool out of it first, under the lock, so
 * once it returns no read can reach the pool, which is freed at once;
 * kobject_del() then removes the files.
 */

/* Read by a show() while it reads the pool it found; written to remove one. */
static DECLARE_RWSEM(mpool_sysfs_lock);
/* Each live pool, indexed by the address of its directory's kobject. */
static DEFINE_XARRAY(mpool_sysfs_pools);
static struct kobject *mpool_sysfs_root;

/* A statistic read straight from its field of struct mpool_stats. */
struct mpool_stat_attr {
	struct kobj_attribute attr;
	size_t offset;		/* of a size_t or u64 field */
	size_t size;		/* its width: they differ on 32-bit */
	bool fixed;		/* geometry: mpool_stats_geometry() has it */
};

/*
 * Read the stats of the pool whose directory @kobj is: its geometry alone
 * if @fixed, else a snapshot.  -ENODEV once the pool is removed.
 */
static int mpool_sysfs_stats(struct kobject *kobj, bool fixed,
			     struct mpool_stats *st)
{
	struct mpool *pool;

	down_read(&mpool_sysfs_lock);
	pool = xa_load(&mpool_sysfs_pools, (unsigned long)kobj);
	if (pool && fixed)
		mpool_stats_geometry(pool, st);
	else if (pool)
		mpool_get_stats(pool, st);
	up_read(&mpool_sysfs_lock);
	return pool ? 0 : -ENODEV;
}

static ssize_t mpool_stat_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	const struct mpool_stat_attr *sattr =
		container_of(attr, struct mpool_stat_attr, attr);
	struct mpool_stats st;
	size_t bytes;
	u64 value;
	int err;

	err = mpool_sysfs_stats(kobj, sattr->fixed, &st);
	if (err)
		return err;
	if (sattr->size == sizeof(u64)) {
		memcpy(&value, (u8 *)&st + sattr->offset, sizeof(value));
		return sysfs_emit(buf, "%llu\n", value);
	}
	memcpy(&bytes, (u8 *)&st + sattr->offset, sizeof(bytes));
	return sysfs_emit(buf, "%zu\n", bytes);
}

/*
 * For a size_t or u64 field only, @_type as struct mpool_stats has it,
 * each read at its own width: the same on a 64-bit kernel, 4 and 8 bytes
 * on a 32-bit one.  The selftests compare every file with debugfs's stats.
 */
#define MPOOL_STAT_ATTR(_field, _fixed, _type)				\
	static struct mpool_stat_attr mpool_stat_attr_##_field = {	\
		.attr.attr = { .name = __stringify(_field), .mode = 0444 }, \
		.attr.show = mpool_stat_show,				\
		.offset = offsetof(struct mpool_stats, _field),		\
		.size = sizeof(_type),					\
		.fixed = _fixed,					\
	}

MPOOL_STAT_ATTR(block_size, true, size_t);
MPOOL_STAT_ATTR(align, true, size_t);
MPOOL_STAT_ATTR(stride, true, size_t);
MPOOL_STAT_ATTR(nr_blocks, false, size_t);
MPOOL_STAT_ATTR(region_bytes, false, size_t);
MPOOL_STAT_ATTR(meta_bytes, true, size_t);
MPOOL_STAT_ATTR(redzone_bytes, true, size_t);
MPOOL_STAT_ATTR(cache_size, true, size_t);
MPOOL_STAT_ATTR(in_use, false, size_t);
MPOOL_STAT_ATTR(cached, false, size_t);
MPOOL_STAT_ATTR(peak_in_use, false, size_t);
MPOOL_STAT_ATTR(allocs, false, u64);
MPOOL_STAT_ATTR(frees, false, u64);
MPOOL_STAT_ATTR(alloc_failures, false, u64);
MPOOL_STAT_ATTR(invalid_frees, false, u64);
MPOOL_STAT_ATTR(double_frees, false, u64);
MPOOL_STAT_ATTR(poison_errors, false, u64);
MPOOL_STAT_ATTR(redzone_errors, false, u64);
MPOOL_STAT_ATTR(freelist_errors, false, u64);
MPOOL_STAT_ATTR(quarantined, false, size_t);
MPOOL_STAT_ATTR(min_blocks, true, size_t);
MPOOL_STAT_ATTR(max_blocks, true, size_t);
MPOOL_STAT_ATTR(nr_regions, false, size_t);
MPOOL_STAT_ATTR(grows, false, u64);
MPOOL_STAT_ATTR(shrinks, false, u64);
MPOOL_STAT_ATTR(grow_failures, false, u64);

/* Blocks an alloc can still get, as debugfs's stats say "free". */
static ssize_t free_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct mpool_stats st;
	int err;

	err = mpool_sysfs_stats(kobj, false, &st);
	if (err)
		return err;
	return sysfs_emit(buf, "%zu\n",
			  st.nr_blocks - st.in_use - st.quarantined);
}

static struct kobj_attribute mpool_free_attr = __ATTR_RO(free);

/* The debug flags, as debug= takes them. */
static ssize_t flags_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct mpool_stats st;
	char letters[8];
	int err;

	err = mpool_sysfs_stats(kobj, true, &st);
	if (err)
		return err;
	mpool_flags_letters(st.flags, letters, sizeof(letters));
	return sysfs_emit(buf, "%s\n", letters);
}

static struct kobj_attribute mpool_flags_attr = __ATTR_RO(flags);

static struct attribute *mpool_sysfs_attrs[] = {
	&mpool_stat_attr_block_size.attr.attr,
	&mpool_stat_attr_align.attr.attr,
	&mpool_stat_attr_stride.attr.attr,
	&mpool_stat_attr_nr_blocks.attr.attr,
	&mpool_stat_attr_region_bytes.attr.attr,
	&mpool_stat_attr_meta_bytes.attr.attr,
	&mpool_stat_attr_redzone_bytes.attr.attr,
	&mpool_stat_attr_cache_size.attr.attr,
	&mpool_flags_attr.attr,
	&mpool_stat_attr_in_use.attr.attr,
	&mpool_free_attr.attr,
	&mpool_stat_attr_cached.attr.attr,
	&mpool_stat_attr_peak_in_use.attr.attr,
	&mpool_stat_attr_allocs.attr.attr,
	&mpool_stat_attr_frees.attr.attr,
	&mpool_stat_attr_alloc_failures.attr.attr,
	&mpool_stat_attr_invalid_frees.attr.attr,
	&mpool_stat_attr_double_frees.attr.attr,
	&mpool_stat_attr_poison_errors.attr.attr,
	&mpool_stat_attr_redzone_errors.attr.attr,
	&mpool_stat_attr_freelist_errors.attr.attr,
	&mpool_stat_attr_quarantined.attr.attr,
	&mpool_stat_attr_min_blocks.attr.attr,
	&mpool_stat_attr_max_blocks.attr.attr,
	&mpool_stat_attr_nr_regions.attr.attr,
	&mpool_stat_attr_grows.attr.attr,
	&mpool_stat_attr_shrinks.attr.attr,
	&mpool_stat_attr_grow_failures.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mpool_sysfs);

static int mpool_sysfs_init(void)
{
	mpool_sysfs_root = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	return mpool_sysfs_root ? 0 : -ENOMEM;
}

static void mpool_sysfs_exit(void)
{
	/* Gone now, not when a delayed release gets to it. */
	kobject_del(mpool_sysfs_root);
	kobject_put(mpool_sysfs_root);
}

/* Put @kobj's pool out of every show()'s reach, then remove @kobj. */
static void mpool_sysfs_del(struct kobject *kobj)
{
	/* Waits for the show()s that found the pool: later ones do not. */
	down_write(&mpool_sysfs_lock);
	xa_erase(&mpool_sysfs_pools, (unsigned long)kobj);
	up_write(&mpool_sysfs_lock);
	/* Gone now, not when a delayed release gets to it. */
	kobject_del(kobj);
	kobject_put(kobj);
}

/* The pool's directory and its files: 0 or -errno. */
static int mpool_sysfs_add(struct mpool *pool)
{
	struct kobject *kobj;
	int err;

	lockdep_assert_held(&mpool_list_lock);

	kobj = kobject_create_and_add(pool->name, mpool_sysfs_root);
	if (!kobj)
		return -ENOMEM;
	/* Before the files: a read finds the pool from the first one on. */
	err = xa_err(xa_store(&mpool_sysfs_pools, (unsigned long)kobj, pool,
			      GFP_KERNEL));
	if (!err)
		err = sysfs_create_groups(kobj, mpool_sysfs_groups);
	if (err) {
		mpool_sysfs_del(kobj);
		return err;
	}
	pool->kobj = kobj;
	return 0;
}

/* Once this returns, no read of the pool's files reaches the pool. */
static void mpool_sysfs_remove(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);

	if (!pool->kobj)
		return;
	mpool_sysfs_del(pool->kobj);
	pool->kobj = NULL;
}
