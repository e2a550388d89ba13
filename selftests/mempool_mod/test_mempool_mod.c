// SPDX-License-Identifier: GPL-2.0
/*
 * test_mempool_mod - drive mempool_mod from user space, for its selftests.
 *
 * The module is a consumer of mempool_mod like any other, and offers two
 * files in /sys/kernel/debug/test_mempool_mod/.  Each write() to "control"
 * is one command run against the target pool, which is the default pool
 * of mempool_mod unless a pool of our own was created:
 *
 *	alloc <n>		allocate n blocks (GFP_NOWAIT) and hold them;
 *				-ENOMEM if one allocation failed, keeping the
 *				blocks obtained before it
 *	alloc_wait <n>		the same with GFP_KERNEL, from another call
 *				site: waits while the pool is empty, so use
 *				it only when the pool has a block left
 *	wait_async		on our own pool only: a kthread allocates
 *				with GFP_KERNEL; returns once it sleeps in
 *				the pool (-EAGAIN if it got a block without
 *				sleeping, -EBUSY if one is there already,
 *				-ETIMEDOUT if it neither slept nor returned
 *				in 60 s, a hang guard)
 *	wait_join		wait for that kthread, at most 60 s (a hang
 *				guard), and hold its block (-ENOMEM if it
 *				got NULL, -ETIMEDOUT if it still waits).
 *				create, destroy and forget are -EBUSY until
 *				then
 *	free <n>		free the n blocks held last (-EINVAL if fewer)
 *	free_all		free every held block
 *	double_free		allocate a block, free it, free it again
 *	free_interior		free the last held block plus one byte; the
 *				block stays held (-EINVAL if none is held)
 *	free_outside		free a pointer to a static object of ours
 *	write_after_free <offset>
 *				free the last held block, then flip the bits
 *				of its byte at offset (below block_size)
 *	corrupt_link		free the last held block, then flip the bits
 *				of its first word, where a pool without P or
 *				Z keeps its free-list link
 *	refree			free again the block that write_after_free or
 *				corrupt_link freed last (-EINVAL if none)
 *	overrun <n>		flip the bits of the n bytes just past the
 *				last held block's usable size; n must fit in
 *				the pool's red zone
 *	sleep_in_atomic		allocate with GFP_KERNEL under a spinlock and
 *				free the block, between two marker lines in
 *				the kernel log (-ENOSPC if no block is free)
 *	soak <threads_per_cpu> <ops_per_thread> <max_held> <max_running>
 *				run threads_per_cpu kthreads bound to each
 *				online CPU, each doing ops_per_thread random
 *				allocs and frees holding at most max_held
 *				blocks, at most max_running of them at any
 *				moment (0: all); hold what they hold at the
 *				end.  -ENOSPC if the pool has fewer free
 *				blocks than all threads may hold at once
 *	create <name> <block_size> <align> <nr_blocks> [<flags>]
 *				create our own pool and target it: -EBUSY if
 *				we have one, mpool_create()'s error otherwise.
 *				flags: letters P, Z, U in any case, or "-";
 *				and N for MPOOL_NO_PERCPU
 *	destroy			free what we hold of our pool, destroy it and
 *				target the default pool (-EINVAL if none)
 *	destroy_leaking		destroy our pool without freeing the blocks
 *				we hold of it, and forget them
 *	forget			like destroy, but leave the pool alive and
 *				forget it, as a buggy consumer would
 *	reset			back to the state of a fresh load: a waiter
 *				of wait_async is given every held block and
 *				joined (at most 60 s, then -ETIMEDOUT and
 *				nothing else is done), every held block is
 *				freed, our own pool is destroyed, the target
 *				is the default pool again, and the soak's
 *				figures and the misused block are cleared.
 *				Lets selftests share one load of the modules
 *				(a pool already forgotten is not ours to
 *				destroy: only unloading mempool_mod reports
 *				it)
 *
 * A write returns its byte count on success and a negative errno on error.
 * Reading "control" gives one line: "target=<pool name> held=<n>".
 * Reading "soak" gives the figures of the last soak, "key: value" lines.
 *
 * Every held block belongs to the target pool: before the target changes,
 * every held block is freed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/completion.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/semaphore.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "mempool_mod.h"

MODULE_IMPORT_NS(MPOOL_NS);

/* Longest command accepted by one write(), without the terminating NUL. */
#define TMM_CMD_MAX		128
/* Smallest capacity of the held array, in blocks. */
#define TMM_HELD_MIN		64
/* Most soak threads per CPU: each one is a kthread and a held array. */
#define TMM_SOAK_THREADS_MAX	16
/* Ops a soak thread does each time it gets its turn to run. */
#define TMM_SOAK_BURST		64

/**
 * struct tmm_soak_result - what a soak did, summed over its threads
 * @threads:	threads that ran
 * @ops:	allocs and frees attempted
 * @allocs:	allocs that returned a block
 * @frees:	blocks given back
 * @alloc_failures: allocs that returned NULL
 * @corruptions: blocks found not to hold their owner's stamp, or outside
 *		the pool
 * @held:	blocks the threads held at the end, now held by the driver
 */
struct tmm_soak_result {
	unsigned int threads;
	u64 ops;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 corruptions;
	size_t held;
};

/**
 * struct tmm_state - what the driver holds; every member under @lock
 * @lock:	serialises the commands, the status reads and module exit
 * @target:	the pool the commands act on
 * @target_name: name of @target, for the status line
 * @own:	our own pool, made by "create", or NULL
 * @held:	blocks we got from @target and did not free yet, in order
 * @nr_held:	number of valid entries in @held
 * @capacity:	number of entries @held has room for
 * @misused:	the block write_after_free or corrupt_link freed last
 * @soak:	the figures of the last soak
 * @waiter:	the kthread of "wait_async" until "wait_join", or NULL
 * @waiter_done: completed by @waiter once its alloc returned
 * @waiter_block: what that alloc returned; written by @waiter before
 *		@waiter_done, read after it
 */
struct tmm_state {
	struct mutex lock;	/* protects this struct */
	struct mpool *target;
	const char *target_name;
	struct mpool *own;
	void **held;
	size_t nr_held;
	size_t capacity;
	void *misused;
	struct tmm_soak_result soak;
	struct task_struct *waiter;
	struct completion waiter_done;
	void *waiter_block;
};

static struct tmm_state tmm = {
	.lock = __MUTEX_INITIALIZER(tmm.lock),
};

/* Not a block of any pool: what "free_outside" tries to free. */
static u64 tmm_outside_object;

/* Protects nothing: "sleep_in_atomic" holds it only to be atomic. */
static DEFINE_SPINLOCK(tmm_atomic_lock);

static struct dentry *tmm_debugfs_dir;

/**
 * tmm_reserve() - make room for more held blocks
 * @extra: how many blocks beyond those held there must be room for
 *
 * Grows @tmm.held geometrically, so that "alloc <n>" costs O(n) copies
 * without allocating room for a huge @n before any block was obtained.
 *
 * Context: Process context, @tmm.lock held.
 * Return: 0, or -ENOMEM.
 */
static int tmm_reserve(size_t extra)
{
	size_t need, capacity;
	void **held;

	lockdep_assert_held(&tmm.lock);

	if (check_add_overflow(tmm.nr_held, extra, &need))
		return -ENOMEM;
	if (need <= tmm.capacity)
		return 0;
	if (check_mul_overflow(max3(tmm.capacity, need, (size_t)TMM_HELD_MIN),
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
 * Done before the target changes: forget the misused block too.
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
	tmm.misused = NULL;
}

/*
 * Free the last held block, and remember it, to misuse it.  Never inlined:
 * a pool that tracks callers names this function as the block's last
 * freer, and the selftest expects it there.
 */
static noinline void *tmm_free_to_misuse(void)
{
	lockdep_assert_held(&tmm.lock);

	tmm.misused = tmm.held[--tmm.nr_held];
	mpool_free(tmm.target, tmm.misused);
	return tmm.misused;
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

/**
 * tmm_parse_flags() - parse the debug flags of "create"
 * @arg: letters P, Z, U and N (MPOOL_NO_PERCPU) in any case and order,
 *	or "-" for none
 * @flags: where to store the MPOOL_* flags
 *
 * Return: 0, or -EINVAL for any other character.
 */
static int tmm_parse_flags(const char *arg, unsigned int *flags)
{
	*flags = 0;
	if (!strcmp(arg, "-"))
		return 0;
	for (; *arg; arg++) {
		switch (toupper(*arg)) {
		case 'P':
			*flags |= MPOOL_POISON;
			break;
		case 'Z':
			*flags |= MPOOL_REDZONE;
			break;
		case 'U':
			*flags |= MPOOL_TRACK_CALLER;
			break;
		case 'N':
			*flags |= MPOOL_NO_PERCPU;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- commands that allocate and free ----------------------------------- */

/*
 * "alloc <n>" and "alloc_wait <n>" each call mpool_alloc() themselves: a
 * pool that tracks callers must tell their blocks apart.
 */
static int tmm_cmd_alloc(char **argv)
{
	size_t n, i;
	void *block;
	int err;

	if (tmm_parse_size(argv[0], &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = tmm_reserve(1);
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

static int tmm_cmd_alloc_wait(char **argv)
{
	size_t n, i;
	void *block;
	int err;

	if (tmm_parse_size(argv[0], &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = tmm_reserve(1);
		if (err)
			return err;
		/* NULL only when fault injection fires. */
		block = mpool_alloc(tmm.target, GFP_KERNEL);
		if (!block)
			return -ENOMEM;
		tmm.held[tmm.nr_held++] = block;
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

/* ---- misuse that mempool_mod must refuse or detect ---------------------- */

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

/*
 * "write_after_free <offset>": a poisoning pool must find the changed
 * byte when it hands the block out again.  Flipping every bit changes
 * the byte whatever the pool left in it.
 */
static int tmm_cmd_write_after_free(char **argv)
{
	struct mpool_stats st;
	size_t offset;
	u8 *block;

	if (tmm_parse_size(argv[0], &offset) || !tmm.nr_held)
		return -EINVAL;
	mpool_get_stats(tmm.target, &st);
	if (offset >= st.block_size)
		return -EINVAL;
	block = tmm_free_to_misuse();
	block[offset] ^= 0xff;
	return 0;
}

/*
 * "corrupt_link": the pool must not follow the free-list link we break.
 * A pool without P or Z keeps it in the first word of a free block;
 * blocks are at least pointer-aligned and pointer-sized.
 */
static int tmm_cmd_corrupt_link(char **argv)
{
	unsigned long *first_word;

	if (!tmm.nr_held)
		return -EINVAL;
	first_word = tmm_free_to_misuse();
	*first_word = ~*first_word;
	return 0;
}

/*
 * "refree": the pool must refuse a second free of a block it took back,
 * quarantined or not.
 */
static int tmm_cmd_refree(char **argv)
{
	if (!tmm.misused)
		return -EINVAL;
	mpool_free(tmm.target, tmm.misused);
	return 0;
}

/*
 * "overrun <n>": a pool with a red zone must find the n bytes we change
 * past the block's end when the block is freed.  Beyond the red zone lie
 * the link and the next block, which are not this command's business.
 */
static int tmm_cmd_overrun(char **argv)
{
	struct mpool_stats st;
	size_t n, i;
	u8 *end;

	if (tmm_parse_size(argv[0], &n) || !n || !tmm.nr_held)
		return -EINVAL;
	mpool_get_stats(tmm.target, &st);
	if (n > st.redzone_bytes)
		return -EINVAL;
	end = (u8 *)tmm.held[tmm.nr_held - 1] + st.block_size;
	for (i = 0; i < n; i++)
		end[i] ^= 0xff;
	return 0;
}

/*
 * "sleep_in_atomic": mpool_alloc() with GFP_KERNEL may sleep, and must say
 * so to CONFIG_DEBUG_ATOMIC_SLEEP even when a block is free and it does
 * not.  The markers let the log checkers tell this report from a real one.
 */
static int tmm_cmd_sleep_in_atomic(char **argv)
{
	struct mpool_stats st;
	void *block;

	/* With no free block, the alloc would really sleep, in atomic context. */
	mpool_get_stats(tmm.target, &st);
	if (st.in_use + st.quarantined >= st.nr_blocks)
		return -ENOSPC;
	/*
	 * __might_resched() prints one report a second, whoever the caller:
	 * let a second pass, so that an earlier report cannot silence ours.
	 */
	msleep(MSEC_PER_SEC);

	pr_info("expected splat begins\n");
	spin_lock(&tmm_atomic_lock);
	block = mpool_alloc(tmm.target, GFP_KERNEL);
	spin_unlock(&tmm_atomic_lock);
	mpool_free(tmm.target, block);
	pr_info("expected splat ends\n");
	return block ? 0 : -ENOMEM;
}

/* ---- soak: many threads on all CPUs, each block stamped by its owner ---- */

/**
 * struct tmm_soak_block - a block a soak thread holds
 * @block:	the block
 * @stamp:	what its usable bytes were filled with at alloc
 */
struct tmm_soak_block {
	void *block;
	u64 stamp;
};

/**
 * struct tmm_soak_thread - one soak thread, touched by no other until done
 * @task:	the kthread
 * @run:	the soak it belongs to
 * @id:		its number, the high half of its stamps
 * @seq:	number of its next alloc, the low half of its stamps
 * @rnd:	its pseudo-random sequence
 * @held:	the blocks it holds
 * @nr_held:	number of valid entries in @held
 * @result:	what it did
 */
struct tmm_soak_thread {
	struct task_struct *task;
	struct tmm_soak_run *run;
	u32 id;
	u32 seq;
	struct rnd_state rnd;
	struct tmm_soak_block *held;
	size_t nr_held;
	struct tmm_soak_result result;
};

/**
 * struct tmm_soak_run - one soak
 * @pool:	the pool soaked
 * @block_size:	usable bytes of its blocks, all stamped
 * @ops_per_thread: allocs and frees each thread attempts
 * @max_held:	most blocks a thread holds at once
 * @turns:	a thread does a burst of ops only while it holds one of these
 * @nr_running:	threads not done yet
 * @done:	the soak command waits here for @nr_running to reach 0
 * @nr_threads:	valid entries in @threads
 * @threads:	the threads
 */
struct tmm_soak_run {
	struct mpool *pool;
	size_t block_size;
	u64 ops_per_thread;
	size_t max_held;
	struct semaphore turns;
	atomic_t nr_running;
	wait_queue_head_t done;
	unsigned int nr_threads;
	struct tmm_soak_thread threads[];
};

/*
 * Fill @size bytes with @stamp over and over: any write by another owner,
 * or by the pool, changes at least one byte of the pattern.  Blocks are
 * at least pointer-aligned: whole words are stored as such, which costs
 * far less under KASAN than a memcpy() call per word.
 */
static void tmm_stamp(void *block, size_t size, u64 stamp)
{
	size_t nr_words = size / sizeof(stamp), i;
	u64 *word = block;

	for (i = 0; i < nr_words; i++)
		word[i] = stamp;
	memcpy(&word[nr_words], &stamp, size % sizeof(stamp));
}

static bool tmm_stamp_intact(const void *block, size_t size, u64 stamp)
{
	size_t nr_words = size / sizeof(stamp), i;
	const u64 *word = block;

	for (i = 0; i < nr_words; i++) {
		if (word[i] != stamp)
			return false;
	}
	return !memcmp(&word[nr_words], &stamp, size % sizeof(stamp));
}

/*
 * One alloc.  An atomic one runs with IRQs off, as an interrupt handler's
 * would; GFP_KERNEL never waits here, since the pool has room for every
 * block all the threads may hold.
 */
static void tmm_soak_alloc(struct tmm_soak_thread *t, bool atomic)
{
	struct tmm_soak_run *run = t->run;
	unsigned long irqflags;
	void *block;
	u64 stamp;

	t->result.ops++;
	if (atomic) {
		local_irq_save(irqflags);
		block = mpool_alloc(run->pool, GFP_ATOMIC);
		local_irq_restore(irqflags);
	} else {
		block = mpool_alloc(run->pool, GFP_KERNEL);
	}
	if (!block) {
		t->result.alloc_failures++;
		return;
	}
	t->result.allocs++;
	/* Not ours to write to, nor to free: count it and let it go. */
	if (!mpool_owns(run->pool, block)) {
		t->result.corruptions++;
		return;
	}
	stamp = (u64)t->id << 32 | t->seq++;
	tmm_stamp(block, run->block_size, stamp);
	t->held[t->nr_held++] = (struct tmm_soak_block){ block, stamp };
}

/* One free of held block @i, checked first; atomic as for alloc. */
static void tmm_soak_free(struct tmm_soak_thread *t, size_t i, bool atomic)
{
	struct tmm_soak_block b = t->held[i];
	struct tmm_soak_run *run = t->run;
	unsigned long irqflags;

	t->held[i] = t->held[--t->nr_held];
	if (!tmm_stamp_intact(b.block, run->block_size, b.stamp))
		t->result.corruptions++;
	t->result.ops++;
	if (atomic) {
		local_irq_save(irqflags);
		mpool_free(run->pool, b.block);
		local_irq_restore(irqflags);
	} else {
		mpool_free(run->pool, b.block);
	}
	t->result.frees++;
}

/* A random walk between holding no block and holding max_held. */
static void tmm_soak_step(struct tmm_soak_thread *t)
{
	u32 r = prandom_u32_state(&t->rnd);
	bool atomic = r & 1;
	bool alloc;

	if (!t->nr_held)
		alloc = true;
	else if (t->nr_held == t->run->max_held)
		alloc = false;
	else
		alloc = r & 2;

	if (alloc)
		tmm_soak_alloc(t, atomic);
	else
		tmm_soak_free(t, (r >> 2) % t->nr_held, atomic);
}

/*
 * Wait for a turn and do a burst of ops: the number of ops done so far.
 * A kthread gets no signal, so the wait is never interrupted.
 */
static u64 tmm_soak_burst(struct tmm_soak_thread *t, u64 done)
{
	struct tmm_soak_run *run = t->run;
	u64 end = min(done + TMM_SOAK_BURST, run->ops_per_thread);

	if (down_interruptible(&run->turns))
		return done;
	while (done < end && !kthread_should_stop()) {
		tmm_soak_step(t);
		done++;
	}
	up(&run->turns);
	cond_resched();
	return done;
}

static int tmm_soak_thread_fn(void *data)
{
	struct tmm_soak_thread *t = data;
	struct tmm_soak_run *run = t->run;
	u64 done = 0;
	size_t i;

	while (done < run->ops_per_thread && !kthread_should_stop())
		done = tmm_soak_burst(t, done);
	/* End with blocks held, for the selftest to find in the pool's stats. */
	if (!t->nr_held && !kthread_should_stop())
		tmm_soak_alloc(t, false);
	for (i = 0; i < t->nr_held; i++) {
		if (!tmm_stamp_intact(t->held[i].block, run->block_size,
				      t->held[i].stamp))
			t->result.corruptions++;
	}

	if (atomic_dec_and_test(&run->nr_running))
		wake_up(&run->done);
	/* kthread_stop() needs us alive: wait for it. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void tmm_soak_free_run(struct tmm_soak_run *run)
{
	unsigned int i;

	for (i = 0; i < run->nr_threads; i++)
		kvfree(run->threads[i].held);
	kvfree(run);
}

static struct tmm_soak_run *tmm_soak_alloc_run(unsigned int nr_threads,
					       u64 ops_per_thread,
					       size_t max_held,
					       unsigned int max_running)
{
	struct tmm_soak_run *run;
	struct mpool_stats st;
	unsigned int i;

	run = kvzalloc(struct_size(run, threads, nr_threads), GFP_KERNEL);
	if (!run)
		return NULL;
	mpool_get_stats(tmm.target, &st);
	run->pool = tmm.target;
	run->block_size = st.block_size;
	run->ops_per_thread = ops_per_thread;
	run->max_held = max_held;
	sema_init(&run->turns, max_running);
	init_waitqueue_head(&run->done);
	for (i = 0; i < nr_threads; i++, run->nr_threads++) {
		run->threads[i].held = kvmalloc_array(max_held,
						      sizeof(*run->threads[i].held),
						      GFP_KERNEL);
		if (!run->threads[i].held) {
			tmm_soak_free_run(run);
			return NULL;
		}
		run->threads[i].run = run;
		run->threads[i].id = i;
		prandom_seed_state(&run->threads[i].rnd, get_random_u64());
	}
	return run;
}

/*
 * Create the threads, bound to each online CPU in turn; keep only as many
 * as were created.  Return 0, or the error of the first that was not.
 */
static int tmm_soak_create_threads(struct tmm_soak_run *run,
				   unsigned int per_cpu)
{
	unsigned int cpu, j, n = 0;
	struct task_struct *task;
	int err = 0;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		for (j = 0; j < per_cpu && n < run->nr_threads && !err; j++) {
			task = kthread_create(tmm_soak_thread_fn,
					      &run->threads[n], "tmm_soak/%u:%u",
					      cpu, j);
			if (IS_ERR(task)) {
				err = PTR_ERR(task);
				break;
			}
			kthread_bind(task, cpu);
			run->threads[n++].task = task;
		}
	}
	cpus_read_unlock();

	/* The rest have no task: drop them. */
	while (run->nr_threads > n)
		kvfree(run->threads[--run->nr_threads].held);
	return err;
}

/* Stop every thread (at once if they are not done) and reap it. */
static void tmm_soak_stop_threads(struct tmm_soak_run *run)
{
	unsigned int i;

	for (i = 0; i < run->nr_threads; i++)
		kthread_stop(run->threads[i].task);
}

/*
 * Sum the threads' results and take over the blocks they hold; room for
 * them was reserved before the threads started.
 */
static void tmm_soak_collect(struct tmm_soak_run *run,
			     struct tmm_soak_result *sum)
{
	struct tmm_soak_thread *t;
	unsigned int i;
	size_t j;

	lockdep_assert_held(&tmm.lock);

	memset(sum, 0, sizeof(*sum));
	sum->threads = run->nr_threads;
	for (i = 0; i < run->nr_threads; i++) {
		t = &run->threads[i];
		sum->ops += t->result.ops;
		sum->allocs += t->result.allocs;
		sum->frees += t->result.frees;
		sum->alloc_failures += t->result.alloc_failures;
		sum->corruptions += t->result.corruptions;
		sum->held += t->nr_held;
		for (j = 0; j < t->nr_held; j++)
			tmm.held[tmm.nr_held++] = t->held[j].block;
	}
}

/*
 * "soak <threads_per_cpu> <ops_per_thread> <max_held> <max_running>".
 *
 * Under emulation, vCPUs that spin on the pool's lock outnumber the host's
 * cores and stall at each handoff: max_running bounds them, while every
 * thread, on every CPU, still takes its turns.  The command waits
 * interruptibly: a soak can outlast the hung-task timeout under
 * emulation, and a killed selftest must not leave threads running.  The
 * pool is big enough that GFP_KERNEL never waits; one that loses blocks
 * can make it wait for good, and the selftest's timeout says so.
 */
static int tmm_cmd_soak(char **argv)
{
	size_t per_cpu, ops_per_thread, max_held, max_running, most_held;
	struct tmm_soak_run *run;
	unsigned int nr_threads, i;
	struct mpool_stats st;
	int err;

	if (tmm_parse_size(argv[0], &per_cpu) ||
	    tmm_parse_size(argv[1], &ops_per_thread) ||
	    tmm_parse_size(argv[2], &max_held) ||
	    tmm_parse_size(argv[3], &max_running) ||
	    !per_cpu || per_cpu > TMM_SOAK_THREADS_MAX || !max_held)
		return -EINVAL;
	nr_threads = per_cpu * num_online_cpus();
	if (!max_running || max_running > nr_threads)
		max_running = nr_threads;
	mpool_get_stats(tmm.target, &st);
	if (check_mul_overflow((size_t)nr_threads, max_held, &most_held) ||
	    most_held > st.nr_blocks - st.in_use - st.quarantined)
		return -ENOSPC;
	err = tmm_reserve(most_held);
	if (err)
		return err;
	run = tmm_soak_alloc_run(nr_threads, ops_per_thread, max_held,
				 max_running);
	if (!run)
		return -ENOMEM;

	err = tmm_soak_create_threads(run, per_cpu);
	atomic_set(&run->nr_running, run->nr_threads);
	if (!err) {
		for (i = 0; i < run->nr_threads; i++)
			wake_up_process(run->threads[i].task);
		if (wait_event_interruptible(run->done,
					     !atomic_read(&run->nr_running)))
			err = -EINTR;
	}
	tmm_soak_stop_threads(run);

	tmm_soak_collect(run, &tmm.soak);
	tmm_soak_free_run(run);
	return err;
}

/* ---- our own pool ------------------------------------------------------- */

/* "create <name> <block_size> <align> <nr_blocks> [<flags>]" */
static int tmm_cmd_create(char **argv)
{
	size_t block_size, align, nr_blocks;
	unsigned int flags = 0;
	struct mpool *pool;
	const char *name;

	if (tmm.own)
		return -EBUSY;
	if (tmm_parse_size(argv[1], &block_size) ||
	    tmm_parse_size(argv[2], &align) ||
	    tmm_parse_size(argv[3], &nr_blocks) ||
	    (argv[4] && tmm_parse_flags(argv[4], &flags)))
		return -EINVAL;
	name = kstrdup(argv[0], GFP_KERNEL);
	if (!name)
		return -ENOMEM;

	pool = mpool_create(name, block_size, align, nr_blocks, flags);
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
	if (tmm.waiter)
		return -EBUSY;
	mpool_destroy(tmm_drop_own());
	return 0;
}

/*
 * "destroy_leaking": mempool_mod must say who holds the blocks of a pool
 * destroyed too early.  It leaves the region allocated, so the blocks
 * stay valid memory; we only forget them.
 */
static int tmm_cmd_destroy_leaking(char **argv)
{
	if (!tmm.own)
		return -EINVAL;
	if (tmm.waiter)
		return -EBUSY;
	tmm.nr_held = 0;
	mpool_destroy(tmm_drop_own());
	return 0;
}

/* "forget": mempool_mod must report the pool when it is unloaded. */
static int tmm_cmd_forget(char **argv)
{
	if (!tmm.own)
		return -EINVAL;
	if (tmm.waiter)
		return -EBUSY;
	tmm_drop_own();
	return 0;
}

/* ---- a task that waits in the pool --------------------------------------- */

/*
 * Seconds "wait_async", "wait_join" and "reset" wait for the waiter at
 * most: a hang guard, which no correct run on the slowest guest reaches.
 */
#define TMM_WAITER_TIMEOUT_S	60

/*
 * The kthread of "wait_async": one blocking alloc from its own call site.
 * Completes and exits in one step: module exit waits for @waiter_done, and
 * the module's text may be gone right after.
 */
static int tmm_waiter_fn(void *pool)
{
	tmm.waiter_block = mpool_alloc(pool, GFP_KERNEL);
	kthread_complete_and_exit(&tmm.waiter_done, 0);
}

/* Whether the waiter sleeps in mpool_alloc(): swait_event_idle_*(). */
static bool tmm_waiter_sleeps(void)
{
	return READ_ONCE(tmm.waiter->__state) == TASK_IDLE;
}

/* Wait for the waiter's alloc to return, and let the waiter go. */
static int tmm_waiter_reap(unsigned long timeout)
{
	lockdep_assert_held(&tmm.lock);

	if (!wait_for_completion_timeout(&tmm.waiter_done, timeout))
		return -ETIMEDOUT;
	put_task_struct(tmm.waiter);
	tmm.waiter = NULL;
	return 0;
}

/* "wait_async" */
static int tmm_cmd_wait_async(char **argv)
{
	unsigned long deadline = jiffies + TMM_WAITER_TIMEOUT_S * HZ;
	struct task_struct *task;

	if (!tmm.own)
		return -EINVAL;
	if (tmm.waiter)
		return -EBUSY;
	init_completion(&tmm.waiter_done);
	tmm.waiter_block = NULL;
	task = kthread_create(tmm_waiter_fn, tmm.own, "tmm_waiter");
	if (IS_ERR(task))
		return PTR_ERR(task);
	tmm.waiter = get_task_struct(task);
	wake_up_process(task);
	while (!tmm_waiter_sleeps() && !completion_done(&tmm.waiter_done) &&
	       time_before(jiffies, deadline))
		msleep(20);
	if (tmm_waiter_sleeps())
		return 0;
	if (completion_done(&tmm.waiter_done)) {
		/* It found a block: nothing to wait for, nothing to hold. */
		tmm_waiter_reap(0);
		mpool_free(tmm.own, tmm.waiter_block);
		return -EAGAIN;
	}
	return -ETIMEDOUT;
}

/* "wait_join" */
static int tmm_cmd_wait_join(char **argv)
{
	int err;

	if (!tmm.waiter)
		return -EINVAL;
	err = tmm_reserve(1);
	if (err)
		return err;
	err = tmm_waiter_reap(TMM_WAITER_TIMEOUT_S * HZ);
	if (err)
		return err;
	if (!tmm.waiter_block)
		return -ENOMEM;
	tmm.held[tmm.nr_held++] = tmm.waiter_block;
	return 0;
}

/* ---- back to a fresh load ----------------------------------------------- */

/*
 * "reset": what module exit does, with the module staying.  A waiter not
 * joined is on our own pool, asleep or not yet: the blocks given back
 * wake it, and its block goes back too, before the pool goes.
 */
static int tmm_cmd_reset(char **argv)
{
	int err;

	lockdep_assert_held(&tmm.lock);

	if (tmm.waiter) {
		tmm_release_all();
		err = tmm_waiter_reap(TMM_WAITER_TIMEOUT_S * HZ);
		if (err)
			return err;
		mpool_free(tmm.own, tmm.waiter_block);
	}
	if (tmm.own)
		mpool_destroy(tmm_drop_own());
	tmm_release_all();
	memset(&tmm.soak, 0, sizeof(tmm.soak));
	return 0;
}

/* ---- the control file --------------------------------------------------- */

/**
 * struct tmm_cmd - one command of the control file
 * @name:	first word of the command
 * @min_args:	number of words that must follow it
 * @max_args:	number of words that may follow it
 * @run:	handler, given the words after @name, NULL-terminated;
 *		called with the lock held; returns 0 or a negative errno
 */
struct tmm_cmd {
	const char *name;
	int min_args;
	int max_args;
	int (*run)(char **argv);
};

static const struct tmm_cmd tmm_cmds[] = {
	{ "alloc",		1, 1, tmm_cmd_alloc },
	{ "alloc_wait",		1, 1, tmm_cmd_alloc_wait },
	{ "wait_async",		0, 0, tmm_cmd_wait_async },
	{ "wait_join",		0, 0, tmm_cmd_wait_join },
	{ "free",		1, 1, tmm_cmd_free },
	{ "free_all",		0, 0, tmm_cmd_free_all },
	{ "double_free",	0, 0, tmm_cmd_double_free },
	{ "free_interior",	0, 0, tmm_cmd_free_interior },
	{ "free_outside",	0, 0, tmm_cmd_free_outside },
	{ "write_after_free",	1, 1, tmm_cmd_write_after_free },
	{ "corrupt_link",	0, 0, tmm_cmd_corrupt_link },
	{ "refree",		0, 0, tmm_cmd_refree },
	{ "overrun",		1, 1, tmm_cmd_overrun },
	{ "sleep_in_atomic",	0, 0, tmm_cmd_sleep_in_atomic },
	{ "soak",		4, 4, tmm_cmd_soak },
	{ "create",		4, 5, tmm_cmd_create },
	{ "destroy",		0, 0, tmm_cmd_destroy },
	{ "destroy_leaking",	0, 0, tmm_cmd_destroy_leaking },
	{ "forget",		0, 0, tmm_cmd_forget },
	{ "reset",		0, 0, tmm_cmd_reset },
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
	int argc, nr_args, err = -EINVAL;
	char **argv;
	size_t i;

	argv = argv_split(GFP_KERNEL, line, &argc);
	if (!argv)
		return -ENOMEM;

	for (i = 0; argc && i < ARRAY_SIZE(tmm_cmds); i++) {
		cmd = &tmm_cmds[i];
		nr_args = argc - 1;
		if (nr_args >= cmd->min_args && nr_args <= cmd->max_args &&
		    !strcmp(argv[0], cmd->name)) {
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

static int tmm_soak_show(struct seq_file *m, void *unused)
{
	struct tmm_soak_result r;

	mutex_lock(&tmm.lock);
	r = tmm.soak;
	mutex_unlock(&tmm.lock);

	seq_printf(m, "threads: %u\n", r.threads);
	seq_printf(m, "ops: %llu\n", r.ops);
	seq_printf(m, "allocs: %llu\n", r.allocs);
	seq_printf(m, "frees: %llu\n", r.frees);
	seq_printf(m, "alloc_failures: %llu\n", r.alloc_failures);
	seq_printf(m, "corruptions: %llu\n", r.corruptions);
	seq_printf(m, "held: %zu\n", r.held);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tmm_soak);

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
	debugfs_create_file("soak", 0444, tmm_debugfs_dir, NULL,
			    &tmm_soak_fops);
	return 0;
}

static void __exit test_mempool_mod_exit(void)
{
	debugfs_remove_recursive(tmm_debugfs_dir);

	mutex_lock(&tmm.lock);
	/*
	 * A waiter not joined is on our own pool, asleep or not yet: the
	 * blocks we give back wake it, and its block goes back too, before
	 * the pool goes.
	 */
	if (tmm.waiter) {
		tmm_release_all();
		tmm_waiter_reap(MAX_SCHEDULE_TIMEOUT);
		mpool_free(tmm.own, tmm.waiter_block);
	}
	if (tmm.own)
		mpool_destroy(tmm_drop_own());
	tmm_release_all();
	mutex_unlock(&tmm.lock);
}

module_init(test_mempool_mod_init);
module_exit(test_mempool_mod_exit);

MODULE_DESCRIPTION("Test driver for mempool_mod: drives its pools from debugfs");
MODULE_LICENSE("GPL");
