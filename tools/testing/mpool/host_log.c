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
static unsigned long host_log_count, host_log_first;

static void host_log_line(const char *line)
{
	char *slot;
	size_t len;

	pthread_mutex_lock(&host_log_lock);
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

bool host_log_has(const char *needle)
{
	unsigned long i;
	bool found = false;

	pthread_mutex_lock(&host_log_lock);
	for (i = host_log_oldest(); i < host_log_count && !found; i++)
		found = strstr(host_log_ring[i % HOST_LOG_KEEP], needle);
	pthread_mutex_unlock(&host_log_lock);
	return found;
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
		tap_diag("printk: %s", host_log_ring[i % HOST_LOG_KEEP]);
	pthread_mutex_unlock(&host_log_lock);
}
