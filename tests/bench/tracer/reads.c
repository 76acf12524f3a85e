/*
 * reads: the race witness's benchmark program (tests/bench/tracer/bench_race.py).
 * Key 42 of map reads_map, beside 100 other keys; then one loop:
 *   get N      N gets of key 42: each reads its tophash byte and key cell (a hot key)
 *   others N   N puts of other keys: key 42's cells untouched, the map's flags written
 *              twice each (hashWriting set and cleared)
 *   race N     a thread reading key 42's elem through a pointer N times beside a thread
 *              deleting key 42 until the reader is done: reads while a delete is inside
 * and prints "loop_ns T", the time the loop took (the tracer's start-up not counted).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"

HMAP_DEFINE(reads_map, uint64_t, uint64_t);

reads_map *reads;
static unsigned long n;
static atomic_int reading = 1;

static void *deleter(void *arg)
{
	(void)arg;
	while (atomic_load(&reading))
		reads_map_delete(reads, 42);
	return NULL;
}

static uint64_t pointer_reads(volatile uint64_t *cell)
{
	uint64_t sum = 0;
	for (unsigned long i = 0; i < n; i++)
		sum += *cell;
	return sum;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	n = strtoul(argv[2], NULL, 0);
	reads = reads_map_new(256);
	reads_map_put(reads, 42, 7);
	for (uint64_t k = 0; k < 100; k++)
		reads_map_put(reads, 1000 + k, k);
	uint64_t sum = 0, t0 = now_ns();
	if (strcmp(argv[1], "get") == 0) {
		for (unsigned long i = 0; i < n; i++)
			sum += *reads_map_get(reads, 42);
	} else if (strcmp(argv[1], "others") == 0) {
		for (unsigned long i = 0; i < n; i++)
			reads_map_put(reads, 1000 + i % 100, i);
	} else {
		pthread_t d;
		volatile uint64_t *cell = reads_map_get(reads, 42);
		pthread_create(&d, NULL, deleter, NULL);
		sum = pointer_reads(cell);
		atomic_store(&reading, 0);
		pthread_join(d, NULL);
	}
	printf("loop_ns %llu\n", (unsigned long long)(now_ns() - t0));
	printf("done %lu, sum %llu\n", n, (unsigned long long)sum);
	return 0;
}
