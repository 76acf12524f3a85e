/*
 * hmap: Go's classic hash map (the design of Go 1.21's runtime/map.go) for
 * fixed-size C keys and values, with its bucket layout published through
 * DWARF so that debuggers and tracers can decode it from memory alone.
 *
 * The map is an array of 2^B buckets. Each bucket holds up to 8 key/elem
 * pairs: first 8 tophash bytes (the top 8 bits of each key's hash, or a slot
 * state below hmap_minTopHash), then the 8 keys, then the 8 elems, then a
 * pointer to an overflow bucket. Keys or elems larger than 128 bytes are
 * stored indirectly (the cell holds a pointer). Growth is incremental: a new
 * array is allocated and each later assign or delete evacuates up to two old
 * buckets into it. hmap.c explains the algorithm in full.
 *
 * API, for a map type NAME with key type KEY and elem type ELEM:
 *
 *   HMAP_DEFINE(NAME, KEY, ELEM)      keys hashed and compared by their bytes
 *   HMAP_DEFINE_STR(NAME, ELEM)       NUL-terminated string keys (const char *)
 *
 *   NAME  *NAME_new(size_t hint);                  NULL on allocation failure
 *   void   NAME_free(NAME *m);
 *   size_t NAME_len(const NAME *m);
 *   ELEM  *NAME_get(NAME *m, KEY key);             NULL when absent
 *   ELEM  *NAME_put(NAME *m, KEY key, ELEM elem);  NULL on allocation failure
 *   bool   NAME_delete(NAME *m, KEY key);          true when the key was present
 *   void   NAME_clear(NAME *m);
 *   void   NAME_iter_init(NAME_iter *it, NAME *m);
 *   bool   NAME_iter_next(NAME_iter *it, KEY *k, ELEM *v);   k, v may be NULL
 *   void   NAME_iter_done(NAME_iter *it);          end an iteration early
 *
 * Both forms work at file scope, with or without a trailing ';'.
 *
 * Keys. HMAP_DEFINE keys are hashed and compared as sizeof(KEY) raw bytes, so
 * a struct key's padding bytes count: two keys with equal fields and different
 * padding are different keys. Zero a struct key's bytes before setting its
 * fields (memset, or `struct point k = {0};` then assignments, which gcc and
 * clang compile to a zero fill), or better, use a key type without padding.
 * HMAP_DEFINE_STR keys are hashed and compared by the string's bytes, but the
 * map stores the pointer, not a copy: the bytes must stay alive and unchanged
 * while the key is in the map (a string literal, or a buffer the program keeps
 * until the delete). A lookup may pass any pointer to equal bytes.
 *
 * A NULL map behaves as Go's nil map: length 0, every key absent, delete does
 * nothing, and put aborts. HMAP_DEFINE may appear in several translation
 * units for the same NAME: everything it defines is static.
 *
 * Iterations and memory. Go's garbage collector keeps an old bucket array
 * alive while an iterator still walks it; here the map holds such memory (a
 * replaced bucket array, a deleted indirect key or elem) while any iteration
 * is live, and frees it when the last one ends. An iteration ends when
 * NAME_iter_next returns false, or at NAME_iter_done: a loop that breaks out
 * early calls NAME_iter_done, or the held memory stays with the map until it
 * is cleared or freed. NAME_iter_done is idempotent.
 *
 * The generic engine underneath (hmap_make, hmap_access, ...) is what tools
 * look for: hmap_assign, hmap_delete, hmap_clear, hmap_make, hmap_free and
 * the static function evacuate are the map operations a write happens in.
 */
#ifndef HMAP_H
#define HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes of the design. Named enums so that they reach DWARF. */
enum hmap_bucket_shape {
	hmap_bucketCntBits = 3,
	hmap_bucketCnt = 1 << hmap_bucketCntBits, /* slots per bucket */
	hmap_maxKeySize = 128,  /* larger keys are stored behind a pointer */
	hmap_maxElemSize = 128, /* larger elems are stored behind a pointer */
	/* Maximum average load of a bucket that triggers growth: 6.5 = 13/2. */
	hmap_loadFactorNum = 13,
	hmap_loadFactorDen = 2,
};

/* Values of a tophash byte below hmap_minTopHash are slot states. */
enum hmap_tophash_state {
	hmap_emptyRest = 0,      /* this cell is empty, and so is every cell after it, in this bucket and its overflows */
	hmap_emptyOne = 1,       /* this cell is empty */
	hmap_evacuatedX = 2,     /* key/elem is valid; the entry moved to the first half of the larger table */
	hmap_evacuatedY = 3,     /* same as above, but evacuated to the second half of the larger table */
	hmap_evacuatedEmpty = 4, /* cell is empty, bucket is evacuated */
	hmap_minTopHash = 5,     /* minimum tophash of a live cell */
};

/* Bits of hmap.flags. */
enum hmap_flag {
	hmap_iterator = 1,     /* there may be an iterator using buckets */
	hmap_oldIterator = 2,  /* there may be an iterator using oldbuckets */
	hmap_hashWriting = 4,  /* a thread is writing to the map */
	hmap_sameSizeGrow = 8, /* the current growth is to a new map of the same size */
};

/* How a map type hashes and compares its keys. */
enum hmap_hash_kind {
	hmap_hashBytes = 1,  /* the key's bytes: XXH3-64 over sizeof(KEY) bytes */
	hmap_hashString = 2, /* the key is a const char *: XXH3-64 over the string's bytes */
};

/* Bits of hmap_type.flags. */
enum hmap_type_flag {
	hmap_indirectKey = 1,    /* the key cell holds a pointer to the key */
	hmap_indirectElem = 2,   /* the elem cell holds a pointer to the elem */
	hmap_keyHasPointers = 4, /* the key holds pointers: delete clears its cell */
	hmap_elemHasPointers = 8,
};

enum { hmap_typeMagic = 0x70616d68 /* "hmap" in memory */, hmap_typeVersion = 1, hmap_typeNameMax = 64 };

/*
 * A map type's descriptor, Go's maptype. Each is placed in the ELF section
 * "hmap_types" so that tools can list every map type of a binary; it holds no
 * pointers, so the section reads the same from the file, a process or a core.
 * Offsets are those of the matching struct NAME_bucket.
 */
struct hmap_type {
	uint32_t magic;     /* hmap_typeMagic */
	uint16_t version;   /* hmap_typeVersion */
	uint8_t hash_kind;  /* enum hmap_hash_kind */
	uint8_t flags;      /* enum hmap_type_flag bits */
	uint32_t key_size;  /* sizeof(KEY) */
	uint32_t elem_size; /* sizeof(ELEM) */
	uint32_t keysize;   /* size of a key cell: key_size, or a pointer's when indirect */
	uint32_t elemsize;  /* size of an elem cell */
	uint32_t bucketsize;
	uint32_t tophash_offset; /* always 0 */
	uint32_t keys_offset;
	uint32_t elems_offset;
	uint32_t overflow_offset;
	char name[hmap_typeNameMax];      /* NAME */
	char key_type[hmap_typeNameMax];  /* KEY as written */
	char elem_type[hmap_typeNameMax]; /* ELEM as written */
};

struct hmap_extra;

/* The map header: Go's hmap, field for field, then what C needs. */
struct hmap {
	int64_t count;       /* # live cells == size of map */
	uint8_t flags;       /* enum hmap_flag bits */
	uint8_t B;           /* log_2 of # of buckets (can hold up to loadFactor * 2^B items) */
	uint16_t noverflow;  /* approximate number of overflow buckets */
	uint32_t hash0;      /* hash seed */
	void *buckets;       /* array of 2^B buckets; may be NULL if count == 0 */
	void *oldbuckets;    /* previous bucket array of half the size, non-NULL only when growing */
	uintptr_t nevacuate; /* progress counter for evacuation (buckets less than this have been evacuated) */
	struct hmap_extra *extra;    /* overflow bookkeeping and memory held for iterators */
	const struct hmap_type *type; /* the layout of this map's buckets */
};

/* Iteration state, Go's hiter. Declared by users, filled by hmap_iterinit. */
struct hmap_iter {
	struct hmap *h;
	void *key;  /* current key cell contents, NULL at the end */
	void *elem; /* current elem */
	void *buckets;     /* bucket array at iterator start */
	void *bptr;        /* current bucket */
	uintptr_t startBucket;
	uintptr_t bucket;
	uintptr_t checkBucket;
	uint64_t clearSeq; /* the map's clear count at start: a clear ends the iteration */
	uint8_t offset;    /* intra-bucket offset to start from */
	bool wrapped;      /* already wrapped around from end of bucket array to beginning */
	uint8_t B;
	uint8_t i;
	bool done;
};

/* The generic engine. Keys and elems are passed by address. */
struct hmap *hmap_make(const struct hmap_type *t, size_t hint);
void hmap_free(struct hmap *h);
void *hmap_access(struct hmap *h, const void *key);
void *hmap_assign(struct hmap *h, const void *key, const void *elem);
bool hmap_delete(struct hmap *h, const void *key);
void hmap_clear(struct hmap *h);
void hmap_iterinit(struct hmap_iter *it, struct hmap *h);
bool hmap_iternext(struct hmap_iter *it);
void hmap_iterdone(struct hmap_iter *it);
/* The hash of a key as the map computes it (for tests and tools). */
uint64_t hmap_hash(const struct hmap *h, const void *key);

/*
 * Replace the allocator (calloc-like and free-like), NULL for the C library's.
 * For tests that make allocation fail; set it before any map exists.
 */
void hmap_set_allocator(void *(*alloc_zeroed)(size_t nmemb, size_t size), void (*release)(void *));

/* A key or elem cell type: T itself, or T * when T is stored indirectly. */
#define HMAP_CELL_TYPE(T, MAX) \
	__typeof__(__builtin_choose_expr(sizeof(T) > (MAX), (T *)0, *(T *)0))

#define HMAP_IS_POINTER_TYPE(T) (__builtin_classify_type(*(T *)0) == 5)

/* The typed wrappers: unused ones are no warning (clang warns of unused static
 * inline functions defined in a .c file, where HMAP_DEFINE often is). */
#define HMAP_INLINE static inline __attribute__((unused))

/*
 * The expansion ends with a function definition, which needs no ';', and then
 * __extension__, which prefixes whatever comes next: the user's optional ';'
 * (an empty declaration, which ISO C forbids at file scope and -pedantic warns
 * about, accepted without a word after __extension__) or the next declaration
 * or definition. So HMAP_DEFINE(...) works with or without a ';', and must be
 * followed by something: a ';', a declaration, a function, another HMAP_DEFINE
 * (so the last line of a file needs the ';'). Without the ';', -pedantic does
 * not examine the declaration that follows.
 */
#define HMAP_DEFINE_WITH_KIND(NAME, KEY, ELEM, KIND)                                          \
	typedef HMAP_CELL_TYPE(KEY, hmap_maxKeySize) NAME##_keycell;                          \
	typedef HMAP_CELL_TYPE(ELEM, hmap_maxElemSize) NAME##_elemcell;                       \
	/* The bucket of this map type, so that DWARF carries its real layout. */             \
	struct NAME##_bucket {                                                                \
		uint8_t tophash[hmap_bucketCnt];                                                  \
		NAME##_keycell keys[hmap_bucketCnt];                                              \
		NAME##_elemcell elems[hmap_bucketCnt];                                            \
		struct NAME##_bucket *overflow;                                                   \
	};                                                                                    \
	/* bucket_layout takes no space: it ties NAME to its bucket type in DWARF. */         \
	typedef struct NAME {                                                                 \
		struct hmap h;                                                                    \
		struct NAME##_bucket *bucket_layout[];                                            \
	} NAME;                                                                               \
	typedef struct NAME##_iter {                                                          \
		struct hmap_iter it;                                                              \
	} NAME##_iter;                                                                        \
	__attribute__((used, section("hmap_types"), aligned(8))) static const struct hmap_type \
		NAME##_hmap_type = {                                                              \
			.magic = hmap_typeMagic,                                                      \
			.version = hmap_typeVersion,                                                  \
			.hash_kind = (KIND),                                                          \
			.flags = (sizeof(KEY) > hmap_maxKeySize ? hmap_indirectKey : 0) |             \
				 (sizeof(ELEM) > hmap_maxElemSize ? hmap_indirectElem : 0) |          \
				 (HMAP_IS_POINTER_TYPE(KEY) ? hmap_keyHasPointers : 0) |              \
				 (HMAP_IS_POINTER_TYPE(ELEM) ? hmap_elemHasPointers : 0),             \
			.key_size = sizeof(KEY),                                                      \
			.elem_size = sizeof(ELEM),                                                    \
			.keysize = sizeof(NAME##_keycell),                                            \
			.elemsize = sizeof(NAME##_elemcell),                                          \
			.bucketsize = sizeof(struct NAME##_bucket),                                   \
			.tophash_offset = offsetof(struct NAME##_bucket, tophash),                    \
			.keys_offset = offsetof(struct NAME##_bucket, keys),                          \
			.elems_offset = offsetof(struct NAME##_bucket, elems),                        \
			.overflow_offset = offsetof(struct NAME##_bucket, overflow),                  \
			.name = #NAME,                                                                \
			.key_type = #KEY,                                                             \
			.elem_type = #ELEM,                                                           \
	};                                                                                    \
	HMAP_INLINE NAME *NAME##_new(size_t hint)                                             \
	{                                                                                     \
		return (NAME *)hmap_make(&NAME##_hmap_type, hint);                                \
	}                                                                                     \
	HMAP_INLINE void NAME##_free(NAME *m) { hmap_free((struct hmap *)m); }                \
	HMAP_INLINE size_t NAME##_len(const NAME *m) { return m ? (size_t)m->h.count : 0; }   \
	HMAP_INLINE ELEM *NAME##_get(NAME *m, KEY key)                                        \
	{                                                                                     \
		return (ELEM *)hmap_access((struct hmap *)m, &key);                               \
	}                                                                                     \
	HMAP_INLINE ELEM *NAME##_put(NAME *m, KEY key, ELEM elem)                             \
	{                                                                                     \
		return (ELEM *)hmap_assign((struct hmap *)m, &key, &elem);                        \
	}                                                                                     \
	HMAP_INLINE bool NAME##_delete(NAME *m, KEY key)                                      \
	{                                                                                     \
		return hmap_delete((struct hmap *)m, &key);                                       \
	}                                                                                     \
	HMAP_INLINE void NAME##_clear(NAME *m) { hmap_clear((struct hmap *)m); }              \
	HMAP_INLINE void NAME##_iter_init(NAME##_iter *it, NAME *m)                           \
	{                                                                                     \
		hmap_iterinit(&it->it, (struct hmap *)m);                                         \
	}                                                                                     \
	HMAP_INLINE void NAME##_iter_done(NAME##_iter *it) { hmap_iterdone(&it->it); }        \
	HMAP_INLINE bool NAME##_iter_next(NAME##_iter *it, KEY *k, ELEM *v)                   \
	{                                                                                     \
		if (!hmap_iternext(&it->it))                                                      \
			return false;                                                             \
		if (k)                                                                            \
			*k = *(KEY *)it->it.key;                                                  \
		if (v)                                                                            \
			*v = *(ELEM *)it->it.elem;                                                \
		return true;                                                                      \
	}                                                                                     \
	__extension__

#define HMAP_DEFINE(NAME, KEY, ELEM) HMAP_DEFINE_WITH_KIND(NAME, KEY, ELEM, hmap_hashBytes)
#define HMAP_DEFINE_STR(NAME, ELEM) HMAP_DEFINE_WITH_KIND(NAME, const char *, ELEM, hmap_hashString)

#endif /* HMAP_H */
