/*
 * unwind_libunwind.c: remote unwinding with libunwind-ptrace. Its memory
 * accessor reads one word per ptrace call; a walk reads many words from the
 * same few stack pages, so reads go through a small page cache over
 * /proc/PID/mem instead, valid for one walk (the thread is stopped).
 */
#define _GNU_SOURCE
#include "unwind.h"

#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define PAGE 4096
#define CACHED_PAGES 8

struct unwinder {
	unw_addr_space_t as;
	struct dbg *dbg;
	unw_accessors_t accessors;
};

/* The page cache of the walk in progress (the tracer walks one stack at a time). */
static struct {
	struct mem mem;
	int n;
	uint64_t addr[CACHED_PAGES];
	uint8_t data[CACHED_PAGES][PAGE];
} walk_cache = {.mem.fd = -1};

static int cached_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
			     void *arg)
{
	uint64_t page = addr & ~(uint64_t)(PAGE - 1);
	if (write || walk_cache.mem.fd < 0 || addr - page > PAGE - sizeof *val)
		return _UPT_access_mem(as, addr, val, write, arg);
	int i = 0;
	while (i < walk_cache.n && walk_cache.addr[i] != page)
		i++;
	if (i == walk_cache.n) {
		if (walk_cache.n == CACHED_PAGES || !mem_read(&walk_cache.mem, page, walk_cache.data[i], PAGE))
			return _UPT_access_mem(as, addr, val, write, arg);
		walk_cache.addr[i] = page;
		walk_cache.n++;
	}
	memcpy(val, walk_cache.data[i] + (addr - page), sizeof *val);
	return 0;
}

static struct unwinder *lu_init(struct dbg *d, pid_t pid)
{
	struct unwinder *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	mem_open(&walk_cache.mem, pid);
	u->accessors = _UPT_accessors;
	u->accessors.access_mem = cached_access_mem;
	u->as = unw_create_addr_space(&u->accessors, 0);
	if (!u->as) {
		free(u);
		return NULL;
	}
	unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
	u->dbg = d;
	return u;
}

static int lu_walk(struct unwinder *u, pid_t tid, struct stack *out, int max)
{
	out->n = 0;
	void *upt = _UPT_create(tid);
	if (!upt)
		return -1;
	walk_cache.n = 0; /* the stack changed since the last walk */
	unw_cursor_t c;
	if (unw_init_remote(&c, u->as, upt) < 0) {
		_UPT_destroy(upt);
		return -1;
	}
	if (max > EVENT_MAX_FRAMES)
		max = EVENT_MAX_FRAMES;
	/* A caller's pc is a return address: the call is the byte before it. Not so for the
	 * stopped thread's own pc, nor for the pc a signal interrupted (the frame above a
	 * signal handler's trampoline): those are the next instruction to run. */
	bool activation = true;
	do {
		unw_word_t ip;
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		dbg_push_frames(u->dbg, out, ip, !activation);
		activation = unw_is_signal_frame(&c) > 0;
	} while (out->n < max && unw_step(&c) > 0);
	if (out->n > max)
		out->n = max;
	_UPT_destroy(upt);
	return out->n;
}

static void lu_fin(struct unwinder *u)
{
	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	mem_close(&walk_cache.mem);
	free(u);
}

const struct unwinder_ops unwind_libunwind = {
	.name = "libunwind",
	.init = lu_init,
	.walk = lu_walk,
	.fin = lu_fin,
};
