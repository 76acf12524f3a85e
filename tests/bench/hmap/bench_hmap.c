/*
 * bench_hmap N SEED REPEATS: hmap on N random u64 keys. Prints one JSON line:
 * the best ns per insert / hit / miss / delete over REPEATS runs, and the
 * bytes per entry the map holds from its allocator after the inserts.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_keys.h"
#include "hmap.h"

HMAP_DEFINE(bench_map, uint64_t, uint64_t);

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* An allocator that counts the bytes it hands out and gets back (a header keeps each size). */
static size_t live_bytes;
enum { header = 16 };
static void *counting_alloc(size_t nmemb, size_t size)
{
	size_t bytes = nmemb * size;
	char *p = calloc(1, header + bytes);
	if (!p)
		return NULL;
	*(size_t *)p = bytes;
	live_bytes += bytes;
	return p + header;
}
static void counting_release(void *mem)
{
	if (!mem)
		return;
	char *p = (char *)mem - header;
	live_bytes -= *(size_t *)p;
	free(p);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_hmap N SEED REPEATS\n");
		return 2;
	}
	uint64_t n = strtoull(argv[1], NULL, 0), seed = strtoull(argv[2], NULL, 0);
	int repeats = atoi(argv[3]);
	uint64_t *keys = malloc(n * sizeof *keys), *misses = malloc(n * sizeof *misses);
	uint64_t *hits = malloc(n * sizeof *hits), *deletes = malloc(n * sizeof *deletes);
	if (!keys || !misses || !hits || !deletes) {
		fprintf(stderr, "bench_hmap: out of memory for %" PRIu64 " keys\n", n);
		return 1;
	}
	bench_make_keys(keys, misses, n, seed);
	bench_make_order(hits, keys, n, seed, bench_hit_shuffle);
	bench_make_order(deletes, keys, n, seed, bench_delete_shuffle);

	double best[4] = {1e300, 1e300, 1e300, 1e300};
	uint64_t checksum = 0, found_misses = 0;
	for (int r = 0; r < repeats; r++) {
		double t[5];
		t[0] = now_ns();
		bench_map *m = bench_map_new(0);
		for (uint64_t i = 0; i < n; i++)
			bench_map_put(m, keys[i], bench_elem(keys[i]));
		t[1] = now_ns();
		uint64_t sum = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t *v = bench_map_get(m, hits[i]);
			sum += v ? *v : 0;
		}
		t[2] = now_ns();
		uint64_t missed = 0;
		for (uint64_t i = 0; i < n; i++)
			missed += bench_map_get(m, misses[i]) != NULL;
		t[3] = now_ns();
		for (uint64_t i = 0; i < n; i++)
			bench_map_delete(m, deletes[i]);
		t[4] = now_ns();
		if (bench_map_len(m) != 0) {
			fprintf(stderr, "bench_hmap: %zu keys left after deleting all\n", bench_map_len(m));
			return 1;
		}
		bench_map_free(m);
		for (int op = 0; op < 4; op++)
			if ((t[op + 1] - t[op]) / n < best[op])
				best[op] = (t[op + 1] - t[op]) / n;
		checksum = sum;
		found_misses = missed;
	}

	/* Memory: a separate run through the counting allocator. */
	hmap_set_allocator(counting_alloc, counting_release);
	bench_map *m = bench_map_new(0);
	for (uint64_t i = 0; i < n; i++)
		bench_map_put(m, keys[i], bench_elem(keys[i]));
	double bytes_per_entry = (double)live_bytes / n;
	bench_map_free(m);
	hmap_set_allocator(NULL, NULL);

	printf("{\"impl\": \"hmap\", \"insert\": %.2f, \"hit\": %.2f, \"miss\": %.2f, \"delete\": %.2f, "
	       "\"bytes_per_entry\": %.2f, \"checksum\": %" PRIu64 ", \"found_misses\": %" PRIu64 "}\n",
	       best[0], best[1], best[2], best[3], bytes_per_entry, checksum, found_misses);
	return 0;
}
