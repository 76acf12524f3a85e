/* install_user: a program built only against an installed hmap (pkg-config hmap), for
 * test_install.py. It fills a map, deletes one key, and stops in installed_ready for GDB. */
#include <stdint.h>
#include <stdio.h>

#include <hmap.h>

HMAP_DEFINE(users_map, uint64_t, uint64_t)

users_map *users;

__attribute__((noinline)) void installed_ready(void) { __asm__ volatile("" ::: "memory"); }

int main(void)
{
	users = users_map_new(0);
	if (!users)
		return 1;
	for (uint64_t k = 1; k <= 20; k++)
		users_map_put(users, k, k * 100);
	users_map_delete(users, 7);
	printf("installed hmap: len %zu, users[5] = %llu\n", users_map_len(users),
	       (unsigned long long)*users_map_get(users, 5));
	installed_ready();
	users_map_free(users);
	return 0;
}
