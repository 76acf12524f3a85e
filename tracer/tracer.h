/*
 * tracer.h: the state of one tracing session, shared by the ptrace loop
 * (trace.c), the watch modes (slot.c, delete.c, step.c) and main.c.
 *
 * Invariants:
 * - A thread's debug registers and the breakpoint bytes are changed only
 *   while that thread (for bytes: the thread being handled) is ptrace-stopped.
 * - Every watch region has a shadow copy of its bytes, refreshed at each hit
 *   and at each arming, so an event's old value is what the region held.
 * - On every way out (exit, -n, any catchable signal that would end the tracer, a setup
 *   error after attach, output that cannot be written) all registers of every live
 *   thread are cleared and every breakpoint byte is restored before the threads are
 *   detached.
 * - A JSON stream holds JSON Lines only: when it is standard error, diagnostics go into
 *   it as note events; otherwise they are lines on standard error.
 */
#ifndef MAPVIZ_TRACER_H
#define MAPVIZ_TRACER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

#include "arch.h"
#include "dbg.h"
#include "disasm.h"
#include "event.h"
#include "layout.h"
#include "locate.h"
#include "mem.h"
#include "trap.h"
#include "unwind.h"

enum mode { MODE_SLOT, MODE_DELETE };

struct options {
	const char *map;
	const char *key;
	enum mode mode;
	bool reads;
	bool stack;
	const char *output;
	const struct writer *writer;
	bool step;
	uint64_t max_events;
	pid_t attach_pid;
	char **argv; /* the program to run */
};

/* What a watch region stands for. */
enum role {
	ROLE_NONE,
	ROLE_MAP_VAR,      /* the global that will point to the map */
	ROLE_CELL,         /* part of a key/elem cell or a tophash byte of the followed slot */
	ROLE_BUCKETS,      /* the header's buckets pointer: growth */
	ROLE_TAIL,         /* a full chain: its last overflow pointer, or (old table) its head's
			      first tophash byte, which evacuation marks */
	ROLE_COUNT,        /* delete: the header's count */
	ROLE_FLAGS,        /* delete: the header word holding flags and hash0 */
	ROLE_KEYCELL,      /* delete: the key cell, cleared before the elem */
	ROLE_ELEMCELL,     /* delete: the elem cell */
	ROLE_TOPHASH_ARRAY, /* delete: a bucket's tophash array, for emptyOne and the emptyRest walk */
	ROLE_ARRIVING_KEY  /* delete: the key cell evacuation is about to fill (borrows count's register) */
};

struct region {
	struct watch w;
	enum role role;
	uint64_t bucket_addr; /* ROLE_TOPHASH_ARRAY: whose array */
	uint8_t shadow[8];
};

struct thread {
	pid_t tid;
	bool stopped;      /* in a ptrace-stop we have not resumed */
	bool held;         /* stopped by us to change registers; resume when done */
	bool has_pending;  /* a wait status collected while holding it, not yet handled */
	int pending_status;
	bool fresh;        /* a new thread: arm it at its first stop */
	int resume_sig;    /* signal to deliver when resumed */
	bool local_watch;  /* has delete-mode registers of its own */
};

enum bp_kind { BP_ENTRY, BP_DELETE, BP_FREE, BP_RETURN };

struct bp {
	uint64_t addr;
	enum bp_kind kind;
	uint8_t orig;
	bool inserted;
};

#define MAX_BPS 8
#define BP_GONE_KEPT 32 /* removed breakpoint addresses remembered, for traps seen late */

/* A delete of the key in progress (hardware or step mode). */
struct delete_run {
	bool active;
	pid_t tid;
	uint64_t ret;  /* return address */
	uint64_t sp;   /* rsp at entry (pointing at ret) */
	struct chainset chain; /* the key's chain(s) at entry, in chain order */
	struct loc loc;
};

struct tracer {
	struct options opt;
	pid_t pid;
	bool launched;
	bool setup_done;
	struct mem mem;
	struct dbg *dbg;
	struct disasm *dis;
	struct unwinder *unw;
	const struct unwinder_ops *unw_ops;
	const struct arch_watch_ops *arch;
	const struct layout_provider *lp;
	struct map_layout layout;
	struct map_target target;
	struct key key;
	FILE *out;
	const char *out_name;  /* the file as the error line names it */
	int out_errno;         /* the first write error of out; then the session ends */
	bool out_dirty;        /* events written to out since it was last flushed */
	sigset_t ending_signals; /* the signals that ask for a clean detach */

	struct thread *threads;
	int nthreads, cap;

	/* Process-wide watches (slot mode): every thread holds these. */
	struct region regions[ARCH_MAX_WATCH];
	bool armed;   /* the regions were armed once (and said so) */

	struct bp bps[MAX_BPS];
	int nbps;
	uint64_t bp_gone[BP_GONE_KEPT]; /* a ring of removed breakpoint addresses */
	unsigned nbp_gone;

	/* Debug exceptions with an empty debug status (lost by the CPU or a hypervisor): hits
	 * told by the instruction before the pc, and traps of ours that hit nothing. */
	uint64_t traps_status_lost, traps_spurious;

	uint64_t seq;
	uint64_t nevents;  /* writes, reads and races, for -n */
	uint64_t nhits;    /* watch hits taken */
	uint64_t t0_ns;

	/* slot mode */
	uint64_t map_addr; /* 0 until the map exists */
	struct loc loc;    /* the followed slot, as last looked up */
	uint64_t last_buckets; /* the buckets pointer at that lookup */

	/* delete mode */
	struct delete_run del;
	struct region del_regions[ARCH_MAX_WATCH];

	/* Events are written after the thread that caused them is resumed, so that the
	 * formatting overlaps with the program running. Order is kept: seq is given at emit. */
	struct event queue[16];
	int nqueued;

	pid_t pending_clone; /* a thread created while detaching */
	pid_t early[16];     /* forked children whose first stop came before the fork event */
	int nearly;

	bool done;    /* tracee gone */
	bool detach;  /* leave now (-n reached, exec, output lost; or a signal) */
	const char *detach_why;
	int exit_code, exit_signal;
};

/* The last signal (SIGINT, SIGTERM, SIGQUIT, ...) that asks the tracer to detach, or 0. */
extern volatile sig_atomic_t tracer_interrupted;
/* Whether it came from the terminal (sent by the kernel to the foreground process group). */
extern volatile sig_atomic_t tracer_interrupted_by_tty;

/* trace.c */
uint64_t now_ns(void);
void fatal_setup(struct tracer *T, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* A diagnostic: "mapviz-trace: ..." on standard error, or a note event when standard error
 * carries the JSON stream. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct thread *thread_find(struct tracer *T, pid_t tid);
int tracer_run(struct tracer *T);
/* Holds every other running thread in a ptrace-stop (stops that are not ours are kept
 * pending), and lets them go again. */
void hold_threads(struct tracer *T, struct thread *current);
void release_threads(struct tracer *T);
/* Programs the process-wide regions into every thread (holding the running ones). */
void arm_all(struct tracer *T, struct thread *current);
/* Programs regions into one stopped thread: 1 done, 0 failed (reported), -1 thread gone. */
int arm_thread(struct tracer *T, struct thread *t, const struct region *r);
/* Breakpoint bytes are written through tid, a stopped thread of the process. */
int bp_insert(struct tracer *T, pid_t tid, uint64_t addr, enum bp_kind kind);
void bp_remove(struct tracer *T, pid_t tid, uint64_t addr);
struct bp *bp_at(struct tracer *T, uint64_t addr);
/* Steps thread t (stopped at a breakpoint address) over the original instruction. */
bool step_over_bp(struct tracer *T, struct thread *t, struct bp *b);
/* Single-steps stopped thread t; signals that arrive meanwhile are kept for later. */
bool single_step(struct tracer *T, struct thread *t);
bool read_code(void *ctx, uint64_t addr, void *buf, size_t len);

/* events.c: building events */
void emit(struct tracer *T, struct event *e);
/* Writes the queued events; a write error ends the session (out_errno, detach). */
void flush_events(struct tracer *T);
/* Flushes out to the file; false (and the session ends) when it cannot be written. */
bool stream_flush(struct tracer *T);
/* out could not be written (err: errno): the error line once, and the session ends. */
void stream_failed(struct tracer *T, int err);
/* Reports the write (or read) that hit region r of thread t: one event per field touched. */
void report_region_hit(struct tracer *T, struct thread *t, const struct user_regs_struct *regs,
		       struct region *r, const struct chainset *cs, uint64_t map);
/* Reports the bytes [lo, hi) of the map that an instruction wrote (step mode). */
void report_range(struct tracer *T, pid_t tid, const struct code_loc *code, bool writes,
		  const uint8_t *oldb, const uint8_t *newb, uint64_t base, uint64_t lo, uint64_t hi,
		  const struct chainset *cs, uint64_t map);
void code_of(struct tracer *T, uint64_t trap_pc, bool exact, struct code_loc *c,
	     struct insn_info *insn, bool *have_insn);
const char *op_of(struct tracer *T, pid_t tid, uint64_t pc);
/* The map operation a function (or a compiler-split part of one) is, or NULL. */
const char *op_name(struct tracer *T, const char *func);
void emit_move(struct tracer *T, pid_t tid, const struct loc *from, const struct loc *to,
	       const char *reason);
void place_of_loc(const struct loc *l, struct place *p);

/* setup.c */
int session_setup(struct tracer *T);
void emit_meta(struct tracer *T);
void warn_line(const char *line);

/* slot.c */
void slot_start(struct tracer *T, struct thread *current);
/* The regions that follow the key's slot at loc (or wait for it). */
void slot_regions(struct tracer *T, struct region *r);
void slot_hit(struct tracer *T, struct thread *t, unsigned mask, const struct user_regs_struct *regs);
void slot_map_freed(struct tracer *T, struct thread *t);
/* The number of watch regions the key's slot needs at its worst position. */
int slot_regions_needed(const struct map_layout *l, char *why, size_t n);

/* delete.c */
void delete_entry(struct tracer *T, struct thread *t, struct user_regs_struct *regs);
void delete_hit(struct tracer *T, struct thread *t, unsigned mask, const struct user_regs_struct *regs);
void delete_return(struct tracer *T, struct thread *t, struct user_regs_struct *regs, struct bp *b);
/* The map's address now: the global's value, or the fixed address. 0 when not yet. */
uint64_t current_map(struct tracer *T);

/* race.c: a race event when access (just emitted by t) happens while another thread writes */
void race_check(struct tracer *T, struct thread *t, const struct event *access);

/* step.c */
void step_delete(struct tracer *T, struct thread *t, struct user_regs_struct *regs);

#endif
