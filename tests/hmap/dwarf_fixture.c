/* dwarf_fixture: a program with four map types, stopped in break_here with two maps live. */
#include <stdio.h>

#include "dwarf_fixture.h"

fixture_counts *fixture_counts_global;
fixture_names *fixture_names_global;

__attribute__((noinline)) void break_here(void) { __asm__ volatile(""); }

int main(void)
{
	fixture_counts_global = fixture_counts_new(0);
	for (uint64_t k = 0; k < 20; k++)
		fixture_counts_put(fixture_counts_global, k, k * k);
	fixture_names_global = fixture_make_names();
	fixture_points *points = fixture_points_new(0);
	fixture_points_put(points, (struct fixture_point){1, 2}, 0.5);
	fixture_blobs *blobs = fixture_blobs_new(0);
	fixture_blobs_put(blobs, 7, (struct fixture_blob){"seven"});
	break_here();
	printf("%zu %zu %zu %zu\n", fixture_counts_len(fixture_counts_global),
	       fixture_names_len(fixture_names_global), fixture_points_len(points), fixture_blobs_len(blobs));
	fixture_points_free(points);
	fixture_blobs_free(blobs);
	fixture_names_free(fixture_names_global);
	fixture_counts_free(fixture_counts_global);
	return 0;
}
