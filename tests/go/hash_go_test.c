/*
 * hash_go_test: tracer/hash_go.c driven through standard input, for the
 * Python tests to hold against the Go runtime's own placements.
 *
 * Input lines:
 *   seeds AES MINOR KEYSCHED HASHKEY0 HASHKEY1 HASHKEY2 HASHKEY3
 *         (AES 0|1, MINOR of Go 1.MINOR, KEYSCHED 256 hex digits, hash keys in hex)
 *   type SPEC      the key type for the keys that follow:
 *         mN plain memory of N bytes, s string, fN float, cN complex, i interface,
 *         aN:SPEC array of N, tSIZE(OFF=SPEC,...) struct (a field _OFF=SPEC is blank)
 *   key SEED IMAGE [STRING...]   seed and image in hex; a string in the image
 *         points at STRING number P (1-based) of the line
 * Output, one line per key: the hash with AES-NI ('-' when the CPU lacks it)
 * and with the software AES round, in hex, or "error MESSAGE".
 */
#include "model/hash_go.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TYPES 64
#define MAX_FIELDS 64
#define MAX_STRINGS 16

static struct go_type types[MAX_TYPES];
static struct go_field fields[MAX_FIELDS];
static size_t ntypes, nfields;

static void die(const char *what)
{
	fprintf(stderr, "hash_go_test: %s\n", what);
	exit(2);
}

static const struct go_type *parse_type(const char **p);

static size_t parse_number(const char **p)
{
	char *end;
	size_t n = strtoul(*p, &end, 10);
	if (end == *p)
		die("number expected in type");
	*p = end;
	return n;
}

static void expect(const char **p, char c)
{
	if (**p != c)
		die("bad type syntax");
	(*p)++;
}

static const struct go_type *parse_type(const char **p)
{
	if (ntypes == MAX_TYPES)
		die("too many types");
	struct go_type *t = &types[ntypes++];
	memset(t, 0, sizeof *t);
	/* the leaf kinds: a letter, then the size unless it is fixed */
	static const struct {
		char letter;
		enum go_kind kind;
		size_t fixed_size; /* 0: the size follows the letter */
	} leaves[] = {
		{'m', GO_KIND_MEM, 0},    {'s', GO_KIND_STRING, 16},   {'f', GO_KIND_FLOAT, 0},
		{'c', GO_KIND_COMPLEX, 0}, {'i', GO_KIND_INTERFACE, 16},
	};
	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++)
		if (**p == leaves[i].letter) {
			(*p)++;
			t->kind = leaves[i].kind;
			t->size = leaves[i].fixed_size ? leaves[i].fixed_size : parse_number(p);
			return t;
		}
	switch (*(*p)++) {
	case 'a':
		t->kind = GO_KIND_ARRAY;
		t->length = parse_number(p);
		expect(p, ':');
		t->elem = parse_type(p);
		t->size = t->length * t->elem->size;
		break;
	case 't': {
		/* the fields are gathered here first: a field's own struct type
		 * takes pool entries while this one is being parsed */
		struct go_field own[MAX_FIELDS];
		size_t n = 0;
		t->kind = GO_KIND_STRUCT;
		t->size = parse_number(p);
		expect(p, '(');
		while (**p != ')') {
			if (n == MAX_FIELDS)
				die("too many fields");
			struct go_field *f = &own[n++];
			f->name = "f";
			if (**p == '_') {
				f->name = "_";
				(*p)++;
			}
			f->offset = parse_number(p);
			expect(p, '=');
			f->type = parse_type(p);
			if (**p == ',')
				(*p)++;
		}
		(*p)++;
		if (nfields + n > MAX_FIELDS)
			die("too many fields");
		memcpy(&fields[nfields], own, n * sizeof own[0]);
		t->fields = &fields[nfields];
		t->nfields = n;
		nfields += n;
		break;
	}
	default:
		die("unknown type letter");
	}
	return t;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	if (n > cap)
		die("hex too long");
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			die("bad hex");
		out[i] = (uint8_t)v;
	}
	return n;
}

struct strings {
	uint8_t *data[MAX_STRINGS];
	size_t len[MAX_STRINGS];
	size_t n;
};

/* a string's "address" is its 1-based number on the key line */
static bool read_string(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct strings *st = ctx;
	if (addr == 0 || addr > st->n || st->len[addr - 1] != len)
		return false;
	memcpy(buf, st->data[addr - 1], len);
	return true;
}

int main(void)
{
	static char line[1 << 16];
	struct go_hash_seeds seeds = {0};
	const struct go_type *type = NULL;
	bool have_ni = go_hash_set_aes_impl(GO_AES_NI);

	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *word = strtok(line, " ");
		if (!word)
			continue;
		if (strcmp(word, "seeds") == 0) {
			char *aes = strtok(NULL, " "), *minor = strtok(NULL, " "), *ks = strtok(NULL, " ");
			if (!aes || !minor || !ks)
				die("short seeds line");
			seeds.use_aes = atoi(aes) != 0;
			seeds.release_minor = (unsigned)atoi(minor);
			if (unhex(ks, seeds.aeskeysched, sizeof seeds.aeskeysched) != GO_AESKEYSCHED_SIZE)
				die("aeskeysched is not 128 bytes");
			for (int i = 0; i < GO_HASHKEY_WORDS; i++) {
				char *hk = strtok(NULL, " ");
				if (!hk)
					die("short seeds line");
				seeds.hashkey[i] = strtoull(hk, NULL, 16);
			}
		} else if (strcmp(word, "type") == 0) {
			const char *spec = strtok(NULL, " ");
			if (!spec)
				die("type expected");
			ntypes = nfields = 0;
			type = parse_type(&spec);
		} else if (strcmp(word, "key") == 0) {
			static uint8_t image[4096], pool[MAX_STRINGS][8192];
			struct strings st = {.n = 0};
			char *seed_hex = strtok(NULL, " "), *image_hex = strtok(NULL, " ");
			if (!type || !seed_hex || !image_hex)
				die("key before type, or short key line");
			uint64_t seed = strtoull(seed_hex, NULL, 16);
			if (unhex(image_hex, image, sizeof image) != type->size)
				die("image size is not the type's size");
			for (char *s; (s = strtok(NULL, " ")) && st.n < MAX_STRINGS; st.n++) {
				st.data[st.n] = pool[st.n];
				st.len[st.n] = strcmp(s, "-") == 0 ? 0 : unhex(s, pool[st.n], sizeof pool[0]);
			}
			uint64_t hash_ni = 0, hash_sw = 0;
			enum go_hash_status status = GO_HASH_OK;
			if (have_ni) {
				go_hash_set_aes_impl(GO_AES_NI);
				status = go_hash_key(&seeds, type, image, read_string, &st, seed, &hash_ni);
			}
			go_hash_set_aes_impl(GO_AES_SOFTWARE);
			if (status == GO_HASH_OK)
				status = go_hash_key(&seeds, type, image, read_string, &st, seed, &hash_sw);
			if (status != GO_HASH_OK)
				printf("error %s\n", go_hash_status_str(status));
			else if (have_ni)
				printf("%016llx %016llx\n", (unsigned long long)hash_ni, (unsigned long long)hash_sw);
			else
				printf("- %016llx\n", (unsigned long long)hash_sw);
		} else {
			die("unknown line");
		}
	}
	return 0;
}
