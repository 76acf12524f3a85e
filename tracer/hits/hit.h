/*
 * hit.h: a hit on a watched address, as a hit backend delivers it. The
 * ptrace backend (hits_ptrace.c) makes one of each watch trap the target
 * reports: the thread is stopped, its registers are those after the access.
 * A perf backend (next) would make them of ring-buffer samples, with the
 * stack taken at the trap.
 */
#ifndef MAPVIZ_HITS_HIT_H
#define MAPVIZ_HITS_HIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/stack.h"
#include "target/target.h"

struct hit {
	pid_t tid;
	uint64_t t_ns;     /* when the tracer took it */
	uint64_t address;  /* the first byte of the first watch that fired */
	unsigned mask;     /* the watches that fired (a bit per register) */
	regs_t regs;       /* after the access */
	const struct stack *stack; /* the backtrace at the trap, or NULL: then the thread is
				      stopped, and whoever needs one unwinds it */
	bool thread_stopped; /* the thread waits in a stop until the hit is handled */
};

struct hit_backend {
	const char *name;
	/* Makes the hit of a STOP_WATCH stop. false when the stop is none. */
	bool (*take)(struct target *tg, const struct stop *s, struct hit *out);
};

extern const struct hit_backend hits_ptrace;

#endif
