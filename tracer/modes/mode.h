/*
 * mode.h: what is traced, as a table of operations the session's loop
 * dispatches to (it knows no mode): slot (slot.c: the key's cells for their
 * whole life), race (slot with --reads: accesses while another thread
 * writes), delete (delete.c: each delete's trajectory with hardware
 * watches), step (step.c: each delete single-stepped and diffed, the oracle).
 *
 * A mode sees the target (threads, watches, breakpoints), the map model, the
 * key, and the event stream; report.c turns its hits into events.
 */
#ifndef MAPVIZ_MODES_MODE_H
#define MAPVIZ_MODES_MODE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/dbg.h"
#include "base/disasm.h"
#include "events/stream.h"
#include "hits/hit.h"
#include "model/design.h"
#include "target/target.h"
#include "target/unwind.h"

/* A watch region: a watch, what it stands for, and a copy of its bytes (refreshed at each
 * hit and each arming, so an event's old value is what the region held). */
struct region {
	struct watch w;
	enum watch_role role;
	uint64_t bucket_addr; /* ROLE_TOPHASH_ARRAY: whose states */
	uint8_t shadow[8];
};

/* A delete of the key in progress (hardware or step mode). */
struct delete_run {
	bool active;
	pid_t tid;
	uint64_t ret;  /* return address */
	uint64_t sp;   /* the stack pointer at entry */
	struct chainset chain; /* the key's chain(s) at entry, in chain order */
	struct loc loc;
};

/* The breakpoints modes set (struct bp's kind). */
enum mode_bp { BP_DELETE = 1, BP_FREE, BP_RETURN, BP_CHECK, BP_RESUME };

/* The race witness's knowledge of the map's writers (race.c). */
struct race_state {
	pid_t holder;           /* the thread seen setting the writer flag, not yet clearing it */
	enum map_op holder_op;
	pid_t last_holder;      /* the thread seen clearing it last, and its op */
	enum map_op last_op;
	uint64_t check_addr[SOURCE_MAX_CHECK]; /* where the source's checks start, or 0 */
};

struct mode_env {
	struct target *tg;
	struct map_model *model;
	struct map_target *where;
	struct key key;
	struct dbg *dbg;
	struct disasm *dis;
	const struct unwinder_ops *unw_ops;
	struct unwinder *unw;
	struct stream *stream;
	bool reads, stack;

	/* slot and race */
	struct region regions[ARCH_MAX_WATCH]; /* the process-wide watches */
	uint64_t map_addr; /* 0 until the map exists */
	struct loc loc;    /* the followed slot, as last looked up */
	bool loc_key_written; /* its key cell was written since the slot was followed there */
	uint64_t last_buckets; /* the buckets pointer at that lookup */
	struct race_state race;

	/* delete and step */
	struct delete_run del;
	struct region del_regions[ARCH_MAX_WATCH];
	uint64_t del_addr[SOURCE_MAX_DELETE]; /* where each of the source's deletes starts */
	struct step_run *step; /* step: the delete being single-stepped */
};

struct mode_ops {
	const char *name; /* as the meta line says it: slot, delete */
	/* Sets the mode's breakpoints and watches, every thread stopped. 0, or -1 (reported). */
	int (*start)(struct mode_env *env, struct thread *current);
	void (*on_hit)(struct mode_env *env, const struct hit *h);
	/* Thread t at breakpoint b: true when the mode stepped the thread past it itself. */
	bool (*on_breakpoint)(struct mode_env *env, struct thread *t, regs_t *regs, struct bp *b);
	void (*on_new_thread)(struct mode_env *env, struct thread *t);
	void (*finish)(struct mode_env *env);
};

extern const struct mode_ops mode_slot, mode_race, mode_delete, mode_step;

/* Emits e into the stream. */
void mode_emit(struct mode_env *env, struct event *e);

#endif
