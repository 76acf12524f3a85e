/*
 * hmap_check: what the hmap tests and the fuzzer share.
 *
 *  - check_invariants() walks a map's memory and verifies the structural
 *    invariants of Go's design (see hmap.c): counts, emptyRest runs,
 *    placement of every live key, evacuation marks, nevacuate.
 *  - struct model drives a map through the generic engine and mirrors every
 *    operation in a plain reference (a presence array and a value per key
 *    index), checking each result against it.
 *  - struct key_kind describes one map type under test: how key number i is
 *    made, and how a key found in the map is traced back to i.
 *
 * Every check that fails prints one line naming what was wrong and aborts.
 */
#ifndef HMAP_CHECK_H
#define HMAP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

__attribute__((noreturn, format(printf, 3, 4))) void check_fail(const char *file, int line,
								     const char *fmt, ...);
#define CHECK(cond, ...)                                             \
	do {                                                         \
		if (!(cond))                                         \
			check_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* A small deterministic generator (splitmix64) for test inputs. */
struct rng {
	uint64_t s;
};
uint64_t rng_next(struct rng *r);
/* A uniform value in [0, n). */
uint32_t rng_below(struct rng *r, uint32_t n);

/* ---- reading a map's memory through its type descriptor ---- */

void *bucket_at(const struct hmap *h, void *array, uintptr_t i);
uint8_t *bucket_tophash(void *b);
void *bucket_overflow(const struct hmap *h, void *b);
/* The key or elem a cell stands for: the cell itself, or what it points to when indirect. */
void *cell_key(const struct hmap *h, void *b, unsigned i);
void *cell_elem(const struct hmap *h, void *b, unsigned i);
/* tophash(hash) as the design defines it. */
uint8_t expected_tophash(uint64_t hash);
/* # of buckets before the current growth. */
uintptr_t old_bucket_count(const struct hmap *h);

struct map_stats {
	int64_t live_new;        /* live cells in the new (current) bucket array */
	int64_t live_old;        /* live cells in old buckets not yet evacuated */
	uintptr_t old_evacuated; /* old buckets evacuated so far */
	uintptr_t overflow_new;  /* overflow buckets chained in the new array */
	unsigned max_chain;      /* longest chain, in buckets */
};

/*
 * Verifies every structural invariant of h (see the list in hmap_check.c)
 * and returns its statistics. Calls hmap_access for every live key, so h
 * must not be in the middle of a write.
 */
struct map_stats check_invariants(struct hmap *h);

/* ---- map types under test ---- */

struct key_kind {
	const char *name;
	const struct hmap_type *type;
	/* Writes key number i into out (type->key_size bytes). */
	void (*make_key)(uint32_t i, void *out);
	/* The number of the key at key, which must be one make_key made. */
	uint32_t (*index_of)(const void *key);
};

/* u64, u32, string, struct, indirect (>128-byte key and elem), pointer keys. */
extern const struct key_kind *const all_kinds[];
extern const size_t n_all_kinds;
const struct key_kind *kind_by_name(const char *name);

/* Fills an elem of size bytes from a value, and checks one against it. */
void fill_elem(void *elem, size_t size, uint64_t value);
void check_elem(const void *elem, size_t size, uint64_t value, const char *what);

/* ---- the reference model ---- */

struct model {
	const struct key_kind *kind;
	struct hmap *h;
	uint32_t nkeys;   /* keys are numbered 0 .. nkeys-1 */
	uint8_t *present; /* present[i]: key i is in the map */
	uint64_t *value;  /* value[i]: what its elem was filled from */
	int64_t count;
	void *keybuf, *elembuf;
};

/* False when hmap_make returned NULL (allocation failure); the model is then empty. */
bool model_init(struct model *m, const struct key_kind *kind, uint32_t nkeys, size_t hint);
void model_free(struct model *m);
/* False when the put failed for lack of memory; the map is then checked to be unchanged. */
bool model_put(struct model *m, uint32_t i, uint64_t value);
void model_get(struct model *m, uint32_t i);
void model_delete(struct model *m, uint32_t i);
void model_clear(struct model *m);
/* Invariants, count, and every key of the model looked up (present or absent). */
void model_check_all(struct model *m);

/*
 * One full iteration, mutating the map as it goes (each step, with the given
 * per-mille chances: delete a random key, put a random key). Checks Go's
 * guarantee: an entry present for the whole iteration is returned exactly
 * once, no entry twice, and each returned entry is present with its current
 * value. Returns the number of entries returned.
 */
size_t model_iterate(struct model *m, struct rng *r, unsigned delete_permille, unsigned put_permille);

#endif /* HMAP_CHECK_H */
