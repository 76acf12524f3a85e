/*
 * design.h: a map design, the algorithm over a map_model: where a key lives
 * (or would go) as the map's own lookup finds it, the cells a key's lookup
 * touches, what a byte of map memory is, the names of states, and which
 * bytes to watch. design_classic.c is Go's classic design (shared by hmap and
 * Go up to 1.23); a swiss design is one more table.
 *
 * The views are generic: a place {table, bucket|group, overflow|probe, slot,
 * old}, a cell's state byte, key and elem addresses; a unit is a bucket or a
 * group, the memory that holds slot_cnt cells.
 */
#ifndef MAPVIZ_MODEL_DESIGN_H
#define MAPVIZ_MODEL_DESIGN_H

#include "model/model.h"

#define CHAIN_MAX 256 /* longest chain or probe walked; longer ones are corrupt for our purpose */

/* The header, decoded. */
struct hdr {
	int64_t count;
	unsigned flags, B, noverflow;
	uint32_t hash0;
	uint64_t buckets, oldbuckets, nevacuate;
};

/* A place in the map: a slot of a unit (bucket or group), a unit's link, or the header. */
struct place {
	bool in_bucket; /* false: the header */
	bool old;       /* in the old array (growth not yet evacuated there) */
	unsigned table; /* swiss: the table; 0 in classic */
	uint64_t bucket;    /* bucket | group index */
	unsigned overflow;  /* overflow depth | probe step */
	int slot;       /* -1 when not a slot */
};

/* A key's cell: where the key is, or the first free cell its insertion would take. */
struct loc {
	bool valid;   /* a cell */
	bool present; /* the key is in that cell */
	bool old;     /* the cell is in the old array */
	uint64_t bucket;
	unsigned overflow; /* depth in the chain: 0 is the bucket itself */
	unsigned slot;
	uint64_t head_addr, bucket_addr; /* the chain's first unit, the cell's unit */
	uint64_t tophash_addr, key_addr, elem_addr; /* the state byte, key and elem cells */
	uint64_t hash;
	uint8_t top;  /* the state byte a live key has */
	/* No cell (the chain is full): what to watch for it to change. In the new table, the
	 * last bucket's overflow pointer (a new overflow bucket); in the old table, the first
	 * tophash byte of the chain's head (evacuation marks it). */
	uint64_t wait_addr;
	unsigned wait_len;
};

/* One unit of a key's chain: where it is and what it is. */
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
	enum map_field field;
	bool in_bucket;
	struct chain_bucket where;
	int slot;          /* -1 for links and header fields */
	uint64_t start;    /* the field's first byte */
	unsigned size;
};

/* A region to watch, as a plan says it: its bytes and what they stand for. */
enum watch_role {
	ROLE_NONE,
	ROLE_MAP_VAR,      /* the global that will point to the map */
	ROLE_CELL,         /* the followed slot's state byte */
	ROLE_BUCKETS,      /* the header's buckets pointer: growth */
	ROLE_TAIL,         /* a full chain: what must change for a cell to appear */
	ROLE_COUNT,        /* delete: the header's count */
	ROLE_FLAGS,        /* delete: the header word holding flags and the seed */
	ROLE_KEYCELL,      /* the key cell (delete: cleared before the elem) */
	ROLE_ELEMCELL,     /* the elem cell */
	ROLE_TOPHASH_ARRAY, /* delete: a unit's state bytes, for emptyOne and the emptyRest walk */
	ROLE_ARRIVING_KEY  /* delete: the key cell evacuation is about to fill */
};

struct plan_item {
	uint64_t addr;
	unsigned len;
	enum watch_role role;
};

#define PLAN_MAX 8

struct watch_plan {
	struct plan_item item[PLAN_MAX];
	int n;
};

struct map_design {
	const char *name;
	/* Each field's name in the design's words; NULL for a field it does not have. */
	const char *const *field_names;
	bool (*hdr_read)(struct mem *m, const struct map_model *l, uint64_t map, struct hdr *h);
	/* Finds the key as the map's lookup would. -1 when the map's memory is unreadable. */
	int (*locate)(struct mem *m, const struct map_model *l, uint64_t map, const struct key *k,
		      struct loc *out);
	/* The units the key's lookup touches now (old chain while growing, then the new one). */
	int (*chains_for_key)(struct mem *m, const struct map_model *l, uint64_t map,
			      const struct key *k, struct chainset *cs);
	/* Describes addr; false when it is neither in the header nor in a unit of cs. */
	bool (*field_at)(const struct map_model *l, uint64_t map, const struct chainset *cs,
			 uint64_t addr, struct field_desc *fd);
	/* The name of a state byte's value, or NULL for a live one. */
	const char *(*state_name)(const struct map_model *l, unsigned v);
	/* Whether a state byte says the unit's cells moved to the new array (evacuated). */
	bool (*state_moved)(const struct map_model *l, unsigned v);
	/* Whether a state byte says the cell is free (empty or deleted). */
	bool (*state_free)(const struct map_model *l, unsigned v);
	/* The state bytes of the unit at unit_addr: their first address and how many. */
	void (*unit_states)(const struct map_model *l, uint64_t unit_addr, uint64_t *addr,
			    unsigned *len);
	/* Bytes of a unit (what a snapshot of one copies). */
	unsigned (*unit_size)(const struct map_model *l);
	/* What to watch to follow the key's cell at loc (slot mode): state byte, key and elem
	 * cells, or what a full chain waits on; then the growth pointer. */
	void (*plan_slot)(const struct map_model *l, uint64_t map, const struct loc *loc,
			  struct watch_plan *p);
	/* The watch registers following a key needs at its worst position (why: what for). */
	int (*slot_regions_needed)(const struct map_model *l, char *why, size_t n);
	/* The JSON members describing the shape (the meta line's layout), after "type". */
	void (*layout_json)(FILE *out, const struct map_model *l);
};

extern const struct map_design design_classic;

/* A field's name under l's design, or "" when it has none. */
const char *field_name(const struct map_model *l, enum map_field f);
bool loc_same(const struct loc *a, const struct loc *b);
void place_of_loc(const struct loc *l, struct place *p);

#endif
