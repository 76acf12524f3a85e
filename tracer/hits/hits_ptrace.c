/* hits_ptrace.c: hits from the target's watch traps (see hit.h). */
#include "hits/hit.h"

#include "events/stream.h"

static bool ptrace_take(struct target *tg, const struct stop *s, struct hit *out)
{
	struct thread *t = thread_find(tg, s->tid);
	if (s->kind != STOP_WATCH || !t)
		return false;
	const struct watch *w = t->own_watch ? t->own : tg->watches;
	out->tid = s->tid;
	out->t_ns = now_ns();
	out->mask = s->mask;
	out->regs = s->regs;
	out->stack = NULL;
	out->thread_stopped = true;
	out->address = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (s->mask & (1u << i)) {
			out->address = w[i].addr;
			break;
		}
	return true;
}

const struct hit_backend hits_ptrace = {
	.name = "ptrace",
	.take = ptrace_take,
};
