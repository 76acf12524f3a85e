/*
 * threads_demo: several threads write the same key of one map (under a
 * mutex: a map is not safe for concurrent writers) and count their writes.
 *
 *   build/examples/threads_demo [THREADS [WRITES [PAUSE_US]]]
 *   mapviz-trace -m shared -k 42 -- build/examples/threads_demo 4 1000
 *
 * The last line is the total number of writes to key 42, to hold a trace against.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hmap.h"

HMAP_DEFINE(shared_map, uint64_t, uint64_t);

shared_map *shared;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long writes_per_thread = 1000;
static unsigned pause_us;

static void *writer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	unsigned long mine = 0;
	for (unsigned long i = 0; i < writes_per_thread; i++) {
		pthread_mutex_lock(&lock);
		if (!shared_map_put(shared, 42, id * 1000000 + i))
			abort();
		/* Other keys too, so the map grows while key 42 is written. */
		shared_map_put(shared, 1000 + id * writes_per_thread + i, i);
		pthread_mutex_unlock(&lock);
		mine++;
		if (pause_us)
			usleep(pause_us);
	}
	return (void *)mine;
}

int main(int argc, char **argv)
{
	unsigned nthreads = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 4;
	if (argc > 2)
		writes_per_thread = strtoul(argv[2], NULL, 0);
	if (argc > 3)
		pause_us = (unsigned)strtoul(argv[3], NULL, 0);
	if (nthreads < 1 || nthreads > 64)
		nthreads = 4;
	shared = shared_map_new(0);
	if (!shared)
		return 1;
	pthread_t th[64];
	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)(i + 1)) != 0)
			return 1;
	unsigned long total = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		void *n;
		pthread_join(th[i], &n);
		printf("thread %u: %lu writes to key 42\n", i + 1, (unsigned long)(uintptr_t)n);
		total += (unsigned long)(uintptr_t)n;
	}
	printf("len %zu, B %u\n", shared_map_len(shared), shared->h.B);
	printf("writes to key 42: %lu\n", total);
	shared_map_free(shared);
	return 0;
}
