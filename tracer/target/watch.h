/*
 * watch.h: the hardware watch registers of a thread, one implementation per
 * architecture (watch_x86_64.c today; an aarch64 port implements the same
 * table over NT_ARM_HW_WATCH in one new file). Registers belong to one thread
 * and are changed only while that thread is ptrace-stopped.
 */
#ifndef MAPVIZ_TARGET_WATCH_H
#define MAPVIZ_TARGET_WATCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/dregs.h"

struct arch_watch_ops {
	const char *name;
	unsigned nslots; /* hardware watch registers available */
	/* Programs slots 0..nslots-1 of thread tid (unused slots disabled). 0 or -errno. */
	int (*set)(pid_t tid, const struct watch *w);
	/* Disables every watch register of tid and clears the hit status. 0 or -errno. */
	int (*clear)(pid_t tid);
	/* Which slots the status says fired (a bit per slot). 0 or -errno. */
	int (*read_hits)(pid_t tid, unsigned *mask);
	/* Clears the status. 0 or -errno. */
	int (*clear_hits)(pid_t tid);
	/* True when the OS starts the status afresh at each debug trap, so that after a watch
	 * trap it names only that trap's slots without being cleared (it still shows them at a
	 * later trap of another kind, such as a breakpoint or a signal). */
	bool (*hits_fresh_each_trap)(void);
	/* Reads the enabled slots back from the thread (a bit per enabled slot). 0 or -errno. */
	int (*enabled)(pid_t tid, unsigned *mask);
};

extern const struct arch_watch_ops arch_watch_x86_64;

/* The implementation for the architecture the tracer runs on. */
static inline const struct arch_watch_ops *arch_watch(void) { return &arch_watch_x86_64; }

#endif
