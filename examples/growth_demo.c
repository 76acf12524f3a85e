/*
 * growth_demo: follow one key while its map grows. Key 42 goes in first;
 * then the map doubles three times, and finally a churn of inserts and
 * deletes piles up overflow buckets until the map grows to the same size.
 * Each growth evacuates key 42 into the new bucket array.
 *
 *   build/examples/growth_demo
 *   mapviz-trace -m growth -k 42 -- build/examples/growth_demo
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"

HMAP_DEFINE(growth_map, uint64_t, uint64_t);

growth_map *growth;

static unsigned doublings, same_size;

/* Counts growths as they start: B grows (a small table may finish evacuating within the
 * same put), or oldbuckets appears with the same-size flag. */
static void put(uint64_t k, uint64_t v)
{
	bool was_growing = growth->h.oldbuckets != NULL;
	unsigned B = growth->h.B;
	if (!growth_map_put(growth, k, v)) {
		fprintf(stderr, "growth_demo: out of memory\n");
		exit(1);
	}
	bool same = growth->h.oldbuckets && (growth->h.flags & hmap_sameSizeGrow);
	if (growth->h.B != B || (!was_growing && same)) {
		same ? same_size++ : doublings++;
		printf("%s growth: B %u, count %zu\n", same ? "same-size" : "doubling", growth->h.B,
		       growth_map_len(growth));
	}
}

/* Finishes any growth in progress: every write evacuates up to two old buckets. */
static void finish_growth(uint64_t *next)
{
	while (growth->h.oldbuckets) {
		put(*next, *next);
		growth_map_delete(growth, (*next)++);
	}
}

/* A key of the map's current bucket bucket, at least from. */
static uint64_t key_in_bucket(uint64_t bucket, uint64_t from)
{
	uint64_t mask = ((uint64_t)1 << growth->h.B) - 1;
	for (uint64_t k = from;; k++)
		if ((hmap_hash(&growth->h, &k) & mask) == bucket)
			return k;
}

int main(void)
{
	growth = growth_map_new(0);
	if (!growth)
		return 1;
	put(42, 4200);
	uint64_t next = 1000;
	while (doublings < 3)
		put(next, next), next++;
	finish_growth(&next);

	/* Churn: fill one bucket past 8 entries (an overflow bucket), delete all but one, next
	 * bucket; once there are as many overflow buckets as buckets, the map grows in place. */
	for (uint64_t b = 0; !same_size; b = (b + 1) & (((uint64_t)1 << growth->h.B) - 1)) {
		uint64_t keys[9];
		uint64_t from = next;
		for (int i = 0; i < 9 && !same_size; i++) {
			keys[i] = key_in_bucket(b, from);
			from = keys[i] + 1;
			put(keys[i], keys[i]);
			if (same_size)
				break;
			if (i == 8)
				for (int j = 1; j < 9; j++)
					growth_map_delete(growth, keys[j]);
		}
		next = from;
	}
	finish_growth(&next);

	/* Where key 42 ended up, found as the map's own lookup does. */
	uint64_t k = 42, hash = hmap_hash(&growth->h, &k);
	uint64_t bucket = hash & (((uint64_t)1 << growth->h.B) - 1);
	struct growth_map_bucket *b = (struct growth_map_bucket *)growth->h.buckets + bucket;
	for (unsigned depth = 0; b; b = b->overflow, depth++)
		for (int i = 0; i < hmap_bucketCnt; i++)
			if (b->tophash[i] >= hmap_minTopHash && b->keys[i] == 42)
				printf("key 42: bucket %" PRIu64 " overflow %u slot %d\n", bucket, depth, i);
	printf("%u doublings, %u same-size growth; len %zu, B %u; growth[42] = %" PRIu64 "\n",
	       doublings, same_size, growth_map_len(growth), growth->h.B, *growth_map_get(growth, 42));
	growth_map_free(growth);
	return 0;
}
