/*
 * delete_demo: fill a map, delete some keys, print what happened.
 * The map the tools are pointed at is the global `counts`.
 *
 *   HMAP_SEED=1 build/examples/delete_demo
 *   mapviz-trace -m counts -k 42 -e delete -- build/examples/delete_demo
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"

HMAP_DEFINE(counts_map, uint64_t, uint64_t);

counts_map *counts;

/* A place to stop in a debugger once the deletes are done. */
__attribute__((noinline)) void break_here(void) { __asm__ volatile(""); }

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100;
	counts = counts_map_new(0);
	if (!counts) {
		fprintf(stderr, "delete_demo: out of memory\n");
		return 1;
	}
	for (uint64_t k = 0; k < n; k++)
		counts_map_put(counts, k, k * k);
	printf("inserted %" PRIu64 " keys: len %zu, B %u, hash0 %#x\n", n, counts_map_len(counts),
	       counts->h.B, counts->h.hash0);

	/* Delete key 42 and every key divisible by 7, leaving tombstones. */
	unsigned deleted = 0;
	for (uint64_t k = 0; k < n; k++)
		if (k == 42 || k % 7 == 0)
			deleted += counts_map_delete(counts, k);
	printf("deleted %u keys: len %zu\n", deleted, counts_map_len(counts));

	uint64_t *v = counts_map_get(counts, 43);
	printf("counts[43] = %" PRIu64 ", counts[42] is %s\n", v ? *v : 0,
	       counts_map_get(counts, 42) ? "present" : "absent");
	break_here();
	counts_map_free(counts);
	counts = NULL;
	return 0;
}
