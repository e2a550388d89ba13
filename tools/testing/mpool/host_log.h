/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pool's printk, captured: the last lines kept, to check that a
 * report was made and to show what was printed before a failure.
 */
#ifndef MPOOL_HOST_LOG_H
#define MPOOL_HOST_LOG_H

#include <stdbool.h>

void host_log_capture(void);
void host_log_clear(void);
/* Whether a line kept since the last clear contains @needle. */
bool host_log_has(const char *needle);

enum host_log_how {
	HOST_LOG_ABSENT,	/* no such line kept since the last clear */
	HOST_LOG_AT_ONCE,	/* printk(): on the console now */
	HOST_LOG_DEFERRED,	/* printk_deferred(): printed from an irq_work */
};

/* How the first line kept since the last clear with @needle was printed. */
enum host_log_how host_log_how(const char *needle);
unsigned long host_log_lines(void);
/* The lines kept, as TAP diagnostics. */
void host_log_dump(void);

#endif /* MPOOL_HOST_LOG_H */
