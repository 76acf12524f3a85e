/* define_forms: HMAP_DEFINE and HMAP_DEFINE_STR on lines of their own without ;, as hmap.h
 * shows them, each followed by a declaration, a function or another define;
 * test_define_forms.py also compiles it with a ";" after each. */
#include <stdio.h>
#include <string.h>

#include "hmap.h"

struct point {
	char tag; /* 3 bytes of padding follow: zeroed before use, as hmap.h asks */
	int x, y;
};

HMAP_DEFINE(ints_map, int, int)
static const int first_key = 7;
HMAP_DEFINE_STR(names_map, int)
static int put_name(names_map *m, const char *name, int v) { return names_map_put(m, name, v) != NULL; }
HMAP_DEFINE(points_map, struct point, double)
HMAP_DEFINE(longs_map, long, long)
typedef int define_forms_last_declaration;

int main(void)
{
	ints_map *ints = ints_map_new(0);
	names_map *names = names_map_new(0);
	points_map *points = points_map_new(0);
	longs_map *longs = longs_map_new(0);
	if (!ints || !names || !points || !longs)
		return 1;

	ints_map_put(ints, first_key, 49);
	put_name(names, "alice", 1);
	struct point p;
	memset(&p, 0, sizeof p);
	p.x = 3, p.y = -3;
	points_map_put(points, p, 1.5);
	longs_map_put(longs, -1, 1);

	struct point q;
	memset(&q, 0, sizeof q);
	q.x = 3, q.y = -3;
	char alice[] = "alice"; /* another pointer to equal bytes */
	int ok = *ints_map_get(ints, 7) == 49 && *names_map_get(names, alice) == 1 &&
		 *points_map_get(points, q) == 1.5 && *longs_map_get(longs, -1) == 1;
	printf("%s\n", ok ? "define forms ok" : "define forms WRONG");

	ints_map_free(ints);
	names_map_free(names);
	points_map_free(points);
	longs_map_free(longs);
	return ok ? 0 : 1;
}
