/*
 * hmap_fuzz: a libFuzzer target that drives the map with operation sequences
 * read from its input, against the reference model of hmap_check.c.
 *
 * Input: byte 0 picks the map type and the size of the key space; then each
 * operation is an opcode byte and an argument byte. Every check that fails
 * aborts, which libFuzzer reports with the input that did it.
 */
#include <stdlib.h>

#include "hmap_check.h"

static long fuzz_alloc_budget = -1; /* allocations that may still succeed; -1: all */

static void *fuzz_alloc(size_t nmemb, size_t size)
{
	if (fuzz_alloc_budget == 0)
		return NULL;
	if (fuzz_alloc_budget > 0)
		fuzz_alloc_budget--;
	return calloc(nmemb, size);
}

enum fuzz_op {
	op_put,
	op_put_other_value,
	op_delete,
	op_get,
	op_iterate,     /* argument: per-mille chances of delete and put during it, in nibbles */
	op_put_starved, /* a put that gets only (argument % 4) allocations */
	op_check,
	op_clear,
	op_count
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const kinds[] = {"u64", "str", "point", "big", "ptr", "u32"};
	static const uint32_t key_spaces[] = {16, 64, 200, 1000};
	const struct key_kind *kind = kind_by_name(kinds[data[0] % 6]);
	uint32_t nkeys = key_spaces[(data[0] / 6) % 4];
	hmap_set_allocator(fuzz_alloc, free);
	fuzz_alloc_budget = -1;

	struct model m;
	CHECK(model_init(&m, kind, nkeys, data[0] & 0x80 ? nkeys / 2 : 0), "hmap_make failed");
	struct rng r = {size};
	for (size_t p = 1; p + 1 < size; p += 2) {
		uint8_t arg = data[p + 1];
		/* Arguments name keys; a large key space is reached through the rng as well. */
		uint32_t key = nkeys <= 256 ? arg % nkeys : (arg * 7919u + rng_below(&r, 8)) % nkeys;
		switch (data[p] % op_count) {
		case op_put:
			model_put(&m, key, key);
			break;
		case op_put_other_value:
			model_put(&m, key, rng_next(&r));
			break;
		case op_delete:
			model_delete(&m, key);
			break;
		case op_get:
			model_get(&m, key);
			break;
		case op_iterate:
			model_iterate(&m, &r, (arg & 15) * 60, (arg >> 4) * 60);
			break;
		case op_put_starved:
			fuzz_alloc_budget = arg % 4;
			model_put(&m, key, arg);
			fuzz_alloc_budget = -1;
			break;
		case op_check:
			check_invariants(m.h);
			break;
		case op_clear:
			if (arg < 16)
				model_clear(&m);
			else
				model_put(&m, key, arg);
			break;
		}
	}
	model_check_all(&m);
	model_free(&m);
	return 0;
}
