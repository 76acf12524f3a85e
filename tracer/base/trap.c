/* trap.c: whose a SIGTRAP is (see trap.h for the invariant). */
#define _GNU_SOURCE
#include "base/trap.h"

#include <signal.h>

enum trap_origin trap_origin_of(int si_code)
{
	if (si_code <= 0)
		return TRAP_FROM_SENDER; /* SI_USER 0, SI_QUEUE -1, SI_TKILL -6, ... */
	switch (si_code) {
	case SI_KERNEL:
		return TRAP_FROM_INT3;
	case TRAP_BRKPT:  /* a #DB with nothing in the status: int1, or a status the CPU lost */
	case TRAP_TRACE:  /* a single-step */
	case TRAP_HWBKPT: /* a debug register */
		return TRAP_FROM_DEBUG;
	default:
		return TRAP_FROM_OTHER;
	}
}

static struct trap_verdict verdict(enum trap_owner owner, unsigned mask)
{
	return (struct trap_verdict){.owner = owner, .mask = mask};
}

struct trap_verdict trap_classify(const struct trap_facts *f)
{
	switch (f->origin) {
	case TRAP_FROM_SENDER:
		return verdict(TRAP_PROGRAM, 0);
	case TRAP_FROM_INT3:
		if (f->bp_at_prev)
			return verdict(TRAP_BREAKPOINT, 0);
		if (f->int3_at_prev)
			return verdict(TRAP_PROGRAM, 0);
		/* No int3 there now: ours if we had one there (another thread's handling removed
		 * it before this thread's trap was seen), else something the program did. */
		return verdict(f->bp_was_at_prev ? TRAP_BREAKPOINT_GONE : TRAP_PROGRAM, 0);
	case TRAP_FROM_DEBUG:
		/* At a debug exception the status is either fresh or was cleared by us after
		 * the previous one: the slots it names fired now. */
		if (f->status_mask)
			return verdict(TRAP_WATCH, f->status_mask);
		/* An empty status: the program's int1, or a hit whose status was lost (seen
		 * under hypervisors), or the end of a step. */
		if (f->prev_is_int1)
			return verdict(TRAP_PROGRAM, 0);
		if (f->touched_mask)
			return verdict(TRAP_WATCH, f->touched_mask);
		if (f->stepping)
			return verdict(TRAP_STEP, 0);
		if (f->armed)
			return verdict(TRAP_SPURIOUS, 0);
		return verdict(TRAP_PROGRAM, 0); /* nothing of ours could have raised it */
	case TRAP_FROM_OTHER:
		break;
	}
	return verdict(TRAP_PROGRAM, 0);
}

const char *trap_owner_name(enum trap_owner o)
{
	static const char *const names[] = {
		[TRAP_PROGRAM] = "program",     [TRAP_WATCH] = "watch",
		[TRAP_BREAKPOINT] = "breakpoint", [TRAP_BREAKPOINT_GONE] = "breakpoint-gone",
		[TRAP_STEP] = "step",           [TRAP_SPURIOUS] = "spurious",
	};
	return names[o];
}
