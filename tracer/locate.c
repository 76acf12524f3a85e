/* locate.c: the map's lookup, replayed on the tracee's memory. */
#define _GNU_SOURCE
#include "locate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

uint64_t read_uint(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, p, size < 8 ? size : 8);
	return v;
}

bool hdr_read(struct mem *m, const struct map_layout *l, uint64_t map, struct hdr *h)
{
	uint8_t raw[256];
	if (l->hdr_size > sizeof raw || !mem_read(m, map, raw, l->hdr_size))
		return false;
	h->count = (int64_t)read_uint(raw + l->hdr[HF_COUNT].off, l->hdr[HF_COUNT].size);
	h->flags = (unsigned)read_uint(raw + l->hdr[HF_FLAGS].off, l->hdr[HF_FLAGS].size);
	h->B = (unsigned)read_uint(raw + l->hdr[HF_B].off, l->hdr[HF_B].size);
	h->noverflow = (unsigned)read_uint(raw + l->hdr[HF_NOVERFLOW].off, l->hdr[HF_NOVERFLOW].size);
	h->hash0 = (uint32_t)read_uint(raw + l->hdr[HF_HASH0].off, l->hdr[HF_HASH0].size);
	h->buckets = read_uint(raw + l->hdr[HF_BUCKETS].off, l->hdr[HF_BUCKETS].size);
	h->oldbuckets = read_uint(raw + l->hdr[HF_OLDBUCKETS].off, l->hdr[HF_OLDBUCKETS].size);
	h->nevacuate = read_uint(raw + l->hdr[HF_NEVACUATE].off, l->hdr[HF_NEVACUATE].size);
	return h->B < 64;
}

int key_parse(const struct map_layout *l, const char *s, struct key *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	snprintf(k->text, sizeof k->text, "%s", s);
	/* A char * key the map hashes by its bytes (HMAP_DEFINE, not _STR) is the pointer itself. */
	struct codec_type as_pointer = *l->key_codec;
	if (as_pointer.kind == CK_STRING && l->key_kind != KEY_STRING)
		as_pointer.kind = CK_POINTER;
	char what[256];
	if (codec_parse(&as_pointer, s, k->bytes, sizeof k->bytes, &k->len, what, sizeof what) != 0) {
		snprintf(err, errlen, "bad key \"%s\": %s (key type %s)", s, what, l->key_type);
		return -1;
	}
	return 0;
}

uint64_t key_hash(const struct map_layout *l, const struct key *k, uint32_t seed)
{
	(void)l;
	return XXH3_64bits_withSeed(k->bytes, k->len, seed);
}

void value_text(const struct map_layout *l, bool is_key, const uint8_t *b, size_t n, struct mem *m,
		char *out, size_t outlen)
{
	if (is_key ? l->key_indirect : l->elem_indirect) {
		snprintf(out, outlen, "0x%" PRIx64, read_uint(b, (unsigned)(n < 8 ? n : 8)));
		return;
	}
	codec_format(is_key ? l->key_codec : l->elem_codec, b, n, m, out, outlen);
}

static uint64_t bucket_addr(const struct map_layout *l, uint64_t array, uint64_t i)
{
	return array + i * l->bucketsize;
}

/* Whether the NUL-terminated string at addr is k's. */
static bool string_at(struct mem *m, uint64_t addr, const struct key *k)
{
	uint8_t buf[sizeof k->bytes + 1];
	return mem_read(m, addr, buf, k->len + 1) && memcmp(buf, k->bytes, k->len) == 0 && buf[k->len] == 0;
}

bool key_value_at(struct mem *m, const struct map_layout *l, uint64_t addr, const struct key *k)
{
	if (l->key_kind == KEY_STRING) {
		uint64_t s;
		return mem_read_u64(m, addr, &s) && string_at(m, s, k);
	}
	uint8_t buf[sizeof k->bytes];
	return k->len <= sizeof buf && mem_read(m, addr, buf, k->len) && memcmp(buf, k->bytes, k->len) == 0;
}

/* Does the key cell (its bytes at cell) hold k? */
static bool key_matches(struct mem *m, const struct map_layout *l, const uint8_t *cell,
			const struct key *k)
{
	if (l->key_indirect)
		return key_value_at(m, l, read_uint(cell, 8), k);
	if (l->key_kind == KEY_STRING)
		return string_at(m, read_uint(cell, 8), k);
	return memcmp(cell, k->bytes, k->len) == 0;
}

bool is_evacuated(const struct map_layout *l, uint8_t top)
{
	return top > l->emptyOne && top < l->minTopHash;
}

/*
 * The bucket index of hash in the new table, and (while growing: true) in
 * the old one, half the size unless the growth is to the same size.
 */
static bool bucket_indices(const struct map_layout *l, const struct hdr *h, uint64_t hash,
			   uint64_t *bi, uint64_t *old_bi)
{
	uint64_t mask = (1ull << h->B) - 1;
	*bi = hash & mask;
	if (!h->oldbuckets)
		return false;
	*old_bi = hash & ((h->flags & (unsigned)l->sameSizeGrow) ? mask : mask >> 1);
	return true;
}

int locate(struct mem *m, const struct map_layout *l, uint64_t map, const struct key *k,
	   struct loc *out)
{
	struct hdr h;
	memset(out, 0, sizeof *out);
	if (!hdr_read(m, l, map, &h))
		return -1;
	if (!h.buckets)
		return 0; /* no bucket array yet: nowhere to watch but the header */
	out->hash = key_hash(l, k, h.hash0);
	uint8_t top = (uint8_t)(out->hash >> 56);
	if (top < l->minTopHash)
		top += (uint8_t)l->minTopHash;
	out->top = top;
	uint64_t bi, obi;
	bool growing = bucket_indices(l, &h, out->hash, &bi, &obi);
	uint64_t head = bucket_addr(l, h.buckets, bi);
	bool old = false;
	if (growing) {
		uint64_t ob = bucket_addr(l, h.oldbuckets, obi);
		uint8_t t0;
		if (!mem_read(m, ob + l->tophash_off, &t0, 1))
			return -1;
		if (!is_evacuated(l, t0)) {
			head = ob;
			bi = obi;
			old = true;
		}
	}
	out->head_addr = head;
	uint8_t buf[4096];
	if (l->bucketsize > sizeof buf)
		return -1;
	bool have_free = false;
	struct loc free_cell = {0};
	uint64_t b = head;
	for (unsigned depth = 0; b && depth < CHAIN_MAX; depth++) {
		if (!mem_read(m, b, buf, l->bucketsize))
			return -1;
		const uint8_t *th = buf + l->tophash_off;
		for (unsigned i = 0; i < l->bucket_cnt; i++) {
			struct loc here = {
				.valid = true, .old = old, .bucket = bi, .overflow = depth, .slot = i,
				.head_addr = head, .bucket_addr = b,
				.tophash_addr = b + l->tophash_off + i,
				.key_addr = b + l->keys_off + (uint64_t)i * l->keycell,
				.elem_addr = b + l->elems_off + (uint64_t)i * l->elemcell,
				.hash = out->hash, .top = top,
			};
			if (th[i] <= l->emptyOne && !have_free) {
				have_free = true;
				free_cell = here;
			}
			if (th[i] == top && key_matches(m, l, buf + l->keys_off + i * l->keycell, k)) {
				here.present = true;
				*out = here;
				return 0;
			}
			if (th[i] == l->emptyRest)
				goto absent;
		}
		uint64_t next = read_uint(buf + l->overflow_off, 8);
		if (!next && !old) {
			out->wait_addr = b + l->overflow_off;
			out->wait_len = 8;
		}
		b = next;
	}
absent:
	if (have_free) {
		*out = free_cell;
	} else if (old) {
		out->wait_addr = head + l->tophash_off;
		out->wait_len = 1;
	}
	return 0;
}

bool loc_same(const struct loc *a, const struct loc *b)
{
	return a->valid == b->valid && a->present == b->present && a->tophash_addr == b->tophash_addr &&
	       a->key_addr == b->key_addr && a->wait_addr == b->wait_addr;
}

static void chain_add(struct mem *m, const struct map_layout *l, struct chainset *cs,
		      uint64_t head, uint64_t bi, bool old)
{
	uint64_t b = head;
	for (unsigned depth = 0; b && depth < CHAIN_MAX && cs->n < (int)(sizeof cs->b / sizeof cs->b[0]);
	     depth++) {
		for (int j = 0; j < cs->n; j++)
			if (cs->b[j].addr == b)
				return; /* already there (or a cycle) */
		cs->b[cs->n++] = (struct chain_bucket){b, bi, depth, old};
		if (!mem_read_u64(m, b + l->overflow_off, &b))
			return;
	}
}

int chains_for_key(struct mem *m, const struct map_layout *l, uint64_t map, const struct key *k,
		   struct chainset *cs)
{
	struct hdr h;
	cs->n = 0;
	if (!hdr_read(m, l, map, &h))
		return -1;
	if (!h.buckets)
		return 0;
	uint64_t bi, obi;
	if (bucket_indices(l, &h, key_hash(l, k, h.hash0), &bi, &obi))
		chain_add(m, l, cs, bucket_addr(l, h.oldbuckets, obi), obi, true);
	chain_add(m, l, cs, bucket_addr(l, h.buckets, bi), bi, false);
	return 0;
}

bool field_at(const struct map_layout *l, uint64_t map, const struct chainset *cs, uint64_t addr,
	      struct field_desc *fd)
{
	memset(fd, 0, sizeof *fd);
	fd->slot = -1;
	if (addr >= map && addr < map + l->hdr_size) {
		for (int f = 0; f < HF_NFIELDS; f++) {
			const struct hdr_field_desc *d = &l->hdr[f];
			if (addr >= map + d->off && addr < map + d->off + d->size) {
				fd->field = d->name;
				fd->start = map + d->off;
				fd->size = d->size;
				return true;
			}
		}
		return false;
	}
	for (int j = 0; j < cs->n; j++) {
		uint64_t b = cs->b[j].addr;
		if (addr < b || addr >= b + l->bucketsize)
			continue;
		uint64_t off = addr - b;
		fd->in_bucket = true;
		fd->where = cs->b[j];
		if (off >= l->tophash_off && off < l->tophash_off + l->bucket_cnt) {
			fd->field = "tophash";
			fd->slot = (int)(off - l->tophash_off);
			fd->start = addr;
			fd->size = 1;
		} else if (off >= l->keys_off && off < l->keys_off + l->bucket_cnt * l->keycell) {
			fd->field = "key";
			fd->slot = (int)((off - l->keys_off) / l->keycell);
			fd->start = b + l->keys_off + (uint64_t)fd->slot * l->keycell;
			fd->size = l->keycell;
		} else if (off >= l->elems_off && off < l->elems_off + l->bucket_cnt * l->elemcell) {
			fd->field = "elem";
			fd->slot = (int)((off - l->elems_off) / l->elemcell);
			fd->start = b + l->elems_off + (uint64_t)fd->slot * l->elemcell;
			fd->size = l->elemcell;
		} else if (off >= l->overflow_off && off < l->overflow_off + 8) {
			fd->field = "overflow";
			fd->start = b + l->overflow_off;
			fd->size = 8;
		} else {
			return false; /* padding */
		}
		return true;
	}
	return false;
}
