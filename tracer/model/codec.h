/*
 * codec.h: values shown and keys parsed by their DWARF type, in C's notation
 * as GDB prints it: 42, -3, true, 97 'a', 1.5, RED, 0x7ffd..., "alice",
 * {x = 3, y = -3}, {1, 2, 3}.
 *
 * A codec_type is built once from a DWARF type at setup (the hit path never
 * touches libdw): a tree of scalars, pointers, structs, unions and arrays
 * with their offsets, sizes and names. Formatting and parsing walk it.
 */
#ifndef MAPVIZ_CODEC_H
#define MAPVIZ_CODEC_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mem;

enum codec_kind {
	CK_SIGNED,   /* signed integers, 1 to 16 bytes */
	CK_UNSIGNED,
	CK_BOOL,
	CK_CHAR,     /* char, signed char, unsigned char: 97 'a' */
	CK_FLOAT,    /* float, double, long double (x87) */
	CK_ENUM,     /* by enumerator name; an integer when no enumerator has the value */
	CK_POINTER,  /* 0x... */
	CK_STRING,   /* a pointer to char: the NUL-terminated string it points to, "alice" */
	CK_GO_STRING, /* Go's string {data pointer, length}: the bytes it points to, "alice" */
	CK_STRUCT,
	CK_UNION,
	CK_ARRAY,
	CK_OPAQUE    /* anything else (complex, vectors): its bytes in hex */
};

struct codec_type;

struct codec_member {
	char *name;             /* NULL for an anonymous struct or union member */
	unsigned offset;        /* bytes from the start of the aggregate */
	unsigned bit_size;      /* 0 unless a bit-field */
	unsigned bit_offset;    /* a bit-field's first bit from offset, little-endian */
	struct codec_type *type;
};

struct codec_enumerator {
	char *name;
	int64_t value;
};

struct codec_type {
	enum codec_kind kind;
	char name[96];          /* as C spells it: uint64_t, struct point, const char *, int[3] */
	unsigned size;
	bool is_signed;         /* CK_CHAR and CK_ENUM: how the bytes read as an integer */
	struct codec_member *members; /* CK_STRUCT, CK_UNION */
	unsigned nmembers;
	struct codec_enumerator *enumerators; /* CK_ENUM */
	unsigned nenumerators;
	struct codec_type *elem; /* CK_ARRAY */
	unsigned count;
};

/* The codec of DWARF type DIE type (typedefs kept for the name). NULL when out of memory. */
struct codec_type *codec_build(Dwarf_Die *type);
void codec_free(struct codec_type *t);
/* Marks Go's strings in t (DWARF's struct string {str, len}) as CK_GO_STRING. */
void codec_go_strings(struct codec_type *t);

/*
 * Writes the value held by the first known bytes of b (of t->size) into out, always
 * NUL-terminated. Members or elements beyond the known bytes are shown as "...", a scalar
 * not wholly known as "...". Strings are read through m (bounded: at most 200 characters,
 * then "..."); m may be NULL, and then a string pointer is shown as a pointer.
 */
void codec_format(const struct codec_type *t, const uint8_t *b, size_t known, struct mem *m,
		  char *out, size_t outlen);

/*
 * Parses text, a value in t's notation, into out (t->size bytes). For CK_STRING and
 * CK_GO_STRING, out gets the string's characters (at most outsize - 1) and *len their
 * number; else *len = t->size.
 * 0, or -1 with err saying what was wrong (one phrase, no type name at the top level).
 */
int codec_parse(const struct codec_type *t, const char *text, uint8_t *out, size_t outsize,
		size_t *len, char *err, size_t errlen);

#endif
