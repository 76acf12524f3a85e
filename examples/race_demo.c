/*
 * race_demo: the race people hit. One thread deletes key 42 of a map in a
 * loop, another reads it in a loop, and neither takes a lock. hmap's own check
 * soon stops the reader at the entry of its get ("fatal error: concurrent map
 * read and map write") and aborts, as Go's runtime does.
 *
 *   build/examples/race_demo [locked]
 *   mapviz-trace -m counts -k 42 --reads -- build/examples/race_demo
 *
 * With "locked" both threads take one mutex: no race, and it prints how many
 * reads found the key.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hmap.h"

HMAP_DEFINE(counts_map, uint64_t, uint64_t);

counts_map *counts;

enum { ROUNDS = 50000000 }; /* enough for the two threads to meet, untraced */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int locked;

static void *deleter(void *arg)
{
	(void)arg;
	for (long i = 0; i < ROUNDS / (locked ? 1000 : 1); i++) {
		if (locked)
			pthread_mutex_lock(&lock);
		counts_map_delete(counts, 42);
		if (locked)
			pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *reader(void *arg)
{
	long found = 0;
	(void)arg;
	for (long i = 0; i < ROUNDS / (locked ? 1000 : 1); i++) {
		if (locked)
			pthread_mutex_lock(&lock);
		found += counts_map_get(counts, 42) != NULL;
		if (locked)
			pthread_mutex_unlock(&lock);
	}
	return (void *)found;
}

int main(int argc, char **argv)
{
	locked = argc > 1 && strcmp(argv[1], "locked") == 0;
	counts = counts_map_new(64);
	counts_map_put(counts, 42, 1);
	counts_map_put(counts, 7, 1); /* (a delete of a map left empty would not be a write) */
	pthread_t d, r;
	void *found;
	pthread_create(&d, NULL, deleter, NULL);
	pthread_create(&r, NULL, reader, NULL);
	pthread_join(d, NULL);
	pthread_join(r, &found);
	printf("reads that found 42: %ld\n", (long)found);
	return 0;
}
