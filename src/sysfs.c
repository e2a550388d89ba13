// SPDX-License-Identifier: GPL-2.0
/*
 * The stable interface: /sys/kernel/mempool_mod/<pool>/, one value per
 * file, as /sys/kernel/slab/<cache>/ has them, and documented in
 * Documentation/ABI/testing/sysfs-kernel-mempool_mod.  debugfs keeps the
 * human-readable views.
 *
 * Every file is 0444.  /proc/slabinfo and SLUB's files went 0400 because
 * a slab's counters tell an attacker when the slab it shares with its
 * victim's objects fills up; a pool's region holds its consumers' blocks
 * alone and never grows, so its counters groom nothing, and tools such as
 * mpoolstat run as any user.  A geometry file reads the pool's fixed
 * fields alone; a counter takes the pool's lock for a few loads and sums
 * the CPUs' counters, as /proc/stat sums its own for any reader.
 *
 * No show() may take mpool_list_lock: mpool_sysfs_remove() runs under it
 * and waits for every show() in progress.
 *
 * Each pool's directory is a kobject of its own, not one embedded in
 * struct mpool: kobject_del() waits for every read in progress
 * (kernfs drains its active references) and fails every later one, so
 * once mpool_sysfs_remove() returns no read can reach the pool, which is
 * freed at once; the kobject lives on until its last reference goes.
 */

static struct kobject *mpool_sysfs_root;
/* Pools' kobjects not yet released: the module waits for them at exit. */
static atomic_t mpool_sysfs_live = ATOMIC_INIT(0);

struct mpool_kobj {
	struct kobject kobj;
	struct mpool *pool;
};

/* A statistic read straight from its field of struct mpool_stats. */
struct mpool_stat_attr {
	struct kobj_attribute attr;
	size_t offset;		/* of a size_t or u64 field */
	bool fixed;		/* geometry: mpool_stats_geometry() has it */
};

static struct mpool *mpool_of_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct mpool_kobj, kobj)->pool;
}

static ssize_t mpool_stat_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	const struct mpool_stat_attr *sattr =
		container_of(attr, struct mpool_stat_attr, attr);
	struct mpool_stats st;
	u64 value;

	BUILD_BUG_ON(sizeof(size_t) != sizeof(u64));
	if (sattr->fixed)
		mpool_stats_geometry(mpool_of_kobj(kobj), &st);
	else
		mpool_get_stats(mpool_of_kobj(kobj), &st);
	memcpy(&value, (u8 *)&st + sattr->offset, sizeof(value));
	return sysfs_emit(buf, "%llu\n", value);
}

/*
 * For a size_t or u64 field only, read as a u64: the module is built for
 * x86_64 alone.  The selftests compare every file with debugfs's stats.
 */
#define MPOOL_STAT_ATTR(_field, _fixed)					\
	static struct mpool_stat_attr mpool_stat_attr_##_field = {	\
		.attr.attr = { .name = __stringify(_field), .mode = 0444 }, \
		.attr.show = mpool_stat_show,				\
		.offset = offsetof(struct mpool_stats, _field),		\
		.fixed = _fixed,					\
	}

MPOOL_STAT_ATTR(block_size, true);
MPOOL_STAT_ATTR(align, true);
MPOOL_STAT_ATTR(stride, true);
MPOOL_STAT_ATTR(nr_blocks, true);
MPOOL_STAT_ATTR(region_bytes, true);
MPOOL_STAT_ATTR(meta_bytes, true);
MPOOL_STAT_ATTR(redzone_bytes, true);
MPOOL_STAT_ATTR(cache_size, true);
MPOOL_STAT_ATTR(in_use, false);
MPOOL_STAT_ATTR(cached, false);
MPOOL_STAT_ATTR(peak_in_use, false);
MPOOL_STAT_ATTR(allocs, false);
MPOOL_STAT_ATTR(frees, false);
MPOOL_STAT_ATTR(alloc_failures, false);
MPOOL_STAT_ATTR(invalid_frees, false);
MPOOL_STAT_ATTR(double_frees, false);
MPOOL_STAT_ATTR(poison_errors, false);
MPOOL_STAT_ATTR(redzone_errors, false);
MPOOL_STAT_ATTR(freelist_errors, false);
MPOOL_STAT_ATTR(quarantined, false);

/* Blocks an alloc can still get, as debugfs's stats say "free". */
static ssize_t free_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct mpool_stats st;

	mpool_get_stats(mpool_of_kobj(kobj), &st);
	return sysfs_emit(buf, "%zu\n",
			  st.nr_blocks - st.in_use - st.quarantined);
}

static struct kobj_attribute mpool_free_attr = __ATTR_RO(free);

/* The debug flags, as debug= takes them. */
static ssize_t flags_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	char letters[8];

	mpool_flags_letters(mpool_of_kobj(kobj)->flags, letters,
			    sizeof(letters));
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
	NULL,
};
ATTRIBUTE_GROUPS(mpool_sysfs);

/*
 * May run after mpool_sysfs_remove() returned, from the last holder of a
 * reference (or a second later, with CONFIG_DEBUG_KOBJECT_RELEASE): the
 * module waits for it in mpool_sysfs_exit().
 */
static void mpool_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct mpool_kobj, kobj));
	if (atomic_dec_and_test(&mpool_sysfs_live))
		wake_up_var(&mpool_sysfs_live);
}

static const struct kobj_type mpool_kobj_type = {
	.release = mpool_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = mpool_sysfs_groups,
};

static int mpool_sysfs_init(void)
{
	mpool_sysfs_root = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	return mpool_sysfs_root ? 0 : -ENOMEM;
}

static void mpool_sysfs_exit(void)
{
	wait_var_event(&mpool_sysfs_live, !atomic_read(&mpool_sysfs_live));
	/* Gone now, not when a delayed release gets to it. */
	kobject_del(mpool_sysfs_root);
	kobject_put(mpool_sysfs_root);
}

/* The pool's directory and its files: 0, or kobject_init_and_add()'s error. */
static int mpool_sysfs_add(struct mpool *pool)
{
	struct mpool_kobj *mk;
	int err;

	lockdep_assert_held(&mpool_list_lock);

	mk = kzalloc(sizeof(*mk), GFP_KERNEL);
	if (!mk)
		return -ENOMEM;
	mk->pool = pool;
	atomic_inc(&mpool_sysfs_live);
	err = kobject_init_and_add(&mk->kobj, &mpool_kobj_type,
				   mpool_sysfs_root, "%s", pool->name);
	if (err) {
		kobject_put(&mk->kobj);
		return err;
	}
	pool->kobj = &mk->kobj;
	return 0;
}

/* Once this returns, no read of the pool's files runs or will. */
static void mpool_sysfs_remove(struct mpool *pool)
{
	lockdep_assert_held(&mpool_list_lock);

	if (!pool->kobj)
		return;
	kobject_del(pool->kobj);
	kobject_put(pool->kobj);
	pool->kobj = NULL;
}
