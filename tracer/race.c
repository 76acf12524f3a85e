/*
 * race.c: the cross-thread race witness (--reads). A thread that touches the
 * followed slot outside any write operation of its own, while the map's
 * hashWriting flag is set, races with the thread that set it: that thread is
 * found by holding every other thread and looking for a write operation on
 * its stack. The race event carries both stacks. Nothing is instrumented: it
 * costs nothing between hits.
 */
#define _GNU_SOURCE
#include "tracer.h"

#include <string.h>

static bool is_write_op(const char *op)
{
	return !strcmp(op, "assign") || !strcmp(op, "delete") || !strcmp(op, "evacuate") ||
	       !strcmp(op, "clear");
}

void race_check(struct tracer *T, struct thread *t, const struct event *access)
{
	struct hdr h;
	if (!T->unw || is_write_op(access->op) || !hdr_read(&T->mem, &T->layout, T->map_addr, &h) ||
	    !(h.flags & (unsigned)T->layout.hashWriting))
		return;
	struct event e = *access;
	e.type = EV_RACE;
	pid_t tid = t->tid;
	hold_threads(T, t);
	for (int i = 0; i < T->nthreads && !e.other_tid; i++) {
		struct thread *o = &T->threads[i];
		if (o->tid == tid || o->fresh)
			continue;
		struct stack s;
		if (T->unw_ops->walk(T->unw, o->tid, &s, EVENT_MAX_FRAMES) <= 0)
			continue;
		for (int f = 0; f < s.n; f++) {
			const char *op = op_name(T, s.f[f].func);
			if (op && is_write_op(op)) {
				e.other_tid = o->tid;
				e.other_stack = s;
				break;
			}
		}
	}
	if (e.other_tid) {
		e.has_stack = T->unw_ops->walk(T->unw, tid, &e.stack, EVENT_MAX_FRAMES) > 0;
		emit(T, &e);
	}
	release_threads(T);
}
