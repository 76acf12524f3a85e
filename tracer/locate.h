/*
 * locate.h: a map in the tracee's memory, decoded with a map_layout: the
 * header, a key's hash, the bucket chain it hashes to, and the slot it lives
 * in (or the cell it will land in when absent), as the map's own lookup
 * finds them.
 */
#ifndef MAPVIZ_LOCATE_H
#define MAPVIZ_LOCATE_H

#include "layout.h"
#include "mem.h"

#define CHAIN_MAX 256 /* longest overflow chain walked; longer chains are corrupt for our purpose */

struct hdr {
	int64_t count;
	unsigned flags, B, noverflow;
	uint32_t hash0;
	uint64_t buckets, oldbuckets, nevacuate;
};

struct key {
	uint8_t bytes[256]; /* the key's bytes; a string's characters without the NUL */
	size_t len;
	char text[128];     /* as given */
};

struct loc {
	bool valid;   /* a slot: where the key is, or the first free cell of its chain */
	bool present; /* the key is in that slot */
	bool old;     /* the slot is in oldbuckets (growth not yet evacuated there) */
	uint64_t bucket;
	unsigned overflow; /* depth in the chain: 0 is the bucket itself */
	unsigned slot;
	uint64_t head_addr, bucket_addr;
	uint64_t tophash_addr, key_addr, elem_addr;
	uint64_t hash;
	uint8_t top;
	/* The chain is full (no valid slot): what to watch for it to change. In the new table,
	 * the last bucket's overflow pointer (a new overflow bucket); in the old table, the
	 * first tophash byte of the chain's head (evacuation marks it). */
	uint64_t wait_addr;
	unsigned wait_len;
};

/* One bucket of a chain: where it is and what it is. */
struct chain_bucket {
	uint64_t addr;
	uint64_t bucket;
	unsigned overflow;
	bool old;
};

struct chainset {
	struct chain_bucket b[2 * CHAIN_MAX + 4];
	int n;
};

/* What a byte of map memory is. */
struct field_desc {
	const char *field; /* "tophash", "key", "elem", "overflow", or a header field name */
	bool in_bucket;
	struct chain_bucket where;
	int slot;          /* -1 for overflow and header fields */
	uint64_t start;    /* the field's first byte */
	unsigned size;
};

/* The little-endian value of the first size bytes at p (at most 8). */
uint64_t read_uint(const uint8_t *p, unsigned size);
bool hdr_read(struct mem *m, const struct map_layout *l, uint64_t map, struct hdr *h);
int key_parse(const struct map_layout *l, const char *s, struct key *k, char *err, size_t errlen);
uint64_t key_hash(const struct map_layout *l, const struct key *k, uint32_t seed);
/* A key or elem cell's value, of which the first n bytes are known at b, in its type's
 * notation; a string key's text is read through m. */
void value_text(const struct map_layout *l, bool is_key, const uint8_t *b, size_t n, struct mem *m,
		char *out, size_t outlen);

/* Whether the KEY value at addr (for string keys, the const char * there) is k. */
bool key_value_at(struct mem *m, const struct map_layout *l, uint64_t addr, const struct key *k);
/* Whether tophash byte top is an evacuatedX/Y/Empty state: its bucket was evacuated. */
bool is_evacuated(const struct map_layout *l, uint8_t top);
/* Finds the key as the map's lookup would. -1 when the map's memory is unreadable. */
int locate(struct mem *m, const struct map_layout *l, uint64_t map, const struct key *k,
	   struct loc *out);
bool loc_same(const struct loc *a, const struct loc *b);
/* The buckets of the chain(s) k's lookup touches now: its old chain while growing, and its
 * chain in the new table. */
int chains_for_key(struct mem *m, const struct map_layout *l, uint64_t map, const struct key *k,
		   struct chainset *cs);
/* Describes addr; false when it is neither in the header nor in a bucket of cs. */
bool field_at(const struct map_layout *l, uint64_t map, const struct chainset *cs, uint64_t addr,
	      struct field_desc *fd);

#endif
