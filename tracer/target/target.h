/*
 * target.h: the traced process over ptrace. Launch (the program is our
 * child, killed with us) or attach (PTRACE_SEIZE of every thread); threads
 * (a new one is armed at its first stop, before it runs an instruction);
 * holding the others while registers change; breakpoints; single-step and
 * stepping over a breakpoint; whose a SIGTRAP is; leaving clean. The target
 * knows stops and threads, not what is being traced: a stop that is ours
 * comes back to the caller as a struct stop to dispatch.
 *
 * Invariants:
 * - A thread's debug registers and the breakpoint bytes are changed only
 *   while that thread (for bytes: the thread being handled) is ptrace-stopped.
 * - On every way out (target_detach_all, target_abandon) all registers of
 *   every live thread are cleared and every breakpoint byte is restored before
 *   the threads are detached, and a SIGTRAP of ours not yet handled is taken
 *   so the program never gets one it did not cause.
 */
#ifndef MAPVIZ_TARGET_TARGET_H
#define MAPVIZ_TARGET_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/dbg.h"
#include "base/disasm.h"
#include "base/mem.h"
#include "base/trap.h"
#include "target/isa.h"
#include "target/watch.h"

struct thread {
	pid_t tid;
	bool stopped;      /* in a ptrace-stop we have not resumed */
	bool held;         /* stopped by us to change registers; resume when done */
	bool has_pending;  /* a wait status collected while holding it, not yet handled */
	int pending_status;
	bool fresh;        /* a new thread: arm it at its first stop */
	bool gone;         /* exited (the leader, a zombie until the others are reaped) */
	int resume_sig;    /* signal to deliver when resumed */
	bool own_watch;    /* holds watches of its own (own), not the process-wide ones */
	struct watch own[ARCH_MAX_WATCH];
};

struct bp {
	uint64_t addr;
	int kind;      /* the owner's tag: what the breakpoint is for */
	uint8_t orig;
	bool inserted;
};

#define BP_ENTRY (-1) /* the target's own: the program's entry point */
#define MAX_BPS 8
#define BP_GONE_KEPT 32 /* removed breakpoint addresses remembered, for traps seen late */

struct target {
	pid_t pid;
	bool launched;
	bool ready;        /* setup is done: new threads get the process-wide watches */
	struct mem mem;
	const struct arch_watch_ops *watch;
	const struct isa *isa;
	struct dbg *dbg;   /* to name the instruction before a trap (whose a trap is) */
	struct disasm *dis;
	/* Called before a setup error exits, so that notes queued for the stream get out. */
	void (*before_exit)(void *ctx);
	void *before_exit_ctx;

	struct thread *threads;
	int nthreads, cap;
	/* The process-wide watches: every thread without watches of its own holds these. */
	struct watch watches[ARCH_MAX_WATCH];
	bool armed_once;   /* the watches were armed once (and said so) */

	struct bp bps[MAX_BPS];
	int nbps;
	uint64_t bp_gone[BP_GONE_KEPT]; /* a ring of removed breakpoint addresses */
	unsigned nbp_gone;

	/* Debug exceptions with an empty debug status (lost by the CPU or a hypervisor): hits
	 * told by the instruction before the pc, and traps of ours that hit nothing. */
	uint64_t traps_status_lost, traps_spurious;

	pid_t pending_clone; /* a thread created while detaching */
	pid_t early[16];     /* forked children whose first stop came before the fork event */
	int nearly;

	bool done;    /* the process is gone */
	bool detach;  /* leave now (-n reached, exec, output lost; or a signal) */
	const char *detach_why;
	int exit_code, exit_signal;
};

/* A stop that is the caller's to handle. */
enum stop_kind {
	STOP_NONE,        /* handled by the target (a signal to pass on, a clone, ...) */
	STOP_WATCH,       /* a watch hit: mask says which watches fired */
	STOP_BREAKPOINT,  /* at one of our breakpoints (pc back on it): bp */
	STOP_NEW_THREAD   /* a new thread at its first stop, armed */
};

struct stop {
	enum stop_kind kind;
	pid_t tid;
	regs_t regs;
	unsigned mask;
	struct bp *bp;
};

/* A setup error: one line, the process left as it was (ours: killed), exit 2. */
void target_fail(struct target *tg, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void target_launch(struct target *tg, char **argv);
void target_attach(struct target *tg, pid_t pid);
struct thread *thread_find(struct target *tg, pid_t tid);
void target_resume(struct target *tg, struct thread *t);
/* Resumes every thread setup left stopped. */
void target_resume_all(struct target *tg);
/* Holds every other running thread in a ptrace-stop (stops that are not ours are kept
 * pending), and lets them go again. */
void hold_threads(struct target *tg, struct thread *current);
void release_threads(struct target *tg);
/* Takes the stops the other threads already reached, without stopping any: each is kept
 * pending for the main loop (a thread in one has has_pending set). */
void target_collect_stops(struct target *tg, struct thread *current);
/* Sets the process-wide watches and programs them into every thread (holding the running
 * ones). */
void target_arm_all(struct target *tg, struct thread *current, const struct watch w[ARCH_MAX_WATCH]);
/* Programs watches into one stopped thread: 1 done, 0 failed (reported), -1 thread gone. */
int target_arm_thread(struct target *tg, struct thread *t, const struct watch w[ARCH_MAX_WATCH]);
/* Gives stopped thread t watches of its own (own: true), or back the process-wide ones. */
int target_arm_own(struct target *tg, struct thread *t, const struct watch w[ARCH_MAX_WATCH]);
void target_disarm_own(struct target *tg, struct thread *t);
/* Breakpoint bytes are written through tid, a stopped thread of the process. */
int bp_insert(struct target *tg, pid_t tid, uint64_t addr, int kind);
void bp_remove(struct target *tg, pid_t tid, uint64_t addr);
struct bp *bp_at(struct target *tg, uint64_t addr);
/* Steps thread t (stopped at a breakpoint address) over the original instruction. */
bool step_over_bp(struct target *tg, struct thread *t, struct bp *b);
/* Single-steps stopped thread t; signals that arrive meanwhile are kept for later. */
bool single_step(struct target *tg, struct thread *t);
bool target_regs(struct target *tg, pid_t tid, regs_t *r);
/* Code as the program sees it (breakpoint bytes undone): a disasm code_reader. */
bool target_read_code(void *tg, uint64_t addr, void *buf, size_t len);
/* What to do while waiting with nothing happening: after ns, run(ctx), when pending(ctx). */
struct idle_hook {
	long ns;
	bool (*pending)(void *ctx);
	void (*run)(void *ctx);
	void *ctx;
};
/*
 * waitpid(pid, ...) that also returns when a signal of wake comes (those signals and
 * SIGCHLD are blocked while the tracer runs and taken here only, so none can slip in between
 * a check and a wait that would then block). The pid that reported (status in *st); or -1
 * with errno EINTR and the signal in *sig (*by_tty: sent by the terminal); or -1 with
 * waitpid's errno.
 */
pid_t target_wait_or_signal(pid_t pid, const sigset_t *wake, int *st, int *sig, bool *by_tty,
			    const struct idle_hook *idle);
/* The next stop or exit of a traced thread: pending ones first, then as
 * target_wait_or_signal. */
pid_t target_next_status(struct target *tg, const sigset_t *wake, int *st, int *sig, bool *by_tty,
			 const struct idle_hook *idle);
/* Handles a wait status: what the target does alike for every mode is done, and what is
 * the caller's comes back in *out (kind STOP_NONE: nothing). */
void target_handle_status(struct target *tg, pid_t tid, int st, struct stop *out);
/* After the caller handled a stop: steps over the breakpoint the thread is still on (unless
 * stepped_over), and resumes it unless the session is ending. */
void target_finish_stop(struct target *tg, struct stop *s, bool stepped_over);
/* Leaves the process as if never traced. */
void target_detach_all(struct target *tg);
#endif
