/* The second translation unit of dwarf_fixture: the same map types defined again. */
#include "dwarf_fixture.h"

fixture_names *fixture_make_names(void)
{
	fixture_names *m = fixture_names_new(0);
	fixture_names_put(m, "one", 1);
	fixture_names_put(m, "two", 2);
	/* A counts map from this unit too, so both units' descriptors are used. */
	fixture_counts *c = fixture_counts_new(0);
	fixture_counts_put(c, 1, 1);
	fixture_counts_free(c);
	return m;
}
