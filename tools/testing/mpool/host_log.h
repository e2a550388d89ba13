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
unsigned long host_log_lines(void);
/* The lines kept, as TAP diagnostics. */
void host_log_dump(void);

#endif /* MPOOL_HOST_LOG_H */
