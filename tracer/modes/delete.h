/*
 * delete.h: what delete mode (delete.c) and its exact twin, step mode
 * (step.c), share: the breakpoints on the source's delete functions and the
 * start of a run of the key.
 */
#ifndef MAPVIZ_MODES_DELETE_H
#define MAPVIZ_MODES_DELETE_H

#include "modes/mode.h"

/* A breakpoint on each of the source's delete functions the program has. 0, or exits. */
int delete_set_breakpoints(struct mode_env *env);
/* Thread t entered a delete function (regs at its entry): true, with env->del filled, when
 * it deletes the key from the map and no run is in progress. */
bool delete_begin(struct mode_env *env, struct thread *t, const regs_t *regs);

#endif
