/*
 * unwind.h: backtraces of a stopped thread. One backend today (libdwfl's
 * unwinder, unwind_dwfl.c); each pc becomes its inline frames and function
 * through dbg's per-pc caches, return addresses looked up one byte back.
 */
#ifndef MAPVIZ_UNWIND_H
#define MAPVIZ_UNWIND_H

#include <sys/types.h>

#include "base/dbg.h"
#include "base/stack.h"

struct unwinder;

struct unwinder_ops {
	const char *name;
	struct unwinder *(*init)(struct dbg *d, pid_t pid);
	/* Fills up to max frames of stopped thread tid; the number filled, or -1. */
	int (*walk)(struct unwinder *u, pid_t tid, struct stack *out, int max);
	void (*fin)(struct unwinder *u);
};

extern const struct unwinder_ops unwind_dwfl;

#endif
