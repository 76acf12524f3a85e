/*
 * design_classic.c: Go's classic map design (runtime/map.go up to Go 1.23,
 * and hmap): 2^B buckets of slot_cnt cells, a tophash byte per cell, overflow
 * chains, and while growing an old array evacuated bucket by bucket. The
 * map's own lookup is replayed on the tracee's memory.
 */
#define _GNU_SOURCE
#include "model/design.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const classic_field_names[FIELD_N] = {
	[FIELD_STATE] = "tophash",   [FIELD_KEY] = "key",		[FIELD_ELEM] = "elem",
	[FIELD_OVERFLOW] = "overflow", [FIELD_COUNT] = "count",	[FIELD_FLAGS] = "flags",
	[FIELD_B] = "B",	     [FIELD_NOVERFLOW] = "noverflow", [FIELD_SEED] = "hash0",
	[FIELD_BUCKETS] = "buckets", [FIELD_OLDBUCKETS] = "oldbuckets", [FIELD_NEVACUATE] = "nevacuate",
};

static uint64_t hdr_field(const uint8_t *raw, const struct map_model *l, enum map_field f)
{
	return read_uint(raw + l->hdr[f].off, l->hdr[f].size);
}

static bool classic_hdr_read(struct mem *m, const struct map_model *l, uint64_t map, struct hdr *h)
{
	uint8_t raw[256];
	if (l->hdr_size > sizeof raw || !mem_read(m, map, raw, l->hdr_size))
		return false;
	h->count = (int64_t)hdr_field(raw, l, FIELD_COUNT);
	h->flags = (unsigned)hdr_field(raw, l, FIELD_FLAGS);
	h->B = (unsigned)hdr_field(raw, l, FIELD_B);
	h->noverflow = (unsigned)hdr_field(raw, l, FIELD_NOVERFLOW);
	h->hash0 = (uint32_t)hdr_field(raw, l, FIELD_SEED);
	h->buckets = hdr_field(raw, l, FIELD_BUCKETS);
	h->oldbuckets = hdr_field(raw, l, FIELD_OLDBUCKETS);
	h->nevacuate = hdr_field(raw, l, FIELD_NEVACUATE);
	return h->B < 64;
}

static uint64_t bucket_addr(const struct map_model *l, uint64_t array, uint64_t i)
{
	return array + i * l->classic.bucketsize;
}

/* Whether tophash byte top is an evacuatedX/Y/Empty state: its bucket was evacuated. */
static bool classic_state_moved(const struct map_model *l, unsigned top)
{
	return (int)top > l->classic.emptyOne && (int)top < l->classic.minTopHash;
}

static bool classic_state_free(const struct map_model *l, unsigned top)
{
	return (int)top <= l->classic.emptyOne;
}

static const char *classic_state_name(const struct map_model *l, unsigned v)
{
	if ((int)v >= l->classic.minTopHash)
		return NULL;
	for (int i = 0; i < l->nstates; i++)
		if (l->states[i].value == (int64_t)v && strcmp(l->states[i].name, "minTopHash") != 0)
			return l->states[i].name;
	return NULL;
}

/*
 * The bucket index of hash in the new table, and (while growing: true) in
 * the old one, half the size unless the growth is to the same size.
 */
static bool bucket_indices(const struct map_model *l, const struct hdr *h, uint64_t hash,
			   uint64_t *bi, uint64_t *old_bi)
{
	uint64_t mask = (1ull << h->B) - 1;
	*bi = hash & mask;
	if (!h->oldbuckets)
		return false;
	*old_bi = hash & ((h->flags & (unsigned)l->classic.sameSizeGrow) ? mask : mask >> 1);
	return true;
}

static int classic_locate(struct mem *m, const struct map_model *l, uint64_t map, const struct key *k,
			  struct loc *out)
{
	const struct classic_shape *c = &l->classic;
	struct hdr h;
	memset(out, 0, sizeof *out);
	if (!classic_hdr_read(m, l, map, &h))
		return -1;
	if (!h.buckets)
		return 0; /* no bucket array yet: nowhere to watch but the header */
	if (!l->source->hash(l, m, k, h.hash0, &out->hash))
		return -1;
	uint8_t top = (uint8_t)(out->hash >> 56);
	if (top < c->minTopHash)
		top += (uint8_t)c->minTopHash;
	out->top = top;
	uint64_t bi, obi;
	bool growing = bucket_indices(l, &h, out->hash, &bi, &obi);
	uint64_t head = bucket_addr(l, h.buckets, bi);
	bool old = false;
	if (growing) {
		uint64_t ob = bucket_addr(l, h.oldbuckets, obi);
		uint8_t t0;
		if (!mem_read(m, ob + c->tophash_off, &t0, 1))
			return -1;
		if (!classic_state_moved(l, t0)) {
			head = ob;
			bi = obi;
			old = true;
		}
	}
	out->head_addr = head;
	uint8_t buf[4096];
	if (c->bucketsize > sizeof buf)
		return -1;
	bool have_free = false;
	struct loc free_cell = {0};
	uint64_t b = head;
	for (unsigned depth = 0; b && depth < CHAIN_MAX; depth++) {
		if (!mem_read(m, b, buf, c->bucketsize))
			return -1;
		const uint8_t *th = buf + c->tophash_off;
		for (unsigned i = 0; i < l->slot_cnt; i++) {
			struct loc here = {
				.valid = true, .old = old, .bucket = bi, .overflow = depth, .slot = i,
				.head_addr = head, .bucket_addr = b,
				.tophash_addr = b + c->tophash_off + i,
				.key_addr = b + c->keys_off + (uint64_t)i * l->keycell,
				.elem_addr = b + c->elems_off + (uint64_t)i * l->elemcell,
				.hash = out->hash, .top = top,
			};
			if (th[i] <= c->emptyOne && !have_free) {
				have_free = true;
				free_cell = here;
			}
			if (th[i] == top && key_matches(m, l, buf + c->keys_off + i * l->keycell, k)) {
				here.present = true;
				*out = here;
				return 0;
			}
			if (th[i] == c->emptyRest)
				goto absent;
		}
		uint64_t next = read_uint(buf + c->overflow_off, 8);
		if (!next && !old) {
			out->wait_addr = b + c->overflow_off;
			out->wait_len = 8;
		}
		b = next;
	}
absent:
	if (have_free) {
		*out = free_cell;
	} else if (old) {
		out->wait_addr = head + c->tophash_off;
		out->wait_len = 1;
	}
	return 0;
}

static void chain_add(struct mem *m, const struct map_model *l, struct chainset *cs,
		      uint64_t head, uint64_t bi, bool old)
{
	uint64_t b = head;
	for (unsigned depth = 0; b && depth < CHAIN_MAX && cs->n < (int)(sizeof cs->b / sizeof cs->b[0]);
	     depth++) {
		for (int j = 0; j < cs->n; j++)
			if (cs->b[j].addr == b)
				return; /* already there (or a cycle) */
		cs->b[cs->n++] = (struct chain_bucket){b, bi, depth, old};
		if (!mem_read_u64(m, b + l->classic.overflow_off, &b))
			return;
	}
}

static int classic_chains_for_key(struct mem *m, const struct map_model *l, uint64_t map,
				  const struct key *k, struct chainset *cs)
{
	struct hdr h;
	uint64_t hash;
	cs->n = 0;
	if (!classic_hdr_read(m, l, map, &h))
		return -1;
	if (!h.buckets)
		return 0;
	if (!l->source->hash(l, m, k, h.hash0, &hash))
		return -1;
	uint64_t bi, obi;
	if (bucket_indices(l, &h, hash, &bi, &obi))
		chain_add(m, l, cs, bucket_addr(l, h.oldbuckets, obi), obi, true);
	chain_add(m, l, cs, bucket_addr(l, h.buckets, bi), bi, false);
	return 0;
}

static bool classic_field_at(const struct map_model *l, uint64_t map, const struct chainset *cs,
			     uint64_t addr, struct field_desc *fd)
{
	const struct classic_shape *c = &l->classic;
	memset(fd, 0, sizeof *fd);
	fd->slot = -1;
	if (addr >= map && addr < map + l->hdr_size) {
		for (int f = FIELD_FIRST_HEADER; f < FIELD_N; f++) {
			const struct hdr_field_desc *d = &l->hdr[f];
			if (d->size && addr >= map + d->off && addr < map + d->off + d->size) {
				fd->field = (enum map_field)f;
				fd->start = map + d->off;
				fd->size = d->size;
				return true;
			}
		}
		return false;
	}
	for (int j = 0; j < cs->n; j++) {
		uint64_t b = cs->b[j].addr;
		if (addr < b || addr >= b + c->bucketsize)
			continue;
		uint64_t off = addr - b;
		fd->in_bucket = true;
		fd->where = cs->b[j];
		if (off >= c->tophash_off && off < c->tophash_off + l->slot_cnt) {
			fd->field = FIELD_STATE;
			fd->slot = (int)(off - c->tophash_off);
			fd->start = addr;
			fd->size = 1;
		} else if (off >= c->keys_off && off < c->keys_off + l->slot_cnt * l->keycell) {
			fd->field = FIELD_KEY;
			fd->slot = (int)((off - c->keys_off) / l->keycell);
			fd->start = b + c->keys_off + (uint64_t)fd->slot * l->keycell;
			fd->size = l->keycell;
		} else if (off >= c->elems_off && off < c->elems_off + l->slot_cnt * l->elemcell) {
			fd->field = FIELD_ELEM;
			fd->slot = (int)((off - c->elems_off) / l->elemcell);
			fd->start = b + c->elems_off + (uint64_t)fd->slot * l->elemcell;
			fd->size = l->elemcell;
		} else if (off >= c->overflow_off && off < c->overflow_off + 8) {
			fd->field = FIELD_OVERFLOW;
			fd->start = b + c->overflow_off;
			fd->size = 8;
		} else {
			return false; /* padding */
		}
		return true;
	}
	return false;
}

static void classic_unit_states(const struct map_model *l, uint64_t unit, uint64_t *addr,
				unsigned *len)
{
	*addr = unit + l->classic.tophash_off;
	*len = l->slot_cnt < 8 ? l->slot_cnt : 8;
}

static unsigned classic_unit_size(const struct map_model *l) { return l->classic.bucketsize; }

static void plan_add(struct watch_plan *p, uint64_t addr, unsigned len, enum watch_role role)
{
	if (p->n < PLAN_MAX)
		p->item[p->n++] = (struct plan_item){addr, len, role};
}

static void classic_plan_slot(const struct map_model *l, uint64_t map, const struct loc *loc,
			      struct watch_plan *p)
{
	p->n = 0;
	if (loc->valid) {
		plan_add(p, loc->tophash_addr, 1, ROLE_CELL);
		plan_add(p, loc->key_addr, watched_len(l->keycell), ROLE_KEYCELL);
		plan_add(p, loc->elem_addr, watched_len(l->elemcell), ROLE_ELEMCELL);
	} else if (loc->wait_addr) {
		plan_add(p, loc->wait_addr, loc->wait_len, ROLE_TAIL);
	}
	plan_add(p, map + l->hdr[FIELD_BUCKETS].off, 8, ROLE_BUCKETS);
}

/* Greedy split of [off, off+n) into aligned 1/2/4/8-byte pieces: how many watch registers. */
static int pieces(uint64_t off, unsigned n)
{
	int count = 0;
	while (n) {
		unsigned len = 8;
		while (len > n || off % len)
			len /= 2;
		off += len;
		n -= len;
		count++;
	}
	return count;
}

static int classic_slot_regions_needed(const struct map_model *l, char *why, size_t n)
{
	int worst = 0, wk = 0, we = 0;
	for (unsigned i = 0; i < l->slot_cnt; i++) {
		int k = pieces(l->classic.keys_off + i * l->keycell, watched_len(l->keycell));
		int e = pieces(l->classic.elems_off + i * l->elemcell, watched_len(l->elemcell));
		if (k + e > worst) {
			worst = k + e;
			wk = k;
			we = e;
		}
	}
	snprintf(why, n, "tophash 1, key cell %d, elem cell %d, buckets pointer 1", wk, we);
	return worst + 2;
}

static void classic_layout_json(FILE *out, const struct map_model *l)
{
	const struct classic_shape *c = &l->classic;
	fprintf(out,
		",\"bucketCnt\":%u,\"bucketsize\":%u,\"tophash_offset\":%u,\"keys_offset\":%u,"
		"\"elems_offset\":%u,\"overflow_offset\":%u,\"keysize\":%u,\"elemsize\":%u,"
		"\"header\":{",
		l->slot_cnt, c->bucketsize, c->tophash_off, c->keys_off, c->elems_off,
		c->overflow_off, l->keycell, l->elemcell);
	bool first = true;
	for (int f = FIELD_FIRST_HEADER; f < FIELD_N; f++) {
		if (!l->hdr[f].size)
			continue;
		fprintf(out, "%s\"%s\":{\"offset\":%u,\"size\":%u}", first ? "" : ",",
			classic_field_names[f], l->hdr[f].off, l->hdr[f].size);
		first = false;
	}
	fputs("},\"states\":{", out);
	for (int i = 0; i < l->nstates; i++)
		fprintf(out, "%s\"%s\":%" PRId64, i ? "," : "", l->states[i].name, l->states[i].value);
	fputs("},\"flags\":{", out);
	for (int i = 0; i < l->nflags; i++)
		fprintf(out, "%s\"%s\":%" PRId64, i ? "," : "", l->flags[i].name, l->flags[i].value);
	fputc('}', out);
}

const struct map_design design_classic = {
	.name = "classic",
	.field_names = classic_field_names,
	.hdr_read = classic_hdr_read,
	.locate = classic_locate,
	.chains_for_key = classic_chains_for_key,
	.field_at = classic_field_at,
	.state_name = classic_state_name,
	.state_moved = classic_state_moved,
	.state_free = classic_state_free,
	.unit_states = classic_unit_states,
	.unit_size = classic_unit_size,
	.plan_slot = classic_plan_slot,
	.slot_regions_needed = classic_slot_regions_needed,
	.layout_json = classic_layout_json,
};
