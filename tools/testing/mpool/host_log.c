// SPDX-License-Identifier: GPL-2.0
/* The pool's printk, captured: see host_log.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "host_log.h"
#include "mpool_host.h"
#include "tap.h"

#define HOST_LOG_KEEP	64
#define HOST_LOG_WIDTH	200

static pthread_mutex_t host_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char host_log_ring[HOST_LOG_KEEP][HOST_LOG_WIDTH];
static bool host_log_deferred[HOST_LOG_KEEP];
static unsigned long host_log_count, host_log_first;

static void host_log_line(const char *line, bool deferred)
{
	char *slot;
	size_t len;

	pthread_mutex_lock(&host_log_lock);
	host_log_deferred[host_log_count % HOST_LOG_KEEP] = deferred;
	slot = host_log_ring[host_log_count++ % HOST_LOG_KEEP];
	strncpy(slot, line, HOST_LOG_WIDTH - 1);
	slot[HOST_LOG_WIDTH - 1] = '\0';
	len = strlen(slot);
	if (len && slot[len - 1] == '\n')
		slot[len - 1] = '\0';
	pthread_mutex_unlock(&host_log_lock);
}

void host_log_capture(void)
{
	mpool_shim_printk_hook = host_log_line;
}

void host_log_clear(void)
{
	pthread_mutex_lock(&host_log_lock);
	host_log_first = host_log_count;
	pthread_mutex_unlock(&host_log_lock);
}

static unsigned long host_log_oldest(void)
{
	unsigned long oldest = host_log_count > HOST_LOG_KEEP ?
			       host_log_count - HOST_LOG_KEEP : 0;

	return oldest > host_log_first ? oldest : host_log_first;
}

enum host_log_how host_log_how(const char *needle)
{
	enum host_log_how how = HOST_LOG_ABSENT;
	unsigned long i;

	pthread_mutex_lock(&host_log_lock);
	for (i = host_log_oldest(); i < host_log_count && !how; i++) {
		if (strstr(host_log_ring[i % HOST_LOG_KEEP], needle))
			how = host_log_deferred[i % HOST_LOG_KEEP] ?
			      HOST_LOG_DEFERRED : HOST_LOG_AT_ONCE;
	}
	pthread_mutex_unlock(&host_log_lock);
	return how;
}

bool host_log_has(const char *needle)
{
	return host_log_how(needle) != HOST_LOG_ABSENT;
}

unsigned long host_log_lines(void)
{
	return __atomic_load_n(&host_log_count, __ATOMIC_RELAXED);
}

void host_log_dump(void)
{
	unsigned long i;

	pthread_mutex_lock(&host_log_lock);
	for (i = host_log_oldest(); i < host_log_count; i++)
		tap_diag("printk%s: %s",
			 host_log_deferred[i % HOST_LOG_KEEP] ? " (deferred)" : "",
			 host_log_ring[i % HOST_LOG_KEEP]);
	pthread_mutex_unlock(&host_log_lock);
}
