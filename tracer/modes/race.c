/*
 * race.c: the cross-thread race witness (--reads). A thread that touches the
 * followed slot outside any write operation of its own, while the map's
 * hashWriting flag is set, races with the thread that set it: that thread is
 * found by holding every other thread and looking for a write operation on
 * its stack. The race event carries both stacks. Nothing is instrumented: it
 * costs nothing between hits.
 */
#define _GNU_SOURCE
#include "modes/race.h"

#include <string.h>

void race_check(struct mode_env *T, struct thread *t, const struct event *access)
{
	struct hdr h;
	const struct map_model *l = T->model;
	if (!T->unw || map_op_writes(access->op) ||
	    !l->design->hdr_read(&T->tg->mem, l, T->map_addr, &h) ||
	    !(h.flags & (unsigned)l->writing_flag))
		return;
	struct event e = *access;
	e.type = EV_RACE;
	pid_t tid = t->tid;
	hold_threads(T->tg, t);
	for (int i = 0; i < T->tg->nthreads && !e.other_tid; i++) {
		struct thread *o = &T->tg->threads[i];
		if (o->tid == tid || o->fresh)
			continue;
		struct stack s;
		if (T->unw_ops->walk(T->unw, o->tid, &s, EVENT_MAX_FRAMES) <= 0)
			continue;
		for (int f = 0; f < s.n; f++) {
			if (map_op_writes(source_op_of(l->source, s.f[f].func))) {
				e.other_tid = o->tid;
				e.other_stack = s;
				break;
			}
		}
	}
	if (e.other_tid) {
		e.has_stack = T->unw_ops->walk(T->unw, tid, &e.stack, EVENT_MAX_FRAMES) > 0;
		mode_emit(T, &e);
	}
	release_threads(T->tg);
}
