/*
 * hmap_check: structural invariants, map types under test, and the reference
 * model that the hmap tests and the fuzzer drive the map against.
 */
#include "hmap_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* ---- memory of a map, read through its descriptor ---- */

void *bucket_at(const struct hmap *h, void *array, uintptr_t i)
{
	return (char *)array + i * h->type->bucketsize;
}

uint8_t *bucket_tophash(void *b) { return (uint8_t *)b; }

void *bucket_overflow(const struct hmap *h, void *b)
{
	void *ovf;
	memcpy(&ovf, (char *)b + h->type->overflow_offset, sizeof ovf);
	return ovf;
}

void *cell_key(const struct hmap *h, void *b, unsigned i)
{
	char *cell = (char *)b + h->type->keys_offset + (size_t)i * h->type->keysize;
	return (h->type->flags & hmap_indirectKey) ? *(void **)cell : cell;
}

void *cell_elem(const struct hmap *h, void *b, unsigned i)
{
	char *cell = (char *)b + h->type->elems_offset + (size_t)i * h->type->elemsize;
	return (h->type->flags & hmap_indirectElem) ? *(void **)cell : cell;
}

uint8_t expected_tophash(uint64_t hash)
{
	uint8_t top = (uint8_t)(hash >> 56);
	return top < hmap_minTopHash ? (uint8_t)(top + hmap_minTopHash) : top;
}

uintptr_t old_bucket_count(const struct hmap *h)
{
	return (uintptr_t)1 << (h->flags & hmap_sameSizeGrow ? h->B : h->B - 1);
}

static bool is_evacuated_state(uint8_t top)
{
	return top >= hmap_evacuatedX && top <= hmap_evacuatedEmpty;
}

/* A walk longer than this many buckets is taken for a cycle. */
enum { max_chain_walk = 1 << 20 };

/*
 * Checks one chain of live (not evacuated) buckets, new or old:
 *  - no cell is in an evacuated state;
 *  - every live cell's tophash is tophash(hash), its hash selects this
 *    bucket under mask, and hmap_access finds it at this very cell;
 *  - after an emptyRest cell, every later cell of the chain is emptyRest;
 *  - the last cell of the chain that is not emptyRest is live (delete turns
 *    any trailing run of emptyOne into emptyRest).
 * Returns the number of live cells; *buckets gets the chain's length.
 */
static int64_t check_live_chain(struct hmap *h, void *b, uintptr_t index, uintptr_t mask,
				const char *which, unsigned *buckets)
{
	int64_t live = 0;
	bool rest = false;
	uint8_t last_not_rest = hmap_emptyRest;
	unsigned n = 0;
	for (; b; b = bucket_overflow(h, b)) {
		CHECK(++n < max_chain_walk, "%s bucket %zu: overflow chain does not end", which,
		      (size_t)index);
		const uint8_t *th = bucket_tophash(b);
		for (unsigned i = 0; i < hmap_bucketCnt; i++) {
			uint8_t top = th[i];
			CHECK(!is_evacuated_state(top),
			      "%s bucket %zu (chain %u) slot %u: state %u in a bucket not evacuated", which,
			      (size_t)index, n - 1, i, top);
			if (rest)
				CHECK(top == hmap_emptyRest,
				      "%s bucket %zu (chain %u) slot %u: tophash %#x after an emptyRest", which,
				      (size_t)index, n - 1, i, top);
			if (top == hmap_emptyRest) {
				rest = true;
				continue;
			}
			last_not_rest = top;
			if (top < hmap_minTopHash)
				continue;
			live++;
			void *key = cell_key(h, b, i);
			uint64_t hash = hmap_hash(h, key);
			CHECK(top == expected_tophash(hash),
			      "%s bucket %zu slot %u: tophash %#x, the key's is %#x", which, (size_t)index, i,
			      top, expected_tophash(hash));
			CHECK((hash & mask) == index, "%s bucket %zu slot %u: key belongs in bucket %zu",
			      which, (size_t)index, i, (size_t)(hash & mask));
			void *found = hmap_access(h, key);
			CHECK(found == cell_elem(h, b, i),
			      "%s bucket %zu slot %u: lookup of its key gives %p, not the cell's elem %p",
			      which, (size_t)index, i, found, cell_elem(h, b, i));
		}
	}
	CHECK(last_not_rest == hmap_emptyRest || last_not_rest >= hmap_minTopHash,
	      "%s bucket %zu: chain ends in emptyOne cells that should be emptyRest", which,
	      (size_t)index);
	*buckets = n;
	return live;
}

/* Every cell of the chain is emptyRest: a new bucket whose old bucket is not yet evacuated. */
static void check_fresh_chain(const struct hmap *h, void *b, uintptr_t index)
{
	unsigned n = 0;
	for (; b; b = bucket_overflow(h, b)) {
		CHECK(++n < max_chain_walk, "new bucket %zu: overflow chain does not end", (size_t)index);
		for (unsigned i = 0; i < hmap_bucketCnt; i++)
			CHECK(bucket_tophash(b)[i] == hmap_emptyRest,
			      "new bucket %zu slot %u: tophash %#x before its old bucket is evacuated",
			      (size_t)index, i, bucket_tophash(b)[i]);
	}
}

/*
 * An evacuated old bucket: every cell is evacuatedX, evacuatedY or
 * evacuatedEmpty, and X/Y agree with the hash bit the growth added (a
 * same-size growth has only X). Indirect keys of evacuated cells may have
 * been freed since (deleted from the new table), so they are not hashed.
 */
static void check_evacuated_chain(struct hmap *h, void *b, uintptr_t index, uintptr_t newbit)
{
	bool same_size = h->flags & hmap_sameSizeGrow;
	unsigned n = 0;
	for (; b; b = bucket_overflow(h, b)) {
		CHECK(++n < max_chain_walk, "old bucket %zu: overflow chain does not end", (size_t)index);
		for (unsigned i = 0; i < hmap_bucketCnt; i++) {
			uint8_t top = bucket_tophash(b)[i];
			CHECK(is_evacuated_state(top), "old bucket %zu (chain %u) slot %u: tophash %#x in an evacuated bucket",
			      (size_t)index, n - 1, i, top);
			if (top == hmap_evacuatedEmpty || (h->type->flags & hmap_indirectKey))
				continue;
			CHECK(!(same_size && top == hmap_evacuatedY),
			      "old bucket %zu slot %u: evacuatedY in a same-size growth", (size_t)index, i);
			if (same_size)
				continue;
			bool y = (hmap_hash(h, cell_key(h, b, i)) & newbit) != 0;
			CHECK(top == (y ? hmap_evacuatedY : hmap_evacuatedX),
			      "old bucket %zu slot %u: marked %s but the key's hash sends it to %s", (size_t)index,
			      i, top == hmap_evacuatedX ? "evacuatedX" : "evacuatedY", y ? "Y" : "X");
		}
	}
}

struct map_stats check_invariants(struct hmap *h)
{
	struct map_stats st = {0};
	CHECK(h->type && h->type->magic == hmap_typeMagic, "map %p: no type descriptor", (void *)h);
	CHECK(!(h->flags & hmap_hashWriting), "hashWriting set between operations");
	CHECK(h->count >= 0, "count %lld is negative", (long long)h->count);
	if (!h->buckets) {
		CHECK(h->count == 0 && !h->oldbuckets, "no buckets, but count %lld", (long long)h->count);
		return st;
	}
	bool growing = h->oldbuckets != NULL;
	if (!growing)
		CHECK(!(h->flags & hmap_sameSizeGrow), "sameSizeGrow set while not growing");
	uintptr_t nbuckets = (uintptr_t)1 << h->B;
	uintptr_t nold = growing ? old_bucket_count(h) : 0;
	if (growing) {
		CHECK(h->flags & hmap_sameSizeGrow ? nold == nbuckets : 2 * nold == nbuckets,
		      "B %u and sameSizeGrow disagree with the old size", h->B);
		CHECK(h->nevacuate < nold, "growing, but nevacuate %zu >= %zu old buckets",
		      (size_t)h->nevacuate, (size_t)nold);
		for (uintptr_t j = 0; j < nold; j++) {
			void *ob = bucket_at(h, h->oldbuckets, j);
			bool evacuated = is_evacuated_state(bucket_tophash(ob)[0]);
			CHECK(evacuated || j >= h->nevacuate,
			      "old bucket %zu is below nevacuate %zu but not evacuated", (size_t)j,
			      (size_t)h->nevacuate);
			if (evacuated) {
				st.old_evacuated++;
				check_evacuated_chain(h, ob, j, nold);
				continue;
			}
			unsigned len;
			st.live_old += check_live_chain(h, ob, j, nold - 1, "old", &len);
			/* Its new buckets stay empty until it is evacuated. */
			check_fresh_chain(h, bucket_at(h, h->buckets, j), j);
			if (!(h->flags & hmap_sameSizeGrow))
				check_fresh_chain(h, bucket_at(h, h->buckets, j + nold), j + nold);
		}
	}
	for (uintptr_t i = 0; i < nbuckets; i++) {
		unsigned len;
		st.live_new += check_live_chain(h, bucket_at(h, h->buckets, i), i, nbuckets - 1, "new", &len);
		st.overflow_new += len - 1;
		if (len > st.max_chain)
			st.max_chain = len;
	}
	CHECK(h->count == st.live_new + st.live_old, "count %lld, but %lld live cells (%lld new, %lld old)",
	      (long long)h->count, (long long)(st.live_new + st.live_old), (long long)st.live_new,
	      (long long)st.live_old);
	/* Below B = 16 noverflow is exact: every overflow bucket made since the growth began is chained. */
	if (h->B < 16)
		CHECK(h->noverflow == st.overflow_new, "noverflow %u, but %zu overflow buckets chained",
		      h->noverflow, (size_t)st.overflow_new);
	return st;
}

/* ---- elems ---- */

static uint8_t elem_byte(uint64_t value, size_t j) { return (uint8_t)((value >> (8 * (j % 8))) + j / 8); }

void fill_elem(void *elem, size_t size, uint64_t value)
{
	for (size_t j = 0; j < size; j++)
		((uint8_t *)elem)[j] = elem_byte(value, j);
}

void check_elem(const void *elem, size_t size, uint64_t value, const char *what)
{
	for (size_t j = 0; j < size; j++)
		CHECK(((const uint8_t *)elem)[j] == elem_byte(value, j),
		      "%s: elem byte %zu is %#x, expected %#x (value %#llx)", what, j,
		      ((const uint8_t *)elem)[j], elem_byte(value, j), (unsigned long long)value);
}

/* ---- map types under test ---- */

/* Keys are a bijection of their number, so a key read from the map gives its number back. */
static const uint64_t key64_mul = 0x9e3779b97f4a7c15ull, key64_xor = 0x5bd1e9955bd1e995ull;

/* The inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits). */
static uint64_t inverse_mod_2_64(uint64_t a)
{
	uint64_t x = a;
	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

static uint32_t checked_index(uint64_t i, const char *kind)
{
	CHECK(i < UINT32_MAX, "%s key decodes to %llu, not a key the test made", kind,
	      (unsigned long long)i);
	return (uint32_t)i;
}

HMAP_DEFINE(u64_map, uint64_t, uint64_t);
static void u64_key(uint32_t i, void *out)
{
	uint64_t k = ((uint64_t)i + 1) * key64_mul ^ key64_xor;
	memcpy(out, &k, 8);
}
static uint32_t u64_index(const void *key)
{
	uint64_t k;
	memcpy(&k, key, 8);
	return checked_index((k ^ key64_xor) * inverse_mod_2_64(key64_mul) - 1, "u64");
}

HMAP_DEFINE(u32_map, uint32_t, uint32_t);
static void u32_key(uint32_t i, void *out)
{
	uint32_t k = (i + 1) * (uint32_t)key64_mul ^ (uint32_t)key64_xor;
	memcpy(out, &k, 4);
}
static uint32_t u32_index(const void *key)
{
	uint32_t k;
	memcpy(&k, key, 4);
	return (uint32_t)((k ^ (uint32_t)key64_xor) * (uint32_t)inverse_mod_2_64(key64_mul)) - 1;
}

/* String keys: the test owns the bytes and keeps them alive for the whole run. */
HMAP_DEFINE_STR(str_map, int32_t);
static char **str_pool;
static size_t str_pool_len;
static void str_key(uint32_t i, void *out)
{
	if (i >= str_pool_len) {
		size_t len = str_pool_len ? str_pool_len : 1024;
		while (len <= i)
			len *= 2;
		str_pool = realloc(str_pool, len * sizeof *str_pool);
		CHECK(str_pool, "out of memory for string keys");
		memset(str_pool + str_pool_len, 0, (len - str_pool_len) * sizeof *str_pool);
		str_pool_len = len;
	}
	if (!str_pool[i]) {
		/* Lengths vary so that hashing covers short and long strings. */
		char buf[96];
		int n = snprintf(buf, sizeof buf, "key %u ", i);
		memset(buf + n, 'a' + i % 26, i % 48);
		buf[n + i % 48] = '\0';
		str_pool[i] = strdup(buf);
		CHECK(str_pool[i], "out of memory for string keys");
	}
	memcpy(out, &str_pool[i], sizeof(char *));
}
static uint32_t str_index(const void *key)
{
	const char *s;
	memcpy(&s, key, sizeof s);
	unsigned long i;
	CHECK(sscanf(s, "key %lu ", &i) == 1, "string key \"%s\" is not one the test made", s);
	CHECK(i < str_pool_len && str_pool[i] && strcmp(str_pool[i], s) == 0,
	      "string key \"%s\" is not one the test made", s);
	return (uint32_t)i;
}

/* A struct key without padding (its bytes are the key) and a small odd-sized elem. */
struct point {
	int32_t x, y, z;
};
struct rgb {
	uint8_t r, g, b;
};
HMAP_DEFINE(point_map, struct point, struct rgb);
static void point_key(uint32_t i, void *out)
{
	struct point p = {(int32_t)i, -(int32_t)i - 1, (int32_t)(i * 3u + 7u)};
	memcpy(out, &p, sizeof p);
}
static uint32_t point_index(const void *key)
{
	struct point p, q;
	memcpy(&p, key, sizeof p);
	point_key((uint32_t)p.x, &q);
	CHECK(memcmp(&p, &q, sizeof p) == 0, "point key (%d,%d,%d) is not one the test made", p.x, p.y,
	      p.z);
	return (uint32_t)p.x;
}

/* Keys and elems over 128 bytes: both stored indirectly. */
struct big_key {
	uint64_t w[25];
};
struct big_elem {
	uint8_t b[300];
};
HMAP_DEFINE(big_map, struct big_key, struct big_elem);
static void big_key(uint32_t i, void *out)
{
	struct big_key k;
	for (unsigned j = 0; j < 25; j++)
		k.w[j] = (uint64_t)i * (j + 1) + j;
	memcpy(out, &k, sizeof k);
}
static uint32_t big_index(const void *key)
{
	struct big_key k, q;
	memcpy(&k, key, sizeof k);
	big_key(checked_index(k.w[0], "big"), &q);
	CHECK(memcmp(&k, &q, sizeof k) == 0, "big key %llu is not one the test made",
	      (unsigned long long)k.w[0]);
	return (uint32_t)k.w[0];
}

/* Pointer keys: the key holds a pointer, so delete clears its cell. Never dereferenced. */
HMAP_DEFINE(ptr_map, const void *, uint64_t);
enum { ptr_key_base = 0x10000, ptr_key_stride = 16 };
static void ptr_key(uint32_t i, void *out)
{
	const void *p = (const void *)(uintptr_t)(ptr_key_base + (uint64_t)i * ptr_key_stride);
	memcpy(out, &p, sizeof p);
}
static uint32_t ptr_index(const void *key)
{
	uintptr_t p;
	memcpy(&p, key, sizeof p);
	CHECK(p >= ptr_key_base && (p - ptr_key_base) % ptr_key_stride == 0,
	      "pointer key %#zx is not one the test made", (size_t)p);
	return checked_index((p - ptr_key_base) / ptr_key_stride, "pointer");
}

static const struct key_kind u64_kind = {"u64", &u64_map_hmap_type, u64_key, u64_index};
static const struct key_kind u32_kind = {"u32", &u32_map_hmap_type, u32_key, u32_index};
static const struct key_kind str_kind = {"str", &str_map_hmap_type, str_key, str_index};
static const struct key_kind point_kind = {"point", &point_map_hmap_type, point_key, point_index};
static const struct key_kind big_kind = {"big", &big_map_hmap_type, big_key, big_index};
static const struct key_kind ptr_kind = {"ptr", &ptr_map_hmap_type, ptr_key, ptr_index};

const struct key_kind *const all_kinds[] = {&u64_kind, &u32_kind, &str_kind, &point_kind, &big_kind, &ptr_kind};
const size_t n_all_kinds = sizeof all_kinds / sizeof all_kinds[0];

const struct key_kind *kind_by_name(const char *name)
{
	for (size_t i = 0; i < n_all_kinds; i++)
		if (strcmp(all_kinds[i]->name, name) == 0)
			return all_kinds[i];
	return NULL;
}

/* ---- the reference model ---- */

bool model_init(struct model *m, const struct key_kind *kind, uint32_t nkeys, size_t hint)
{
	memset(m, 0, sizeof *m);
	m->kind = kind;
	m->nkeys = nkeys;
	m->present = calloc(nkeys, 1);
	m->value = calloc(nkeys, sizeof *m->value);
	m->keybuf = calloc(1, kind->type->key_size);
	m->elembuf = calloc(1, kind->type->elem_size);
	CHECK(m->present && m->value && m->keybuf && m->elembuf, "out of memory for the model");
	m->h = hmap_make(kind->type, hint);
	if (!m->h)
		return false;
	CHECK(m->h->type == kind->type, "a new map does not point to its type descriptor");
	CHECK(m->h->count == 0, "a new map has count %lld", (long long)m->h->count);
	return true;
}

void model_free(struct model *m)
{
	hmap_free(m->h);
	free(m->present);
	free(m->value);
	free(m->keybuf);
	free(m->elembuf);
	memset(m, 0, sizeof *m);
}

void model_get(struct model *m, uint32_t i)
{
	m->kind->make_key(i, m->keybuf);
	void *e = hmap_access(m->h, m->keybuf);
	if (!m->present[i]) {
		CHECK(e == NULL, "%s key %u: absent, but get finds it", m->kind->name, i);
		return;
	}
	CHECK(e != NULL, "%s key %u: present, but get does not find it", m->kind->name, i);
	check_elem(e, m->kind->type->elem_size, m->value[i], "get");
}

bool model_put(struct model *m, uint32_t i, uint64_t value)
{
	const struct hmap_type *t = m->kind->type;
	m->kind->make_key(i, m->keybuf);
	fill_elem(m->elembuf, t->elem_size, value);
	void *e = hmap_assign(m->h, m->keybuf, m->elembuf);
	if (!e) {
		/* Out of memory: the map must be as it was. */
		CHECK(m->h->count == m->count, "a failed put changed count from %lld to %lld",
		      (long long)m->count, (long long)m->h->count);
		model_get(m, i);
		return false;
	}
	check_elem(e, t->elem_size, value, "put's result");
	if (!m->present[i]) {
		m->present[i] = 1;
		m->count++;
	}
	m->value[i] = value;
	CHECK(m->h->count == m->count, "after put of key %u: count %lld, expected %lld", i,
	      (long long)m->h->count, (long long)m->count);
	return true;
}

void model_delete(struct model *m, uint32_t i)
{
	m->kind->make_key(i, m->keybuf);
	bool deleted = hmap_delete(m->h, m->keybuf);
	CHECK(deleted == (bool)m->present[i], "delete of %s key %u returned %d, expected %d",
	      m->kind->name, i, deleted, m->present[i]);
	if (deleted) {
		m->present[i] = 0;
		m->count--;
	}
	CHECK(m->h->count == m->count, "after delete of key %u: count %lld, expected %lld", i,
	      (long long)m->h->count, (long long)m->count);
}

void model_clear(struct model *m)
{
	hmap_clear(m->h);
	memset(m->present, 0, m->nkeys);
	m->count = 0;
	CHECK(m->h->count == 0, "count %lld after clear", (long long)m->h->count);
}

void model_check_all(struct model *m)
{
	check_invariants(m->h);
	CHECK(m->h->count == m->count, "count %lld, expected %lld", (long long)m->h->count,
	      (long long)m->count);
	for (uint32_t i = 0; i < m->nkeys; i++)
		model_get(m, i);
}

size_t model_iterate(struct model *m, struct rng *r, unsigned delete_permille, unsigned put_permille)
{
	/* seen[i]: returned so far; steady[i]: present at the start and not deleted since. */
	uint8_t *seen = calloc(m->nkeys, 1);
	uint8_t *steady = malloc(m->nkeys);
	CHECK(seen && steady, "out of memory for the model");
	memcpy(steady, m->present, m->nkeys);
	size_t returned = 0;
	struct hmap_iter it;
	hmap_iterinit(&it, m->h);
	while (hmap_iternext(&it)) {
		uint32_t i = m->kind->index_of(it.key);
		CHECK(i < m->nkeys, "iteration returned key %u of %u", i, m->nkeys);
		CHECK(!seen[i], "iteration returned %s key %u twice", m->kind->name, i);
		CHECK(m->present[i], "iteration returned %s key %u, which is not in the map", m->kind->name, i);
		check_elem(it.elem, m->kind->type->elem_size, m->value[i], "iteration");
		seen[i] = 1;
		returned++;
		if (rng_below(r, 1000) < delete_permille) {
			/* Half the time the key just returned, otherwise any key. */
			uint32_t d = rng_below(r, 2) ? i : rng_below(r, m->nkeys);
			if (m->present[d]) {
				/* A deleted key that comes back is a new entry: it may be returned again. */
				steady[d] = 0;
				seen[d] = 0;
			}
			model_delete(m, d);
		}
		if (rng_below(r, 1000) < put_permille)
			model_put(m, rng_below(r, m->nkeys), rng_next(r));
	}
	CHECK(it.key == NULL, "a finished iteration still points at a key");
	for (uint32_t i = 0; i < m->nkeys; i++)
		CHECK(!steady[i] || seen[i], "iteration missed %s key %u, present throughout",
		      m->kind->name, i);
	free(seen);
	free(steady);
	return returned;
}
