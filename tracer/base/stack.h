/* stack.h: a backtrace as plain data, filled by the unwinder and symbolized by dbg. */
#ifndef MAPVIZ_BASE_STACK_H
#define MAPVIZ_BASE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#define EVENT_MAX_FRAMES 32 /* frames kept of a backtrace */

/* A frame of a backtrace. The functions inlined at a pc come first, innermost first, each
 * with the same pc and inlined set; then the function they were inlined into. A frame's line
 * is where it is executing: for a caller of an inlined function, the line of the call. */
struct frame {
	uint64_t pc;
	const char *func;
	uint64_t off;      /* from func's start; 0 for an inlined frame */
	const char *file;
	int line;
	bool inlined;
};

struct stack {
	struct frame f[EVENT_MAX_FRAMES];
	int n;
};

#endif
