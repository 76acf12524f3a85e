/*
 * hits: the benchmark program. Puts key 42, publishes its elem cell in
 * bench_cell, sends itself SIGUSR1 (a tracer's cue to arm a watchpoint
 * there), then:
 *   hits N    writes key 42 N times (each write is one watchpoint hit)
 *   quiet N   writes other keys N times (no hit: key 42's cells are untouched)
 * and prints what it did and "loop_ns T", the time the loop took (so that the
 * tracer's or debugger's start-up is not measured).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"

HMAP_DEFINE(bench_map, uint64_t, uint64_t);

bench_map *bench;
volatile uint64_t *bench_cell;

static void cue(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	unsigned long n = strtoul(argv[2], NULL, 0);
	bench = bench_map_new(256);
	for (uint64_t k = 0; k < 100; k++)
		bench_map_put(bench, 1000 + k, k);
	bench_map_put(bench, 42, 0);
	bench_cell = bench_map_get(bench, 42);
	printf("%p\n", (void *)bench_cell);
	fflush(stdout);
	signal(SIGUSR1, cue);
	raise(SIGUSR1);
	uint64_t sum = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(argv[1], "hits") == 0) {
		for (unsigned long i = 0; i < n; i++)
			bench_map_put(bench, 42, i);
	} else {
		for (unsigned long i = 0; i < n; i++)
			bench_map_put(bench, 1000 + i % 100, i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (uint64_t k = 0; k < 100; k++)
		sum += *bench_map_get(bench, 1000 + k);
	printf("loop_ns %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
	printf("done %lu, key 42 = %llu, sum %llu\n", n, (unsigned long long)*bench_map_get(bench, 42),
	       (unsigned long long)sum);
	return 0;
}
