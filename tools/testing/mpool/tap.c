// SPDX-License-Identifier: GPL-2.0
/* TAP output for the host tests: see tap.h. */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static unsigned int tap_count, tap_failed;

void tap_begin(const char *program)
{
	printf("TAP version 13\n# %s\n", program);
	fflush(stdout);
}

bool tap_result(bool ok, const char *fmt, ...)
{
	va_list args;

	printf("%sok %u ", ok ? "" : "not ", ++tap_count);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
	tap_failed += !ok;
	return ok;
}

void tap_diag(const char *fmt, ...)
{
	va_list args;

	fputs("# ", stdout);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

int tap_end(void)
{
	printf("1..%u\n# %u passed, %u failed\n", tap_count,
	       tap_count - tap_failed, tap_failed);
	fflush(stdout);
	return tap_failed || !tap_count;
}
