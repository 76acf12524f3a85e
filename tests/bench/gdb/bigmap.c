/*
 * bigmap N: a uint64_t -> uint64_t map `big` of N entries (keys 0..N-1, elems
 * k * 3), and `floor_pairs` whose n is N, for the benchmark's floor printer.
 */
#include <stdint.h>
#include <stdlib.h>

#include "hmap.h"

HMAP_DEFINE(big_map, uint64_t, uint64_t);

big_map *big;
struct floor_pairs {
	uint64_t n;
} floor_pairs;

__attribute__((noinline)) void break_here(void) { __asm__ volatile(""); }

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 30000;
	big = big_map_new(0);
	for (uint64_t k = 0; k < n; k++)
		big_map_put(big, k, k * 3);
	floor_pairs.n = n;
	break_here();
	return 0;
}
