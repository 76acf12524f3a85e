/*
 * source_hmap.c: the hmap source: maps of mapviz's C library, their model
 * read from DWARF, the design classic, the hash XXH3-64 seeded with hash0.
 *
 * A typed map is struct NAME { struct hmap h; struct NAME_bucket *bucket_layout[]; }:
 * the header's member offsets come from struct hmap, the bucket's from
 * struct NAME_bucket (reached through bucket_layout), the slot states and
 * flags from enum hmap_tophash_state and enum hmap_flag. Once the map
 * exists, its type descriptor (struct hmap_type, read with DWARF offsets
 * too) is cross-checked against all of that.
 */
#define _GNU_SOURCE
#include "model/design.h"

#include <ctype.h>
#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const struct op_func hmap_ops[] = {
	{"hmap_assign", OP_ASSIGN, false},  {"hmap_delete", OP_DELETE, false},
	{"evacuate", OP_EVACUATE, false},   {"growWork", OP_EVACUATE, false},
	{"hashGrow", OP_EVACUATE, false},   {"hmap_clear", OP_CLEAR, false},
	{"hmap_make", OP_NEW, false},       {"hmap_free", OP_FREE, false},
	/* Reads (reported with --reads) name the operation that read. */
	{"hmap_access", OP_ACCESS, false},  {"hmap_iternext", OP_ITERATE, false},
	{NULL, OP_NONE, false},
};

static uint64_t die_size(Dwarf_Die *t)
{
	Dwarf_Die p;
	if (!dwarf_peel(t, &p))
		return 0;
	Dwarf_Word s;
	if (dwarf_aggregate_size(&p, &s) == 0)
		return s;
	return dwarf_tag(&p) == DW_TAG_pointer_type ? sizeof(void *) : 0;
}

/* The type that type DIE t refers to when t (typedefs and qualifiers peeled) has this tag. */
static bool referred_type(Dwarf_Die *t, int tag, Dwarf_Die *out)
{
	Dwarf_Die p;
	Dwarf_Attribute a;
	return dwarf_peel(t, &p) && dwarf_tag(&p) == tag && dwarf_attr_integrate(&p, DW_AT_type, &a) &&
	       dwarf_formref_die(&a, out);
}

/* The element type of an array type DIE. */
static bool array_elem(Dwarf_Die *arr, Dwarf_Die *out) { return referred_type(arr, DW_TAG_array_type, out); }

static bool pointee(Dwarf_Die *ptr, Dwarf_Die *out) { return referred_type(ptr, DW_TAG_pointer_type, out); }

static bool is_char_pointer(Dwarf_Die *t)
{
	Dwarf_Die target, base;
	if (!pointee(t, &target) || !dwarf_peel(&target, &base) || dwarf_tag(&base) != DW_TAG_base_type)
		return false;
	Dwarf_Attribute a;
	Dwarf_Word enc;
	return dwarf_bytesize(&base) == 1 && dwarf_attr(&base, DW_AT_encoding, &a) &&
	       dwarf_formudata(&a, &enc) == 0 &&
	       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
}

/* A cell type: KEY itself, or KEY * when KEY is over the indirect limit. */
static void cell_type(Dwarf_Die *cell, unsigned max_direct, Dwarf_Die *value, bool *indirect)
{
	Dwarf_Die target;
	*indirect = false;
	*value = *cell;
	if (pointee(cell, &target) && die_size(&target) > max_direct) {
		*indirect = true;
		*value = target;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * The key or elem type as the program wrote it in HMAP_DEFINE (uint64_t, not long unsigned
 * int): the type behind the NAME_keycell / NAME_elemcell typedef the bucket declares.
 */
static void as_written(Dwarf_Die *cell_value, Dwarf_Die *out)
{
	const char *name = dwarf_diename(cell_value);
	bool cell_typedef = dwarf_tag(cell_value) == DW_TAG_typedef && name &&
			    (ends_with(name, "_keycell") || ends_with(name, "_elemcell"));
	Dwarf_Attribute a;
	if (!cell_typedef || !dwarf_formref_die(dwarf_attr_integrate(cell_value, DW_AT_type, &a), out))
		*out = *cell_value;
}

static void type_name(Dwarf_Die *t, char *buf, size_t n)
{
	Dwarf_Die target, bare;
	if (dwarf_tag(t) == DW_TAG_pointer_type && pointee(t, &target)) {
		bool is_const = dwarf_tag(&target) == DW_TAG_const_type;
		if (dwarf_peel(&target, &bare) && !dwarf_diename(&target))
			target = bare; /* a cv-qualified, unnamed type: name what it qualifies */
		snprintf(buf, n, "%s%s *", is_const ? "const " : "", dwarf_type_name(&target));
	} else {
		snprintf(buf, n, "%s", dwarf_type_name(t));
	}
}

static int enum_value(const struct enum_value *v, int n, const char *name, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0) {
			*out = (int)v[i].value;
			return 0;
		}
	return -1;
}

/* Reads an enum into display names (the hmap_ prefix stripped). */
static int load_enum(struct dbg *d, const char *ename, struct enum_value *out, int *n, char *err,
		     size_t errlen)
{
	*n = dbg_enum(d, ename, out, MODEL_MAX_NAMES);
	if (*n <= 0) {
		snprintf(err, errlen, "no enum %s in the program's DWARF", ename);
		return -1;
	}
	for (int i = 0; i < *n; i++)
		if (strncmp(out[i].name, "hmap_", 5) == 0)
			memmove(out[i].name, out[i].name + 5, strlen(out[i].name + 5) + 1);
	return 0;
}

static int load_constants(struct dbg *d, struct map_model *l, char *err, size_t errlen)
{
	struct enum_value shape[MODEL_MAX_NAMES];
	int nshape, cnt;
	if (load_enum(d, "hmap_tophash_state", l->states, &l->nstates, err, errlen) ||
	    load_enum(d, "hmap_flag", l->flags, &l->nflags, err, errlen) ||
	    load_enum(d, "hmap_bucket_shape", shape, &nshape, err, errlen))
		return -1;
	struct {
		const struct enum_value *v;
		int n;
		const char *name;
		int *out;
	} need[] = {
		{l->states, l->nstates, "emptyRest", &l->classic.emptyRest},
		{l->states, l->nstates, "emptyOne", &l->classic.emptyOne},
		{l->states, l->nstates, "evacuatedX", &l->classic.evacuatedX},
		{l->states, l->nstates, "evacuatedY", &l->classic.evacuatedY},
		{l->states, l->nstates, "evacuatedEmpty", &l->classic.evacuatedEmpty},
		{l->states, l->nstates, "minTopHash", &l->classic.minTopHash},
		{l->flags, l->nflags, "hashWriting", &l->writing_flag},
		{l->flags, l->nflags, "sameSizeGrow", &l->classic.sameSizeGrow},
		{shape, nshape, "bucketCnt", &cnt},
	};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (enum_value(need[i].v, need[i].n, need[i].name, need[i].out)) {
			snprintf(err, errlen, "no enumerator hmap_%s in the program's DWARF", need[i].name);
			return -1;
		}
	l->slot_cnt = (unsigned)cnt;
	return 0;
}

static int load_header(struct dbg *d, struct map_model *l, char *err, size_t errlen)
{
	Dwarf_Die h;
	if (!dbg_find_type(d, DW_TAG_structure_type, "hmap", &h)) {
		snprintf(err, errlen, "no struct hmap in the program's DWARF");
		return -1;
	}
	for (int f = FIELD_FIRST_HEADER; f < FIELD_N; f++) {
		uint64_t off;
		Dwarf_Die t;
		const char *name = design_classic.field_names[f];
		if (!dwarf_member(&h, name, &off, &t)) {
			snprintf(err, errlen, "struct hmap has no member %s", name);
			return -1;
		}
		l->hdr[f] = (struct hdr_field_desc){(unsigned)off, (unsigned)die_size(&t)};
	}
	uint64_t off;
	if (!dwarf_member(&h, "type", &off, NULL)) {
		snprintf(err, errlen, "struct hmap has no member type");
		return -1;
	}
	l->off_type = (unsigned)off;
	l->hdr_size = (unsigned)dwarf_bytesize(&h);
	return 0;
}

/* Fills the bucket part of l from struct NAME_bucket. */
static int load_bucket(Dwarf_Die *bucket, struct map_model *l, char *err, size_t errlen)
{
	Dwarf_Die th, keys, elems, ovf, kc, ec, kv, ev;
	uint64_t o_th, o_k, o_e, o_o;
	const char *bname = dwarf_type_name(bucket);
	if (!dwarf_member(bucket, "tophash", &o_th, &th) || !dwarf_member(bucket, "keys", &o_k, &keys) ||
	    !dwarf_member(bucket, "elems", &o_e, &elems) ||
	    !dwarf_member(bucket, "overflow", &o_o, &ovf) || !array_elem(&keys, &kc) ||
	    !array_elem(&elems, &ec)) {
		snprintf(err, errlen, "struct %s is not an hmap bucket (tophash, keys, elems, overflow)",
			 bname);
		return -1;
	}
	l->classic.bucketsize = (unsigned)dwarf_bytesize(bucket);
	l->classic.tophash_off = (unsigned)o_th;
	l->classic.keys_off = (unsigned)o_k;
	l->classic.elems_off = (unsigned)o_e;
	l->classic.overflow_off = (unsigned)o_o;
	l->keycell = (unsigned)die_size(&kc);
	l->elemcell = (unsigned)die_size(&ec);
	cell_type(&kc, 128, &kv, &l->key_indirect);
	cell_type(&ec, 128, &ev, &l->elem_indirect);
	l->key_size = (unsigned)die_size(&kv);
	l->elem_size = (unsigned)die_size(&ev);
	l->key_kind = is_char_pointer(&kv) ? KEY_STRING : KEY_BYTES; /* until the descriptor says */
	/* Go clears a key cell on delete only when the key holds pointers. */
	Dwarf_Die kp;
	l->key_cleared = l->key_indirect || (dwarf_peel(&kv, &kp) && dwarf_tag(&kp) == DW_TAG_pointer_type);
	Dwarf_Die kvn, evn;
	as_written(&kv, &kvn);
	as_written(&ev, &evn);
	codec_free(l->key_codec);
	codec_free(l->elem_codec);
	l->key_codec = codec_build(&kvn);
	l->elem_codec = codec_build(&evn);
	if (!l->key_codec || !l->elem_codec) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(l->key_type, sizeof l->key_type, "%s", l->key_codec->name);
	snprintf(l->elem_type, sizeof l->elem_type, "%s", l->elem_codec->name);
	snprintf(l->type_name, sizeof l->type_name, "%.*s", (int)(strlen(bname) - strlen("_bucket")),
		 bname);
	return 0;
}

/* From a typed map struct (with bucket_layout) to its bucket struct. */
static bool typed_map_bucket(Dwarf_Die *map, Dwarf_Die *bucket)
{
	uint64_t off;
	Dwarf_Die arr, ptr, b;
	return dwarf_member(map, "bucket_layout", &off, &arr) && array_elem(&arr, &ptr) &&
	       pointee(&ptr, &b) && dwarf_peel(&b, bucket) &&
	       dwarf_tag(bucket) == DW_TAG_structure_type;
}

static int hmap_resolve(struct dbg *d, struct mem *m, const char *spec, struct map_target *t,
			struct map_model *l, char *err, size_t errlen)
{
	(void)m;
	memset(t, 0, sizeof *t);
	l->source = &source_hmap;
	l->design = &design_classic;
	snprintf(t->spec, sizeof t->spec, "%s", spec);
	if (load_header(d, l, err, errlen) || load_constants(d, l, err, errlen))
		return -1;
	if (strncmp(spec, "0x", 2) == 0 || strncmp(spec, "0X", 2) == 0) {
		char *end;
		errno = 0;
		t->map_addr = strtoull(spec + 2, &end, 16);
		/* The whole text, hex digits only (no sign or space strtoull would allow), in 64 bits. */
		if (end == spec + 2 || *end || errno == ERANGE || !isxdigit((unsigned char)spec[2]) ||
		    t->map_addr == 0) {
			snprintf(err, errlen, "bad map address %s", spec);
			return -1;
		}
		return 0; /* layout comes from the map's descriptor */
	}
	Dwarf_Die type, p, target;
	if (!dbg_find_variable(d, spec, &t->var_addr, &type)) {
		snprintf(err, errlen, "no such map: no global variable %s in the program's DWARF", spec);
		return -1;
	}
	if (!dwarf_peel(&type, &p)) {
		snprintf(err, errlen, "%s: unreadable type in DWARF", spec);
		return -1;
	}
	if (dwarf_tag(&p) == DW_TAG_pointer_type) {
		t->var_is_pointer = true;
		if (!pointee(&p, &target) || !dwarf_peel(&target, &p)) {
			snprintf(err, errlen, "%s is not a map (a void pointer)", spec);
			return -1;
		}
	}
	char tn[96];
	type_name(&p, tn, sizeof tn);
	if (dwarf_tag(&p) != DW_TAG_structure_type) {
		snprintf(err, errlen, "%s is not a map (its type is %s%s)", spec, tn,
			 t->var_is_pointer ? " *" : "");
		return -1;
	}
	Dwarf_Die bucket;
	if (typed_map_bucket(&p, &bucket)) {
		if (load_bucket(&bucket, l, err, errlen))
			return -1;
		t->layout_known = true;
		return 0;
	}
	const char *nm = dwarf_diename(&p);
	if (nm && strcmp(nm, "hmap") == 0)
		return 0; /* a generic struct hmap: layout from the descriptor */
	snprintf(err, errlen, "%s is not a map (its type is struct %s%s)", spec, tn,
		 t->var_is_pointer ? " *" : "");
	return -1;
}

/* Reads a member of struct hmap_type from the descriptor at addr. */
static bool desc_field(struct mem *m, Dwarf_Die *dt, uint64_t addr, const char *name, void *buf,
		       size_t n)
{
	uint64_t off;
	Dwarf_Die t;
	if (!dwarf_member(dt, name, &off, &t))
		return false;
	size_t sz = die_size(&t);
	if (sz > n)
		sz = n;
	memset(buf, 0, n);
	return mem_read(m, addr + off, buf, sz);
}

static int hmap_attach_instance(struct dbg *d, struct mem *m, uint64_t map_addr,
				struct map_target *t, struct map_model *l,
				void (*warn)(const char *line), char *err, size_t errlen)
{
	Dwarf_Die dt;
	uint64_t desc;
	if (!mem_read_u64(m, map_addr + l->off_type, &desc)) {
		snprintf(err, errlen, "%s is not a map: cannot read a map header at %#llx", t->spec,
			 (unsigned long long)map_addr);
		return -1;
	}
	if (!dbg_find_type(d, DW_TAG_structure_type, "hmap_type", &dt)) {
		snprintf(err, errlen, "no struct hmap_type in the program's DWARF");
		return -1;
	}
	uint32_t magic = 0;
	int64_t magic_want;
	char name[64] = "";
	if (!dbg_enumerator(d, "hmap_typeMagic", &magic_want)) {
		snprintf(err, errlen, "no enumerator hmap_typeMagic in the program's DWARF");
		return -1;
	}
	if (!desc_field(m, &dt, desc, "magic", &magic, sizeof magic) ||
	    !desc_field(m, &dt, desc, "name", name, sizeof name - 1)) {
		snprintf(err, errlen, "%s at %#llx is not a map: its type pointer %#llx is unreadable",
			 t->spec, (unsigned long long)map_addr, (unsigned long long)desc);
		return -1;
	}
	if (magic != (uint32_t)magic_want) {
		snprintf(err, errlen, "%s at %#llx is not a map: bad type descriptor magic %#x", t->spec,
			 (unsigned long long)map_addr, magic);
		return -1;
	}
	if (!t->layout_known) {
		char bname[96];
		Dwarf_Die bucket;
		snprintf(bname, sizeof bname, "%s_bucket", name);
		if (!dbg_find_type(d, DW_TAG_structure_type, bname, &bucket)) {
			snprintf(err, errlen, "map type %s: no struct %s in the program's DWARF", name,
				 bname);
			return -1;
		}
		if (load_bucket(&bucket, l, err, errlen))
			return -1;
		t->layout_known = true;
	}
	/* Cross-check every descriptor offset and size against DWARF. */
	struct {
		const char *field;
		unsigned dwarf;
	} check[] = {
		{"bucketsize", l->classic.bucketsize},	 {"keys_offset", l->classic.keys_off},
		{"elems_offset", l->classic.elems_off},	 {"overflow_offset", l->classic.overflow_off},
		{"tophash_offset", l->classic.tophash_off}, {"keysize", l->keycell},
		{"elemsize", l->elemcell},	 {"key_size", l->key_size},
		{"elem_size", l->elem_size},
	};
	for (size_t i = 0; i < sizeof check / sizeof check[0]; i++) {
		uint32_t v;
		if (!desc_field(m, &dt, desc, check[i].field, &v, sizeof v))
			continue;
		if (v != check[i].dwarf) {
			char line[256];
			snprintf(line, sizeof line,
				 "warning: map type %s: descriptor says %s %u, DWARF says %u", name,
				 check[i].field, v, check[i].dwarf);
			warn(line);
		}
	}
	if (strcmp(name, l->type_name) != 0) {
		char line[256];
		snprintf(line, sizeof line, "warning: map %s: descriptor names type %s, DWARF says %s",
			 t->spec, name, l->type_name);
		warn(line);
	}
	uint8_t hash_kind = 0;
	struct enum_value kinds[MODEL_MAX_NAMES];
	int nk = dbg_enum(d, "hmap_hash_kind", kinds, MODEL_MAX_NAMES), str_kind;
	if (desc_field(m, &dt, desc, "hash_kind", &hash_kind, 1) && nk > 0 &&
	    enum_value(kinds, nk, "hmap_hashString", &str_kind) == 0)
		l->key_kind = hash_kind == str_kind ? KEY_STRING : KEY_BYTES;
	return 0;
}

static bool hmap_hash(const struct map_model *l, struct mem *m, const struct key *k, uint64_t seed,
		      uint64_t *hash)
{
	(void)l;
	(void)m;
	*hash = XXH3_64bits_withSeed(k->bytes, k->len, seed);
	return true;
}

const struct map_source source_hmap = {
	.name = "hmap",
	.resolve = hmap_resolve,
	.attach_instance = hmap_attach_instance,
	.hash = hmap_hash,
	.ops = hmap_ops,
	/* hmap_delete(map, key pointer) */
	.deletes = {{"hmap_delete", ABI_C, 0, 1, false}},
	.free_func = "hmap_free",
	/* hmap.c's fatal(h, what), static: the one in hmap_access's file. */
	.checks = {{"fatal", "hmap_access", ABI_C, 0, 1, false}},
};
