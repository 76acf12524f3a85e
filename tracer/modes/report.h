/*
 * report.h: from a hit to events. Which instruction wrote (the one before
 * the trap pc), where it is, which map operation it belongs to (the nearest
 * map function on the stack), and what it changed, field by field, decoded
 * with the model's names.
 */
#ifndef MAPVIZ_MODES_REPORT_H
#define MAPVIZ_MODES_REPORT_H

#include "modes/mode.h"

/* Reports the access that hit region r of thread tid (regs: after it): one event per field
 * touched. */
void report_region_hit(struct mode_env *env, pid_t tid, const regs_t *regs, struct region *r,
		       const struct chainset *cs, uint64_t map);
/* Reports the bytes [lo, hi) of the map that an instruction wrote (step mode). */
void report_range(struct mode_env *env, pid_t tid, const struct code_loc *code, bool writes,
		  const uint8_t *oldb, const uint8_t *newb, uint64_t base, uint64_t lo, uint64_t hi,
		  const struct chainset *cs, uint64_t map);
/* The map operation the code at pc of thread tid belongs to (foreign when none). */
enum map_op op_of(struct mode_env *env, pid_t tid, uint64_t pc);
/* The stack of stopped thread tid, whose access was the instruction at pc (the one before
 * the trap): its first frames are that instruction's. */
bool event_stack(struct mode_env *env, pid_t tid, uint64_t pc, struct stack *s);
void emit_move(struct mode_env *env, pid_t tid, const struct loc *from, const struct loc *to,
	       const char *reason);

#endif
