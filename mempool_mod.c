// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_mod - a bounded pool of fixed-size blocks for other modules.
 *
 * A pool reserves one region with vmalloc and carves it into nr_blocks
 * blocks, stride bytes apart.  Free blocks are kept on an unsorted singly
 * linked free list stored inside the free blocks themselves, so a block
 * costs no memory of its own while it is handed out.  The region is carved
 * lazily: blocks at and above @nr_carved have never been handed out and are
 * not on the list, so creating a pool costs the vmalloc and nothing more
 * (with MPOOL_POISON, also poisoning the region).
 *
 * That list is the depot.  In front of it, each CPU caches a few free
 * blocks in a ring, so that an alloc+free pair takes no lock and one
 * atomic, and the CPUs do not contend; the depot's lock is taken once per
 * batch, and an alloc that finds the depot empty steals from the other
 * CPUs' caches before it fails.
 *
 * One byte per block says where it is: depot, cache, handed out or
 * quarantined.  mpool_free() moves it from handed out to free with one
 * cmpxchg, so a double free, an interior pointer or a foreign pointer is
 * refused, counted and reported, and never corrupts the pool.  The links
 * of the free list are hardened, and debug flags add poisoning, red zones
 * and caller tracking: a consumer's write after free or overrun is
 * reported, and the damaged block taken out of service, while the pool
 * goes on.  They check a block while the caller alone holds it, so they
 * work the same with the caches.
 *
 * Concurrency: mpool_alloc() and mpool_free() may be called from any
 * context but NMI, on the same pool, concurrently.  The caches run with
 * preemption off; each pool's depot has one IRQ-safe raw spinlock, held
 * for O(batch) work only, so this holds on PREEMPT_RT too.
 * mpool_create() and mpool_destroy() may sleep.  The caller guarantees
 * that no alloc or free on a pool runs during or after its
 * mpool_destroy().
 *
 * Each pool publishes its statistics in sysfs, one value per file under
 * /sys/kernel/mempool_mod/<name>/, and for people in debugfs, under
 * /sys/kernel/debug/mempool_mod/<name>/, and one line in .../pools.  Trace
 * events (system mempool_mod) show each alloc and free with its caller,
 * and every misuse.
 *
 * The module is this one compilation unit, made of the files under src/,
 * one job each, as kernel/sched/build_policy.c is: kbuild names a module
 * after its object, and a module linked from several objects cannot also
 * have a source file of its own name.  One unit also lets the compiler
 * inline the checks into the alloc and free paths.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * Portable: built warning-free for x86_64, arm64, riscv64 and 32-bit arm
 * (tests.manifest says which of them make check also boots).  What the
 * architectures differ in:
 *
 * - a free claims a block's state byte with a one-byte cmpxchg where the
 *   architecture has one, else with a cmpxchg of the aligned word that
 *   holds it (mpool_state_cmpxchg());
 * - what other CPUs read without a lock is a long at most, or a u64 that
 *   only a cmpxchg64() moves (a ring's head, a stack's top), which a
 *   taker reads whole (mpool_read_u64()): the counters are longs, which
 *   wrap at 2^32 on a 32-bit kernel, their differences exact;
 * - a 32-bit kernel claims a bulk free's blocks one by one, not eight at
 *   once, and divides where a 64-bit one multiplies by a reciprocal.
 *
 * A 32-bit kernel needs a lock-free cmpxchg64() for the ring's head and
 * the stack's top: their tags must not come back to the same value while
 * a taker waits between its read and its cmpxchg.  Where its atomic64_t
 * is lib/atomic64.c's hashed locks (GENERIC_ATOMIC64), it has none:
 * riscv32 and powerpc32 have no cmpxchg64() at all, an SMP mips32 one
 * for 64-bit CPUs only, sparc32 and parisc one under a hashed lock, and
 * 32-bit arm one of LDREXD/STREXD that ARMv6 without K, ARMv7-M and an
 * OABI u64 (4-aligned) cannot run: GENERIC_ATOMIC64 is selected for
 * CPU_V6, CPU_V7M, !CPU_32v6K and !AEABI for that reason.  A kernel for
 * both ARMv6 and ARMv7 (CPU_V6 and CPU_V7, -march=armv6k) would build,
 * and an ARM1136 take an undefined instruction on the first ring pop.
 * This refuses an ARMv5 kernel too, whose cmpxchg64() would do, as it
 * disables interrupts on a kernel that cannot be SMP.
 */
#if !defined(CONFIG_64BIT) && defined(CONFIG_GENERIC_ATOMIC64)
#error "mempool_mod needs a lock-free cmpxchg64(), which this kernel lacks"
#endif

#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/hash.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kmemleak.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/ratelimit.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/swab.h>
#include <linux/swait.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "mempool_mod.h"
#include "src/mpool.h"
#define CREATE_TRACE_POINTS
#include "src/trace_events.h"

#include "src/test_hooks.c"
#include "src/layout.c"
#include "src/region.c"
#include "src/freelist.c"
#include "src/stack.c"
#include "src/depot.c"
#include "src/cpu_cache.c"
#include "src/debug.c"
#include "src/fault_inject.c"
#include "src/take.c"
#include "src/give_back.c"
#include "src/create.c"
#include "src/grow.c"
#include "src/shrink.c"
#include "src/alloc.c"
#include "src/free.c"
#include "src/bulk.c"
#include "src/query.c"
#include "src/mempool_t.c"
#include "src/debugfs.c"
#include "src/sysfs.c"
#include "src/module.c"

MODULE_DESCRIPTION("Bounded pools of fixed-size blocks for other modules");
MODULE_AUTHOR("The mempool_mod developers");
MODULE_VERSION(MPOOL_VERSION);
MODULE_LICENSE("GPL");
