/*
 * codec.c: values by their DWARF type, both ways (see codec.h).
 *
 * Byte order: x86-64 is little-endian, the tracer's host and target alike, so a
 * scalar's bytes are copied to and from a host integer or float of the same size.
 * Integers up to 16 bytes go through unsigned __int128.
 */
#define _GNU_SOURCE
#include "model/codec.h"
#include "base/mem.h"

#include <ctype.h>
#include <dwarf.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16      /* nesting of types built; deeper types are opaque */
#define STRING_MAX 200    /* characters of a string shown, as GDB's print elements */

typedef unsigned __int128 u128;
typedef __int128 s128;

struct sb {
	char *p;
	size_t n, len; /* len may pass n: the output was truncated */
};

static void put(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(s->p + (s->len < s->n ? s->len : s->n - 1),
			  s->len < s->n ? s->n - s->len : 1, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->len += (size_t)k;
}

/* ---- building from DWARF ---- */

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

static bool udata(Dwarf_Die *die, unsigned attr, Dwarf_Word *v)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, attr, &a) && dwarf_formudata(&a, v) == 0;
}

/* Strips typedefs and qualifiers (the name is taken before). */
static bool strip(Dwarf_Die *die, Dwarf_Die *out)
{
	*out = *die;
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		int tag = dwarf_tag(out);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return true;
		if (!type_of(out, out))
			return false; /* const void */
	}
	return false;
}

static void array_counts(Dwarf_Die *arr, unsigned *counts, int *n);

/* The type's name as C spells it. */
static void c_name(Dwarf_Die *die, struct sb *s, int depth)
{
	const char *nm = dwarf_diename(die);
	Dwarf_Die inner, ret;
	bool has_inner = type_of(die, &inner);
	if (depth > MAX_DEPTH) {
		put(s, "?");
		return;
	}
	switch (dwarf_tag(die)) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type: {
		int tag = dwarf_tag(die);
		put(s, "%s %s", tag == DW_TAG_structure_type ? "struct" : tag == DW_TAG_union_type ? "union" : "enum",
		    nm ? nm : "{...}");
		return;
	}
	case DW_TAG_pointer_type:
		if (!has_inner) {
			put(s, "void *");
		} else if (dwarf_tag(&inner) == DW_TAG_subroutine_type) {
			if (type_of(&inner, &ret))
				c_name(&ret, s, depth + 1);
			else
				put(s, "void");
			put(s, " (*)()");
		} else {
			c_name(&inner, s, depth + 1);
			put(s, "%s*", s->len && s->len <= s->n && s->p[s->len - 1] == '*' ? "" : " ");
		}
		return;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type: {
		const char *q = dwarf_tag(die) == DW_TAG_const_type ? "const" : "volatile";
		if (has_inner && dwarf_tag(&inner) == DW_TAG_pointer_type) {
			c_name(&inner, s, depth + 1);
			put(s, " %s", q); /* char *const */
		} else {
			put(s, "%s ", q);
			if (has_inner)
				c_name(&inner, s, depth + 1);
			else
				put(s, "void");
		}
		return;
	}
	case DW_TAG_array_type: {
		unsigned counts[8];
		int k = 0;
		array_counts(die, counts, &k);
		if (has_inner)
			c_name(&inner, s, depth + 1);
		for (int i = 0; i < k; i++)
			put(s, "[%u]", counts[i]);
		return;
	}
	default:
		put(s, "%s", nm ? nm : "?");
	}
}

/* The element counts of an array type's dimensions, outermost first. */
static void array_counts(Dwarf_Die *arr, unsigned *counts, int *n)
{
	Dwarf_Die child;
	*n = 0;
	if (dwarf_child(arr, &child) != 0)
		return;
	do {
		if (dwarf_tag(&child) != DW_TAG_subrange_type || *n == 8)
			continue;
		Dwarf_Word c = 0, ub;
		if (!udata(&child, DW_AT_count, &c) && udata(&child, DW_AT_upper_bound, &ub))
			c = ub + 1;
		counts[(*n)++] = (unsigned)c;
	} while (dwarf_siblingof(&child, &child) == 0);
}

static struct codec_type *build(Dwarf_Die *die, int depth);

static struct codec_type *new_type(enum codec_kind kind, unsigned size)
{
	struct codec_type *t = calloc(1, sizeof *t);
	if (t) {
		t->kind = kind;
		t->size = size;
	}
	return t;
}

static void build_base(Dwarf_Die *base, struct codec_type *t)
{
	Dwarf_Word enc = 0;
	udata(base, DW_AT_encoding, &enc);
	switch (enc) {
	case DW_ATE_signed:
		t->kind = t->size <= 16 ? CK_SIGNED : CK_OPAQUE;
		break;
	case DW_ATE_unsigned:
	case DW_ATE_UTF:
		t->kind = t->size <= 16 ? CK_UNSIGNED : CK_OPAQUE;
		break;
	case DW_ATE_boolean:
		t->kind = t->size <= 8 ? CK_BOOL : CK_OPAQUE;
		break;
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char:
		t->kind = t->size == 1 ? CK_CHAR : CK_OPAQUE;
		t->is_signed = enc == DW_ATE_signed_char;
		break;
	case DW_ATE_float:
		t->kind = t->size == 4 || t->size == 8 || t->size == 16 ? CK_FLOAT : CK_OPAQUE;
		break;
	default:
		t->kind = CK_OPAQUE;
	}
}

static bool is_char(Dwarf_Die *die)
{
	Dwarf_Die base;
	Dwarf_Word enc;
	return strip(die, &base) && dwarf_tag(&base) == DW_TAG_base_type && dwarf_bytesize(&base) == 1 &&
	       udata(&base, DW_AT_encoding, &enc) &&
	       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
}

static void build_enum(Dwarf_Die *e, struct codec_type *t)
{
	Dwarf_Die child, under;
	unsigned n = 0;
	bool negative = false;
	if (dwarf_child(e, &child) == 0)
		do
			n += dwarf_tag(&child) == DW_TAG_enumerator;
		while (dwarf_siblingof(&child, &child) == 0);
	t->enumerators = calloc(n ? n : 1, sizeof *t->enumerators);
	if (t->enumerators && n && dwarf_child(e, &child) == 0)
		do {
			Dwarf_Attribute a;
			Dwarf_Sword v;
			const char *nm = dwarf_diename(&child);
			if (dwarf_tag(&child) != DW_TAG_enumerator || !nm ||
			    !dwarf_attr(&child, DW_AT_const_value, &a) || dwarf_formsdata(&a, &v) != 0)
				continue;
			t->enumerators[t->nenumerators++] = (struct codec_enumerator){strdup(nm), v};
			negative |= v < 0;
		} while (dwarf_siblingof(&child, &child) == 0);
	Dwarf_Word enc;
	Dwarf_Die base;
	if (type_of(e, &under) && strip(&under, &base) && udata(&base, DW_AT_encoding, &enc))
		t->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
	else
		t->is_signed = negative;
}

static void build_members(Dwarf_Die *agg, struct codec_type *t, int depth)
{
	Dwarf_Die child;
	unsigned n = 0;
	if (dwarf_child(agg, &child) == 0)
		do
			n += dwarf_tag(&child) == DW_TAG_member;
		while (dwarf_siblingof(&child, &child) == 0);
	t->members = calloc(n ? n : 1, sizeof *t->members);
	if (!t->members || !n || dwarf_child(agg, &child) != 0)
		return;
	do {
		Dwarf_Die mt;
		if (dwarf_tag(&child) != DW_TAG_member || !type_of(&child, &mt))
			continue;
		struct codec_member *m = &t->members[t->nmembers];
		const char *nm = dwarf_diename(&child);
		Dwarf_Word off = 0, bits = 0, bit_off;
		m->name = nm ? strdup(nm) : NULL;
		udata(&child, DW_AT_data_member_location, &off);
		if (udata(&child, DW_AT_bit_size, &bits)) {
			m->bit_size = (unsigned)bits;
			if (udata(&child, DW_AT_data_bit_offset, &bit_off)) {
				off = bit_off / 8;
				m->bit_offset = (unsigned)(bit_off % 8);
			} else if (udata(&child, DW_AT_bit_offset, &bit_off)) {
				/* DWARF 2/3: counted from the storage unit's most significant bit */
				int unit = dwarf_bytesize(&child);
				m->bit_offset = (unsigned)((unit > 0 ? unit : 4) * 8 - bit_off - bits);
			}
		}
		m->offset = (unsigned)off;
		m->type = build(&mt, depth + 1);
		if (m->type)
			t->nmembers++;
	} while (dwarf_siblingof(&child, &child) == 0);
}

static struct codec_type *build_array(Dwarf_Die *arr, int depth)
{
	unsigned counts[8];
	int k;
	Dwarf_Die et;
	array_counts(arr, counts, &k);
	if (!k || !type_of(arr, &et))
		return NULL;
	struct codec_type *t = build(&et, depth + 1);
	/* int a[2][3] is an array of 2 arrays of 3: wrap from the innermost dimension out. */
	for (int i = k - 1; t && i >= 0; i--) {
		struct codec_type *outer = new_type(CK_ARRAY, t->size * counts[i]);
		if (!outer) {
			codec_free(t);
			return NULL;
		}
		outer->elem = t;
		outer->count = counts[i];
		struct sb sn = {outer->name, sizeof outer->name, 0};
		put(&sn, "%s[%u]", t->name, counts[i]);
		t = outer;
	}
	return t;
}

static struct codec_type *build(Dwarf_Die *die, int depth)
{
	Dwarf_Die bare, target;
	Dwarf_Word size = 0;
	char name[sizeof ((struct codec_type *)0)->name];
	struct sb sn = {name, sizeof name, 0};
	name[0] = '\0';
	c_name(die, &sn, 0);
	struct codec_type *t;
	if (depth > MAX_DEPTH || !strip(die, &bare))
		t = new_type(CK_OPAQUE, 0);
	else if (dwarf_tag(&bare) == DW_TAG_array_type)
		t = build_array(&bare, depth);
	else {
		if (dwarf_aggregate_size(&bare, &size) != 0)
			size = dwarf_tag(&bare) == DW_TAG_pointer_type ? sizeof(void *) : 0;
		t = new_type(CK_OPAQUE, (unsigned)size);
		if (t)
			switch (dwarf_tag(&bare)) {
			case DW_TAG_base_type:
				build_base(&bare, t);
				break;
			case DW_TAG_enumeration_type:
				t->kind = CK_ENUM;
				build_enum(&bare, t);
				break;
			case DW_TAG_pointer_type:
				t->kind = type_of(&bare, &target) && is_char(&target) ? CK_STRING : CK_POINTER;
				break;
			case DW_TAG_structure_type:
			case DW_TAG_union_type:
				if (dwarf_hasattr(&bare, DW_AT_declaration))
					break; /* incomplete */
				t->kind = dwarf_tag(&bare) == DW_TAG_structure_type ? CK_STRUCT : CK_UNION;
				build_members(&bare, t, depth);
				break;
			}
	}
	if (t)
		snprintf(t->name, sizeof t->name, "%s", name);
	return t;
}

struct codec_type *codec_build(Dwarf_Die *type) { return build(type, 0); }

void codec_go_strings(struct codec_type *t)
{
	if (!t)
		return;
	bool named_string = strcmp(t->name, "string") == 0 || strcmp(t->name, "struct string") == 0;
	if (t->kind == CK_STRUCT && t->size == 16 && t->nmembers == 2 && named_string &&
	    t->members[0].name && strcmp(t->members[0].name, "str") == 0 && t->members[1].name &&
	    strcmp(t->members[1].name, "len") == 0) {
		t->kind = CK_GO_STRING;
		snprintf(t->name, sizeof t->name, "string");
		return;
	}
	for (unsigned i = 0; i < t->nmembers; i++)
		codec_go_strings(t->members[i].type);
	codec_go_strings(t->elem);
}

void codec_free(struct codec_type *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nmembers; i++) {
		free(t->members[i].name);
		codec_free(t->members[i].type);
	}
	free(t->members);
	for (unsigned i = 0; i < t->nenumerators; i++)
		free(t->enumerators[i].name);
	free(t->enumerators);
	codec_free(t->elem);
	free(t);
}

/* ---- formatting ---- */

static void u128_str(u128 v, char *buf)
{
	char tmp[48];
	int i = 0;
	do
		tmp[i++] = (char)('0' + (int)(v % 10));
	while ((v /= 10) != 0);
	while (i)
		*buf++ = tmp[--i];
	*buf = '\0';
}

static void put_int(struct sb *s, s128 v, bool is_signed)
{
	char buf[48];
	bool neg = is_signed && v < 0;
	u128_str(neg ? -(u128)v : (u128)v, buf);
	put(s, "%s%s", neg ? "-" : "", buf);
}

/* The integer in the first size bytes of b, sign-extended when is_signed. */
static s128 load_int(const uint8_t *b, unsigned size, bool is_signed)
{
	u128 v = 0;
	memcpy(&v, b, size < 16 ? size : 16);
	if (is_signed && size < 16 && ((v >> (8 * size - 1)) & 1))
		v |= ~(u128)0 << (8 * size);
	return (s128)v;
}

/* One character inside quote q, escaped as C (and GDB) write it. */
static void put_char_escaped(struct sb *s, uint8_t c, char q)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char letter[] = "abfnrtv";
	const char *e = c ? strchr(esc, c) : NULL;
	if (c == (uint8_t)q || c == '\\')
		put(s, "\\%c", c);
	else if (e)
		put(s, "\\%c", letter[e - esc]);
	else if (c < 0x20 || c >= 0x7f)
		put(s, "\\%03o", c);
	else
		put(s, "%c", c);
}

static void put_string(struct sb *s, const uint8_t *chars, size_t n, bool more)
{
	put(s, "\"");
	for (size_t i = 0; i < n; i++)
		put_char_escaped(s, chars[i], '"');
	put(s, "\"%s", more ? "..." : "");
}

/* A float, double or (x87) long double of size bytes at b. */
static long double load_float(const uint8_t *b, unsigned size)
{
	if (size == 4) {
		float f;
		memcpy(&f, b, 4);
		return f;
	}
	if (size == 8) {
		double d;
		memcpy(&d, b, 8);
		return d;
	}
	long double v = 0;
	memcpy(&v, b, sizeof v < size ? sizeof v : size);
	return v;
}

/* The shortest decimal that reads back as the same value (1.5, 0.1, 1e+20). */
static void put_float(struct sb *s, const uint8_t *b, unsigned size)
{
	char buf[64];
	long double v = load_float(b, size);
	if (isnan(v) || isinf(v)) {
		put(s, "%s%s", signbit(v) ? "-" : "", isnan(v) ? "nan" : "inf");
		return;
	}
	int max = size == 4 ? 9 : size == 8 ? 17 : 21;
	for (int p = 1; p <= max; p++) {
		snprintf(buf, sizeof buf, "%.*Lg", p, v);
		if ((size == 4 && strtof(buf, NULL) == (float)v) ||
		    (size == 8 && strtod(buf, NULL) == (double)v) || strtold(buf, NULL) == v)
			break;
	}
	put(s, "%s", buf);
}

static void format(const struct codec_type *t, const uint8_t *b, size_t known, struct mem *m,
		   struct sb *s);

static s128 load_bits(const uint8_t *b, unsigned bit, unsigned nbits, bool is_signed)
{
	u128 v = 0;
	for (unsigned i = 0; i < nbits; i++)
		v |= (u128)((b[(bit + i) / 8] >> ((bit + i) % 8)) & 1) << i;
	if (is_signed && nbits < 128 && ((v >> (nbits - 1)) & 1))
		v |= ~(u128)0 << nbits;
	return (s128)v;
}

static bool signed_kind(const struct codec_type *t)
{
	return t->kind == CK_SIGNED || ((t->kind == CK_CHAR || t->kind == CK_ENUM) && t->is_signed);
}

static void format_members(const struct codec_type *t, const uint8_t *b, size_t known,
			   struct mem *m, struct sb *s)
{
	put(s, "{");
	for (unsigned i = 0; i < t->nmembers; i++) {
		const struct codec_member *mb = &t->members[i];
		size_t end = mb->bit_size ? mb->offset + (mb->bit_offset + mb->bit_size + 7) / 8
					  : mb->offset + mb->type->size;
		if (i)
			put(s, ", ");
		if (end > known) {
			put(s, "...");
			break;
		}
		if (mb->name)
			put(s, "%s = ", mb->name);
		if (mb->bit_size) {
			/* The field's bits as a whole value of its type, then shown as that type. */
			u128 v = (u128)load_bits(b + mb->offset, mb->bit_offset, mb->bit_size,
						 signed_kind(mb->type));
			uint8_t whole[16];
			memcpy(whole, &v, sizeof whole);
			format(mb->type, whole, sizeof whole, m, s);
		} else
			format(mb->type, b + mb->offset, known - mb->offset, m, s);
	}
	put(s, "}");
}

static void format_array(const struct codec_type *t, const uint8_t *b, size_t known,
			 struct mem *m, struct sb *s)
{
	const struct codec_type *e = t->elem;
	if (e->kind == CK_CHAR) {
		/* A char array is text: up to its last non-NUL character. */
		size_t n = known < t->count ? known : t->count, used = n;
		while (used && b[used - 1] == 0)
			used--;
		put_string(s, b, used, n < t->count);
		return;
	}
	put(s, "{");
	for (unsigned i = 0; i < t->count; i++) {
		size_t off = (size_t)i * e->size;
		if (i)
			put(s, ", ");
		if (off + e->size > known) {
			put(s, "...");
			break;
		}
		format(e, b + off, known - off, m, s);
	}
	put(s, "}");
}

static void format_string_at(uint64_t p, struct mem *m, struct sb *s)
{
	uint8_t chars[STRING_MAX + 1];
	size_t n = 0;
	if (!p) {
		put(s, "0x0");
		return;
	}
	/* Read up to each page end, so a short string near unmapped memory is still read. */
	while (n < sizeof chars) {
		size_t chunk = 4096 - (size_t)((p + n) % 4096);
		if (chunk > sizeof chars - n)
			chunk = sizeof chars - n;
		if (!mem_read(m, p + n, chars + n, chunk))
			break;
		void *nul = memchr(chars + n, 0, chunk);
		if (nul) {
			put_string(s, chars, (size_t)((uint8_t *)nul - chars), false);
			return;
		}
		n += chunk;
	}
	if (n == 0)
		put(s, "%#" PRIx64 " <unreadable>", p);
	else
		put_string(s, chars, n < STRING_MAX ? n : STRING_MAX, true);
}

/* Go's string {p, n}: its bytes, read through m (bounded), quoted. */
static void format_go_string(uint64_t p, uint64_t n, struct mem *m, struct sb *s)
{
	uint8_t chars[STRING_MAX];
	size_t want = n < STRING_MAX ? (size_t)n : STRING_MAX;
	if (n == 0)
		put_string(s, chars, 0, false);
	else if (!m || !mem_read(m, p, chars, want))
		put(s, "{str = 0x%" PRIx64 ", len = %" PRIu64 "} <unreadable>", p, n);
	else
		put_string(s, chars, want, n > want);
}

static void format(const struct codec_type *t, const uint8_t *b, size_t known, struct mem *m,
		   struct sb *s)
{
	bool aggregate = t->kind == CK_STRUCT || t->kind == CK_UNION || t->kind == CK_ARRAY;
	if (!aggregate && (known < t->size || t->size == 0)) {
		put(s, "...");
		return;
	}
	switch (t->kind) {
	case CK_SIGNED:
	case CK_UNSIGNED:
		put_int(s, load_int(b, t->size, t->kind == CK_SIGNED), t->kind == CK_SIGNED);
		break;
	case CK_BOOL: {
		s128 v = load_int(b, t->size, false);
		if (v == 0 || v == 1)
			put(s, "%s", v ? "true" : "false");
		else
			put_int(s, v, false);
		break;
	}
	case CK_CHAR:
		put_int(s, load_int(b, 1, t->is_signed), t->is_signed);
		put(s, " '");
		put_char_escaped(s, b[0], '\'');
		put(s, "'");
		break;
	case CK_FLOAT:
		put_float(s, b, t->size);
		break;
	case CK_ENUM: {
		s128 v = load_int(b, t->size, t->is_signed);
		for (unsigned i = 0; i < t->nenumerators; i++)
			if (t->enumerators[i].value == (int64_t)v) {
				put(s, "%s", t->enumerators[i].name);
				return;
			}
		put_int(s, v, t->is_signed);
		break;
	}
	case CK_POINTER:
	case CK_STRING: {
		uint64_t p = (uint64_t)load_int(b, t->size, false);
		if (t->kind == CK_STRING && m)
			format_string_at(p, m, s);
		else
			put(s, "0x%" PRIx64, p); /* 0x0 for NULL, as GDB prints it */
		break;
	}
	case CK_GO_STRING:
		format_go_string((uint64_t)load_int(b, 8, false), (uint64_t)load_int(b + 8, 8, false), m, s);
		break;
	case CK_STRUCT:
	case CK_UNION:
		format_members(t, b, known, m, s);
		break;
	case CK_ARRAY:
		format_array(t, b, known, m, s);
		break;
	case CK_OPAQUE:
		put(s, "0x");
		for (unsigned i = 0; i < t->size; i++)
			put(s, "%02x", b[i]);
		break;
	}
}

void codec_format(const struct codec_type *t, const uint8_t *b, size_t known, struct mem *m,
		  char *out, size_t outlen)
{
	struct sb s = {out, outlen, 0};
	out[0] = '\0';
	format(t, b, known, m, &s);
	if (s.len >= outlen && outlen > 4)
		memcpy(out + outlen - 4, "...", 4); /* truncated: say so */
}

/* ---- parsing ---- */

struct parser {
	const char *p;
	char *err;
	size_t errlen;
	char path[128]; /* the member or element being parsed: "y", "a.x", "[2]" */
};

static int fail(struct parser *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *P, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (P->path[0])
		snprintf(P->err, P->errlen, "%s: %s", P->path, what);
	else
		snprintf(P->err, P->errlen, "%s", what);
	return -1;
}

static void skip_space(struct parser *P)
{
	while (isspace((unsigned char)*P->p))
		P->p++;
}

/* One C escape after the backslash at *p; advances p past it. -1 when malformed. */
static int unescape(const char **p)
{
	static const char letter[] = "abfnrtv\\'\"?";
	static const char value[] = "\a\b\f\n\r\t\v\\'\"?";
	const char *c = *p;
	const char *l = *c ? strchr(letter, *c) : NULL;
	if (l) {
		*p = c + 1;
		return (unsigned char)value[l - letter];
	}
	int v = 0, n = 0;
	if (*c == 'x') {
		for (c++; isxdigit((unsigned char)*c) && n < 2; c++, n++)
			v = v * 16 + (isdigit((unsigned char)*c) ? *c - '0' : tolower(*c) - 'a' + 10);
	} else {
		for (; *c >= '0' && *c <= '7' && n < 3; c++, n++)
			v = v * 8 + (*c - '0');
	}
	*p = c;
	return n ? v : -1;
}

/*
 * A quoted literal ("..." or '...') starting at P->p: its bytes into out (at most max), the
 * count in *n; P->p moves past the closing quote.
 */
static int quoted(struct parser *P, uint8_t *out, size_t max, size_t *n)
{
	char q = *P->p++;
	*n = 0;
	while (*P->p != q) {
		int c = (unsigned char)*P->p;
		if (!c)
			return fail(P, "unterminated %s literal", q == '"' ? "string" : "character");
		P->p++;
		if (c == '\\' && (c = unescape(&P->p)) < 0)
			return fail(P, "bad escape \\%c", *P->p ? *P->p : ' ');
		if (*n == max)
			return fail(P, "%s literal longer than %zu byte%s", q == '"' ? "string" : "character",
				    max, max == 1 ? "" : "s");
		out[(*n)++] = (uint8_t)c;
	}
	P->p++;
	return 0;
}

/* A scalar's text: up to ',' or '}' (inside braces) or the end, trailing spaces dropped. */
static void scalar_token(struct parser *P, bool nested, char *tok, size_t n)
{
	const char *start = P->p, *end = start;
	while (*end && !(nested && (*end == ',' || *end == '}')))
		end++;
	P->p = end;
	while (nested && end > start && isspace((unsigned char)end[-1]))
		end--;
	snprintf(tok, n, "%.*s", (int)(end - start), start);
}

/* Integer text: decimal, or 0x hex; an optional '-'. Its magnitude, saturated. */
static int parse_integer(struct parser *P, const char *tok, bool *neg, u128 *mag, bool *overflow)
{
	const char *c = tok;
	*neg = *c == '-';
	c += *neg;
	*mag = 0;
	*overflow = false;
	int base = 10;
	if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X')) {
		base = 16;
		c += 2;
	} else if (c[0] == '0' && isdigit((unsigned char)c[1])) {
		return fail(P, "%s has a leading zero: integers are decimal or 0x hex", tok);
	}
	if (!*c)
		return fail(P, "%s is not an integer", tok[0] ? tok : "\"\"");
	for (; *c; c++) {
		int d = isdigit((unsigned char)*c)		  ? *c - '0'
			: base == 16 && isxdigit((unsigned char)*c) ? tolower(*c) - 'a' + 10
								    : -1;
		if (d < 0)
			return fail(P, "%s is not an integer", tok);
		if (*mag > (~(u128)0 - (u128)d) / (u128)base)
			*overflow = true;
		else
			*mag = *mag * (u128)base + (u128)d;
	}
	return 0;
}

/* An integer of a size-byte type (signed or not) into out; what is the type's name. */
static int parse_int_into(struct parser *P, const char *tok, unsigned size, bool is_signed,
			  const char *what, uint8_t *out)
{
	bool neg, overflow;
	u128 mag;
	if (parse_integer(P, tok, &neg, &mag, &overflow))
		return -1;
	u128 max = size >= 16 ? ~(u128)0 : ((u128)1 << (8 * size)) - 1; /* unsigned maximum */
	u128 pos_max = is_signed ? max >> 1 : max, neg_max = is_signed ? (max >> 1) + 1 : 0;
	if (overflow || (!neg && mag > pos_max) || (neg && mag > neg_max)) {
		char lo[48] = "0", hi[48];
		if (is_signed) {
			lo[0] = '-';
			u128_str(neg_max, lo + 1);
		}
		u128_str(pos_max, hi);
		return fail(P, "%s is out of range for %s (%s to %s)", tok, what, lo, hi);
	}
	u128 v = neg ? -mag : mag;
	memcpy(out, &v, size);
	return 0;
}

static int parse_float(struct parser *P, const struct codec_type *t, const char *tok, uint8_t *out)
{
	const char *c = tok + (*tok == '-');
	char *end;
	if (!*tok || isspace((unsigned char)*tok) || (c[0] == '0' && (c[1] == 'x' || c[1] == 'X')))
		return fail(P, "%s is not a decimal number (1.5, -0.0, 1e-9, inf, nan)",
			    tok[0] ? tok : "\"\"");
	errno = 0;
	if (t->size == 4) {
		float f = strtof(tok, &end);
		memcpy(out, &f, 4);
	} else if (t->size == 8) {
		double d = strtod(tok, &end);
		memcpy(out, &d, 8);
	} else {
		long double d = strtold(tok, &end);
		memset(out, 0, t->size);
		memcpy(out, &d, sizeof d < t->size ? sizeof d : t->size);
	}
	if (*end)
		return fail(P, "%s is not a decimal number (1.5, -0.0, 1e-9, inf, nan)", tok);
	/* ERANGE: too large (now inf) or too small (now 0); a subnormal result is a value. */
	long double v = load_float(out, t->size);
	if (errno == ERANGE && (isinf(v) || v == 0))
		return fail(P, "%s is out of range for %s", tok, t->name);
	return 0;
}

static int parse_value(struct parser *P, const struct codec_type *t, uint8_t *out, bool nested);

static int parse_scalar(struct parser *P, const struct codec_type *t, uint8_t *out, bool nested)
{
	char tok[256];
	if (*P->p == '{')
		return fail(P, "%s is not a struct, union or array: no braces", t->name);
	if (*P->p == '\'' && (t->kind == CK_CHAR || t->kind == CK_SIGNED || t->kind == CK_UNSIGNED)) {
		uint8_t c;
		size_t n;
		if (quoted(P, &c, 1, &n))
			return -1;
		if (n != 1)
			return fail(P, "empty character literal");
		snprintf(tok, sizeof tok, "%d", t->kind == CK_CHAR && t->is_signed ? (int)(int8_t)c : c);
		return parse_int_into(P, tok, t->size, signed_kind(t), t->name, out);
	}
	scalar_token(P, nested, tok, sizeof tok);
	switch (t->kind) {
	case CK_CHAR:
		if (tok[0] != '-' && !isdigit((unsigned char)tok[0]))
			return fail(P, "%s is not a character literal ('a', '\\n') or an integer", tok);
		return parse_int_into(P, tok, t->size, signed_kind(t), t->name, out);
	case CK_SIGNED:
	case CK_UNSIGNED:
	case CK_POINTER:
		return parse_int_into(P, tok, t->size, signed_kind(t), t->name, out);
	case CK_BOOL:
		if (strcmp(tok, "true") == 0 || strcmp(tok, "false") == 0) {
			memset(out, 0, t->size);
			out[0] = tok[0] == 't';
			return 0;
		}
		if (strcmp(tok, "0") == 0 || strcmp(tok, "1") == 0)
			return parse_int_into(P, tok, t->size, false, t->name, out);
		return fail(P, "%s is not a bool (true, false, 1, 0)", tok);
	case CK_FLOAT:
		return parse_float(P, t, tok, out);
	case CK_ENUM:
		for (unsigned i = 0; i < t->nenumerators; i++)
			if (strcmp(tok, t->enumerators[i].name) == 0) {
				int64_t v = t->enumerators[i].value;
				memcpy(out, &v, t->size < 8 ? t->size : 8);
				return 0;
			}
		if (tok[0] == '-' || isdigit((unsigned char)tok[0]))
			return parse_int_into(P, tok, t->size, t->is_signed, t->name, out);
		return fail(P, "%s is not an enumerator of %s", tok, t->name);
	case CK_STRING:
		if (tok[0] == '"')
			return fail(P, "a %s member holds a pointer: give its address, not its text", t->name);
		return parse_int_into(P, tok, t->size, false, t->name, out);
	default:
		return fail(P, "values of type %s are given as hex bytes only", t->name);
	}
}

static int descend(struct parser *P, const char *sep, const char *name, unsigned index,
		   const struct codec_type *t, uint8_t *out)
{
	size_t keep = strlen(P->path);
	if (name)
		snprintf(P->path + keep, sizeof P->path - keep, "%s%s", keep ? sep : "", name);
	else
		snprintf(P->path + keep, sizeof P->path - keep, "[%u]", index);
	int r = parse_value(P, t, out, true);
	if (r == 0)
		P->path[keep] = '\0';
	return r;
}

static void store_bits(uint8_t *b, unsigned bit, unsigned nbits, u128 v)
{
	for (unsigned i = 0; i < nbits; i++) {
		uint8_t mask = (uint8_t)(1u << ((bit + i) % 8));
		if ((v >> i) & 1)
			b[(bit + i) / 8] |= mask;
		else
			b[(bit + i) / 8] &= (uint8_t)~mask;
	}
}

/* A bit-field member: parsed as its type, then checked against its width. */
static int parse_bitfield(struct parser *P, const struct codec_member *mb, uint8_t *agg)
{
	uint8_t tmp[16] = {0};
	if (descend(P, ".", mb->name ? mb->name : "?", 0, mb->type, tmp))
		return -1;
	bool sgn = signed_kind(mb->type);
	s128 v = load_int(tmp, mb->type->size, sgn);
	s128 hi = sgn ? ((s128)1 << (mb->bit_size - 1)) - 1 : (s128)(((u128)1 << mb->bit_size) - 1);
	s128 lo = sgn ? -hi - 1 : 0;
	if (v < lo || v > hi) {
		char vs[48], ls[48], hs[48];
		struct sb sv = {vs, sizeof vs, 0}, sl = {ls, sizeof ls, 0}, sh = {hs, sizeof hs, 0};
		put_int(&sv, v, sgn);
		put_int(&sl, lo, sgn);
		put_int(&sh, hi, sgn);
		return fail(P, "%s: %s is out of range for a %u-bit field (%s to %s)",
			    mb->name ? mb->name : "?", vs, mb->bit_size, ls, hs);
	}
	store_bits(agg + mb->offset, mb->bit_offset, mb->bit_size, (u128)v);
	return 0;
}

/* "name =" or ".name =" ahead: the member's index, else -1 (positional). Moves past it. */
static int designator(struct parser *P, const struct codec_type *t, int *index)
{
	const char *c = P->p + (*P->p == '.');
	const char *start = c;
	*index = -1;
	if (!isalpha((unsigned char)*c) && *c != '_')
		return 0;
	while (isalnum((unsigned char)*c) || *c == '_')
		c++;
	const char *end = c;
	while (isspace((unsigned char)*c))
		c++;
	if (*c != '=')
		return 0; /* an enumerator or a word: a positional value */
	for (unsigned i = 0; i < t->nmembers; i++)
		if (t->members[i].name && strlen(t->members[i].name) == (size_t)(end - start) &&
		    strncmp(t->members[i].name, start, (size_t)(end - start)) == 0) {
			*index = (int)i;
			P->p = c + 1;
			return 0;
		}
	return fail(P, "%s has no member %.*s", t->name, (int)(end - start), start);
}

static int parse_braced(struct parser *P, const struct codec_type *t, uint8_t *out)
{
	unsigned n = t->kind == CK_ARRAY ? t->count : t->nmembers, next = 0, given_count = 0;
	bool given[256] = {false};
	if (n > sizeof given)
		return fail(P, "%s has too many members to be given", t->name);
	memset(out, 0, t->size);
	P->p++; /* '{' */
	skip_space(P);
	while (*P->p != '}') {
		int idx = -1;
		if (t->kind != CK_ARRAY && designator(P, t, &idx))
			return -1;
		unsigned i = idx >= 0 ? (unsigned)idx : next;
		if (i >= n || (t->kind == CK_UNION && given_count))
			return fail(P, "too many values: %s has %u %s", t->name,
				    t->kind == CK_UNION ? 1 : n,
				    t->kind == CK_ARRAY ? "elements" : t->kind == CK_UNION ? "value at a time" : "members");
		if (given[i])
			return fail(P, "member %s given twice", t->members[i].name);
		skip_space(P);
		int r;
		if (t->kind == CK_ARRAY)
			r = descend(P, "", NULL, i, t->elem, out + (size_t)i * t->elem->size);
		else if (t->members[i].bit_size)
			r = parse_bitfield(P, &t->members[i], out);
		else
			r = descend(P, ".", t->members[i].name ? t->members[i].name : "?", 0,
				    t->members[i].type, out + t->members[i].offset);
		if (r)
			return -1;
		given[i] = true;
		given_count++;
		next = i + 1;
		skip_space(P);
		if (*P->p == ',') {
			P->p++;
			skip_space(P);
		} else if (*P->p != '}') {
			return fail(P, *P->p ? "expected , or } at \"%s\"" : "missing }%s", P->p);
		}
	}
	P->p++;
	if (t->kind == CK_UNION)
		return given_count ? 0 : fail(P, "%s needs a value for one member", t->name);
	for (unsigned i = 0; i < n; i++)
		if (!given[i]) {
			if (t->kind == CK_ARRAY)
				return fail(P, "%s needs %u elements, got %u", t->name, n, given_count);
			return fail(P, "%s needs member %s", t->name,
				    t->members[i].name ? t->members[i].name : "(anonymous)");
		}
	return 0;
}

static int parse_value(struct parser *P, const struct codec_type *t, uint8_t *out, bool nested)
{
	bool aggregate = t->kind == CK_STRUCT || t->kind == CK_UNION || t->kind == CK_ARRAY;
	if (!aggregate)
		return parse_scalar(P, t, out, nested);
	if (t->kind == CK_ARRAY && t->elem->kind == CK_CHAR && *P->p == '"') {
		size_t n;
		memset(out, 0, t->size);
		return quoted(P, out, t->count, &n);
	}
	if (*P->p != '{')
		return fail(P, "a %s is written in braces: {...}", t->name);
	return parse_braced(P, t, out);
}

/* "0x0100..." or "01 00 ..." / "01:00:...": bytes in memory order, as many as the type has. */
static bool hex_bytes(const char *s, uint8_t *out, size_t size)
{
	bool prefixed = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *c = s + (prefixed ? 2 : 0);
	size_t n = 0;
	while (*c) {
		if (n && !prefixed && (*c == ' ' || *c == ':'))
			c++;
		if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]) || n == size)
			return false;
		char hex[3] = {c[0], c[1], 0};
		out[n++] = (uint8_t)strtoul(hex, NULL, 16);
		c += 2;
	}
	return n == size;
}

int codec_parse(const struct codec_type *t, const char *text, uint8_t *out, size_t outsize,
		size_t *len, char *err, size_t errlen)
{
	struct parser P = {.p = text, .err = err, .errlen = errlen};
	size_t n = strlen(text);
	if (!n)
		return fail(&P, "empty");
	if (isspace((unsigned char)text[0]) || isspace((unsigned char)text[n - 1]))
		return fail(&P, "%s space", isspace((unsigned char)text[0]) ? "leading" : "trailing");
	if (t->kind == CK_STRING || t->kind == CK_GO_STRING) {
		/* The characters themselves, or a string literal when quoted. */
		if (text[0] != '"') {
			if (n >= outsize)
				return fail(&P, "longer than %zu bytes", outsize - 1);
			memcpy(out, text, n);
			*len = n;
			return 0;
		}
		if (quoted(&P, out, outsize - 1, len))
			return -1;
		if (*P.p)
			return fail(&P, "text after the closing quote: %s", P.p);
		if (t->kind == CK_STRING && memchr(out, 0, *len))
			return fail(&P, "a \\0 inside the string would end it");
		return 0;
	}
	if (t->size > outsize)
		return fail(&P, "the type is %u bytes, more than %zu", t->size, outsize);
	*len = t->size;
	bool aggregate = t->kind == CK_STRUCT || t->kind == CK_UNION || t->kind == CK_ARRAY ||
			 t->kind == CK_OPAQUE;
	if (aggregate && text[0] != '{' && text[0] != '"') {
		if (hex_bytes(text, out, t->size))
			return 0;
		return fail(&P, "give {...} or %u hex bytes in memory order (0x...)", t->size);
	}
	if (parse_value(&P, t, out, false))
		return -1;
	if (*P.p)
		return fail(&P, "unexpected text after the value: %s", P.p);
	return 0;
}
