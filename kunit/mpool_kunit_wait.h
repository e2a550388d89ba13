/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the KUnit cases wait for another thread: never for a fixed time.
 * A case that needs a thread to have reached a point (asleep in the
 * pool, parked at a hook) polls for that state itself; a case that waits
 * for a thread to finish waits for its completion.  Either wait ends
 * early only at a hang guard, so long that no correct run on the slowest
 * guest (QEMU TCG with KASAN and lockdep, on a busy two-core host)
 * reaches it: the guard turns a hang into a failure, and never measures
 * a correct run.  A case runs inside insmod, which the hung-task detector
 * reports after 120 s: a guard that expires fails the case, which then
 * gives back what it holds and waits for its threads at most
 * MPOOL_KUNIT_CLEANUP_WAIT more (leaking their memory if they still do
 * not end), so that a failing case too ends before that.
 */
#ifndef _MPOOL_KUNIT_WAIT_H
#define _MPOOL_KUNIT_WAIT_H

#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/sched.h>

/* The hang guard of every wait in the KUnit cases. */
#define MPOOL_KUNIT_HANG_GUARD	(60 * HZ)
/* After a guard expired: how long a failing case waits for its threads. */
#define MPOOL_KUNIT_CLEANUP_WAIT	(30 * HZ)

/*
 * Wait until @task is in @state exactly, or @done is complete; true if it
 * is in @state and @done is not complete.  An mpool_alloc() that waits
 * for a block sleeps in TASK_IDLE (swait_event_idle_exclusive()), and
 * nothing else it does sleeps so: TASK_IDLE tells that it is on the
 * pool's wait queue, where the next free must wake it.  The caller keeps
 * a reference on @task.
 */
static inline bool mpool_kunit_wait_for_state(struct task_struct *task,
					      unsigned int state,
					      struct completion *done)
{
	unsigned long deadline = jiffies + MPOOL_KUNIT_HANG_GUARD;

	while (!completion_done(done) && time_before(jiffies, deadline)) {
		if (READ_ONCE(task->__state) == state)
			return !completion_done(done);
		schedule_timeout_uninterruptible(1);
	}
	return false;
}

#endif /* _MPOOL_KUNIT_WAIT_H */
