// SPDX-License-Identifier: GPL-2.0
/*
 * irq_work, workqueues and shrinkers: see shim_defer.h.
 *
 * Each deferred context is a thread of its own, started on first use and
 * kept for the life of the process, registered as a CPU's context so that
 * synchronize_rcu() waits for its read-side sections.  Its CPU number is
 * 0: neither the irq_work functions nor the work items of the pool touch
 * per-CPU data, and one that did would share CPU 0's with a test thread,
 * which ThreadSanitizer would report rather than hide.
 */
#include "mpool_shim.h"

static void mpool_shim_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;

	/* No simulated interrupt lands on a deferred context's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(tid, NULL, fn, arg))
		mpool_shim_bug(__FILE__, __LINE__, "no thread for deferred work");
	pthread_detach(*tid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- irq_work ---- */

static pthread_mutex_t mpool_shim_iw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mpool_shim_iw_cond = PTHREAD_COND_INITIALIZER;
static struct irq_work *mpool_shim_iw_head, **mpool_shim_iw_tail =
	&mpool_shim_iw_head;
static bool mpool_shim_iw_started;
static pthread_t mpool_shim_iw_thread;

static void *mpool_shim_iw_main(void *arg)
{
	struct mpool_shim_ctx *c = &mpool_shim_self;
	struct irq_work *work;

	(void)arg;
	mpool_shim_thread_enter(0);
	c->task.comm = "irq_work";
	pthread_mutex_lock(&mpool_shim_iw_lock);
	for (;;) {
		while (!mpool_shim_iw_head)
			pthread_cond_wait(&mpool_shim_iw_cond,
					  &mpool_shim_iw_lock);
		work = mpool_shim_iw_head;
		mpool_shim_iw_head = work->next;
		if (!mpool_shim_iw_head)
			mpool_shim_iw_tail = &mpool_shim_iw_head;
		work->pending = false;
		pthread_mutex_unlock(&mpool_shim_iw_lock);

		/* A hard IRQ: preemption and interrupts off, no sleeping. */
		__atomic_store_n(&c->preempt_count, HARDIRQ_OFFSET,
				 __ATOMIC_RELAXED);
		c->irqs_off = true;
		work->func(work);
		c->irqs_off = false;
		__atomic_store_n(&c->qs_seq, c->qs_seq + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->preempt_count, 0, __ATOMIC_RELEASE);

		pthread_mutex_lock(&mpool_shim_iw_lock);
		if (!work->pending)
			work->busy = false;
		pthread_cond_broadcast(&mpool_shim_iw_cond);
	}
	return NULL;
}

bool irq_work_queue(struct irq_work *work)
{
	bool queued = false;

	pthread_mutex_lock(&mpool_shim_iw_lock);
	if (!work->pending) {
		work->pending = true;
		work->busy = true;
		work->next = NULL;
		*mpool_shim_iw_tail = work;
		mpool_shim_iw_tail = &work->next;
		queued = true;
		if (!mpool_shim_iw_started) {
			mpool_shim_iw_started = true;
			mpool_shim_start(&mpool_shim_iw_thread,
					 mpool_shim_iw_main, NULL);
		}
		pthread_cond_broadcast(&mpool_shim_iw_cond);
	}
	pthread_mutex_unlock(&mpool_shim_iw_lock);
	return queued;
}

void irq_work_sync(struct irq_work *work)
{
	might_sleep();
	pthread_mutex_lock(&mpool_shim_iw_lock);
	while (work->busy)
		pthread_cond_wait(&mpool_shim_iw_cond, &mpool_shim_iw_lock);
	pthread_mutex_unlock(&mpool_shim_iw_lock);
}

/* ---- workqueues ---- */

struct workqueue_struct {
	const char *name;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work_struct *head, **tail;
	struct work_struct *running;
	pthread_t thread;	/* its one worker, started on first use */
	bool started;
};

#define MPOOL_SHIM_WQ(var, n)						\
	static struct workqueue_struct var = {				\
		.name = n,						\
		.lock = PTHREAD_MUTEX_INITIALIZER,			\
		.cond = PTHREAD_COND_INITIALIZER,			\
		.tail = &var.head,					\
	}

MPOOL_SHIM_WQ(mpool_shim_system_wq, "events");
MPOOL_SHIM_WQ(mpool_shim_system_unbound_wq, "events_unbound");
struct workqueue_struct *system_wq = &mpool_shim_system_wq;
struct workqueue_struct *system_unbound_wq = &mpool_shim_system_unbound_wq;

static unsigned long mpool_shim_nr_works_done;
static __thread const struct work_struct *mpool_shim_running_work;

static void *mpool_shim_wq_main(void *arg)
{
	struct workqueue_struct *wq = arg;
	struct work_struct *work;

	mpool_shim_thread_enter(0);
	mpool_shim_self.task.comm = wq->name;
	pthread_mutex_lock(&wq->lock);
	for (;;) {
		while (!wq->head)
			pthread_cond_wait(&wq->cond, &wq->lock);
		work = wq->head;
		wq->head = work->next;
		if (!wq->head)
			wq->tail = &wq->head;
		work->pending = false;
		wq->running = work;
		pthread_mutex_unlock(&wq->lock);

		/* Process context: may sleep, as a kworker. */
		mpool_shim_running_work = work;
		work->func(work);
		mpool_shim_running_work = NULL;
		if (preempt_count() || irqs_disabled())
			mpool_shim_bug(__FILE__, __LINE__,
				       "work item left preemption or IRQs off");

		pthread_mutex_lock(&wq->lock);
		wq->running = NULL;
		__atomic_fetch_add(&mpool_shim_nr_works_done, 1,
				   __ATOMIC_RELEASE);
		pthread_cond_broadcast(&wq->cond);
	}
	return NULL;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	bool queued = false;

	/* One queue per work item at a time, as the kernel's. */
	if (work->wq && work->wq != wq)
		mpool_shim_bug(__FILE__, __LINE__, "work on two queues");
	pthread_mutex_lock(&wq->lock);
	work->wq = wq;
	if (!work->pending) {
		work->pending = true;
		work->next = NULL;
		*wq->tail = work;
		wq->tail = &work->next;
		queued = true;
		if (!wq->started) {
			wq->started = true;
			mpool_shim_start(&wq->thread, mpool_shim_wq_main, wq);
		}
		pthread_cond_broadcast(&wq->cond);
	}
	pthread_mutex_unlock(&wq->lock);
	return queued;
}

/* Take @work off its queue if pending, then wait for its run to end. */
static bool mpool_shim_work_wait(struct work_struct *work, bool cancel)
{
	struct workqueue_struct *wq = work->wq;
	struct work_struct **pp;
	bool was = false;

	might_sleep();
	if (mpool_shim_running_work == work)
		mpool_shim_bug(__FILE__, __LINE__,
			       "work item waits for itself");
	if (!wq)
		return false;
	pthread_mutex_lock(&wq->lock);
	if (cancel && work->pending) {
		for (pp = &wq->head; *pp != work; pp = &(*pp)->next)
			;
		*pp = work->next;
		if (!*pp)
			wq->tail = pp;
		work->pending = false;
		was = true;
	}
	while (work->pending || wq->running == work) {
		was = true;
		pthread_cond_wait(&wq->cond, &wq->lock);
	}
	pthread_mutex_unlock(&wq->lock);
	return was;
}

bool cancel_work_sync(struct work_struct *work)
{
	return mpool_shim_work_wait(work, true);
}

bool flush_work(struct work_struct *work)
{
	return mpool_shim_work_wait(work, false);
}

bool mpool_shim_in_work(const struct work_struct *work)
{
	return mpool_shim_running_work == work;
}

unsigned long mpool_shim_works_done(void)
{
	return __atomic_load_n(&mpool_shim_nr_works_done, __ATOMIC_ACQUIRE);
}

/* ---- shrinkers ---- */

/* Scans hold it shared; shrinker_free() exclusive, as the kernel's RCU. */
static pthread_rwlock_t mpool_shim_shrinker_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct shrinker *mpool_shim_shrinkers;

struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);
	va_list args;

	if (!s)
		return NULL;
	s->flags = flags;
	s->seeks = DEFAULT_SEEKS;
	va_start(args, fmt);
	vsnprintf(s->name, sizeof(s->name), fmt, args);
	va_end(args);
	return s;
}

void shrinker_register(struct shrinker *shrinker)
{
	if (!shrinker->count_objects || !shrinker->scan_objects)
		mpool_shim_bug(__FILE__, __LINE__, "shrinker without callbacks");
	pthread_rwlock_wrlock(&mpool_shim_shrinker_lock);
	shrinker->next = mpool_shim_shrinkers;
	mpool_shim_shrinkers = shrinker;
	shrinker->registered = true;
	pthread_rwlock_unlock(&mpool_shim_shrinker_lock);
}

void shrinker_free(struct shrinker *shrinker)
{
	struct shrinker **pp;

	if (!shrinker)
		return;
	might_sleep();
	pthread_rwlock_wrlock(&mpool_shim_shrinker_lock);
	if (shrinker->registered) {
		for (pp = &mpool_shim_shrinkers; *pp != shrinker;
		     pp = &(*pp)->next)
			;
		*pp = shrinker->next;
	}
	pthread_rwlock_unlock(&mpool_shim_shrinker_lock);
	kfree(shrinker);
}

unsigned long mpool_shim_shrink(const char *prefix, unsigned long nr_to_scan,
				unsigned long *counted)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long freed = 0, count, got;
	struct shrinker *s;

	might_sleep();
	if (counted)
		*counted = 0;
	pthread_rwlock_rdlock(&mpool_shim_shrinker_lock);
	for (s = mpool_shim_shrinkers; s; s = s->next) {
		if (prefix && strncmp(s->name, prefix, strlen(prefix)))
			continue;
		count = s->count_objects(s, &sc);
		if (count == SHRINK_EMPTY || !count)
			continue;
		if (counted)
			*counted += count;
		sc.nr_to_scan = nr_to_scan;
		sc.nr_scanned = nr_to_scan;
		got = s->scan_objects(s, &sc);
		if (got != SHRINK_STOP)
			freed += got;
	}
	pthread_rwlock_unlock(&mpool_shim_shrinker_lock);
	return freed;
}
