/*
 * hmap.c: the generic map engine, following Go 1.21's src/runtime/map.go.
 *
 * A map is a hash table. The data is arranged in an array of 2^B buckets;
 * each bucket holds up to 8 key/elem pairs. The low-order B bits of a key's
 * hash select its bucket; the high-order 8 bits (its "tophash") are kept in
 * the bucket so that a lookup compares whole keys only where the tophash
 * byte matches. More than 8 keys in a bucket chain on overflow buckets.
 *
 * Bucket layout (see struct NAME_bucket in hmap.h): tophash[8], then the 8
 * keys, then the 8 elems, then the overflow pointer. Keys grouped together and
 * elems grouped together need no padding between a key and its elem.
 *
 * A tophash byte below minTopHash is a slot state, not a hash:
 *   emptyRest   the cell is empty and so is every later cell of the chain:
 *               lookups stop here;
 *   emptyOne    the cell is empty (a deleted entry, or a hole before one);
 *   evacuatedX/Y/Empty  the bucket has been copied into the new table.
 * tophash() adds minTopHash to hash bytes that would collide with states.
 *
 * Growth. When an insert would push the average load past 6.5 per bucket, or
 * there are about as many overflow buckets as buckets (a same-size grow,
 * which compacts chains left sparse by deletes), hashGrow allocates a new
 * array and keeps the old one in oldbuckets. Nothing is copied then: every
 * later assign or delete first evacuates the old bucket its key maps to, and
 * one more (growWork), so growth costs O(1) per write. Old bucket i splits
 * into new buckets i ("X") and i + 2^(B-1) ("Y") by the newly used hash bit;
 * each moved cell is marked evacuatedX or evacuatedY in the old bucket.
 * nevacuate counts the old buckets below which all are evacuated; when it
 * reaches the old size, oldbuckets is dropped.
 *
 * Iteration. Iterators walk the bucket array in order from a random start
 * bucket and a random offset within buckets, then each chain in order. Keys
 * never move within their bucket array (if they did, an iterator could see a
 * key 0 or 2 times). An iterator started before a growth keeps walking the
 * array it started on; where a cell there says evacuatedX/Y, the entry's
 * current value is looked up in the live table (it may have been deleted or
 * updated). An iterator started during a growth walks the new array, and for
 * an old bucket not yet evacuated walks that old bucket instead, keeping only
 * the keys that will land in the new bucket it stands for.
 *
 * Memory. Go relies on its garbage collector to keep old bucket arrays alive
 * for iterators. Here, memory an iterator may still read (a replaced bucket
 * array, its overflow buckets, an indirect key or elem) is freed at once when
 * no iterator is live, and otherwise parked on the map's retired list until
 * the last live iterator finishes (or the map is cleared or freed).
 */
#define _GNU_SOURCE
#include "hmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

_Static_assert(hmap_evacuatedX + 1 == hmap_evacuatedY, "evacuatedX+useY is the evacuated state");
_Static_assert(hmap_bucketCnt == 8, "tophash arrays are 8 bytes");
_Static_assert(offsetof(struct hmap, count) == 0 && offsetof(struct hmap, flags) == 8 &&
		       offsetof(struct hmap, B) == 9 && offsetof(struct hmap, noverflow) == 10 &&
		       offsetof(struct hmap, hash0) == 12 && offsetof(struct hmap, buckets) == 16 &&
		       offsetof(struct hmap, oldbuckets) == 24 && offsetof(struct hmap, nevacuate) == 32 &&
		       offsetof(struct hmap, extra) == 40,
	       "struct hmap has Go's layout");

/* The Go names of the constants, so the code below reads as map.go does. */
enum {
	bucketCnt = hmap_bucketCnt,
	emptyRest = hmap_emptyRest,
	emptyOne = hmap_emptyOne,
	evacuatedX = hmap_evacuatedX,
	evacuatedY = hmap_evacuatedY,
	evacuatedEmpty = hmap_evacuatedEmpty,
	minTopHash = hmap_minTopHash,
	iterator = hmap_iterator,
	oldIterator = hmap_oldIterator,
	hashWriting = hmap_hashWriting,
	sameSizeGrow = hmap_sameSizeGrow,
};
static const uintptr_t noCheck = UINTPTR_MAX;

/* A bucket seen generically: its members are found through the map's type. */
typedef struct bmap bmap;

/* Overflow buckets allocated one by one for one bucket array (Go's mapextra.overflow). */
struct ovflist {
	void **v;
	size_t len, cap;
};

/* Memory an iterator may still read, freed when no iterator is live. */
struct retired {
	struct retired *next;
	void *mem;
};

struct hmap_extra {
	struct ovflist overflow;    /* overflow buckets of buckets */
	struct ovflist oldoverflow; /* overflow buckets of oldbuckets */
	bmap *nextOverflow;         /* next free preallocated overflow bucket */
	struct retired *retired;
	unsigned live_iterators;    /* iterators that have not yet returned false */
	uint64_t clearSeq;          /* incremented by each clear */
};

/* ---- allocation ---- */

static void *(*alloc_zeroed)(size_t, size_t) = calloc;
static void (*release)(void *) = free;

void hmap_set_allocator(void *(*a)(size_t, size_t), void (*r)(void *))
{
	alloc_zeroed = a ? a : calloc;
	release = r ? r : free;
}

/* ---- randomness: seeds and iteration starts ---- */

static uint64_t fixed_seed;
static int seed_mode; /* 0 unknown, 1 random, 2 fixed by HMAP_SEED */
static _Thread_local uint64_t rand_state;

static void init_seed_mode(void)
{
	if (__atomic_load_n(&seed_mode, __ATOMIC_ACQUIRE))
		return;
	const char *s = getenv("HMAP_SEED");
	int mode = 1;
	if (s && *s) {
		char *end;
		unsigned long long v = strtoull(s, &end, 0);
		if (*end == '\0') {
			fixed_seed = v;
			mode = 2;
		}
	}
	/* Said once per process (threads racing here may each say it: harmless). */
	if (mode == 1 && s && *s && !__atomic_load_n(&seed_mode, __ATOMIC_ACQUIRE))
		fprintf(stderr, "hmap: HMAP_SEED=%s is not a number; seeds are random\n", s);
	__atomic_store_n(&seed_mode, mode, __ATOMIC_RELEASE);
}

/* splitmix64: a small, fast generator for iteration starts and noverflow sampling. */
static uint64_t fastrand64(void)
{
	if (rand_state == 0) {
		init_seed_mode();
		if (seed_mode == 2)
			rand_state = fixed_seed ^ 0x9e3779b97f4a7c15ull;
		else if (getrandom(&rand_state, sizeof rand_state, 0) != sizeof rand_state)
			rand_state = (uintptr_t)&rand_state ^ 0x2545f4914f6cdd1dull;
		rand_state |= 1;
	}
	uint64_t z = (rand_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A new hash seed: HMAP_SEED when set (every map, every reseed), else random. */
static uint32_t new_hash0(void)
{
	init_seed_mode();
	if (seed_mode == 2)
		return (uint32_t)fixed_seed;
	return (uint32_t)fastrand64();
}

/* ---- fatal errors: broken invariants and misuse, as Go's runtime throws ---- */

__attribute__((noreturn, cold)) static void fatal(const struct hmap *h, const char *what)
{
	fprintf(stderr, "fatal error: %s (map %s at %p)\n", what,
		h && h->type ? h->type->name : "?", (const void *)h);
	abort();
}

/* ---- small predicates, as in map.go ---- */

/* isEmpty reports whether the given tophash array entry represents an empty bucket entry. */
static inline bool isEmpty(uint8_t x) { return x <= emptyOne; }

/* bucketShift returns 1<<b. */
static inline uintptr_t bucketShift(uint8_t b) { return (uintptr_t)1 << (b & 63); }

/* bucketMask returns 1<<b - 1. */
static inline uintptr_t bucketMask(uint8_t b) { return bucketShift(b) - 1; }

/* tophash calculates the tophash value for hash. */
static inline uint8_t tophash(uint64_t hash)
{
	uint8_t top = (uint8_t)(hash >> 56);
	if (top < minTopHash)
		top += minTopHash;
	return top;
}

static inline uint8_t *bucket_tophash(bmap *b) { return (uint8_t *)b; }

/* evacuated reports whether the bucket has been evacuated into the new table. */
static inline bool evacuated(bmap *b)
{
	uint8_t h = bucket_tophash(b)[0];
	return h > emptyOne && h < minTopHash;
}

static inline bmap *bucket_at(const struct hmap *h, void *array, uintptr_t i)
{
	return (bmap *)((char *)array + i * h->type->bucketsize);
}

static inline bmap *overflow(const struct hmap *h, bmap *b)
{
	bmap *ovf;
	memcpy(&ovf, (char *)b + h->type->overflow_offset, sizeof ovf);
	return ovf;
}

static inline void setoverflow(const struct hmap *h, bmap *b, bmap *ovf)
{
	memcpy((char *)b + h->type->overflow_offset, &ovf, sizeof ovf);
}

static inline void *key_cell(const struct hmap *h, bmap *b, uintptr_t i)
{
	return (char *)b + h->type->keys_offset + i * h->type->keysize;
}

static inline void *elem_cell(const struct hmap *h, bmap *b, uintptr_t i)
{
	return (char *)b + h->type->elems_offset + i * h->type->elemsize;
}

/* The key a cell holds: the cell itself, or what it points to when indirect. */
static inline void *cell_key(const struct hmap *h, void *cell)
{
	return (h->type->flags & hmap_indirectKey) ? *(void **)cell : cell;
}

static inline void *cell_elem(const struct hmap *h, void *cell)
{
	return (h->type->flags & hmap_indirectElem) ? *(void **)cell : cell;
}

/* overLoadFactor reports whether count items placed in 1<<B buckets is over loadFactor. */
static inline bool overLoadFactor(int64_t count, uint8_t B)
{
	return count > bucketCnt &&
	       (uint64_t)count > hmap_loadFactorNum * (bucketShift(B) / hmap_loadFactorDen);
}

/*
 * tooManyOverflowBuckets reports whether noverflow buckets is too many for a
 * map with 1<<B buckets: "too many" means (approximately) as many overflow
 * buckets as regular buckets.
 */
static inline bool tooManyOverflowBuckets(uint16_t noverflow, uint8_t B)
{
	if (B > 15)
		B = 15;
	return noverflow >= (uint16_t)1 << (B & 15);
}

/* growing reports whether h is growing. The growth may be to the same size or bigger. */
static inline bool growing(const struct hmap *h) { return h->oldbuckets != NULL; }

/* sameSizeGrow reports whether the current growth is to a map of the same size. */
static inline bool isSameSizeGrow(const struct hmap *h) { return h->flags & sameSizeGrow; }

/* noldbuckets calculates the number of buckets prior to the current map growth. */
static inline uintptr_t noldbuckets(const struct hmap *h)
{
	uint8_t oldB = h->B;
	if (!isSameSizeGrow(h))
		oldB--;
	return bucketShift(oldB);
}

/* oldbucketmask provides a mask that can be applied to calculate n % noldbuckets(). */
static inline uintptr_t oldbucketmask(const struct hmap *h) { return noldbuckets(h) - 1; }

/* ---- hashing and key equality, by the type's hash kind ---- */

/*
 * Key shapes. Go has mapaccess1_fast32/fast64 and friends for 4- and 8-byte
 * keys; here the operations are written once, always inlined, and
 * instantiated with a constant key shape ks: 8 or 4 for keys of that many
 * bytes hashed by their bytes and stored in their cells, or any_key for
 * every type. With a constant size, hashing, comparing and addressing a key
 * compile to a few instructions. key_shape() picks the instance for a type.
 */
enum { any_key = 0 };

static inline uint32_t key_shape(const struct hmap_type *t)
{
	/* A key of 4 or 8 bytes is never indirect (only keys over hmap_maxKeySize are). */
	uint32_t size = t->key_size;
	if ((size == 8 || size == 4) && t->hash_kind == hmap_hashBytes)
		return size;
	return any_key;
}

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* return fn(args..., ks) when map type t has a key shape (8 or 4); else go on. */
#define RETURN_IF_KEY_SHAPE(t, fn, ...)                    \
	switch (key_shape(t)) {                            \
	case 8:                                            \
		return fn(__VA_ARGS__, 8);                 \
	case 4:                                            \
		return fn(__VA_ARGS__, 4);                 \
	}

/* return fn(args..., ks) with the constant key shape of map type t. */
#define RETURN_BY_KEY_SHAPE(t, fn, ...)                    \
	RETURN_IF_KEY_SHAPE(t, fn, __VA_ARGS__)            \
	return fn(__VA_ARGS__, any_key)

/*
 * The same, with the any_key instance in a function of its own, fn_any: its
 * calls (XXH3 over a length, strlen, memcmp) would otherwise make every call
 * of the 8- and 4-byte instances, which call nothing, save and restore more
 * registers. For the lookup and delete, short enough that this costs
 * measurably. fn_any is called, not jumped to (the empty asm after the call
 * keeps it from being a tail call): the engine function stays on the stack
 * while it runs, where tools find the map operation.
 */
#define RETURN_BY_KEY_SHAPE_ANY_APART(t, fn, fn_any, ...)             \
	RETURN_IF_KEY_SHAPE(t, fn, __VA_ARGS__)                       \
	__typeof__(fn_any(__VA_ARGS__)) any_result = fn_any(__VA_ARGS__); \
	__asm__("" : "+r"(any_result));                               \
	return any_result

static ALWAYS_INLINE uint64_t hash_key_k(const struct hmap *h, const void *key, uint32_t ks)
{
	if (ks)
		return XXH3_64bits_withSeed(key, ks, h->hash0);
	if (h->type->hash_kind == hmap_hashString) {
		const char *s = *(const char *const *)key;
		return XXH3_64bits_withSeed(s, strlen(s), h->hash0);
	}
	return XXH3_64bits_withSeed(key, h->type->key_size, h->hash0);
}

static inline uint64_t hash_key(const struct hmap *h, const void *key)
{
	RETURN_BY_KEY_SHAPE(h->type, hash_key_k, h, key);
}

uint64_t hmap_hash(const struct hmap *h, const void *key) { return hash_key(h, key); }

static ALWAYS_INLINE bool key_equal_k(const struct hmap *h, const void *a, const void *b, uint32_t ks)
{
	if (ks == 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	if (ks == 4) {
		uint32_t x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return x == y;
	}
	if (h->type->hash_kind == hmap_hashString)
		return strcmp(*(const char *const *)a, *(const char *const *)b) == 0;
	return memcmp(a, b, h->type->key_size) == 0;
}

/* The key of cell i of b: in the cell, or behind its pointer (never for a key shape). */
static ALWAYS_INLINE void *key_of_cell(const struct hmap *h, bmap *b, uintptr_t i, uint32_t ks)
{
	if (ks)
		return (char *)b + h->type->keys_offset + i * ks;
	return cell_key(h, key_cell(h, b, i));
}

static inline void copy_value(void *dst, const void *src, uint32_t size)
{
	if (size == 8)
		memcpy(dst, src, 8);
	else if (size == 4)
		memcpy(dst, src, 4);
	else
		memcpy(dst, src, size);
}

static inline void clear_value(void *dst, uint32_t size)
{
	if (size == 8)
		memset(dst, 0, 8);
	else
		memset(dst, 0, size);
}

/*
 * A bucket's 8 tophash bytes read as one word (byte i is cell i), so that a
 * bucket is searched with a few word operations instead of 8 byte compares.
 */
static inline uint64_t tophash_group(bmap *b)
{
	uint64_t g;
	memcpy(&g, b, sizeof g);
	return g;
}

static const uint64_t lsb_bytes = 0x0101010101010101ull, msb_bytes = 0x8080808080808080ull;

/*
 * Bit 8i+7 is set for cells i whose byte may be zero; the lowest set bit is
 * always a zero byte (higher ones may be false, a borrow's doing), and there
 * is a set bit exactly when some byte is zero.
 */
static inline uint64_t zero_bytes(uint64_t g) { return (g - lsb_bytes) & ~g & msb_bytes; }

/* Candidate cells whose tophash may equal top (callers confirm the byte). */
static inline uint64_t match_tophash(uint64_t g, uint8_t top) { return zero_bytes(g ^ (lsb_bytes * top)); }

/* The lowest such bit is the first isEmpty (emptyRest or emptyOne) cell, if any. */
static inline uint64_t empty_cells(uint64_t g) { return zero_bytes(g & ~lsb_bytes); }

static inline unsigned first_cell(uint64_t bits) { return (unsigned)__builtin_ctzll(bits) / 8; }

/*
 * Requests the next two cache lines of bucket b (its keys and elems) while
 * its tophash line is being loaded: which key and elem cells an operation
 * reads is known only when the tophash bytes arrive, and waiting for them
 * would put two memory latencies in a row. A prefetch never faults.
 */
static inline void prefetch_bucket(bmap *b)
{
	__builtin_prefetch((const char *)b + 64);
	__builtin_prefetch((const char *)b + 128);
}

/*
 * All three lines of a bucket about to be written: an evacuation's
 * destinations, and assign's bucket while growWork evacuates. A write then
 * finds its line present instead of waiting for it with the store queue full.
 */
static inline void prefetch_bucket_for_write(bmap *b)
{
	__builtin_prefetch(b, 1);
	__builtin_prefetch((const char *)b + 64, 1);
	__builtin_prefetch((const char *)b + 128, 1);
}

/* ---- memory iterators may still read ---- */

/* Frees mem now, or when the last live iterator finishes (or never, when parking it runs out of memory). */
static void retire(struct hmap *h, void *mem)
{
	if (!mem)
		return;
	struct hmap_extra *x = h->extra;
	if (__atomic_load_n(&x->live_iterators, __ATOMIC_ACQUIRE) == 0) {
		release(mem);
		return;
	}
	struct retired *r = alloc_zeroed(1, sizeof *r);
	if (!r) {
		/* Keeping the memory is safe; only freeing it early is not. */
		return;
	}
	r->mem = mem;
	r->next = x->retired;
	x->retired = r;
}

static void drain_retired(struct hmap_extra *x)
{
	struct retired *r = __atomic_exchange_n(&x->retired, NULL, __ATOMIC_ACQ_REL);
	while (r) {
		struct retired *next = r->next;
		release(r->mem);
		release(r);
		r = next;
	}
}

static void retire_ovflist(struct hmap *h, struct ovflist *l)
{
	for (size_t i = 0; i < l->len; i++)
		retire(h, l->v[i]);
	release(l->v);
	*l = (struct ovflist){0};
}

/* ---- bucket arrays and overflow buckets ---- */

/*
 * A large bucket array is read at random places: with 4 KiB pages nearly
 * every lookup also misses the TLB. Ask for transparent huge pages on the
 * 2 MiB-aligned part of it (as Go's runtime does for its heap). Only advice:
 * the memory is fresh from the allocator and not yet touched, and where the
 * kernel declines nothing changes.
 */
static void advise_huge_pages(void *mem, size_t size)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	if (size < 2 * huge)
		return;
	uintptr_t start = ((uintptr_t)mem + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)mem + size) & ~(huge - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
}

/*
 * A bucket array for 2^b buckets holds, for b >= 4, 2^(b-4) spare buckets
 * after them that newoverflow hands out before it allocates.
 */
static inline uintptr_t bucketArrayLen(uint8_t b)
{
	return bucketShift(b) + (b >= 4 ? bucketShift(b - 4) : 0);
}

/*
 * The first spare bucket of a zeroed array of 2^b buckets, or NULL when it
 * has none; the last spare's overflow pointer is set to the array itself as
 * an end marker.
 */
static bmap *spareOverflow(const struct hmap *h, void *buckets, uint8_t b)
{
	uintptr_t base = bucketShift(b), nbuckets = bucketArrayLen(b);
	if (base == nbuckets)
		return NULL;
	setoverflow(h, bucket_at(h, buckets, nbuckets - 1), (bmap *)buckets);
	return bucket_at(h, buckets, base);
}

/* makeBucketArray allocates an array of 2^b buckets and its spares. */
static void *makeBucketArray(struct hmap *h, uint8_t b, bmap **nextOverflow)
{
	uintptr_t nbuckets = bucketArrayLen(b);
	void *buckets = alloc_zeroed(nbuckets, h->type->bucketsize);
	*nextOverflow = NULL;
	if (!buckets)
		return NULL;
	advise_huge_pages(buckets, nbuckets * h->type->bucketsize);
	*nextOverflow = spareOverflow(h, buckets, b);
	return buckets;
}

/* incrnoverflow increments h->noverflow, exactly while there are few buckets, then probabilistically. */
static void incrnoverflow(struct hmap *h)
{
	if (h->B < 16) {
		h->noverflow++;
		return;
	}
	/* Increment with probability 1/(1<<(B-15)): noverflow then counts in units of that. */
	uint32_t mask = ((uint32_t)1 << (h->B - 15)) - 1;
	if ((fastrand64() & mask) == 0)
		h->noverflow++;
}

static bool ovflist_push(struct ovflist *l, void *b)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void **v = alloc_zeroed(cap, sizeof *v);
		if (!v)
			return false;
		if (l->len)
			memcpy(v, l->v, l->len * sizeof *v);
		release(l->v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->len++] = b;
	return true;
}

/* newoverflow chains a fresh overflow bucket after b; NULL when out of memory (b is unchanged). */
static bmap *newoverflow(struct hmap *h, bmap *b)
{
	struct hmap_extra *x = h->extra;
	bmap *ovf;
	if (x->nextOverflow) {
		/* A preallocated bucket: the last one is marked by a non-NULL overflow pointer. */
		ovf = x->nextOverflow;
		if (overflow(h, ovf) == NULL) {
			x->nextOverflow = bucket_at(h, ovf, 1);
		} else {
			setoverflow(h, ovf, NULL);
			x->nextOverflow = NULL;
		}
	} else {
		ovf = alloc_zeroed(1, h->type->bucketsize);
		if (!ovf)
			return NULL;
		if (!ovflist_push(&x->overflow, ovf)) {
			release(ovf);
			return NULL;
		}
	}
	incrnoverflow(h);
	setoverflow(h, b, ovf);
	return ovf;
}

/* ---- make / free ---- */

struct hmap *hmap_make(const struct hmap_type *t, size_t hint)
{
	if (!t || t->magic != hmap_typeMagic)
		fatal(NULL, "hmap_make: not a map type descriptor");
	struct hmap *h = alloc_zeroed(1, sizeof *h);
	if (!h)
		return NULL;
	h->type = t;
	h->extra = alloc_zeroed(1, sizeof *h->extra);
	if (!h->extra) {
		release(h);
		return NULL;
	}
	h->hash0 = new_hash0();

	/* Find the size parameter B which will hold the requested number of elements. */
	uint8_t B = 0;
	while (B < 62 && overLoadFactor((int64_t)hint, B))
		B++;
	h->B = B;

	/*
	 * Allocate the initial hash table. For B == 0 the buckets are allocated
	 * lazily by the first assign.
	 */
	if (B != 0) {
		bmap *nextOverflow;
		h->buckets = makeBucketArray(h, B, &nextOverflow);
		if (!h->buckets) {
			release(h->extra);
			release(h);
			return NULL;
		}
		h->extra->nextOverflow = nextOverflow;
	}
	return h;
}

/* Frees the indirect keys and elems that the live cells of a chain own. */
static void free_indirect_cells(struct hmap *h, bmap *b)
{
	uint8_t fl = h->type->flags;
	if (!(fl & (hmap_indirectKey | hmap_indirectElem)))
		return;
	for (; b; b = overflow(h, b)) {
		for (uintptr_t i = 0; i < bucketCnt; i++) {
			if (bucket_tophash(b)[i] < minTopHash)
				continue;
			if (fl & hmap_indirectKey)
				retire(h, *(void **)key_cell(h, b, i));
			if (fl & hmap_indirectElem)
				retire(h, *(void **)elem_cell(h, b, i));
		}
	}
}

/*
 * Frees every entry-owned and table-owned block: both bucket arrays and their
 * overflow buckets, and the indirect cells live in them. Old buckets not yet
 * evacuated own their indirect cells; evacuated ones passed them on.
 */
static void release_tables(struct hmap *h)
{
	if (h->oldbuckets) {
		uintptr_t n = noldbuckets(h);
		for (uintptr_t i = 0; i < n; i++) {
			bmap *b = bucket_at(h, h->oldbuckets, i);
			if (!evacuated(b))
				free_indirect_cells(h, b);
		}
	}
	if (h->buckets) {
		uintptr_t n = bucketShift(h->B);
		for (uintptr_t i = 0; i < n; i++)
			free_indirect_cells(h, bucket_at(h, h->buckets, i));
	}
	retire_ovflist(h, &h->extra->overflow);
	retire_ovflist(h, &h->extra->oldoverflow);
	retire(h, h->oldbuckets);
	h->oldbuckets = NULL;
	h->extra->nextOverflow = NULL;
}

void hmap_free(struct hmap *h)
{
	if (!h)
		return;
	h->extra->live_iterators = 0; /* freeing a map ends its iterations */
	release_tables(h);
	release(h->buckets);
	drain_retired(h->extra);
	release(h->extra);
	release(h);
}

/* ---- lookup ---- */

/*
 * The bucket where a lookup of hash starts: the new bucket, or during growth
 * the old bucket that has not been evacuated yet.
 */
static inline bmap *lookup_bucket(const struct hmap *h, uint64_t hash)
{
	uintptr_t m = bucketMask(h->B);
	bmap *b = bucket_at(h, h->buckets, hash & m);
	if (__builtin_expect(h->oldbuckets != NULL, 0)) {
		if (!isSameSizeGrow(h))
			m >>= 1; /* there used to be half as many buckets; mask down one more power of two */
		bmap *oldb = bucket_at(h, h->oldbuckets, hash & m);
		if (!evacuated(oldb))
			b = oldb;
	}
	return b;
}

/* Where assign puts a key its walk did not find. */
struct insert_at {
	bmap *b;    /* the bucket of the first empty cell, NULL when the chain has none */
	unsigned i; /* that cell */
	bmap *tail; /* the last bucket walked: the chain's tail when b is NULL */
};

/*
 * Finds key in the chain starting at b: its bucket and slot, or false: the
 * lookup of access, delete, iteration and assign, which also passes ins to
 * learn the first empty cell on the way. As in Go, a bucket holding an
 * emptyRest cell ends the search.
 * (The cells of a bucket are tested all at once, so a match is looked for
 * before the emptyRest test; no live cell lies beyond an emptyRest anyway.)
 */
static ALWAYS_INLINE bool find_in_chain(const struct hmap *h, bmap *b, uint8_t top, const void *key,
					 uint32_t ks, bmap **found_b, uintptr_t *found_i,
					 struct insert_at *ins)
{
	/* b is not NULL: a map that has (had) entries has buckets. */
	do {
		uint64_t g = tophash_group(b);
		for (uint64_t m = match_tophash(g, top); m; m &= m - 1) {
			unsigned i = first_cell(m);
			if (bucket_tophash(b)[i] == top && key_equal_k(h, key, key_of_cell(h, b, i, ks), ks)) {
				*found_b = b;
				*found_i = i;
				return true;
			}
		}
		if (ins) {
			uint64_t empties = empty_cells(g);
			ins->tail = b;
			if (!ins->b && empties) {
				ins->b = b;
				ins->i = first_cell(empties);
			}
		}
		if (zero_bytes(g))
			return false;
		b = overflow(h, b);
	} while (b);
	return false;
}

static ALWAYS_INLINE void *access_k(struct hmap *h, const void *key, uint32_t ks)
{
	uint64_t hash = hash_key_k(h, key, ks);
	bmap *b = lookup_bucket(h, hash);
	uintptr_t i;
	prefetch_bucket(b);
	if (!find_in_chain(h, b, tophash(hash), key, ks, &b, &i, NULL))
		return NULL;
	return cell_elem(h, elem_cell(h, b, i));
}

static __attribute__((noinline)) void *access_any(struct hmap *h, const void *key)
{
	return access_k(h, key, any_key);
}

void *hmap_access(struct hmap *h, const void *key)
{
	if (!h || h->count == 0)
		return NULL;
	if (h->flags & hashWriting)
		fatal(h, "concurrent map read and map write");
	RETURN_BY_KEY_SHAPE_ANY_APART(h->type, access_k, access_any, h, key);
}

/* ---- growth ---- */

/* hashGrow starts a growth: it only allocates the new array; growWork and evacuate move entries. False when out of memory. */
__attribute__((noinline)) static bool hashGrow(struct hmap *h)
{
	/*
	 * If we've hit the load factor, get bigger. Otherwise there are too many
	 * overflow buckets, so keep the same number of buckets and "grow"
	 * laterally.
	 */
	uint8_t bigger = 1;
	if (!overLoadFactor(h->count + 1, h->B))
		bigger = 0;
	bmap *nextOverflow;
	void *newbuckets = makeBucketArray(h, h->B + bigger, &nextOverflow);
	if (!newbuckets)
		return false;
	uint8_t flags = h->flags & ~(iterator | oldIterator);
	if (h->flags & iterator)
		flags |= oldIterator;
	if (!bigger)
		flags |= sameSizeGrow;
	/* Commit the grow. */
	h->B += bigger;
	h->flags = flags;
	h->oldbuckets = h->buckets;
	h->buckets = newbuckets;
	h->nevacuate = 0;
	h->noverflow = 0;
	/* The current overflow buckets become the old ones. */
	h->extra->oldoverflow = h->extra->overflow;
	h->extra->overflow = (struct ovflist){0};
	h->extra->nextOverflow = nextOverflow;
	return true;
}

/* bucketEvacuated reports whether old bucket i has been evacuated. */
static inline bool bucketEvacuated(const struct hmap *h, uintptr_t i)
{
	return evacuated(bucket_at(h, h->oldbuckets, i));
}

/* evacDst is an evacuation destination. */
struct evacDst {
	bmap *b;       /* current destination bucket */
	uintptr_t i;   /* key/elem index into b */
	void *k;       /* pointer to current key cell */
	void *e;       /* pointer to current elem cell */
};

static void evacDst_at(const struct hmap *h, struct evacDst *d, bmap *b)
{
	d->b = b;
	d->i = 0;
	d->k = key_cell(h, b, 0);
	d->e = elem_cell(h, b, 0);
}

static void advanceEvacuationMark(struct hmap *h, uintptr_t newbit)
{
	h->nevacuate++;
	/*
	 * Experiments in Go suggest 1024 is overkill by at least an order of
	 * magnitude; it is only a guard that keeps this O(1).
	 */
	uintptr_t stop = h->nevacuate + 1024;
	if (stop > newbit)
		stop = newbit;
	while (h->nevacuate != stop && bucketEvacuated(h, h->nevacuate))
		h->nevacuate++;
	if (h->nevacuate == newbit) {
		/* Growing is all done. Free old main bucket array and its overflow buckets. */
		void *old = h->oldbuckets;
		h->oldbuckets = NULL;
		h->flags &= ~sameSizeGrow;
		retire_ovflist(h, &h->extra->oldoverflow);
		retire(h, old);
	}
}

/*
 * evacuate moves the entries of old bucket oldbucket (and its overflow chain)
 * into the new table: to bucket oldbucket ("X") or, when the table doubled,
 * to oldbucket + newbit ("Y") by the hash bit the new mask adds. Each old
 * cell is marked evacuatedX/Y or evacuatedEmpty; the key and elem bytes stay
 * behind for iterators that still walk the old array. False when an
 * overflow bucket could not be allocated: the old bucket is then untouched,
 * since nothing is moved before every destination bucket exists.
 */
static ALWAYS_INLINE bool evacuate_k(struct hmap *h, uintptr_t oldbucket, uint32_t ks)
{
	const struct hmap_type *t = h->type;
	bmap *b = bucket_at(h, h->oldbuckets, oldbucket);
	uintptr_t newbit = noldbuckets(h);
	prefetch_bucket(b);
	if (!evacuated(b)) {
		struct evacDst xy[2] = {{0}};
		evacDst_at(h, &xy[0], bucket_at(h, h->buckets, oldbucket));
		prefetch_bucket_for_write(xy[0].b);
		if (!isSameSizeGrow(h)) {
			evacDst_at(h, &xy[1], bucket_at(h, h->buckets, oldbucket + newbit));
			prefetch_bucket_for_write(xy[1].b);
		}

		/*
		 * A lone old bucket holds at most 8 entries: they fit in a fresh
		 * destination bucket. A longer chain is counted first (each key hashed
		 * once: the X/Y choices of its first 64 cells are kept for the move)
		 * and every destination overflow bucket is made before anything
		 * moves, so that running out of memory moves nothing.
		 */
		uint64_t ybits = 0;     /* bit c: cell c of the chain goes to Y */
		unsigned ybits_len = 0; /* how many cells ybits covers */
		uintptr_t need[2] = {0, 0};
		if (overflow(h, b)) {
			for (bmap *ob = b; ob; ob = overflow(h, ob))
				for (uintptr_t i = 0; i < bucketCnt; i++) {
					uint8_t top = bucket_tophash(ob)[i];
					uint8_t useY = 0;
					if (!isEmpty(top) && !isSameSizeGrow(h))
						useY = (hash_key_k(h, key_of_cell(h, ob, i, ks), ks) & newbit) != 0;
					if (ybits_len < 64)
						ybits |= (uint64_t)useY << ybits_len++;
					if (!isEmpty(top))
						need[useY]++;
				}
		}
		for (int d = 0; d < 2; d++) {
			bmap *tail = xy[d].b;
			if (!tail || need[d] <= bucketCnt)
				continue;
			/* Destinations are fresh (empty) buckets: count their chain's capacity. */
			uintptr_t have = bucketCnt;
			while (overflow(h, tail)) {
				tail = overflow(h, tail);
				have += bucketCnt;
			}
			while (have < need[d]) {
				tail = newoverflow(h, tail);
				if (!tail)
					return false;
				have += bucketCnt;
			}
		}

		/* The layout, read once: the compiler must assume that stores into buckets could change it. */
		const uint32_t keysize = ks ? ks : t->keysize, elemsize = t->elemsize;
		const uint32_t keys_offset = t->keys_offset, elems_offset = t->elems_offset;
		const bool same_size = isSameSizeGrow(h);
		for (unsigned c = 0; b; b = overflow(h, b)) {
			uint8_t *th = bucket_tophash(b);
			char *k = (char *)b + keys_offset, *e = (char *)b + elems_offset;
			for (uintptr_t i = 0; i < bucketCnt; i++, c++, k += keysize, e += elemsize) {
				uint8_t top = th[i];
				if (isEmpty(top)) {
					th[i] = evacuatedEmpty;
					continue;
				}
				if (top < minTopHash)
					fatal(h, "bad map state");
				uint8_t useY = 0;
				if (c < ybits_len) {
					useY = (ybits >> c) & 1;
				} else if (!same_size) {
					/* Compute hash to make our evacuation decision (whether we need
					 * to send this key/elem to bucket x or bucket y). */
					uint64_t hash = hash_key_k(h, ks ? k : cell_key(h, k), ks);
					if (hash & newbit)
						useY = 1;
				}
				th[i] = evacuatedX + useY;
				struct evacDst *dst = &xy[useY];
				if (dst->i == bucketCnt) {
					evacDst_at(h, dst, overflow(h, dst->b));
				}
				/* The mask is an optimization in Go, to avoid a bounds check. */
				bucket_tophash(dst->b)[dst->i & (bucketCnt - 1)] = top;
				copy_value(dst->k, k, keysize); /* an indirect cell moves its pointer */
				copy_value(dst->e, e, elemsize);
				dst->i++;
				dst->k = (char *)dst->k + keysize;
				dst->e = (char *)dst->e + elemsize;
			}
		}
	}

	/*
	 * Advance the evacuation mark. Old buckets below nevacuate are all
	 * evacuated; buckets evacuated out of order are skipped over here.
	 */
	if (oldbucket == h->nevacuate)
		advanceEvacuationMark(h, newbit);
	return true;
}

__attribute__((noinline)) static bool evacuate(struct hmap *h, uintptr_t oldbucket)
{
	RETURN_BY_KEY_SHAPE(h->type, evacuate_k, h, oldbucket);
}

/*
 * growWork evacuates the old bucket that bucket maps to (so the write that
 * follows sees its entries in the new table) and one more, to make progress.
 */
__attribute__((noinline)) static bool growWork(struct hmap *h, uintptr_t bucket)
{
	if (!evacuate(h, bucket & oldbucketmask(h)))
		return false;
	if (growing(h))
		evacuate(h, h->nevacuate); /* extra progress; a failure here is retried later */
	return true;
}

/* ---- assign ---- */

static void begin_write(struct hmap *h)
{
	if (h->flags & hashWriting)
		fatal(h, "concurrent map writes");
	h->flags ^= hashWriting;
}

static void end_write(struct hmap *h)
{
	if (!(h->flags & hashWriting))
		fatal(h, "concurrent map writes");
	h->flags &= ~hashWriting;
}

static ALWAYS_INLINE void *assign_k(struct hmap *h, const void *key, const void *elem, uint32_t ks)
{
	const struct hmap_type *t = h->type;
	uint64_t hash = hash_key_k(h, key, ks);
	void *result = NULL;

	/* Set hashWriting after calling the hash function, as Go does. */
	begin_write(h);

	if (!h->buckets) {
		h->buckets = alloc_zeroed(1, t->bucketsize);
		if (!h->buckets)
			goto done;
	}

again:;
	uintptr_t bucket = hash & bucketMask(h->B);
	bmap *b = bucket_at(h, h->buckets, bucket); /* growWork does not move it, it may fill it */
	prefetch_bucket_for_write(b);
	if (growing(h) && !growWork(h, bucket))
		goto done;
	uint8_t top = tophash(hash);

	/*
	 * One walk of the chain, Go's bucketloop: the key's cell when it is
	 * present, and otherwise the first empty cell, where the key goes (or,
	 * when there is none, the chain's tail, for a new overflow bucket).
	 */
	struct insert_at ins = {0};
	bmap *fb;
	uintptr_t fi;
	if (find_in_chain(h, b, top, key, ks, &fb, &fi, &ins)) {
		/*
		 * Overwrite. Like Go's needkeyupdate for strings, a string key takes
		 * the new pointer: equal bytes, but the caller may free the old ones.
		 */
		if (t->hash_kind == hmap_hashString)
			copy_value(cell_key(h, key_cell(h, fb, fi)), key, t->key_size);
		void *e = cell_elem(h, elem_cell(h, fb, fi));
		copy_value(e, elem, t->elem_size);
		result = e;
		goto done;
	}

	/* If we hit the max load factor or we have too many overflow buckets,
	 * and we're not already in the middle of growing, start growing. */
	if (!growing(h) && (overLoadFactor(h->count + 1, h->B) || tooManyOverflowBuckets(h->noverflow, h->B))) {
		if (!hashGrow(h))
			goto done;
		goto again; /* growing the table invalidates everything, so try again */
	}

	/* Allocate everything the entry needs before the map changes. */
	void *kmem = NULL, *emem = NULL;
	if (t->flags & hmap_indirectKey) {
		kmem = alloc_zeroed(1, t->key_size);
		if (!kmem)
			goto done;
	}
	if (t->flags & hmap_indirectElem) {
		emem = alloc_zeroed(1, t->elem_size);
		if (!emem) {
			release(kmem);
			goto done;
		}
	}
	if (!ins.b) {
		/* The current bucket and all the overflow buckets connected to it are full: allocate a new one. */
		ins.b = newoverflow(h, ins.tail);
		if (!ins.b) {
			release(kmem);
			release(emem);
			goto done;
		}
	}
	uint8_t *inserti = &bucket_tophash(ins.b)[ins.i];
	void *insertk = key_cell(h, ins.b, ins.i), *inserte = elem_cell(h, ins.b, ins.i);

	/* Store the new key and elem at the insert position. */
	if (kmem) {
		*(void **)insertk = kmem;
		insertk = kmem;
	}
	if (emem) {
		*(void **)inserte = emem;
		inserte = emem;
	}
	copy_value(insertk, key, t->key_size);
	copy_value(inserte, elem, t->elem_size);
	*inserti = top;
	h->count++;
	result = inserte;

done:
	end_write(h);
	return result;
}

void *hmap_assign(struct hmap *h, const void *key, const void *elem)
{
	if (!h)
		fatal(NULL, "assignment to entry in nil map");
	RETURN_BY_KEY_SHAPE(h->type, assign_k, h, key, elem);
}

/* ---- delete ---- */

/*
 * After cell i of bucket b became emptyOne: if nothing live follows it in
 * the chain, turn the run of emptyOne cells ending at i into emptyRest,
 * walking backwards across earlier buckets of the chain that starts at bOrig,
 * so that later lookups stop as early as possible.
 */
static ALWAYS_INLINE void markEmptyRest(struct hmap *h, bmap *bOrig, bmap *b, uintptr_t i)
{
	if (i == bucketCnt - 1) {
		bmap *ovf = overflow(h, b);
		if (ovf && bucket_tophash(ovf)[0] != emptyRest)
			return;
	} else if (bucket_tophash(b)[i + 1] != emptyRest) {
		return;
	}
	for (;;) {
		bucket_tophash(b)[i] = emptyRest;
		if (i == 0) {
			if (b == bOrig)
				break; /* beginning of initial bucket, we're done */
			/* Find previous bucket, continue at its last entry. */
			bmap *c = b;
			for (b = bOrig; overflow(h, b) != c; b = overflow(h, b))
				;
			i = bucketCnt - 1;
		} else {
			i--;
		}
		if (bucket_tophash(b)[i] != emptyOne)
			break;
	}
}

static ALWAYS_INLINE bool delete_k(struct hmap *h, const void *key, uint32_t ks)
{
	const struct hmap_type *t = h->type;
	uint64_t hash = hash_key_k(h, key, ks);
	bool deleted = false;

	begin_write(h);

	/*
	 * Evacuate the key's old bucket first, so the delete happens in the new
	 * table. If that runs out of memory, the key is deleted where it stands,
	 * in its old bucket: evacuation later carries the empty cell along.
	 */
	if (growing(h))
		growWork(h, hash & bucketMask(h->B));
	bmap *bOrig = lookup_bucket(h, hash);
	bmap *b;
	uintptr_t i;
	prefetch_bucket(bOrig);
	if (!find_in_chain(h, bOrig, tophash(hash), key, ks, &b, &i, NULL))
		goto done;

	/* Only clear the key if there are pointers in it; the elem cell is always cleared. */
	void *k = key_cell(h, b, i);
	if (t->flags & hmap_indirectKey) {
		retire(h, *(void **)k);
		*(void **)k = NULL;
	} else if (t->flags & hmap_keyHasPointers) {
		memset(k, 0, t->keysize);
	}
	void *e = elem_cell(h, b, i);
	if (t->flags & hmap_indirectElem) {
		retire(h, *(void **)e);
		*(void **)e = NULL;
	} else {
		clear_value(e, t->elemsize);
	}
	bucket_tophash(b)[i] = emptyOne;
	markEmptyRest(h, bOrig, b, i);
	h->count--;
	/* Reset the hash seed to make it more difficult for attackers to
	 * repeatedly trigger hash collisions. */
	if (h->count == 0)
		h->hash0 = new_hash0();
	deleted = true;

done:
	end_write(h);
	return deleted;
}

static __attribute__((noinline)) bool delete_any(struct hmap *h, const void *key)
{
	return delete_k(h, key, any_key);
}

bool hmap_delete(struct hmap *h, const void *key)
{
	if (!h || h->count == 0)
		return false;
	RETURN_BY_KEY_SHAPE_ANY_APART(h->type, delete_k, delete_any, h, key);
}

/* ---- clear ---- */

void hmap_clear(struct hmap *h)
{
	if (!h || h->count == 0)
		return;
	begin_write(h);
	/*
	 * Free what the entries and the old table own, then forget every live
	 * iterator: each sees the new clearSeq on its next call and ends without
	 * touching the map, so everything parked for them can go too.
	 */
	release_tables(h);
	h->extra->live_iterators = 0;
	drain_retired(h->extra);
	h->extra->clearSeq++;
	h->flags &= ~sameSizeGrow;
	h->nevacuate = 0;
	h->noverflow = 0;
	h->count = 0;
	h->hash0 = new_hash0();
	/* Reuse the bucket array: zeroing it makes every cell emptyRest; rebuild its spare overflow buckets. */
	memset(h->buckets, 0, bucketArrayLen(h->B) * h->type->bucketsize);
	h->extra->nextOverflow = spareOverflow(h, h->buckets, h->B);
	end_write(h);
}

/* ---- iteration ---- */

void hmap_iterinit(struct hmap_iter *it, struct hmap *h)
{
	memset(it, 0, sizeof *it);
	it->done = true;
	if (!h || h->count == 0)
		return;
	it->h = h;
	it->done = false;
	/* Grab a snapshot of bucket state. */
	it->B = h->B;
	it->buckets = h->buckets;
	it->clearSeq = h->extra->clearSeq;
	/* Decide where to start. */
	uint64_t r = fastrand64();
	it->startBucket = r & bucketMask(h->B);
	it->offset = (uint8_t)((r >> h->B) & (bucketCnt - 1));
	it->bucket = it->startBucket;
	__atomic_fetch_add(&h->extra->live_iterators, 1, __ATOMIC_ACQ_REL);
	/* Remember we have an iterator; can run concurrently with another iterinit. */
	if ((h->flags & (iterator | oldIterator)) != (iterator | oldIterator))
		__atomic_fetch_or(&h->flags, iterator | oldIterator, __ATOMIC_RELAXED);
}

/*
 * Ends an iteration: the map may then free what it held for it. An iteration
 * cut short by a clear is no longer counted as live.
 */
static bool iter_finish(struct hmap_iter *it)
{
	it->key = it->elem = NULL;
	if (!it->done) {
		it->done = true;
		struct hmap_extra *x = it->h->extra;
		if (it->clearSeq == x->clearSeq &&
		    __atomic_sub_fetch(&x->live_iterators, 1, __ATOMIC_ACQ_REL) == 0)
			drain_retired(x);
	}
	return false;
}

void hmap_iterdone(struct hmap_iter *it) { iter_finish(it); }

bool hmap_iternext(struct hmap_iter *it)
{
	if (it->done)
		return false;
	struct hmap *h = it->h;
	if (h->flags & hashWriting)
		fatal(h, "concurrent map iteration and map write");
	if (h->extra->clearSeq != it->clearSeq)
		return iter_finish(it); /* the map was cleared: nothing of it is left to see */
	uintptr_t bucket = it->bucket;
	bmap *b = it->bptr;
	uintptr_t i = it->i;
	uintptr_t checkBucket = it->checkBucket;

next:
	if (!b) {
		if (bucket == it->startBucket && it->wrapped)
			return iter_finish(it);
		if (growing(h) && it->B == h->B) {
			/*
			 * Iterator was started in the middle of a grow, and the grow isn't
			 * done yet. If the bucket we're looking at hasn't been filled in yet
			 * (i.e. the old bucket hasn't been evacuated) then we need to
			 * iterate through the old bucket and only return the ones that will
			 * be migrated to this bucket.
			 */
			uintptr_t oldbucket = bucket & oldbucketmask(h);
			b = bucket_at(h, h->oldbuckets, oldbucket);
			if (!evacuated(b)) {
				checkBucket = bucket;
			} else {
				b = bucket_at(h, it->buckets, bucket);
				checkBucket = noCheck;
			}
		} else {
			b = bucket_at(h, it->buckets, bucket);
			checkBucket = noCheck;
		}
		bucket++;
		if (bucket == bucketShift(it->B)) {
			bucket = 0;
			it->wrapped = true;
		}
		i = 0;
	}
	for (; i < bucketCnt; i++) {
		uintptr_t offi = (i + it->offset) & (bucketCnt - 1);
		uint8_t top = bucket_tophash(b)[offi];
		if (isEmpty(top) || top == evacuatedEmpty)
			continue;
		void *k = cell_key(h, key_cell(h, b, offi));
		void *e = elem_cell(h, b, offi);
		if (checkBucket != noCheck && !isSameSizeGrow(h)) {
			/*
			 * We're iterating through an old bucket not yet evacuated, for a
			 * growth to a larger size: skip the keys that will go to the other
			 * new bucket (each old bucket expands to two).
			 */
			if ((hash_key(h, k) & bucketMask(it->B)) != checkBucket)
				continue;
		}
		if (top != evacuatedX && top != evacuatedY) {
			/* This is the golden data, we can return it. */
			it->key = k;
			it->elem = cell_elem(h, e);
		} else {
			/*
			 * The hash table has grown since the iterator was started. The
			 * golden data for this key is now somewhere else: it may have
			 * been deleted, updated, or deleted and reinserted.
			 */
			uint64_t hash = hash_key(h, k);
			bmap *fb;
			uintptr_t fi;
			if (!find_in_chain(h, lookup_bucket(h, hash), tophash(hash), k, any_key, &fb, &fi, NULL))
				continue; /* key has been deleted */
			it->key = cell_key(h, key_cell(h, fb, fi));
			it->elem = cell_elem(h, elem_cell(h, fb, fi));
		}
		it->bucket = bucket;
		it->bptr = b;
		it->i = (uint8_t)(i + 1);
		it->checkBucket = checkBucket;
		return true;
	}
	b = overflow(h, b);
	i = 0;
	goto next;
}

/*
 * Tell GDB to load mapviz's extension for any program linked with hmap, as
 * Go binaries name runtime-gdb.py: a .debug_gdb_scripts entry is a byte 1
 * (a Python file name follows) and a NUL-terminated path.
 */
#ifndef HMAP_GDB_SCRIPT
#define HMAP_GDB_SCRIPT "mapviz.py"
#endif
__asm__(".pushsection \".debug_gdb_scripts\", \"MS\",@progbits,1\n"
	".byte 1\n"
	".asciz \"" HMAP_GDB_SCRIPT "\"\n"
	".popsection\n");

/* Keep the layout enums in DWARF even where no code names them. */
__attribute__((used)) static const struct {
	enum hmap_bucket_shape shape;
	enum hmap_tophash_state state;
	enum hmap_flag flag;
	enum hmap_hash_kind kind;
	enum hmap_type_flag type_flag;
} hmap_dwarf_enums;
