/*
 * layout.h: what the tracer needs to know about a map, from a layout
 * provider. hmap's DWARF is the provider today (layout_hmap.c); Go's runtime
 * maps (runtime.hmap, bucket<K,V>) would be another. Everything else in the
 * tracer (locating a key, decoding a write, the event stream) reads only this.
 */
#ifndef MAPVIZ_LAYOUT_H
#define MAPVIZ_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "dbg.h"

/* How the map hashes and compares keys: by their bytes, or as NUL-terminated strings. How a
 * key or elem is shown and parsed is its codec's business (codec.h). */
enum key_kind { KEY_BYTES, KEY_STRING };

/* The header fields the tracer reports, in the provider's vocabulary. */
enum hdr_field { HF_COUNT, HF_FLAGS, HF_B, HF_NOVERFLOW, HF_HASH0, HF_BUCKETS, HF_OLDBUCKETS,
		 HF_NEVACUATE, HF_NFIELDS };

struct hdr_field_desc {
	const char *name; /* "count", "flags", ... */
	unsigned off, size;
};

#define LAYOUT_MAX_NAMES 16

struct map_layout {
	char type_name[64]; /* the map type, NAME */
	char key_type[96], elem_type[96]; /* as C spells them: uint64_t, struct point, const char * */
	struct hdr_field_desc hdr[HF_NFIELDS];
	unsigned off_type; /* the type descriptor pointer in the header */
	unsigned hdr_size;
	/* One bucket: tophash[bucket_cnt], keys, elems, overflow pointer. */
	unsigned bucket_cnt, bucketsize, tophash_off, keys_off, elems_off, overflow_off;
	unsigned keycell, elemcell;  /* cell sizes */
	unsigned key_size, elem_size; /* sizes of KEY and ELEM */
	enum key_kind key_kind;
	bool key_indirect, elem_indirect;
	/* How KEY and ELEM values are shown and a key is parsed, built once at setup. */
	struct codec_type *key_codec, *elem_codec;
	bool key_cleared; /* delete clears the key cell (it holds pointers) */
	/* Slot states and flag bits, by name from the provider's enums. */
	int emptyRest, emptyOne, evacuatedX, evacuatedY, evacuatedEmpty, minTopHash;
	int hashWriting, sameSizeGrow;
	struct enum_value states[LAYOUT_MAX_NAMES];
	int nstates;
	struct enum_value flags[LAYOUT_MAX_NAMES];
	int nflags;
};

/* Where the map is: a global holding it or pointing to it, or a fixed address. */
struct map_target {
	char spec[128];     /* as given to -m */
	uint64_t var_addr;  /* the global, or 0 for an address given as 0x... */
	bool var_is_pointer;
	uint64_t map_addr;  /* the map itself, 0 until known */
	bool layout_known;  /* layout filled from DWARF before the map exists */
};

/* A map operation function and the op name events carry. */
struct op_func {
	const char *symbol;
	const char *op;
};

struct mem;

struct layout_provider {
	const char *name;
	/* Resolves -m SPEC, filling the layout when the global's type says it. 0, or -1 with err. */
	int (*resolve)(struct dbg *d, const char *spec, struct map_target *t, struct map_layout *l,
		       char *err, size_t errlen);
	/* Once the map exists: completes or cross-checks the layout against its descriptor.
	 * 0, or -1 with err; warnings (disagreements) go to warn, one line each. */
	int (*attach_instance)(struct dbg *d, struct mem *m, uint64_t map_addr, struct map_target *t,
			       struct map_layout *l, void (*warn)(const char *line), char *err,
			       size_t errlen);
	const struct op_func *ops; /* NULL-terminated */
	const char *delete_entry;  /* function(map, key pointer) that deletes */
};

extern const struct layout_provider layout_hmap;

/* How much of a key or elem cell of size cell is watched: its first 8 bytes at most. */
static inline unsigned watched_len(unsigned cell) { return cell < 8 ? cell : 8; }

/* Display name of a tophash value (a state name, or NULL for a live hash byte). */
const char *layout_state_name(const struct map_layout *l, unsigned v);
/* Flag bits by name, "hashWriting|sameSizeGrow", or "0". */
void layout_flags_str(const struct map_layout *l, unsigned v, char *buf, size_t n);

#endif
