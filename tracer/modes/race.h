/* race.h: the cross-thread race witness (--reads), see race.c. */
#ifndef MAPVIZ_MODES_RACE_H
#define MAPVIZ_MODES_RACE_H

#include "modes/mode.h"

/* A race event when access (just emitted by t) happens while another thread writes. */
void race_check(struct mode_env *env, struct thread *t, const struct event *access);
/* Thread t wrote the writer flag's byte (region r): who is inside a write. True when a write
 * operation ended (the key may have moved: growth). */
bool race_flag_hit(struct mode_env *env, struct thread *t, const regs_t *regs, struct region *r);

#endif
