/*
 * model.h: one map model. A source (source_hmap.c: hmap's DWARF and
 * descriptors; source_go.c: a Go binary's DWARF) finds a map and its type and
 * fills a struct map_model; a design (design_classic.c: buckets of 8,
 * tophash, overflow chains, old and new arrays during evacuation) knows the
 * algorithm: it locates a key, enumerates a key's cells, names states and the
 * field a byte of map memory is, and plans which bytes to watch. Everything
 * above (locating, decoding a write, the event stream, the modes) reads the
 * model through these views and never branches on the source; a new design
 * (swiss) or source is new files.
 */
#ifndef MAPVIZ_MODEL_MODEL_H
#define MAPVIZ_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/abi.h"
#include "base/dbg.h"
#include "base/mem.h"
#include "model/codec.h"

/* The map operations, named in events as the design says them (map_op_name). */
enum map_op {
	OP_NONE,
	OP_ASSIGN,
	OP_DELETE,
	OP_EVACUATE,
	OP_CLEAR,
	OP_NEW,
	OP_FREE,
	OP_ACCESS,
	OP_ITERATE,
	OP_FOREIGN, /* code that is no map operation (a write through a pointer) */
	OP_N
};

/* "assign", "delete", ...; "" for OP_NONE. */
const char *map_op_name(enum map_op op);
/* Whether op writes the map (a reader racing with one of these is a race). */
bool map_op_writes(enum map_op op);

/*
 * What a byte of map memory is. Cell fields, then the header's fields. Each
 * design names them in its own words (classic: tophash, hash0, buckets; swiss:
 * ctrl, seed, dirPtr), and a field it does not have has no name.
 */
enum map_field {
	FIELD_NONE,
	FIELD_STATE,     /* the slot's state byte: tophash | ctrl */
	FIELD_KEY,
	FIELD_ELEM,
	FIELD_OVERFLOW,  /* a bucket's overflow pointer */
	/* the header */
	FIELD_COUNT,     /* count | used */
	FIELD_FLAGS,
	FIELD_B,
	FIELD_NOVERFLOW,
	FIELD_SEED,      /* hash0 | seed */
	FIELD_BUCKETS,   /* buckets | dirPtr */
	FIELD_OLDBUCKETS,
	FIELD_NEVACUATE,
	FIELD_N
};
#define FIELD_FIRST_HEADER FIELD_COUNT

static inline bool field_in_header(enum map_field f) { return f >= FIELD_FIRST_HEADER; }

/* How the map hashes and compares keys: by their bytes, as NUL-terminated C strings, or as
 * Go strings ({pointer, length}). How a key or elem is shown and parsed is its codec's. */
enum key_kind { KEY_BYTES, KEY_STRING, KEY_GO_STRING };

struct hdr_field_desc {
	unsigned off, size; /* size 0: the map has no such field */
};

#define MODEL_MAX_NAMES 16

/* The classic design's shape of a bucket and its states, filled by the source. */
struct classic_shape {
	/* One bucket: tophash[bucket_cnt], keys, elems, overflow pointer. */
	unsigned bucketsize, tophash_off, keys_off, elems_off, overflow_off;
	int emptyRest, emptyOne, evacuatedX, evacuatedY, evacuatedEmpty, minTopHash;
	int sameSizeGrow;
};

struct key {
	uint8_t bytes[256]; /* the key's bytes; a string's characters without the NUL */
	size_t len;
	char text[128];     /* as given */
};

struct map_source;
struct map_design;

struct map_model {
	const struct map_source *source;
	const struct map_design *design;
	char type_name[64]; /* the map type: NAME, or map[K]V */
	char key_type[96], elem_type[96]; /* as the language spells them */
	struct hdr_field_desc hdr[FIELD_N]; /* header fields only */
	unsigned off_type; /* the type descriptor pointer in the header (hmap) */
	unsigned hdr_size;
	unsigned slot_cnt;          /* slots per bucket or group */
	unsigned keycell, elemcell; /* cell sizes */
	unsigned key_size, elem_size; /* sizes of KEY and ELEM */
	enum key_kind key_kind;
	bool key_indirect, elem_indirect;
	/* How KEY and ELEM values are shown and a key is parsed, built once at setup. */
	struct codec_type *key_codec, *elem_codec;
	bool key_cleared;  /* delete clears the key cell (it holds pointers) */
	int writing_flag;  /* the flag bit a writer holds (hashWriting) */
	/* Slot states and flag bits, by name, from the program's constants. */
	struct enum_value states[MODEL_MAX_NAMES];
	int nstates;
	struct enum_value flags[MODEL_MAX_NAMES];
	int nflags;
	struct classic_shape classic;
	void *source_data; /* the source's own (Go: the hash seeds and key type) */
};

/* Where the map is: a global holding it or pointing to it, or a fixed address. */
struct map_target {
	char spec[128];     /* as given to -m */
	uint64_t var_addr;  /* the global, or 0 for an address given as 0x... */
	bool var_is_pointer;
	uint64_t map_addr;  /* the map itself, 0 until known */
	bool layout_known;  /* the model filled from DWARF before the map exists */
};

/* A map operation function and its op. A function matches when its name is symbol, or symbol
 * and a compiler-split suffix (".cold", ".part.0"), or (prefix) starts with symbol. */
struct op_func {
	const char *symbol;
	enum map_op op;
	bool prefix;
};

/* A function that deletes a key, and how it takes its arguments. */
struct delete_func {
	const char *symbol;
	enum call_abi abi;
	int map_arg, key_arg;  /* argument indexes (0 is the first) */
	bool key_by_value;     /* the key itself in the key argument(s), not a pointer to it */
};

#define SOURCE_MAX_DELETE 4
#define SOURCE_MAX_SWITCH 4

/*
 * A function the map's own concurrent-access check calls to end the program ("concurrent
 * map read and map write"), and how it takes its arguments. A function of that name in
 * another source file is not it: the one in the same file as anchor (a map function) is.
 */
struct check_func {
	const char *symbol;
	const char *anchor;    /* a map function beside it, or NULL when the name is unique */
	enum call_abi abi;
	int map_arg;           /* the map's argument index, or -1 when it is not given the map */
	int msg_arg;           /* the message: a C string there, or a Go string from there on */
	bool msg_go_string;    /* (pointer, length) in two arguments */
};

#define SOURCE_MAX_CHECK 2

struct map_source {
	const char *name;
	/* Resolves -m SPEC, filling the model when the global's type says it. 0; -1 with err; 1
	 * when the program is not of this source (another source is tried). */
	int (*resolve)(struct dbg *d, struct mem *m, const char *spec, struct map_target *t,
		       struct map_model *l, char *err, size_t errlen);
	/* Once the map exists: completes or cross-checks the model against its descriptor.
	 * 0, or -1 with err; warnings (disagreements) go to warn, one line each. */
	int (*attach_instance)(struct dbg *d, struct mem *m, uint64_t map_addr, struct map_target *t,
			       struct map_model *l, void (*warn)(const char *line), char *err,
			       size_t errlen);
	/* The hash of k under the map's seed; false when it cannot be recomputed. */
	bool (*hash)(const struct map_model *l, struct mem *m, const struct key *k, uint64_t seed,
		     uint64_t *hash);
	const struct op_func *ops;   /* ends with a NULL symbol */
	struct delete_func deletes[SOURCE_MAX_DELETE]; /* the functions that delete; NULL-ended */
	const char *free_func;       /* called with the map when it is freed, or NULL */
	struct check_func checks[SOURCE_MAX_CHECK]; /* the concurrent-access checks; NULL-ended */
	/* Functions (symbols) after whose call the running code may go on on another thread, at
	 * the call's return address, with its context register (under switch_abi) unchanged;
	 * NULL-ended. */
	const char *thread_switches[SOURCE_MAX_SWITCH];
	enum call_abi switch_abi;
};

extern const struct map_source source_hmap;
extern const struct map_source source_go;

/* The op of function func (or a compiler-split part of it) under the source, or OP_NONE. */
enum map_op source_op_of(const struct map_source *s, const char *func);

/* How much of a key or elem cell of size cell is watched: its first 8 bytes at most. */
static inline unsigned watched_len(unsigned cell) { return cell < 8 ? cell : 8; }

/* Flag bits by name, "hashWriting|sameSizeGrow", or "0". */
void model_flags_str(const struct map_model *l, unsigned v, char *buf, size_t n);
/* The value of the first size bytes at p (little-endian, at most 8). */
uint64_t read_uint(const uint8_t *p, unsigned size);
/* Parses KEY text in the key type's notation. 0, or -1 with err (one line). */
int key_parse(const struct map_model *l, const char *s, struct key *k, char *err, size_t errlen);
/* A key or elem cell's value, of which the first n bytes are known at b, in its type's
 * notation; a string's text is read through m. */
void value_text(const struct map_model *l, bool is_key, const uint8_t *b, size_t n, struct mem *m,
		char *out, size_t outlen);
/* Whether the KEY value at addr (for C string keys, the const char * there) is k. */
bool key_value_at(struct mem *m, const struct map_model *l, uint64_t addr, const struct key *k);
/* Whether the key cell whose bytes are cell holds k. */
bool key_matches(struct mem *m, const struct map_model *l, const uint8_t *cell, const struct key *k);
/* The map's address now: the global's value, or the fixed address. 0 when not yet. */
uint64_t model_map_addr(struct mem *m, const struct map_target *t);

#endif
