/*
 * trap.h: whose a SIGTRAP is. The one decision the ptrace loop, the
 * single-step helpers and the detach path all take, from facts the tracer
 * gathers at the stop; pure, so that it is unit-tested case by case without
 * ptrace (tests/tracer/fixtures/trap_test.c).
 *
 * Invariant: a SIGTRAP is passed on to the program (TRAP_PROGRAM) only when
 * the program raised it itself: sent it (kill, tgkill, sigqueue), executed an
 * int3 or int1 of its own, or took a debug exception while the tracer had
 * nothing armed and no step in flight. A debug exception that the tracer may
 * have caused is never passed on: with an empty debug status it is a hit on
 * the regions the instruction before the pc touched, or, touching none,
 * dropped and counted (TRAP_SPURIOUS).
 */
#ifndef MAPVIZ_TRAP_H
#define MAPVIZ_TRAP_H

#include <stdbool.h>

enum trap_owner {
	TRAP_PROGRAM,        /* the program's own: deliver it */
	TRAP_WATCH,          /* a watch hit on the regions in trap_verdict.mask */
	TRAP_BREAKPOINT,     /* one of our breakpoints (an int3 byte of ours is at pc-1) */
	TRAP_BREAKPOINT_GONE,/* one of our breakpoints, removed before this trap was seen: re-run */
	TRAP_STEP,           /* the end of a single-step of ours */
	TRAP_SPURIOUS        /* a debug exception of ours that hit nothing: drop it */
};

/* What kind of trap siginfo's si_code says it is. */
enum trap_origin {
	TRAP_FROM_SENDER,    /* SI_USER, SI_TKILL, SI_QUEUE (si_code <= 0): kill() and friends */
	TRAP_FROM_INT3,      /* SI_KERNEL: an int3 (breakpoint exception) */
	TRAP_FROM_DEBUG,     /* TRAP_HWBKPT, TRAP_BRKPT, TRAP_TRACE: a debug exception (#DB) */
	TRAP_FROM_OTHER      /* anything else the kernel raises (TRAP_BRANCH, ...) */
};

struct trap_facts {
	enum trap_origin origin;
	unsigned status_mask;  /* watch slots the debug status (DR6) names; may be stale or lost */
	bool status_fresh;     /* the OS starts the status afresh at each debug exception */
	bool bp_at_prev;       /* an inserted breakpoint of ours is at pc-1 */
	bool bp_was_at_prev;   /* one of ours was at pc-1 and has been removed since */
	bool int3_at_prev;     /* the program's code holds an int3 (0xcc, or cd 03) ending at pc */
	bool prev_is_int1;     /* the instruction before pc is int1 (icebp, f1): the program's */
	unsigned touched_mask; /* armed regions the instruction before pc accessed as watched */
	bool armed;            /* this thread has watch registers of ours enabled */
	bool stepping;         /* a single-step of ours is in flight on this thread */
};

struct trap_verdict {
	enum trap_owner owner;
	unsigned mask;         /* TRAP_WATCH: the regions hit */
};

enum trap_origin trap_origin_of(int si_code);
struct trap_verdict trap_classify(const struct trap_facts *f);
const char *trap_owner_name(enum trap_owner o);

#endif
