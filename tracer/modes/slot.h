/* slot.h: slot mode's operations, which race mode (race.c) runs with its own on top. */
#ifndef MAPVIZ_MODES_SLOT_H
#define MAPVIZ_MODES_SLOT_H

#include "modes/mode.h"

int slot_begin(struct mode_env *env, struct thread *current);
void slot_hit(struct mode_env *env, const struct hit *h);
bool slot_breakpoint(struct mode_env *env, struct thread *t, regs_t *regs, struct bp *b);
/* After a write operation of the map ended (thread t): the key looked up again when the
 * buckets pointer changed meanwhile (growth). */
void slot_follow_growth(struct mode_env *env, struct thread *t);

#endif
