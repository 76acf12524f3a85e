/*
 * hmap_test: the hmap unit tests, model-based and targeted.
 *
 *   hmap_test                 run every case, one "PASS name" line each
 *   hmap_test NAME...         run the named cases
 *   hmap_test --list          list the cases
 *   hmap_test --list-death    list the death cases
 *   hmap_test --death NAME    run a death case: it must abort with Go's message
 *   hmap_test --leak          leak a map on purpose (LeakSanitizer must report it)
 *
 * A failing check prints "FAIL file:line: what" and aborts. HMAP_SEED fixes
 * the maps' hash seed; without it each run hashes differently (the seed of a
 * failing run is printed with the failure context).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap_check.h"

HMAP_DEFINE(counts, uint64_t, uint64_t);
HMAP_DEFINE_STR(names, int);
HMAP_DEFINE(ptrs, int *, uint64_t);

/* A record keyed by a wide id: both over 128 bytes, so stored indirectly. */
struct wide_id {
	uint32_t id;
	char pad[196];
};
struct record {
	char text[200];
};
HMAP_DEFINE(records, struct wide_id, struct record);

/* Keys of a counts map whose hash (under the map's current hash0) selects bucket. */
static uint64_t next_key_in_bucket(counts *m, uint64_t *cursor, uintptr_t bucket)
{
	uintptr_t mask = ((uintptr_t)1 << m->h.B) - 1;
	for (;; (*cursor)++) {
		uint64_t k = *cursor;
		if ((hmap_hash(&m->h, &k) & mask) == bucket && !counts_get(m, k)) {
			(*cursor)++;
			return k;
		}
	}
}

/* ---- model-based tests ---- */

/*
 * Random operations against the reference model, in phases that grow the
 * map, churn it and shrink it, with iterations that delete and insert, and a
 * clear. Invariants and the whole model are checked between phases.
 */
struct run_counts {
	size_t ops;        /* puts, gets and deletes */
	size_t iterated;   /* entries returned by iterations (which delete and put as they go) */
};

static struct run_counts model_run(const struct key_kind *kind, uint64_t seed, uint32_t nkeys, size_t nops)
{
	struct rng r = {seed};
	struct model m;
	CHECK(model_init(&m, kind, nkeys, rng_below(&r, 2) ? 0 : nkeys / 4), "hmap_make failed");
	size_t done = 0, iterated = 0;
	/* Per-mille chances of put and delete in each phase; the rest are gets. */
	static const struct {
		unsigned put, del;
	} phases[] = {{800, 50}, {450, 400}, {300, 600}, {600, 300}, {100, 850}, {700, 200}};
	const size_t nphases = sizeof phases / sizeof phases[0];
	for (size_t p = 0; done < nops; p = (p + 1) % nphases) {
		size_t len = nops / 10;
		for (size_t j = 0; j < len && done < nops; j++, done++) {
			uint32_t i = rng_below(&r, nkeys);
			unsigned dice = rng_below(&r, 1000);
			if (dice < phases[p].put)
				model_put(&m, i, rng_next(&r));
			else if (dice < phases[p].put + phases[p].del)
				model_delete(&m, i);
			else
				model_get(&m, i);
		}
		model_check_all(&m);
		/* Iterations that delete, insert, and both. */
		iterated += model_iterate(&m, &r, 0, 0);
		iterated += model_iterate(&m, &r, 300, 0);
		iterated += model_iterate(&m, &r, 100, 400);
		model_check_all(&m);
		if (p == 2 && done < nops / 2) {
			model_clear(&m);
			model_check_all(&m);
		}
	}
	model_free(&m);
	return (struct run_counts){done, iterated};
}

static void test_model_u64(void)
{
	const struct key_kind *u64 = kind_by_name("u64");
	/* Key spaces from a few buckets to a quarter million keys: >= 1M operations in all. */
	static const struct {
		uint64_t seed;
		uint32_t nkeys;
		size_t nops;
	} runs[] = {{1, 50, 100000}, {2, 2000, 300000}, {3, 30000, 300000}, {4, 250000, 500000}};
	struct run_counts total = {0, 0};
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		struct run_counts c = model_run(u64, runs[i].seed, runs[i].nkeys, runs[i].nops);
		total.ops += c.ops;
		total.iterated += c.iterated;
	}
	CHECK(total.ops >= 1000000, "only %zu operations", total.ops);
	printf("model u64: %zu operations, %zu entries iterated\n", total.ops, total.iterated);
}

static void test_model_kinds(void)
{
	for (size_t i = 0; i < n_all_kinds; i++) {
		const struct key_kind *k = all_kinds[i];
		size_t n = model_run(k, 100 + i, 3000, 60000).ops + model_run(k, 200 + i, 60, 20000).ops;
		printf("model %s: %zu operations\n", k->name, n);
	}
}

/* ---- delete and the emptyRest walk ---- */

/* One cell of a test chain: the key it holds, or none. */
struct chain_cell {
	bool live;
	uint64_t key;
};
enum { chain_buckets = 4, chain_cells = chain_buckets * hmap_bucketCnt };

/*
 * The chain's tophash bytes must be exactly: a live cell's tophash; for an
 * empty cell, emptyOne when a live cell follows somewhere in the chain, else
 * emptyRest. Also checks that the chain has exactly chain_buckets buckets.
 */
static void check_chain_bytes(counts *m, uintptr_t bucket, const struct chain_cell *cells, const char *when)
{
	struct hmap *h = &m->h;
	void *b = bucket_at(h, h->buckets, bucket);
	bool live_after[chain_cells + 1];
	live_after[chain_cells] = false;
	for (int c = chain_cells - 1; c >= 0; c--)
		live_after[c] = live_after[c + 1] || cells[c].live;
	for (int depth = 0; depth < chain_buckets; depth++, b = bucket_overflow(h, b)) {
		CHECK(b, "%s: chain ends after %d buckets", when, depth);
		char got[64], want[64];
		int ng = 0, nw = 0;
		bool same = true;
		for (int s = 0; s < hmap_bucketCnt; s++) {
			int c = depth * hmap_bucketCnt + s;
			uint8_t expect = cells[c].live ? expected_tophash(hmap_hash(h, &cells[c].key))
				       : live_after[c + 1] ? hmap_emptyOne : hmap_emptyRest;
			same &= bucket_tophash(b)[s] == expect;
			ng += snprintf(got + ng, sizeof got - ng, " %02x", bucket_tophash(b)[s]);
			nw += snprintf(want + nw, sizeof want - nw, " %02x", expect);
		}
		CHECK(same, "%s: chain bucket %d tophash is%s, expected%s", when, depth, got, want);
	}
	CHECK(!b, "%s: chain longer than %d buckets", when, chain_buckets);
}

/* Builds a chain of chain_buckets buckets in bucket 0 of a map with 8 buckets, 28 keys in it. */
static counts *make_chain(struct chain_cell *cells, uint64_t *cursor)
{
	counts *m = counts_new(50);
	CHECK(m && m->h.B == 3, "counts_new(50) should make 8 buckets");
	memset(cells, 0, chain_cells * sizeof *cells);
	for (int c = 0; c < chain_cells - 4; c++) {
		cells[c] = (struct chain_cell){true, next_key_in_bucket(m, cursor, 0)};
		CHECK(counts_put(m, cells[c].key, (uint64_t)c), "put failed");
	}
	CHECK(!m->h.oldbuckets && m->h.B == 3, "building the chain grew the map");
	check_chain_bytes(m, 0, cells, "after 28 inserts");
	return m;
}

static void delete_cell(counts *m, struct chain_cell *cells, int c, const char *when)
{
	CHECK(counts_delete(m, cells[c].key), "%s: key of cell %d not deleted", when, c);
	cells[c].live = false;
	check_chain_bytes(m, 0, cells, when);
	check_invariants(&m->h);
}

static void test_emptyrest_walk(void)
{
	struct chain_cell cells[chain_cells];
	uint64_t cursor = 1;
	counts *m = make_chain(cells, &cursor);

	/* Cell 27, the last live one, becomes emptyRest at once (cells 28..31 are emptyRest). */
	delete_cell(m, cells, 27, "delete of the last live cell");
	/* Cells 16..23 (the whole third bucket) emptied out of order: emptyOne each, live 24..26 follow. */
	static const int third[] = {19, 16, 23, 20, 17, 22, 18, 21};
	for (int j = 0; j < 8; j++)
		delete_cell(m, cells, third[j], "emptying the third bucket");
	/* Cells 26, 25: each is last, so emptyRest; then 24 turns the fourth bucket and the emptyOne
	 * run of the whole third bucket into emptyRest, crossing into the second, which is live. */
	delete_cell(m, cells, 26, "delete of cell 26");
	delete_cell(m, cells, 25, "delete of cell 25");
	delete_cell(m, cells, 24, "the walk back across the third bucket");
	CHECK(bucket_tophash(bucket_overflow(&m->h, bucket_at(&m->h, m->h.buckets, 0)))[7] >= hmap_minTopHash,
	      "the walk went past a live cell");
	/* Empty the second bucket except its first cell, then the first bucket's tail: emptyOne runs. */
	for (int c = 9; c < 16; c++)
		delete_cell(m, cells, c, "second bucket");
	for (int c = 4; c < 8; c++)
		delete_cell(m, cells, c, "first bucket's tail");
	/* Cell 8 is now the last live cell: its delete walks back over two buckets to cell 3. */
	delete_cell(m, cells, 8, "the walk back across two buckets");
	for (int c = 0; c < 4; c++)
		delete_cell(m, cells, c, "the rest");
	CHECK(m->h.count == 0, "count %lld after deleting all", (long long)m->h.count);
	counts_free(m);

	/* Random orders of deletes and re-inserts, byte-exact after each. */
	struct rng r = {7};
	for (int trial = 0; trial < 200; trial++) {
		m = make_chain(cells, &cursor);
		for (int step = 0; step < 60 && m->h.count > 0; step++) {
			int c = (int)rng_below(&r, chain_cells);
			if (cells[c].live) {
				delete_cell(m, cells, c, "random delete");
				continue;
			}
			/* A new key of the same bucket goes to the chain's first empty cell. */
			int first_empty = 0;
			while (cells[first_empty].live)
				first_empty++;
			cells[first_empty] = (struct chain_cell){true, next_key_in_bucket(m, &cursor, 0)};
			CHECK(counts_put(m, cells[first_empty].key, 1), "put failed");
			check_chain_bytes(m, 0, cells, "insert into the first empty cell");
		}
		counts_free(m);
	}
}

/* Go clears a deleted key cell only when the key holds pointers; the elem cell always. */
static void test_delete_clears_cells(void)
{
	counts *m = counts_new(0);
	CHECK(counts_put(m, 1234, 99) && counts_put(m, 5678, 98), "put failed");
	void *b = m->h.buckets;
	int slot = -1;
	for (int s = 0; s < hmap_bucketCnt; s++)
		if (*(uint64_t *)cell_key(&m->h, b, s) == 1234)
			slot = s;
	CHECK(slot >= 0, "key 1234 not in bucket 0 of a one-bucket map");
	CHECK(counts_delete(m, 1234) && !counts_get(m, 1234), "delete failed");
	CHECK(*(uint64_t *)cell_key(&m->h, b, slot) == 1234, "a key without pointers was cleared");
	CHECK(*(uint64_t *)cell_elem(&m->h, b, slot) == 0, "the elem cell was not cleared");
	CHECK(bucket_tophash(b)[slot] == hmap_emptyOne, "deleted cell is %#x, not emptyOne (a live cell follows)",
	      bucket_tophash(b)[slot]);
	counts_free(m);

	int anchors[2];
	ptrs *p = ptrs_new(0);
	CHECK(p->h.type->flags & hmap_keyHasPointers, "a pointer key is not flagged keyHasPointers");
	CHECK(ptrs_put(p, &anchors[0], 1) && ptrs_put(p, &anchors[1], 2), "put failed");
	CHECK(ptrs_delete(p, &anchors[0]) && *ptrs_get(p, &anchors[1]) == 2, "delete failed");
	for (int s = 0; s < hmap_bucketCnt; s++)
		if (bucket_tophash(p->h.buckets)[s] < hmap_minTopHash)
			CHECK(*(int **)cell_key(&p->h, p->h.buckets, s) == NULL,
			      "slot %d: deleted pointer key cell not cleared", s);
	ptrs_free(p);
}

/* When count reaches 0 the map takes a new hash seed (HMAP_SEED: the same fixed one). */
static void test_reseed_when_empty(void)
{
	counts *m = counts_new(0);
	for (uint64_t k = 0; k < 100; k++)
		counts_put(m, k, k);
	uint32_t before = m->h.hash0;
	for (uint64_t k = 0; k < 100; k++)
		CHECK(counts_delete(m, k), "delete failed");
	const char *fixed = getenv("HMAP_SEED");
	char *end = NULL;
	if (fixed && *fixed)
		strtoull(fixed, &end, 0);
	if (end && *end == '\0')
		CHECK(m->h.hash0 == (uint32_t)strtoull(fixed, NULL, 0), "HMAP_SEED=%s, but hash0 is %#x",
		      fixed, m->h.hash0);
	else
		CHECK(m->h.hash0 != before, "hash0 %#x unchanged after the map emptied", before);
	for (uint64_t k = 0; k < 100; k++)
		CHECK(counts_put(m, k, k + 1) && *counts_get(m, k) == k + 1, "map unusable after reseed");
	check_invariants(&m->h);
	counts_free(m);
}

/* ---- growth ---- */

/* What evacuation_snapshots saw of growth, one write at a time. */
struct snapshots {
	unsigned growths, midway, same_size;
};

/*
 * One write (a put of value, or a delete when del) of key i, then every invariant
 * checked, and, when the map was growing, that the write evacuated one or two old
 * buckets, never more.
 */
static void snapshot_write(struct model *m, struct snapshots *seen, uint32_t i, bool del, uint64_t value)
{
	struct hmap *h = m->h;
	bool was_growing = h->oldbuckets != NULL;
	uintptr_t nold = was_growing ? old_bucket_count(h) : 0;
	uintptr_t evac_before = was_growing ? check_invariants(h).old_evacuated : 0;
	if (del)
		model_delete(m, i);
	else
		model_put(m, i, value);
	struct map_stats st = check_invariants(h);
	if (h->oldbuckets && !was_growing) {
		seen->growths++;
		if (h->flags & hmap_sameSizeGrow)
			seen->same_size++;
	}
	if (h->oldbuckets && st.old_evacuated > 0 && st.old_evacuated < old_bucket_count(h))
		seen->midway++;
	if (was_growing && m->count > 0) {
		uintptr_t evac_after = h->oldbuckets ? st.old_evacuated : nold;
		CHECK(evac_after >= evac_before + 1 && evac_after <= evac_before + 2,
		      "a write during growth evacuated %zu old buckets (of %zu)",
		      (size_t)(evac_after - evac_before), (size_t)nold);
	}
}

/* The first key number absent from m's map whose key hashes to bucket b. */
static uint32_t model_key_in_bucket(struct model *m, uintptr_t b)
{
	uintptr_t mask = ((uintptr_t)1 << m->h->B) - 1;
	for (uint32_t i = 0; i < m->nkeys; i++) {
		m->kind->make_key(i, m->keybuf);
		if ((hmap_hash(m->h, m->keybuf) & mask) == b && !m->present[i])
			return i;
	}
	CHECK(false, "no key left for bucket %zu", (size_t)b);
	return 0;
}

/*
 * Inserts (with deletes and overwrites mixed in) one write at a time, checking
 * every invariant after each write, and that each write during a growth
 * evacuates one or two old buckets, never more: through doublings, then through
 * same-size growths of a second map whose buckets each get 9 keys and lose 8.
 */
static void test_evacuation_snapshots(void)
{
	struct model m;
	struct rng r = {11};
	struct snapshots seen = {0};
	CHECK(model_init(&m, kind_by_name("u64"), 4000, 0), "hmap_make failed");
	for (uint32_t n = 0; n < 3000; n++) {
		switch (rng_below(&r, 6)) {
		case 0:
			snapshot_write(&m, &seen, rng_below(&r, n + 1), true, 0);
			break;
		case 1:
			snapshot_write(&m, &seen, rng_below(&r, n + 1), false, rng_next(&r));
			break;
		default:
			snapshot_write(&m, &seen, n, false, rng_next(&r));
		}
	}
	model_check_all(&m);
	unsigned doublings = seen.growths;
	printf("growths %u, mid-evacuation snapshots %u, final B %u\n", seen.growths, seen.midway, m.h->B);
	model_free(&m);
	CHECK(seen.growths >= 6 && seen.same_size == 0, "%u growths, %u same-size", seen.growths, seen.same_size);
	CHECK(seen.midway >= 100, "only %u snapshots in the middle of an evacuation", seen.midway);

	CHECK(model_init(&m, kind_by_name("u64"), 4000, 100), "hmap_make failed");
	for (unsigned round = 0; round < 64 && seen.same_size < 2; round++) {
		uint32_t keys[9];
		for (int j = 0; j < 9; j++) {
			keys[j] = model_key_in_bucket(&m, round % ((uintptr_t)1 << m.h->B));
			snapshot_write(&m, &seen, keys[j], false, round);
		}
		for (int j = 1; j < 9; j++)
			snapshot_write(&m, &seen, keys[j], true, 0);
	}
	model_check_all(&m);
	printf("same-size growths %u, final B %u\n", seen.same_size, m.h->B);
	CHECK(seen.same_size == 2 && seen.growths == doublings + 2, "%u same-size growths (of %u)", seen.same_size,
	      seen.growths - doublings);
	model_free(&m);
}

/*
 * Insert/delete churn that leaves an overflow bucket behind in every bucket
 * of a 16-bucket map, with never more than 10 entries: noverflow reaches 2^B
 * and the next insert starts a same-size growth, which compacts the chains.
 */
static void test_same_size_grow(void)
{
	counts *m = counts_new(100);
	CHECK(m->h.B == 4, "counts_new(100) made B=%u, expected 4", m->h.B);
	uint64_t cursor = 1;
	/* One key stays, so count never reaches 0 and the seed (and so every bucket choice) stays. */
	counts_put(m, 0, 0);
	bool seen = false;
	for (unsigned round = 0; round < 64 && !seen; round++) {
		uint64_t keys[9];
		for (int j = 0; j < 9 && !seen; j++) {
			keys[j] = next_key_in_bucket(m, &cursor, round % 16);
			CHECK(counts_put(m, keys[j], j), "put failed");
			seen = m->h.flags & hmap_sameSizeGrow;
		}
		check_invariants(&m->h);
		if (seen)
			break;
		for (int j = 0; j < 9; j++)
			CHECK(counts_delete(m, keys[j]), "delete failed");
	}
	CHECK(seen, "no same-size growth after churning every bucket");
	CHECK(m->h.B == 4 && m->h.oldbuckets, "same-size growth changed B to %u", m->h.B);
	/* Finish the growth with overwrites of the key that stays. */
	for (int j = 0; j < 16 && m->h.oldbuckets; j++)
		counts_put(m, 0, j);
	CHECK(!m->h.oldbuckets && !(m->h.flags & hmap_sameSizeGrow), "same-size growth did not finish");
	struct map_stats st = check_invariants(&m->h);
	CHECK(m->h.B == 4, "B is %u after a same-size growth", m->h.B);
	CHECK(st.max_chain <= 2, "chains not compacted: longest %u buckets", st.max_chain);
	counts_free(m);
}

/* A hint is a promise of room: that many inserts never grow the map. */
static void test_hint(void)
{
	static const size_t hints[] = {0, 8, 9, 100, 1000, 6656, 6657};
	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		counts *m = counts_new(hints[i]);
		uint8_t B = m->h.B;
		for (uint64_t k = 0; k < hints[i]; k++)
			counts_put(m, k, k);
		CHECK(m->h.B == B && !m->h.oldbuckets, "hint %zu: the map grew from B=%u", hints[i], B);
		CHECK(B == 0 || hints[i] > 6.5 * (1u << (B - 1)), "hint %zu: B=%u is larger than needed",
		      hints[i], B);
		counts_free(m);
	}
}

/* ---- key and elem types ---- */

static void test_string_keys(void)
{
	names *m = names_new(0);
	char a[] = "alpha", a2[] = "alpha", b[] = "beta", empty[] = "";
	CHECK(names_put(m, a, 1) && names_put(m, b, 2) && names_put(m, empty, 3), "put failed");
	/* Hashed and compared by content: another copy of the bytes is the same key. */
	CHECK(names_get(m, a2) && *names_get(m, a2) == 1, "lookup by an equal string failed");
	CHECK(names_put(m, a2, 10) && names_len(m) == 3, "overwrite through an equal string added a key");
	CHECK(*names_get(m, "alpha") == 10 && *names_get(m, "") == 3, "wrong values");
	CHECK(!names_get(m, "alph") && !names_get(m, "alphaa"), "prefix or extension found");
	/* As Go updates a string key on overwrite, the map now holds the newest pointer. */
	names_iter it;
	const char *k;
	int v;
	bool found = false;
	names_iter_init(&it, m);
	while (names_iter_next(&it, &k, &v))
		if (v == 10) {
			CHECK(k == a2, "overwrite kept the old key pointer");
			found = true;
		}
	CHECK(found, "iteration did not return \"alpha\"");
	CHECK(names_delete(m, "alpha") && !names_delete(m, a) && names_len(m) == 2, "delete failed");
	CHECK(m->h.type->hash_kind == hmap_hashString, "string map not marked hashString");
	names_free(m);
}

static void test_struct_keys(void)
{
	struct model m;
	CHECK(model_init(&m, kind_by_name("point"), 5000, 0), "hmap_make failed");
	struct rng r = {5};
	for (uint32_t i = 0; i < 5000; i++)
		model_put(&m, i, rng_next(&r));
	for (uint32_t i = 0; i < 5000; i += 3)
		model_delete(&m, i);
	model_check_all(&m);
	CHECK(m.h->type->key_size == 12 && m.h->type->elem_size == 3, "struct sizes %u/%u",
	      m.h->type->key_size, m.h->type->elem_size);
	model_free(&m);
}

/* Keys and elems over 128 bytes live behind pointers in their cells. */
static void test_indirect(void)
{
	records *m = records_new(0);
	const struct hmap_type *t = m->h.type;
	CHECK((t->flags & (hmap_indirectKey | hmap_indirectElem)) == (hmap_indirectKey | hmap_indirectElem),
	      "200-byte key and elem not flagged indirect");
	CHECK(t->keysize == sizeof(void *) && t->elemsize == sizeof(void *), "indirect cells are %u/%u bytes",
	      t->keysize, t->elemsize);
	for (uint32_t i = 0; i < 2000; i++) {
		struct wide_id k = {.id = i};
		struct record e;
		snprintf(e.text, sizeof e.text, "elem %u", i);
		struct record *stored = records_put(m, k, e);
		CHECK(stored && strcmp(stored->text, e.text) == 0, "put of %u failed", i);
	}
	for (uint32_t i = 0; i < 2000; i += 2) {
		struct wide_id k = {.id = i};
		CHECK(records_delete(m, k), "delete of %u failed", i);
	}
	check_invariants(&m->h);
	/* The elem pointer returned is the one the cell holds. */
	struct wide_id k1 = {.id = 1};
	struct record *e1 = records_get(m, k1);
	CHECK(e1 && strcmp(e1->text, "elem 1") == 0, "get of 1 failed");
	bool in_cell = false;
	for (void *b = bucket_at(&m->h, m->h.buckets, hmap_hash(&m->h, &k1) & ((1u << m->h.B) - 1)); b;
	     b = bucket_overflow(&m->h, b))
		for (int s = 0; s < hmap_bucketCnt; s++)
			in_cell |= bucket_tophash(b)[s] >= hmap_minTopHash && cell_elem(&m->h, b, s) == (void *)e1;
	CHECK(in_cell, "get did not return the elem its cell points to");
	records_clear(m);
	for (uint32_t i = 0; i < 100; i++) {
		struct wide_id k = {.id = i};
		struct record e = {"again"};
		records_put(m, k, e);
	}
	records_free(m); /* with LeakSanitizer: every indirect key and elem freed */
}

/* ---- clear ---- */

static void test_clear(void)
{
	struct model m;
	struct rng r = {3};
	CHECK(model_init(&m, kind_by_name("u64"), 20000, 0), "hmap_make failed");
	for (uint32_t i = 0; i < 10000; i++)
		model_put(&m, i, i);
	model_clear(&m);
	model_check_all(&m);
	CHECK(!m.h->oldbuckets && m.h->noverflow == 0, "clear left growth state");

	/* Clear in the middle of a growth. */
	uint32_t i = 0;
	for (; !m.h->oldbuckets; i++)
		model_put(&m, i, i);
	model_put(&m, i, i);
	i++;
	CHECK(m.h->oldbuckets && check_invariants(m.h).old_evacuated > 0, "not mid-growth");
	model_clear(&m);
	CHECK(!m.h->oldbuckets && !(m.h->flags & hmap_sameSizeGrow) && m.h->nevacuate == 0,
	      "clear during growth left growth state");
	model_check_all(&m);
	for (uint32_t j = 0; j < 20000; j++)
		model_put(&m, j, rng_next(&r));
	model_check_all(&m);

	/* Clear with a live iterator: the iteration ends; a new one sees only new entries. */
	struct hmap_iter it;
	hmap_iterinit(&it, m.h);
	CHECK(hmap_iternext(&it) && hmap_iternext(&it), "iteration over a full map ended");
	model_clear(&m);
	CHECK(!hmap_iternext(&it) && !hmap_iternext(&it), "iteration went on after clear");
	for (uint32_t j = 0; j < 50; j++)
		model_put(&m, j * 7, j);
	CHECK(model_iterate(&m, &r, 0, 0) == 50, "iteration after clear");
	model_check_all(&m);
	model_free(&m);

	/* Clear of an indirect map during growth with an iterator (memory: LeakSanitizer). */
	CHECK(model_init(&m, kind_by_name("big"), 3000, 0), "hmap_make failed");
	for (i = 0; !m.h->oldbuckets || i < 300; i++)
		model_put(&m, i, i);
	hmap_iterinit(&it, m.h);
	CHECK(hmap_iternext(&it), "iteration over a full map ended");
	model_delete(&m, 5);
	model_clear(&m);
	CHECK(!hmap_iternext(&it), "iteration went on after clear");
	model_put(&m, 1, 1);
	model_check_all(&m);
	model_free(&m);
}

/* ---- iteration ---- */

static void test_iteration(void)
{
	struct rng r = {9};
	static const uint32_t sizes[] = {1, 7, 8, 9, 13, 100, 10000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct model m;
		CHECK(model_init(&m, kind_by_name("u64"), 2 * sizes[s], 0), "hmap_make failed");
		for (uint32_t i = 0; i < sizes[s]; i++)
			model_put(&m, i, rng_next(&r));
		CHECK(model_iterate(&m, &r, 0, 0) == sizes[s], "iteration of %u entries", sizes[s]);
		/* Deletes during iteration, of returned keys and others. */
		model_iterate(&m, &r, 400, 0);
		model_check_all(&m);
		model_free(&m);
	}

	/* Growth during iteration: inserts double the map twice or more while it is walked. */
	struct model m;
	enum { growth_keys = 40000, all_keys = 100000 };
	CHECK(model_init(&m, kind_by_name("u64"), all_keys, 0), "hmap_make failed");
	for (uint32_t i = 0; i < 2000; i++)
		model_put(&m, i, i);
	uint8_t B = m.h->B;
	struct hmap_iter it;
	hmap_iterinit(&it, m.h);
	uint8_t *seen = calloc(growth_keys, 1);
	uint32_t next_new = 2000;
	size_t returned = 0;
	while (hmap_iternext(&it)) {
		uint32_t i = m.kind->index_of(it.key);
		CHECK(!seen[i], "key %u returned twice during growth", i);
		CHECK(m.present[i], "key %u returned but absent", i);
		check_elem(it.elem, 8, m.value[i], "iteration during growth");
		seen[i] = 1;
		returned++;
		for (int j = 0; j < 10 && next_new < growth_keys; j++, next_new++)
			model_put(&m, next_new, next_new);
		if (returned % 3 == 0)
			model_put(&m, i, rng_next(&r)); /* overwrite: still returned once */
	}
	for (uint32_t i = 0; i < 2000; i++)
		CHECK(seen[i], "key %u, present throughout, missed during growth", i);
	CHECK(m.h->B >= B + 2, "the map did not grow twice during iteration (B %u -> %u)", B, m.h->B);
	free(seen);
	model_check_all(&m);

	/* An iteration that starts in the middle of a growth, plain and with deletes and inserts. */
	while (!m.h->oldbuckets && next_new < all_keys)
		model_put(&m, next_new++, 1);
	CHECK(m.h->oldbuckets, "no growth");
	CHECK(model_iterate(&m, &r, 0, 0) == (size_t)m.count, "iteration started during growth");
	CHECK(m.h->oldbuckets, "growth ended");
	model_iterate(&m, &r, 200, 300);
	model_check_all(&m);
	model_free(&m);

	/* Iteration starts at a random bucket and offset. */
	counts *c = counts_new(0);
	for (uint64_t k = 0; k < 100; k++)
		counts_put(c, k, k);
	uint64_t first[20];
	bool differs = false;
	for (int j = 0; j < 20; j++) {
		counts_iter ci;
		counts_iter_init(&ci, c);
		CHECK(counts_iter_next(&ci, &first[j], NULL), "iteration empty");
		while (counts_iter_next(&ci, NULL, NULL))
			;
		differs |= first[j] != first[0];
	}
	CHECK(differs, "20 iterations all started at key %llu", (unsigned long long)first[0]);
	counts_free(c);
}

/* A NULL map is Go's nil map, for everything but put. */
static void test_nil_map(void)
{
	counts *m = NULL;
	CHECK(counts_len(m) == 0 && counts_get(m, 1) == NULL && !counts_delete(m, 1), "nil map");
	counts_clear(m);
	counts_iter it;
	counts_iter_init(&it, m);
	CHECK(!counts_iter_next(&it, NULL, NULL), "iteration over a nil map returned an entry");
	counts_free(m);
}

/* ---- allocation failure ---- */

static long alloc_budget = -1; /* allocations that may still succeed; -1: all */
static unsigned long alloc_failures;

static void *budget_alloc(size_t nmemb, size_t size)
{
	if (alloc_budget == 0) {
		alloc_failures++;
		return NULL;
	}
	if (alloc_budget > 0)
		alloc_budget--;
	return calloc(nmemb, size);
}

/*
 * For N = 0, 1, 2, ...: allocations after the first N fail. A map that
 * cannot be made is NULL; a put that fails returns NULL and leaves the map
 * exactly as it was (checked against the model); deletes keep working during
 * a growth that cannot proceed. Once memory is back, the same map takes
 * every key. The sweep ends at the first N that no operation fails for.
 */
static void alloc_failure_sweep(const struct key_kind *kind)
{
	hmap_set_allocator(budget_alloc, free);
	long n;
	for (n = 0; n < 100000; n++) {
		struct rng r = {(uint64_t)n};
		struct model m;
		alloc_budget = n;
		alloc_failures = 0;
		if (!model_init(&m, kind, 400, n % 2 ? 0 : 40)) {
			model_free(&m);
			continue;
		}
		unsigned failed_puts = 0;
		for (int op = 0; op < 800; op++) {
			uint32_t i = rng_below(&r, 400);
			if (rng_below(&r, 10) < 7) {
				/* model_put checks the key's own state after a failure; the whole map, at first. */
				if (!model_put(&m, i, rng_next(&r)) && ++failed_puts <= 4)
					model_check_all(&m);
			} else {
				model_delete(&m, i);
			}
		}
		alloc_budget = -1;
		for (uint32_t i = 0; i < 400; i++)
			CHECK(model_put(&m, i, i), "put failed with memory back");
		model_check_all(&m);
		model_free(&m);
		if (alloc_failures == 0)
			break;
		CHECK(failed_puts > 0 || n > 0, "allocations failed but no put did");
	}
	hmap_set_allocator(NULL, NULL);
	CHECK(n > 10 && n < 100000, "sweep of %s ended at N=%ld", kind->name, n);
	printf("allocation failure sweep %s: N = 0..%ld\n", kind->name, n);
}

static void test_alloc_failure(void)
{
	alloc_failure_sweep(kind_by_name("u64"));
	alloc_failure_sweep(kind_by_name("big"));
	alloc_failure_sweep(kind_by_name("str"));
}

/*
 * Memory an iterator may still read is parked while an iteration is live and
 * freed when the last one ends; a clear ends every iteration and frees it.
 * Counted through an allocator that knows how many blocks it has out.
 */
static long blocks_out;
static void *counting_alloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb, size);
	blocks_out += p != NULL;
	return p;
}
static void counting_release(void *p)
{
	blocks_out -= p != NULL;
	free(p);
}

static void test_retired_memory(void)
{
	hmap_set_allocator(counting_alloc, counting_release);
	records *m = records_new(0);
	for (uint32_t i = 0; i < 100; i++)
		records_put(m, (struct wide_id){.id = i}, (struct record){"r"});
	long full = blocks_out;

	/* Deletes during an iteration: each key and elem block stays until it ends. */
	records_iter it;
	records_iter_init(&it, m);
	CHECK(records_iter_next(&it, NULL, NULL), "iteration empty");
	for (uint32_t i = 0; i < 10; i++)
		CHECK(records_delete(m, (struct wide_id){.id = i}), "delete failed");
	CHECK(blocks_out >= full, "deleted blocks freed under a live iteration (%ld < %ld)", blocks_out, full);
	while (records_iter_next(&it, NULL, NULL))
		;
	CHECK(blocks_out == full - 20, "%ld blocks out after the iteration ended, expected %ld", blocks_out,
	      full - 20);

	/* Without an iteration, a delete frees at once. */
	CHECK(records_delete(m, (struct wide_id){.id = 50}) && blocks_out == full - 22,
	      "a delete with no iteration did not free its key and elem");

	/* An iteration ended early with iter_done frees what it held, and only once. */
	records_iter_init(&it, m);
	CHECK(records_iter_next(&it, NULL, NULL), "iteration empty");
	CHECK(records_delete(m, (struct wide_id){.id = 60}) && blocks_out >= full - 22,
	      "deleted blocks freed under a live iteration");
	records_iter_done(&it);
	CHECK(blocks_out == full - 24, "%ld blocks out after iter_done, expected %ld", blocks_out, full - 24);
	records_iter_done(&it);
	CHECK(!records_iter_next(&it, NULL, NULL), "iteration went on after iter_done");
	CHECK(records_delete(m, (struct wide_id){.id = 61}) && blocks_out == full - 26,
	      "a second iter_done left the map counting an iteration as live");

	/* Growth under an abandoned iteration keeps the old array; clear frees it all. */
	records_iter_init(&it, m);
	CHECK(records_iter_next(&it, NULL, NULL), "iteration empty");
	for (uint32_t i = 100; i < 2000; i++)
		records_put(m, (struct wide_id){.id = i}, (struct record){"r"});
	long grown = blocks_out;
	records_clear(m);
	CHECK(!records_iter_next(&it, NULL, NULL), "iteration went on after clear");
	CHECK(blocks_out < grown - 2 * 1800, "clear left %ld blocks out (from %ld)", blocks_out, grown);
	long cleared = blocks_out;
	records_put(m, (struct wide_id){.id = 1}, (struct record){"r"});
	CHECK(records_delete(m, (struct wide_id){.id = 1}) && blocks_out == cleared,
	      "after clear, memory is parked as if an iteration were live");
	records_free(m);
	CHECK(blocks_out == 0, "%ld blocks out after free", blocks_out);
	hmap_set_allocator(NULL, NULL);
}

/* ---- death cases: each must abort with the runtime's message ---- */

static void death_nil_put(void)
{
	counts *m = NULL;
	counts_put(m, 1, 1);
}

/*
 * A deterministic race: a writer thread stops inside a write (in the
 * allocator, while its growth allocates the new bucket array) and stays
 * there; then the main thread touches the map.
 */
static sem_t writer_inside;
static void *stopping_alloc(size_t nmemb, size_t size)
{
	(void)nmemb, (void)size;
	sem_post(&writer_inside);
	for (;;)
		pause();
	return NULL;
}

static void *writer_thread(void *arg)
{
	counts_put(arg, 1000, 1); /* the 9th key of a one-bucket map: it grows */
	return NULL;
}

static counts *map_with_writer_inside(counts_iter *it)
{
	counts *m = counts_new(0);
	for (uint64_t k = 0; k < 8; k++)
		counts_put(m, k, k);
	if (it) {
		counts_iter_init(it, m);
		counts_iter_next(it, NULL, NULL);
	}
	sem_init(&writer_inside, 0, 0);
	hmap_set_allocator(stopping_alloc, free);
	pthread_t t;
	pthread_create(&t, NULL, writer_thread, m);
	sem_wait(&writer_inside);
	return m;
}

static void death_concurrent_writes(void) { counts_put(map_with_writer_inside(NULL), 2000, 2); }
static void death_concurrent_delete(void) { counts_delete(map_with_writer_inside(NULL), 3); }
static void death_concurrent_read(void) { counts_get(map_with_writer_inside(NULL), 3); }
static void death_concurrent_iteration(void)
{
	counts_iter it;
	map_with_writer_inside(&it);
	counts_iter_next(&it, NULL, NULL);
}

/* ---- driver ---- */

struct test_case {
	const char *name;
	void (*run)(void);
};

static const struct test_case cases[] = {
	{"model_u64", test_model_u64},
	{"model_kinds", test_model_kinds},
	{"emptyrest_walk", test_emptyrest_walk},
	{"delete_clears_cells", test_delete_clears_cells},
	{"reseed_when_empty", test_reseed_when_empty},
	{"evacuation_snapshots", test_evacuation_snapshots},
	{"same_size_grow", test_same_size_grow},
	{"hint", test_hint},
	{"string_keys", test_string_keys},
	{"struct_keys", test_struct_keys},
	{"indirect", test_indirect},
	{"clear", test_clear},
	{"iteration", test_iteration},
	{"nil_map", test_nil_map},
	{"alloc_failure", test_alloc_failure},
	{"retired_memory", test_retired_memory},
};

static const struct test_case death_cases[] = {
	{"nil_put", death_nil_put},
	{"concurrent_writes", death_concurrent_writes},
	{"concurrent_delete", death_concurrent_delete},
	{"concurrent_read", death_concurrent_read},
	{"concurrent_iteration", death_concurrent_iteration},
};

static const struct test_case *find_case(const struct test_case *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && (strcmp(argv[1], "--list") == 0 || strcmp(argv[1], "--list-death") == 0)) {
		bool death = strcmp(argv[1], "--list-death") == 0;
		const struct test_case *list = death ? death_cases : cases;
		size_t n = death ? NCASES(death_cases) : NCASES(cases);
		for (size_t i = 0; i < n; i++)
			puts(list[i].name);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--death") == 0) {
		const struct test_case *c = find_case(death_cases, NCASES(death_cases), argv[2]);
		if (!c) {
			fprintf(stderr, "hmap_test: no death case \"%s\" (see --list-death)\n", argv[2]);
			return 2;
		}
		c->run();
		fprintf(stderr, "hmap_test: death case %s returned instead of aborting\n", c->name);
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "--leak") == 0) {
		counts *m = counts_new(0);
		counts_put(m, 1, 1);
		m = NULL;
		return 0;
	}
	for (int a = 1; a < argc; a++)
		if (!find_case(cases, NCASES(cases), argv[a])) {
			fprintf(stderr, "hmap_test: no case \"%s\" (see --list)\n", argv[a]);
			return 2;
		}
	for (size_t i = 0; i < NCASES(cases); i++) {
		bool wanted = argc == 1;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], cases[i].name) == 0;
		if (!wanted)
			continue;
		fprintf(stderr, "case %s\n", cases[i].name);
		cases[i].run();
		printf("PASS %s\n", cases[i].name);
	}
	return 0;
}
