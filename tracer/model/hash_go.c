/*
 * hash_go.c: Go's map hash recomputed (see hash_go.h). The algorithms are
 * those of Go's runtime/asm_amd64.s (aeshashbody, memhash32, memhash64),
 * runtime/hash64.go (the fallback), runtime/alg.go (floats) and the
 * compiler's generated hashes for structs and arrays.
 */
#include "model/hash_go.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One SSE register's worth: bytes as the register holds them. */
struct block {
	uint8_t b[16];
};

static struct block block_xor(struct block x, struct block y)
{
	for (int i = 0; i < 16; i++)
		x.b[i] ^= y.b[i];
	return x;
}

static struct block block_load(const uint8_t *p)
{
	struct block x;
	memcpy(x.b, p, 16);
	return x;
}

static uint64_t block_low64(struct block x)
{
	uint64_t v;
	memcpy(&v, x.b, 8);
	return v;
}

/* ---- the AES round ------------------------------------------------------ */

/* Product in GF(2^8) modulo AES's polynomial x^8 + x^4 + x^3 + x + 1. */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
	uint8_t product = 0;
	while (b) {
		if (b & 1)
			product ^= a;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
		b >>= 1;
	}
	return product;
}

/* round_table[r][x]: what byte x in state row r contributes to its column
 * after SubBytes and MixColumns (MixColumns' column r times S[x]), rows 0..3
 * in bytes 0..3 of the word. */
static uint32_t round_table[4][256];
static pthread_once_t round_table_once = PTHREAD_ONCE_INIT;

static void make_round_table(void)
{
	uint8_t inverse[256] = {0};
	for (unsigned a = 1; a < 256; a++)
		for (unsigned b = 1; b < 256; b++)
			if (gf_mul((uint8_t)a, (uint8_t)b) == 1) {
				inverse[a] = (uint8_t)b;
				break;
			}
	for (unsigned x = 0; x < 256; x++) {
		/* the S-box: the inverse, then the affine map with 0x63 */
		uint8_t v = inverse[x], s = v;
		for (int shift = 1; shift <= 4; shift++)
			s ^= (uint8_t)((v << shift) | (v >> (8 - shift)));
		s ^= 0x63;
		uint32_t col = gf_mul(s, 2) | (uint32_t)s << 8 | (uint32_t)s << 16 |
			       (uint32_t)gf_mul(s, 3) << 24;
		for (int r = 0; r < 4; r++) {
			round_table[r][x] = col;
			col = col << 8 | col >> 24;
		}
	}
}

/* AESENC in software: ShiftRows, SubBytes, MixColumns, then xor the key.
 * Byte i of the state is row i % 4 of column i / 4. */
static struct block aesenc_software(struct block state, struct block key)
{
	struct block out;
	pthread_once(&round_table_once, make_round_table);
	for (int c = 0; c < 4; c++) {
		/* ShiftRows brings row r of column c + r into column c. */
		uint32_t col = round_table[0][state.b[4 * c]] ^
			       round_table[1][state.b[4 * ((c + 1) % 4) + 1]] ^
			       round_table[2][state.b[4 * ((c + 2) % 4) + 2]] ^
			       round_table[3][state.b[4 * ((c + 3) % 4) + 3]];
		for (int r = 0; r < 4; r++)
			out.b[4 * c + r] = (uint8_t)(col >> (8 * r)) ^ key.b[4 * c + r];
	}
	return out;
}

__attribute__((target("aes,sse2")))
static struct block aesenc_ni(struct block state, struct block key)
{
	__m128i s = _mm_loadu_si128((const __m128i *)(const void *)state.b);
	__m128i k = _mm_loadu_si128((const __m128i *)(const void *)key.b);
	_mm_storeu_si128((__m128i *)(void *)state.b, _mm_aesenc_si128(s, k));
	return state;
}

/* The round in use: AES-NI when the CPU has it, unless a caller chose. */
static struct block (*aesenc)(struct block, struct block) = aesenc_software;
static pthread_once_t aesenc_once = PTHREAD_ONCE_INIT;

static bool cpu_has_aesni(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes");
}

static void choose_aesenc(void)
{
	aesenc = cpu_has_aesni() ? aesenc_ni : aesenc_software;
}

bool go_hash_set_aes_impl(enum go_aes_impl impl)
{
	pthread_once(&aesenc_once, choose_aesenc);
	switch (impl) {
	case GO_AES_NI:
		if (!cpu_has_aesni())
			return false;
		aesenc = aesenc_ni;
		return true;
	case GO_AES_SOFTWARE:
		aesenc = aesenc_software;
		return true;
	case GO_AES_AUTO:
		choose_aesenc();
		return true;
	}
	return false;
}

static struct block round_of(struct block state, struct block key)
{
	pthread_once(&aesenc_once, choose_aesenc);
	return aesenc(state, key);
}

/* AESENC X, X three times: the register is its own round key. */
static struct block scramble(struct block x)
{
	for (int i = 0; i < 3; i++)
		x = round_of(x, x);
	return x;
}

/* ---- aeshash ------------------------------------------------------------ */

static struct block key_block(const struct go_hash_seeds *s, int i)
{
	return block_load(s->aeskeysched + 16 * i);
}

/* aeshashbody: memhash (and so strhash) with AES-NI. */
static uint64_t aes_memhash(const struct go_hash_seeds *s, const uint8_t *p, size_t n,
			    uint64_t seed)
{
	/* 64 bits of seed, then the length's low 16 bits four times */
	struct block x1;
	uint16_t len16 = (uint16_t)n;
	memcpy(x1.b, &seed, 8);
	for (int i = 0; i < 4; i++)
		memcpy(x1.b + 8 + 2 * i, &len16, 2);
	struct block x0 = block_xor(x1, key_block(s, 0));
	x0 = round_of(x0, x0);

	if (n == 0)
		return block_low64(round_of(x0, x0));
	if (n <= 16) {
		/* shorter data is zero-padded to a block (the runtime masks its load) */
		struct block data = {{0}};
		memcpy(data.b, p, n);
		return block_low64(scramble(block_xor(data, x0)));
	}
	if (n <= 32) {
		struct block x1s = block_xor(x1, key_block(s, 1));
		x1s = round_of(x1s, x1s);
		struct block a = scramble(block_xor(block_load(p), x0));
		struct block b = scramble(block_xor(block_load(p + n - 16), x1s));
		return block_low64(block_xor(a, b));
	}

	/* 4 lanes up to 64 bytes, 8 beyond; lane i > 0 seeded from x1 and
	 * aeskeysched block i */
	int lanes = n <= 64 ? 4 : 8;
	struct block seeds[8], state[8];
	seeds[0] = x0;
	for (int i = 1; i < lanes; i++) {
		seeds[i] = block_xor(x1, key_block(s, i));
		seeds[i] = round_of(seeds[i], seeds[i]);
	}
	if (n <= 128) {
		/* the first lanes/2 blocks and the last lanes/2 (they may overlap) */
		struct block result = {{0}};
		int half = lanes / 2;
		for (int i = 0; i < lanes; i++) {
			size_t off = i < half ? 16 * (size_t)i : n - 16 * (size_t)(lanes - i);
			result = block_xor(result, scramble(block_xor(block_load(p + off), seeds[i])));
		}
		return block_low64(result);
	}
	/* over 128 bytes: start from the last 128, then fold in each 128-byte
	 * block from the start */
	for (int i = 0; i < 8; i++)
		state[i] = block_xor(block_load(p + n - 128 + 16 * i), seeds[i]);
	for (size_t blocks = (n - 1) >> 7, base = 0; blocks > 0; blocks--, base += 128)
		for (int i = 0; i < 8; i++) {
			state[i] = round_of(state[i], state[i]);
			state[i] = round_of(state[i], block_load(p + base + 16 * i));
		}
	struct block result = {{0}};
	for (int i = 0; i < 8; i++)
		result = block_xor(result, scramble(state[i]));
	return block_low64(result);
}

/* memhash32/memhash64 with AES-NI: the seed in bytes 0..7, the key's width
 * bytes from byte 8, three rounds keyed by aeskeysched. */
static uint64_t aes_memhash_word(const struct go_hash_seeds *s, const void *p, size_t width,
				 uint64_t seed)
{
	struct block x = {{0}};
	memcpy(x.b, &seed, 8);
	memcpy(x.b + 8, p, width);
	for (int i = 0; i < 3; i++)
		x = round_of(x, key_block(s, i));
	return block_low64(x);
}

/* ---- the fallback (runtime/hash64.go) ------------------------------------ */

#define M1 0xa0761d6478bd642fULL
#define M2 0xe7037ed1a0b428dbULL
#define M3 0x8ebc6af09c88c6e3ULL
#define M4 0x589965cc75374cc3ULL
#define M5 0x1d8e4e27c47d124fULL

/* The keys the fallback mixes in: Go 1.19 to 1.22 xor hashkey[0] with m1
 * into the seed and multiply by the constants m2..m4; Go 1.23 uses
 * hashkey[0] alone and hashkey[1..3] instead. */
struct fallback_keys {
	uint64_t seed, m2, m3, m4;
};

static struct fallback_keys fallback_keys(const struct go_hash_seeds *s)
{
	if (s->release_minor >= 23)
		return (struct fallback_keys){s->hashkey[0], s->hashkey[1], s->hashkey[2], s->hashkey[3]};
	return (struct fallback_keys){s->hashkey[0] ^ M1, M2, M3, M4};
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	unsigned __int128 product = (unsigned __int128)a * b;
	return (uint64_t)(product >> 64) ^ (uint64_t)product;
}

static uint64_t r4(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t r8(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t fallback_memhash(const struct go_hash_seeds *s, const uint8_t *p, size_t n,
				 uint64_t seed)
{
	struct fallback_keys k = fallback_keys(s);
	uint64_t a, b;
	seed ^= k.seed;
	if (n == 0)
		return seed;
	if (n < 4) {
		a = p[0] | (uint64_t)p[n >> 1] << 8 | (uint64_t)p[n - 1] << 16;
		b = 0;
	} else if (n == 4) {
		a = b = r4(p);
	} else if (n < 8) {
		a = r4(p);
		b = r4(p + n - 4);
	} else if (n == 8) {
		a = b = r8(p);
	} else if (n <= 16) {
		a = r8(p);
		b = r8(p + n - 8);
	} else {
		size_t left = n;
		if (left > 48) {
			uint64_t seed1 = seed, seed2 = seed;
			for (; left > 48; left -= 48, p += 48) {
				seed = mix(r8(p) ^ k.m2, r8(p + 8) ^ seed);
				seed1 = mix(r8(p + 16) ^ k.m3, r8(p + 24) ^ seed1);
				seed2 = mix(r8(p + 32) ^ k.m4, r8(p + 40) ^ seed2);
			}
			seed ^= seed1 ^ seed2;
		}
		for (; left > 16; left -= 16, p += 16)
			seed = mix(r8(p) ^ k.m2, r8(p + 8) ^ seed);
		a = r8(p + left - 16);
		b = r8(p + left - 8);
	}
	return mix(M5 ^ n, mix(a ^ k.m2, b ^ seed));
}

/* memhash32Fallback/memhash64Fallback */
static uint64_t fallback_memhash_word(const struct go_hash_seeds *s, const void *p, size_t width,
				      uint64_t seed)
{
	struct fallback_keys k = fallback_keys(s);
	uint64_t a = 0;
	memcpy(&a, p, width);
	return mix(M5 ^ width, mix(a ^ k.m2, a ^ seed ^ k.seed));
}

/* ---- the runtime's hash functions --------------------------------------- */

uint64_t go_memhash(const struct go_hash_seeds *s, const void *p, size_t n, uint64_t seed)
{
	return s->use_aes ? aes_memhash(s, p, n, seed) : fallback_memhash(s, p, n, seed);
}

uint64_t go_memhash32(const struct go_hash_seeds *s, const void *p, uint64_t seed)
{
	return s->use_aes ? aes_memhash_word(s, p, 4, seed) : fallback_memhash_word(s, p, 4, seed);
}

uint64_t go_memhash64(const struct go_hash_seeds *s, const void *p, uint64_t seed)
{
	return s->use_aes ? aes_memhash_word(s, p, 8, seed) : fallback_memhash_word(s, p, 8, seed);
}

/* runtime/alg.go's c0 and c1 on 64-bit targets: the hash of +0 and -0 */
#define C0 33054211828000289ULL
#define C1 23344194077549503ULL

/* f32hash/f64hash: one hash for both zeros; a NaN's is random. */
static enum go_hash_status float_hash(const struct go_hash_seeds *s, const uint8_t *p,
				      size_t size, uint64_t *h)
{
	uint64_t bits = 0;
	memcpy(&bits, p, size);
	unsigned exponent_bits = size == 4 ? 8 : 11, mantissa_bits = 8 * (unsigned)size - 1 - exponent_bits;
	uint64_t magnitude = bits & ((1ULL << (8 * size - 1)) - 1);
	uint64_t exponent_max = (1ULL << exponent_bits) - 1;
	if (magnitude == 0) {
		*h = C1 * (C0 ^ *h);
		return GO_HASH_OK;
	}
	if ((magnitude >> mantissa_bits) == exponent_max && (magnitude & ((1ULL << mantissa_bits) - 1)))
		return GO_HASH_NAN;
	*h = go_memhash(s, p, size, *h);
	return GO_HASH_OK;
}

/* ---- key types ------------------------------------------------------------ */

enum alg { ALG_MEM, ALG_SPECIAL, ALG_STRING, ALG_FLOAT, ALG_COMPLEX, ALG_INTERFACE };

static bool is_blank(const struct go_field *f)
{
	return f->name && strcmp(f->name, "_") == 0;
}

/* types.IsPaddedField: bytes follow field i before the next one (or the end). */
static bool padded_field(const struct go_type *t, size_t i)
{
	size_t end = i + 1 < t->nfields ? t->fields[i + 1].offset : t->size;
	return t->fields[i].offset + t->fields[i].type->size != end;
}

/* types.AlgType, with sizes left to the caller */
static enum alg alg_of(const struct go_type *t)
{
	switch (t->kind) {
	case GO_KIND_MEM:
		return ALG_MEM;
	case GO_KIND_STRING:
		return ALG_STRING;
	case GO_KIND_FLOAT:
		return ALG_FLOAT;
	case GO_KIND_COMPLEX:
		return ALG_COMPLEX;
	case GO_KIND_INTERFACE:
		return ALG_INTERFACE;
	case GO_KIND_ARRAY: {
		enum alg elem = alg_of(t->elem);
		if (elem == ALG_MEM || t->length == 0)
			return ALG_MEM;
		return t->length == 1 ? elem : ALG_SPECIAL;
	}
	case GO_KIND_STRUCT:
		if (t->nfields == 1 && !is_blank(&t->fields[0]))
			return alg_of(t->fields[0].type);
		for (size_t i = 0; i < t->nfields; i++)
			if (alg_of(t->fields[i].type) != ALG_MEM || is_blank(&t->fields[i]) ||
			    padded_field(t, i))
				return ALG_SPECIAL;
		return ALG_MEM;
	}
	return ALG_SPECIAL;
}

static enum go_hash_status hash_string(const struct go_hash_seeds *s, const uint8_t *image,
				       go_read_fn read, void *ctx, uint64_t *h)
{
	uint64_t ptr = r8(image), len = r8(image + 8);
	if (len == 0) {
		*h = go_memhash(s, "", 0, *h);
		return GO_HASH_OK;
	}
	if (len > (1ULL << 30) || !read)
		return GO_HASH_UNREADABLE;
	uint8_t *data = malloc(len);
	if (!data)
		return GO_HASH_UNREADABLE;
	enum go_hash_status status = GO_HASH_UNREADABLE;
	if (read(ctx, ptr, data, len)) {
		*h = go_memhash(s, data, len, *h);
		status = GO_HASH_OK;
	}
	free(data);
	return status;
}

static enum go_hash_status hash_into(const struct go_hash_seeds *s, const struct go_type *t,
				     const uint8_t *image, go_read_fn read, void *ctx, uint64_t *h);

/* The generated hash of a struct (reflectdata genhash): each run of
 * plain-memory fields, ending after a padded field or before a blank or
 * other field, through memhash (even a 4- or 8-byte run); every other
 * non-blank field through its own hasher. */
static enum go_hash_status hash_struct(const struct go_hash_seeds *s, const struct go_type *t,
				       const uint8_t *image, go_read_fn read, void *ctx, uint64_t *h)
{
	for (size_t i = 0; i < t->nfields;) {
		const struct go_field *f = &t->fields[i];
		if (f->offset + f->type->size > t->size)
			return GO_HASH_BAD_TYPE;
		if (is_blank(f)) {
			i++;
		} else if (alg_of(f->type) != ALG_MEM) {
			enum go_hash_status status = hash_into(s, f->type, image + f->offset, read, ctx, h);
			if (status != GO_HASH_OK)
				return status;
			i++;
		} else {
			size_t j = i + 1;
			while (j < t->nfields && !padded_field(t, j - 1) && !is_blank(&t->fields[j]) &&
			       alg_of(t->fields[j].type) == ALG_MEM)
				j++;
			const struct go_field *last = &t->fields[j - 1];
			*h = go_memhash(s, image + f->offset, last->offset + last->type->size - f->offset, *h);
			i = j;
		}
	}
	return GO_HASH_OK;
}

static enum go_hash_status hash_into(const struct go_hash_seeds *s, const struct go_type *t,
				     const uint8_t *image, go_read_fn read, void *ctx, uint64_t *h)
{
	switch (alg_of(t)) {
	case ALG_MEM:
		if (t->size == 4)
			*h = go_memhash32(s, image, *h);
		else if (t->size == 8)
			*h = go_memhash64(s, image, *h);
		else if (t->size != 0)
			*h = go_memhash(s, image, t->size, *h);
		return GO_HASH_OK;
	case ALG_STRING:
		return hash_string(s, image, read, ctx, h);
	case ALG_FLOAT:
		if (t->size != 4 && t->size != 8)
			return GO_HASH_BAD_TYPE;
		return float_hash(s, image, t->size, h);
	case ALG_COMPLEX: {
		if (t->size != 8 && t->size != 16)
			return GO_HASH_BAD_TYPE;
		enum go_hash_status status = float_hash(s, image, t->size / 2, h);
		return status != GO_HASH_OK ? status : float_hash(s, image + t->size / 2, t->size / 2, h);
	}
	case ALG_INTERFACE:
		return GO_HASH_INTERFACE;
	case ALG_SPECIAL:
		break;
	}
	if (t->kind == GO_KIND_ARRAY) {
		for (size_t i = 0; i < t->length; i++) {
			enum go_hash_status status =
				hash_into(s, t->elem, image + i * t->elem->size, read, ctx, h);
			if (status != GO_HASH_OK)
				return status;
		}
		return GO_HASH_OK;
	}
	return hash_struct(s, t, image, read, ctx, h);
}

enum go_hash_status go_hash_key(const struct go_hash_seeds *s, const struct go_type *t,
				const void *image, go_read_fn read, void *ctx,
				uint64_t seed, uint64_t *hash)
{
	uint64_t h = seed;
	enum go_hash_status status = hash_into(s, t, image, read, ctx, &h);
	if (status == GO_HASH_OK)
		*hash = h;
	return status;
}

const char *go_hash_status_str(enum go_hash_status status)
{
	switch (status) {
	case GO_HASH_OK:
		return "ok";
	case GO_HASH_NAN:
		return "a NaN key hashes to a random value: it cannot be placed";
	case GO_HASH_INTERFACE:
		return "interface keys hash by their dynamic type: not recomputed";
	case GO_HASH_UNREADABLE:
		return "a string in the key could not be read";
	case GO_HASH_BAD_TYPE:
		return "the key's type description is inconsistent";
	}
	return "unknown hash status";
}

uint8_t go_tophash(uint64_t hash)
{
	uint8_t top = (uint8_t)(hash >> 56);
	return top < GO_MIN_TOP_HASH ? top + GO_MIN_TOP_HASH : top;
}

uint64_t go_bucket_index(uint64_t hash, unsigned B)
{
	return B >= 64 ? hash : hash & ((1ULL << B) - 1);
}
