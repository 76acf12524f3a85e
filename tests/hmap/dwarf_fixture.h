/*
 * dwarf_fixture: map types whose published layout test_dwarf_layout.py reads
 * back. The header carries the HMAP_DEFINEs and two translation units include
 * it, as a user's header would.
 */
#ifndef DWARF_FIXTURE_H
#define DWARF_FIXTURE_H

#include "hmap.h"

struct fixture_point {
	int32_t x, y;
};
/* Over 128 bytes: stored behind a pointer in the elem cell. */
struct fixture_blob {
	char bytes[200];
};

HMAP_DEFINE(fixture_counts, uint64_t, uint64_t);
HMAP_DEFINE_STR(fixture_names, int);
HMAP_DEFINE(fixture_points, struct fixture_point, double);
HMAP_DEFINE(fixture_blobs, uint32_t, struct fixture_blob);

extern fixture_counts *fixture_counts_global;
extern fixture_names *fixture_names_global;

/* Defined in the second translation unit. */
fixture_names *fixture_make_names(void);

#endif
