/* race.h: the cross-thread race witness (--reads), see race.c. */
#ifndef MAPVIZ_MODES_RACE_H
#define MAPVIZ_MODES_RACE_H

#include "modes/mode.h"

/* A race event when access (just emitted by t) happens while another thread writes. */
void race_check(struct mode_env *env, struct thread *t, const struct event *access);

#endif
