/*
 * hash_go.h: Go's map hash (Go 1.19 to 1.23, amd64), recomputed from the
 * per-process seeds read out of a Go program's memory, without running code
 * in it. Pure: no ptrace, no I/O.
 *
 * A Go map hashes a key with its type's hasher seeded by the map's hash0.
 * The hashers bottom out in runtime.memhash (strhash is memhash of the
 * string's bytes), memhash32 and memhash64, whose result depends on
 * - with AES-NI (runtime.useAeshash): AESENC rounds keyed by
 *   runtime.aeskeysched (128 random bytes);
 * - without: the wyhash-style fallback of runtime/hash64.go keyed by
 *   runtime.hashkey (4 words); Go 1.23 replaced its constants m1..m4 with
 *   hashkey[1..3] (and no m1).
 * go_hash_key follows the compiler's rules for a key type (types.AlgType,
 * reflectdata genhash): plain memory of 4 or 8 bytes goes to memhash32 or
 * memhash64, other sizes to memhash; a struct with padding, blank fields or
 * string/float/interface fields hashes runs of plain-memory fields with
 * memhash and other fields with their own hasher, the result of each being
 * the seed of the next; such an array hashes element by element.
 */
#ifndef MAPVIZ_HASH_GO_H
#define MAPVIZ_HASH_GO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GO_AESKEYSCHED_SIZE 128 /* runtime.hashRandomBytes on 64-bit targets */
#define GO_HASHKEY_WORDS 4
#define GO_BUCKET_CNT 8
#define GO_MIN_TOP_HASH 5 /* tophash of a live cell is at least this */

struct go_hash_seeds {
	bool use_aes;                              /* runtime.useAeshash */
	uint8_t aeskeysched[GO_AESKEYSCHED_SIZE];  /* runtime.aeskeysched */
	uint64_t hashkey[GO_HASHKEY_WORDS];        /* runtime.hashkey */
	unsigned release_minor;                    /* N of Go 1.N */
};

/* How the AES round is computed: AES-NI when the CPU has it (the default),
 * or the portable software round. Both give the same results. */
enum go_aes_impl { GO_AES_AUTO, GO_AES_NI, GO_AES_SOFTWARE };
/* false (and nothing changed) when AES-NI is asked for and the CPU lacks it */
bool go_hash_set_aes_impl(enum go_aes_impl impl);

uint64_t go_memhash(const struct go_hash_seeds *s, const void *p, size_t n, uint64_t seed);
uint64_t go_memhash32(const struct go_hash_seeds *s, const void *p, uint64_t seed);
uint64_t go_memhash64(const struct go_hash_seeds *s, const void *p, uint64_t seed);

/* Key types, as the compiler sees them for hashing. */
enum go_kind {
	GO_KIND_MEM,       /* plain memory: integers, bools, pointers, channels */
	GO_KIND_STRING,    /* {data pointer, length}: 16 bytes */
	GO_KIND_FLOAT,     /* size 4 or 8 */
	GO_KIND_COMPLEX,   /* size 8 or 16 */
	GO_KIND_INTERFACE, /* hashes by its dynamic type: not recomputed */
	GO_KIND_ARRAY,
	GO_KIND_STRUCT,
};

struct go_type;

struct go_field {
	const char *name; /* "_" for a blank field, which is not hashed */
	size_t offset;
	const struct go_type *type;
};

struct go_type {
	enum go_kind kind;
	size_t size;                   /* bytes, the array's or struct's whole */
	const struct go_type *elem;    /* GO_KIND_ARRAY */
	size_t length;                 /* GO_KIND_ARRAY */
	const struct go_field *fields; /* GO_KIND_STRUCT, in offset order */
	size_t nfields;
};

enum go_hash_status {
	GO_HASH_OK = 0,
	GO_HASH_NAN,        /* a NaN key hashes to a random value */
	GO_HASH_INTERFACE,  /* interface keys are not recomputed */
	GO_HASH_UNREADABLE, /* a string's data could not be read */
	GO_HASH_BAD_TYPE,   /* the type description is inconsistent */
};
const char *go_hash_status_str(enum go_hash_status status);

/* Reads len bytes at addr (a string's data) into buf; false when it cannot. */
typedef bool (*go_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* The hash of a key of type t whose memory is image (t->size bytes); seed
 * is the map's hash0. On GO_HASH_OK *hash is set. */
enum go_hash_status go_hash_key(const struct go_hash_seeds *s, const struct go_type *t,
				const void *image, go_read_fn read, void *ctx,
				uint64_t seed, uint64_t *hash);

/* The byte a live cell's tophash holds: the top byte, moved above the slot
 * states (0..4) when it falls among them. */
uint8_t go_tophash(uint64_t hash);
uint64_t go_bucket_index(uint64_t hash, unsigned B);

#endif
