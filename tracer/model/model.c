/* model.c: what every source and design shares: ops, keys, values (see model.h). */
#define _GNU_SOURCE
#include "model/model.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *map_op_name(enum map_op op)
{
	static const char *const names[OP_N] = {
		[OP_NONE] = "",	      [OP_ASSIGN] = "assign", [OP_DELETE] = "delete",
		[OP_EVACUATE] = "evacuate", [OP_CLEAR] = "clear",  [OP_NEW] = "new",
		[OP_FREE] = "free",     [OP_ACCESS] = "access", [OP_ITERATE] = "iterate",
		[OP_FOREIGN] = "foreign",
	};
	return op < OP_N ? names[op] : "";
}

bool map_op_writes(enum map_op op)
{
	return op == OP_ASSIGN || op == OP_DELETE || op == OP_EVACUATE || op == OP_CLEAR;
}

enum map_op source_op_of(const struct map_source *s, const char *func)
{
	if (!func)
		return OP_NONE;
	for (const struct op_func *o = s->ops; o->symbol; o++) {
		size_t n = strlen(o->symbol);
		if (strncmp(func, o->symbol, n) != 0)
			continue;
		/* Compiler-split parts (hmap_assign.cold, evacuate.part.0) belong to their
		 * function; a prefix entry (runtime.mapassign) covers its variants. */
		if (o->prefix || func[n] == '\0' || func[n] == '.')
			return o->op;
	}
	return OP_NONE;
}

void model_flags_str(const struct map_model *l, unsigned v, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < l->nflags; i++) {
		if (!(v & (unsigned)l->flags[i].value))
			continue;
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s", used ? "|" : "",
					 l->flags[i].name);
		v &= ~(unsigned)l->flags[i].value;
	}
	if (v)
		used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%#x", used ? "|" : "", v);
	if (!used)
		snprintf(buf, n, "0");
}

uint64_t read_uint(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, p, size < 8 ? size : 8);
	return v;
}

int key_parse(const struct map_model *l, const char *s, struct key *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	snprintf(k->text, sizeof k->text, "%s", s);
	/* A char * key the map hashes by its bytes (HMAP_DEFINE, not _STR) is the pointer itself. */
	struct codec_type as_pointer = *l->key_codec;
	if (as_pointer.kind == CK_STRING && l->key_kind == KEY_BYTES)
		as_pointer.kind = CK_POINTER;
	char what[256];
	if (codec_parse(&as_pointer, s, k->bytes, sizeof k->bytes, &k->len, what, sizeof what) != 0) {
		snprintf(err, errlen, "bad key \"%s\": %s (key type %s)", s, what, l->key_type);
		return -1;
	}
	return 0;
}

void value_text(const struct map_model *l, bool is_key, const uint8_t *b, size_t n, struct mem *m,
		char *out, size_t outlen)
{
	if (is_key ? l->key_indirect : l->elem_indirect) {
		snprintf(out, outlen, "0x%" PRIx64, read_uint(b, (unsigned)(n < 8 ? n : 8)));
		return;
	}
	codec_format(is_key ? l->key_codec : l->elem_codec, b, n, m, out, outlen);
}

/* Whether the NUL-terminated string at addr is k's. */
static bool string_at(struct mem *m, uint64_t addr, const struct key *k)
{
	uint8_t buf[sizeof k->bytes + 1];
	return mem_read(m, addr, buf, k->len + 1) && memcmp(buf, k->bytes, k->len) == 0 && buf[k->len] == 0;
}

/* Whether the Go string {data, len} in cell is k's. */
static bool go_string_is(struct mem *m, const uint8_t *cell, const struct key *k)
{
	uint8_t buf[sizeof k->bytes];
	uint64_t len = read_uint(cell + 8, 8);
	return len == k->len && (len == 0 || (mem_read(m, read_uint(cell, 8), buf, len) &&
					       memcmp(buf, k->bytes, len) == 0));
}

bool key_value_at(struct mem *m, const struct map_model *l, uint64_t addr, const struct key *k)
{
	uint8_t buf[sizeof k->bytes];
	if (l->key_kind == KEY_STRING) {
		uint64_t s;
		return mem_read_u64(m, addr, &s) && string_at(m, s, k);
	}
	if (l->key_kind == KEY_GO_STRING)
		return mem_read(m, addr, buf, 16) && go_string_is(m, buf, k);
	return k->len <= sizeof buf && mem_read(m, addr, buf, k->len) && memcmp(buf, k->bytes, k->len) == 0;
}

bool key_matches(struct mem *m, const struct map_model *l, const uint8_t *cell, const struct key *k)
{
	if (l->key_indirect)
		return key_value_at(m, l, read_uint(cell, 8), k);
	if (l->key_kind == KEY_STRING)
		return string_at(m, read_uint(cell, 8), k);
	if (l->key_kind == KEY_GO_STRING)
		return go_string_is(m, cell, k);
	return memcmp(cell, k->bytes, k->len) == 0;
}

uint64_t model_map_addr(struct mem *m, const struct map_target *t)
{
	if (!t->var_addr)
		return t->map_addr;
	if (!t->var_is_pointer)
		return t->var_addr;
	uint64_t v = 0;
	mem_read_u64(m, t->var_addr, &v);
	return v;
}
