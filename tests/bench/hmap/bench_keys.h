/*
 * The benchmark's keys, made identically by bench_hmap.c, bench_unordered_map.cc
 * and bench_go.go: N keys and N miss keys from splitmix64 streams, and the
 * keys again in two random orders (Fisher-Yates shuffles), in which they are
 * looked up and deleted. Node-based maps lay entries out in insertion order,
 * so any order related to it would favour them. The orders are made before
 * the clock starts and read sequentially, so that the loops time the map.
 */
#ifndef BENCH_KEYS_H
#define BENCH_KEYS_H

#include <stdint.h>

enum { bench_hit_shuffle = 1, bench_delete_shuffle = 2 };

static inline uint64_t bench_splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* keys[i] and misses[i]: two independent streams of random 64-bit keys. */
static inline void bench_make_keys(uint64_t *keys, uint64_t *misses, uint64_t n, uint64_t seed)
{
	uint64_t a = seed, b = ~seed;
	for (uint64_t i = 0; i < n; i++) {
		keys[i] = bench_splitmix(&a);
		misses[i] = bench_splitmix(&b);
	}
}

/* order: keys shuffled by Fisher-Yates with a splitmix64 stream seeded seed + salt. */
static inline void bench_make_order(uint64_t *order, const uint64_t *keys, uint64_t n, uint64_t seed, uint64_t salt)
{
	uint64_t s = seed + salt;
	for (uint64_t i = 0; i < n; i++)
		order[i] = keys[i];
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = bench_splitmix(&s) % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* The elem stored with a key; the sum of the elems found is the run's checksum. */
static inline uint64_t bench_elem(uint64_t key) { return key ^ 0x5555555555555555ull; }

#endif
