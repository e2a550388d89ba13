// SPDX-License-Identifier: GPL-2.0
/*
 * How a misuse report reaches the console, in each context a consumer may
 * free from, built twice: report_test against a kernel with
 * CONFIG_PREEMPT_COUNT, report_test_nopc against one without (see
 * mpool_core_nopc.c).  With a preempt count, a report from a context that
 * may not sleep (preemption or IRQs off, a hard IRQ) is deferred, as
 * printk_deferred() defers it, and one from plain task context printed at
 * once.  Without one, preemptible() is always 0 and cannot tell them
 * apart, and the kernel has neither PREEMPT_RT nor lockdep to refuse
 * printk()'s locks: every report is printed at once, where testing
 * preemptible() alone deferred every one, even from task context.
 */
#include <pthread.h>
#include <signal.h>

#include "host_log.h"
#include "mpool_host.h"
#include "tap.h"

/* What mpool_free() says of a pointer outside the pool. */
#define REPORT	"outside the pool"

enum context {
	IN_TASK,
	PREEMPT_OFF,
	IRQS_OFF,
	IN_HARDIRQ,
};

static const char *const context_names[] = {
	[IN_TASK] = "in task context",
	[PREEMPT_OFF] = "with preemption off",
	[IRQS_OFF] = "with IRQs off",
	[IN_HARDIRQ] = "in a hard IRQ",
};

static struct mpool *pool;
static char foreign[64];
static bool irq_ran;

static void bad_free(void)
{
	mpool_free(pool, foreign);
}

static void irq_handler(void)
{
	irq_ran = in_hardirq();
	bad_free();
}

/* A bad free from @ctx: the report, printed at once or deferred. */
static enum host_log_how report_from(enum context ctx)
{
	unsigned long flags;

	host_log_clear();
	switch (ctx) {
	case IN_TASK:
		bad_free();
		break;
	case PREEMPT_OFF:
		preempt_disable();
		bad_free();
		preempt_enable();
		break;
	case IRQS_OFF:
		local_irq_save(flags);
		bad_free();
		local_irq_restore(flags);
		break;
	case IN_HARDIRQ:
		irq_ran = false;
		/* Delivered before pthread_kill() returns: IRQs are on. */
		pthread_kill(pthread_self(), MPOOL_SHIM_IRQ_SIGNAL);
		if (!irq_ran)
			tap_diag("the interrupt did not run");
		break;
	}
	return host_log_how(REPORT);
}

static const char *how_name(enum host_log_how how)
{
	return how == HOST_LOG_ABSENT ? "not made" :
	       how == HOST_LOG_DEFERRED ? "deferred" : "printed at once";
}

int main(void)
{
	bool count = mpool_host_preempt_count();
	enum host_log_how how, want;
	enum context ctx;

	tap_begin(count ? "report_test: misuse reports, with a preempt count" :
			  "report_test: misuse reports, without a preempt count");
	mpool_shim_thread_enter(0);
	mpool_shim_set_nr_cpus(2);
	host_log_capture();
	mpool_shim_irq_install(irq_handler);
	if (mpool_host_init()) {
		tap_result(false, "init");
		return tap_end();
	}
	pool = mpool_create("report_test", 48, 0, 64, 0);
	if (IS_ERR(pool)) {
		tap_result(false, "create: %ld", PTR_ERR(pool));
		return tap_end();
	}
	for (ctx = IN_TASK; ctx <= IN_HARDIRQ; ctx++) {
		want = count && ctx != IN_TASK ? HOST_LOG_DEFERRED :
						 HOST_LOG_AT_ONCE;
		how = report_from(ctx);
		if (how != want) {
			tap_diag("%s: %s", context_names[ctx], how_name(how));
			host_log_dump();
		}
		tap_result(how == want && (ctx != IN_HARDIRQ || irq_ran),
			   "a report made %s is %s", context_names[ctx],
			   how_name(want));
	}
	mpool_destroy(pool);
	mpool_host_exit();
	mpool_shim_thread_leave();
	return tap_end();
}
