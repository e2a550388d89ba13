/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP on stdout, as the kernel's selftests print it: "TAP version 13",
 * then "ok N name" or "not ok N name" per case, "# " before anything
 * else, and the plan "1..N" last, once the number of cases is known.
 */
#ifndef MPOOL_TAP_H
#define MPOOL_TAP_H

#include <stdbool.h>

void tap_begin(const char *program);
/* The case's result, numbered from 1; returns @ok. */
bool tap_result(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The plan; the exit status: 0 if every case passed and at least one ran. */
int tap_end(void);

#endif /* MPOOL_TAP_H */
