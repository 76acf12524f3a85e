/*
 * source_go.c: the Go source: maps of a Go program (Go 1.19 to 1.23, the
 * classic design), read from the binary's own DWARF as the linker writes it.
 *
 * A map variable (main.m, pkg/path.var) has type map[K]V, a pointer to the
 * synthesized header struct hash<K, V> (runtime.hmap's fields); its buckets
 * point to struct bucket<K, V> {tophash, keys, values, overflow}. Go's
 * constants (runtime.emptyOne, runtime.hashWriting, runtime.bucketCnt or
 * internal/abi.MapBucketCount) are DW_TAG_constants. The release comes from
 * the executable's build information (.go.buildinfo); Go 1.24 on has swiss
 * tables, another design, and is refused with one line. Keys are hashed
 * with Go's own hash (hash_go.c) seeded from runtime.aeskeysched,
 * runtime.hashkey and runtime.useAeshash, read from memory once the runtime
 * has set them.
 */
#define _GNU_SOURCE
#include "model/design.h"
#include "model/hash_go.h"

#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GO_FIRST_CLASSIC 19 /* the releases this source reads: Go 1.19 ... */
#define GO_LAST_CLASSIC 23  /* ... to Go 1.23; 1.24 brought swiss tables */

static const struct op_func go_ops[] = {
	{"runtime.mapassign", OP_ASSIGN, true},	 /* and its _fast32/_fast64/_faststr variants */
	{"runtime.mapdelete", OP_DELETE, true},
	{"runtime.evacuate", OP_EVACUATE, false}, {"runtime.evacuate_", OP_EVACUATE, true},
	{"runtime.growWork", OP_EVACUATE, true},  {"runtime.hashGrow", OP_EVACUATE, false},
	{"runtime.advanceEvacuationMark", OP_EVACUATE, false},
	{"runtime.mapclear", OP_CLEAR, false},	  {"runtime.makemap", OP_NEW, true},
	{"runtime.mapaccess", OP_ACCESS, true},	  {"runtime.mapiternext", OP_ITERATE, false},
	{"runtime.mapiterinit", OP_ITERATE, false},
	{NULL, OP_NONE, false},
};

/* What the source keeps of a Go program: the release, the hash seeds, the key type. */
struct go_data {
	unsigned release_minor;
	uint64_t addr_aeskeysched, addr_hashkey, addr_useaes;
	struct go_hash_seeds seeds;
	bool seeds_loaded;
	struct go_type *key_type;
};

/* ---- the release ---- */

/* Reads a varint-prefixed string at *p (within end) into out. */
static bool varint_string(const uint8_t *p, const uint8_t *end, char *out, size_t n)
{
	uint64_t len = 0;
	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		len |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (len >= n || len > (uint64_t)(end - p))
				return false;
			memcpy(out, p, len);
			out[len] = '\0';
			return true;
		}
	}
	return false;
}

/*
 * The Go version the executable was built with ("go1.19.8"), from its
 * .go.buildinfo section: the magic "\xff Go buildinf:", the pointer size, a
 * flags byte; with flag 2 (Go 1.18 on) the version follows at offset 32 as a
 * varint-prefixed string. False when the section is absent (not a Go program).
 */
static bool build_version(pid_t pid, char *version, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	bool found = false;
	if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
		for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
			GElf_Shdr sh;
			const char *name;
			if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
			    strcmp(name, ".go.buildinfo") != 0)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			const uint8_t *b = d ? d->d_buf : NULL;
			if (b && d->d_size > 32 && memcmp(b, "\xff Go buildinf:", 14) == 0 && (b[15] & 2))
				found = varint_string(b + 32, b + d->d_size, version, n);
			break;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

/* N of "go1.N..." or -1. */
static int release_minor(const char *version)
{
	unsigned major, minor;
	if (sscanf(version, "go%u.%u", &major, &minor) != 2 || major != 1)
		return -1;
	return (int)minor;
}

/* ---- the model from DWARF ---- */

static uint64_t die_size(Dwarf_Die *t)
{
	Dwarf_Die p;
	Dwarf_Word s;
	if (!dwarf_peel(t, &p))
		return 0;
	if (dwarf_aggregate_size(&p, &s) == 0)
		return s;
	return dwarf_tag(&p) == DW_TAG_pointer_type ? 8 : 0;
}

/* The type that t (typedefs peeled) refers to when it has this tag. */
static bool referred(Dwarf_Die *t, int tag, Dwarf_Die *out)
{
	Dwarf_Die p;
	Dwarf_Attribute a;
	return dwarf_peel(t, &p) && dwarf_tag(&p) == tag && dwarf_attr_integrate(&p, DW_AT_type, &a) &&
	       dwarf_formref_die(&a, out);
}

static int constant(struct dbg *d, const char *name, int *out, char *err, size_t errlen)
{
	char full[96];
	int64_t v;
	snprintf(full, sizeof full, "runtime.%s", name);
	if (!dbg_constant(d, full, &v)) {
		snprintf(err, errlen, "no constant %s in the program's DWARF", full);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int load_constants(struct dbg *d, struct map_model *l, char *err, size_t errlen)
{
	static const char *const states[] = {"emptyRest",  "emptyOne",	     "evacuatedX",
					     "evacuatedY", "evacuatedEmpty", "minTopHash"};
	static const char *const flags[] = {"iterator", "oldIterator", "hashWriting", "sameSizeGrow"};
	l->nstates = l->nflags = 0;
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		int v;
		if (constant(d, states[i], &v, err, errlen))
			return -1;
		snprintf(l->states[l->nstates].name, sizeof l->states[0].name, "%s", states[i]);
		l->states[l->nstates++].value = v;
	}
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		int v;
		if (constant(d, flags[i], &v, err, errlen))
			return -1;
		snprintf(l->flags[l->nflags].name, sizeof l->flags[0].name, "%s", flags[i]);
		l->flags[l->nflags++].value = v;
	}
	struct classic_shape *c = &l->classic;
	int *dst[] = {&c->emptyRest, &c->emptyOne, &c->evacuatedX, &c->evacuatedY, &c->evacuatedEmpty,
		      &c->minTopHash};
	for (int i = 0; i < 6; i++)
		*dst[i] = (int)l->states[i].value;
	l->writing_flag = (int)l->flags[2].value;
	c->sameSizeGrow = (int)l->flags[3].value;
	int64_t cnt;
	if (!dbg_constant(d, "runtime.bucketCnt", &cnt) &&
	    !dbg_constant(d, "internal/abi.MapBucketCount", &cnt)) {
		snprintf(err, errlen, "no constant runtime.bucketCnt (or internal/abi.MapBucketCount) "
				      "in the program's DWARF");
		return -1;
	}
	l->slot_cnt = (unsigned)cnt;
	return 0;
}

static const char *const hdr_members[FIELD_N] = {
	[FIELD_COUNT] = "count",       [FIELD_FLAGS] = "flags",       [FIELD_B] = "B",
	[FIELD_NOVERFLOW] = "noverflow", [FIELD_SEED] = "hash0",      [FIELD_BUCKETS] = "buckets",
	[FIELD_OLDBUCKETS] = "oldbuckets", [FIELD_NEVACUATE] = "nevacuate",
};

static int load_header(Dwarf_Die *h, struct map_model *l, char *err, size_t errlen)
{
	for (int f = FIELD_FIRST_HEADER; f < FIELD_N; f++) {
		uint64_t off;
		Dwarf_Die t;
		if (!dwarf_member(h, hdr_members[f], &off, &t)) {
			snprintf(err, errlen, "struct %s has no member %s", dwarf_diename(h), hdr_members[f]);
			return -1;
		}
		l->hdr[f] = (struct hdr_field_desc){(unsigned)off, (unsigned)die_size(&t)};
	}
	l->hdr_size = (unsigned)die_size(h);
	return 0;
}

/* Go's key type as its hasher sees it, from the key's codec; NULL when out of memory. */
static struct go_type *go_type_of(const struct codec_type *t)
{
	struct go_type *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->size = t->size;
	switch (t->kind) {
	case CK_FLOAT:
		g->kind = GO_KIND_FLOAT;
		break;
	case CK_GO_STRING:
		g->kind = GO_KIND_STRING;
		break;
	case CK_OPAQUE:
		g->kind = strncmp(t->name, "complex", 7) == 0 ? GO_KIND_COMPLEX : GO_KIND_MEM;
		break;
	case CK_ARRAY:
		g->kind = GO_KIND_ARRAY;
		g->length = t->count;
		if (!(g->elem = go_type_of(t->elem)))
			return NULL;
		break;
	case CK_STRUCT:
	case CK_UNION: {
		if (strncmp(t->name, "interface", 9) == 0 || strncmp(t->name, "runtime.eface", 13) == 0 ||
		    strncmp(t->name, "runtime.iface", 13) == 0) {
			g->kind = GO_KIND_INTERFACE;
			break;
		}
		g->kind = GO_KIND_STRUCT;
		struct go_field *f = calloc(t->nmembers ? t->nmembers : 1, sizeof *f);
		if (!f)
			return NULL;
		for (unsigned i = 0; i < t->nmembers; i++) {
			f[i].name = t->members[i].name ? t->members[i].name : "_";
			f[i].offset = t->members[i].offset;
			if (!(f[i].type = go_type_of(t->members[i].type)))
				return NULL;
		}
		g->fields = f;
		g->nfields = t->nmembers;
		break;
	}
	default:
		g->kind = GO_KIND_MEM; /* integers, bools, pointers, channels */
		break;
	}
	return g;
}

/* Whether values of t hold pointers (delete clears such a key cell). */
static bool has_pointers(const struct codec_type *t)
{
	if (t->kind == CK_POINTER || t->kind == CK_STRING || t->kind == CK_GO_STRING)
		return true;
	for (unsigned i = 0; i < t->nmembers; i++)
		if (has_pointers(t->members[i].type))
			return true;
	return t->elem && has_pointers(t->elem);
}

/* The Go linker's attributes of a map type: its key and elem types. */
#define DW_AT_go_key 0x2901
#define DW_AT_go_elem 0x2902
/* Keys and elems over this many bytes are stored indirectly: the bucket's cell is a pointer to
 * them (runtime/map.go: maxKeySize, maxElemSize). */
#define GO_MAX_INLINE_CELL 128

/*
 * What a bucket cell of type cell holds, for the map type's key or elem (attribute at of
 * map_type): into *value its type, *indirect when the cell is a pointer to it. A key type
 * that is itself a pointer (map[*T]V) is direct: its size is a pointer's.
 */
static void cell_value(Dwarf_Die *map_type, unsigned at, Dwarf_Die *cell, Dwarf_Die *value,
		       bool *indirect)
{
	Dwarf_Attribute a;
	Dwarf_Die of, c;
	*indirect = dwarf_attr(map_type, at, &a) && dwarf_formref_die(&a, &of) &&
		    die_size(&of) > GO_MAX_INLINE_CELL && dwarf_peel(cell, &c) &&
		    dwarf_tag(&c) == DW_TAG_pointer_type;
	*value = *indirect ? of : *cell;
}

static int load_bucket(Dwarf_Die *map_type, Dwarf_Die *bucket, struct map_model *l, char *err,
		       size_t errlen)
{
	Dwarf_Die th, keys, values, ovf, kc, vc, kt, vt;
	uint64_t o_th, o_k, o_v, o_o;
	struct classic_shape *c = &l->classic;
	if (!dwarf_member(bucket, "tophash", &o_th, &th) || !dwarf_member(bucket, "keys", &o_k, &keys) ||
	    !dwarf_member(bucket, "values", &o_v, &values) ||
	    !dwarf_member(bucket, "overflow", &o_o, &ovf) || !referred(&keys, DW_TAG_array_type, &kc) ||
	    !referred(&values, DW_TAG_array_type, &vc)) {
		snprintf(err, errlen, "struct %s is not a Go map bucket (tophash, keys, values, overflow)",
			 dwarf_diename(bucket));
		return -1;
	}
	c->bucketsize = (unsigned)die_size(bucket);
	c->tophash_off = (unsigned)o_th;
	c->keys_off = (unsigned)o_k;
	c->elems_off = (unsigned)o_v;
	c->overflow_off = (unsigned)o_o;
	cell_value(map_type, DW_AT_go_key, &kc, &kt, &l->key_indirect);
	cell_value(map_type, DW_AT_go_elem, &vc, &vt, &l->elem_indirect);
	l->keycell = (unsigned)die_size(&kc);
	l->elemcell = (unsigned)die_size(&vc);
	l->key_size = (unsigned)die_size(&kt);
	l->elem_size = (unsigned)die_size(&vt);
	l->key_codec = codec_build(&kt);
	l->elem_codec = codec_build(&vt);
	if (!l->key_codec || !l->elem_codec) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	codec_go_strings(l->key_codec);
	codec_go_strings(l->elem_codec);
	l->key_kind = l->key_codec->kind == CK_GO_STRING ? KEY_GO_STRING : KEY_BYTES;
	/* Go clears a key cell on delete when it holds pointers (an indirect key's cell does). */
	l->key_cleared = l->key_indirect || has_pointers(l->key_codec);
	snprintf(l->key_type, sizeof l->key_type, "%s", l->key_codec->name);
	snprintf(l->elem_type, sizeof l->elem_type, "%s", l->elem_codec->name);
	return 0;
}

static int go_resolve(struct dbg *d, struct mem *m, const char *spec, struct map_target *t,
		      struct map_model *l, char *err, size_t errlen)
{
	char version[64];
	if (!build_version(m->pid, version, sizeof version))
		return 1; /* not a Go program */
	int minor = release_minor(version);
	if (minor > GO_LAST_CLASSIC) {
		snprintf(err, errlen, "Go 1.%d maps (swiss tables) are not supported yet", minor);
		return -1;
	}
	if (minor < GO_FIRST_CLASSIC) {
		snprintf(err, errlen, "Go %s is not supported (Go 1.%d to 1.%d are)", version + 2,
			 GO_FIRST_CLASSIC, GO_LAST_CLASSIC);
		return -1;
	}
	memset(t, 0, sizeof *t);
	snprintf(t->spec, sizeof t->spec, "%s", spec);
	l->source = &source_go;
	l->design = &design_classic;
	struct go_data *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->source_data = g;
	g->release_minor = (unsigned)minor;
	if (!dbg_symbol_addr(d, "runtime.aeskeysched", &g->addr_aeskeysched) ||
	    !dbg_symbol_addr(d, "runtime.hashkey", &g->addr_hashkey) ||
	    !dbg_symbol_addr(d, "runtime.useAeshash", &g->addr_useaes)) {
		snprintf(err, errlen, "no runtime.aeskeysched, runtime.hashkey or runtime.useAeshash "
				      "symbol in the program");
		return -1;
	}
	if (load_constants(d, l, err, errlen))
		return -1;
	Dwarf_Die type, hdr, bucket;
	if (!dbg_find_variable(d, spec, &t->var_addr, &type)) {
		snprintf(err, errlen, "no such map: no global variable %s in the program's DWARF", spec);
		return -1;
	}
	const char *tn = dwarf_diename(&type);
	if (!tn || strncmp(tn, "map[", 4) != 0 || !referred(&type, DW_TAG_pointer_type, &hdr) ||
	    !dwarf_peel(&hdr, &hdr)) {
		snprintf(err, errlen, "%s is not a map (its type is %s)", spec, tn ? tn : "unnamed");
		return -1;
	}
	Dwarf_Die bp;
	uint64_t off;
	if (load_header(&hdr, l, err, errlen))
		return -1;
	if (!dwarf_member(&hdr, "buckets", &off, &bp) || !referred(&bp, DW_TAG_pointer_type, &bucket) ||
	    !dwarf_peel(&bucket, &bucket)) {
		snprintf(err, errlen, "%s: struct %s has no bucket type", spec, dwarf_diename(&hdr));
		return -1;
	}
	if (load_bucket(&type, &bucket, l, err, errlen))
		return -1;
	snprintf(l->type_name, sizeof l->type_name, "%s", tn);
	if (!(g->key_type = go_type_of(l->key_codec))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->var_is_pointer = true; /* a map value is a pointer to its header */
	t->layout_known = true;
	return 0;
}

/* Go maps carry no descriptor of their own to cross-check: the header is enough. */
static int go_attach_instance(struct dbg *d, struct mem *m, uint64_t map_addr, struct map_target *t,
			      struct map_model *l, void (*warn)(const char *line), char *err,
			      size_t errlen)
{
	(void)d, (void)m, (void)map_addr, (void)t, (void)l, (void)warn, (void)err, (void)errlen;
	return 0;
}

/* The seeds, once the runtime has set them (alginit runs before any map exists). */
static bool load_seeds(struct go_data *g, struct mem *m)
{
	uint8_t use;
	struct go_hash_seeds s = {.release_minor = g->release_minor};
	if (!mem_read(m, g->addr_useaes, &use, 1) ||
	    !mem_read(m, g->addr_aeskeysched, s.aeskeysched, sizeof s.aeskeysched) ||
	    !mem_read(m, g->addr_hashkey, s.hashkey, sizeof s.hashkey))
		return false;
	s.use_aes = use != 0;
	static const uint8_t zeros[GO_AESKEYSCHED_SIZE];
	if (memcmp(s.aeskeysched, zeros, sizeof zeros) == 0 && !s.hashkey[0] && !s.hashkey[1])
		return false; /* not set yet */
	g->seeds = s;
	g->seeds_loaded = true;
	return true;
}

/* A string key's data, served from the key's own bytes (the image's pointer is a token). */
#define KEY_DATA_TOKEN 0x1000ull
static bool key_data(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct key *k = ctx;
	if (addr < KEY_DATA_TOKEN || addr - KEY_DATA_TOKEN + len > k->len)
		return false;
	memcpy(buf, k->bytes + (addr - KEY_DATA_TOKEN), len);
	return true;
}

static bool go_hash(const struct map_model *l, struct mem *m, const struct key *k, uint64_t seed,
		    uint64_t *hash)
{
	struct go_data *g = l->source_data;
	if (!g->seeds_loaded && !load_seeds(g, m))
		return false;
	if (l->key_kind == KEY_GO_STRING) {
		uint64_t image[2] = {KEY_DATA_TOKEN, k->len};
		return go_hash_key(&g->seeds, g->key_type, image, key_data, (void *)k, seed, hash) ==
		       GO_HASH_OK;
	}
	return go_hash_key(&g->seeds, g->key_type, k->bytes, NULL, NULL, seed, hash) == GO_HASH_OK;
}

const struct map_source source_go = {
	.name = "go",
	.resolve = go_resolve,
	.attach_instance = go_attach_instance,
	.hash = go_hash,
	.ops = go_ops,
	/* Go's register ABI: (maptype, hmap, key) in RAX, RBX, then the key: its value for the
	 * fast variants (a string in two registers), a pointer to it for mapdelete. */
	.deletes = {{"runtime.mapdelete", ABI_GO_REGS, 1, 2, false},
		    {"runtime.mapdelete_fast32", ABI_GO_REGS, 1, 2, true},
		    {"runtime.mapdelete_fast64", ABI_GO_REGS, 1, 2, true},
		    {"runtime.mapdelete_faststr", ABI_GO_REGS, 1, 2, true}},
	.free_func = NULL,
	/* runtime.fatal(s string) since Go 1.19 (runtime.throw before): not given the map. */
	.checks = {{"runtime.fatal", NULL, ABI_GO_REGS, -1, 0, true},
		   {"runtime.throw", NULL, ABI_GO_REGS, -1, 0, true}},
	/* A function's prologue calls morestack when its stack must grow or the goroutine is
	 * asked to yield: the scheduler runs on this thread, and the goroutine resumes wherever
	 * it is scheduled next, its stack maybe moved. asyncPreempt is where a preemption signal
	 * makes it yield. (The ELF names of these assembly functions.) */
	.thread_switches = {"runtime.morestack_noctxt.abi0", "runtime.morestack.abi0",
			    "runtime.asyncPreempt.abi0"},
	.switch_abi = ABI_GO_REGS,
};
