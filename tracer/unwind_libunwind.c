/* unwind_libunwind.c: remote unwinding with libunwind-ptrace. */
#define _GNU_SOURCE
#include "unwind.h"

#include <libunwind-ptrace.h>
#include <stdlib.h>

struct unwinder {
	unw_addr_space_t as;
	struct dbg *dbg;
};

static struct unwinder *lu_init(struct dbg *d)
{
	struct unwinder *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->as = unw_create_addr_space(&_UPT_accessors, 0);
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
	unw_cursor_t c;
	if (unw_init_remote(&c, u->as, upt) < 0) {
		_UPT_destroy(upt);
		return -1;
	}
	if (max > EVENT_MAX_FRAMES)
		max = EVENT_MAX_FRAMES;
	do {
		unw_word_t ip;
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		/* A caller's pc is a return address: symbolize the call, one byte before. */
		uint64_t lookup = out->n ? ip - 1 : ip;
		const struct sym_info *s = dbg_symbolize(u->dbg, lookup);
		struct frame *f = &out->f[out->n++];
		f->pc = ip;
		f->func = s->func;
		f->off = s->func ? ip - s->func_start : 0;
		f->file = s->file;
		f->line = s->line;
	} while (out->n < max && unw_step(&c) > 0);
	_UPT_destroy(upt);
	return out->n;
}

static void lu_fin(struct unwinder *u)
{
	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	free(u);
}

const struct unwinder_ops unwind_libunwind = {
	.name = "libunwind",
	.init = lu_init,
	.walk = lu_walk,
	.fin = lu_fin,
};
