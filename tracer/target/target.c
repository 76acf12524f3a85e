/*
 * target.c: the traced process over ptrace (see target.h). Starts or
 * attaches to the process (PTRACE_SEIZE of every thread, PTRACE_O_TRACECLONE
 * for new ones), takes each stop (a new thread, a signal to pass on, a trap:
 * whose it is), and on the way out clears every register and breakpoint byte
 * before detaching.
 */
#define _GNU_SOURCE
#include "target/target.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/code.h"
#include "base/diag.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define SEIZE_OPTIONS \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)


/* waitpid, retried when a signal to the tracer (SIGINT, SIGTERM, SIGHUP) interrupts it. */
static pid_t wait_status(pid_t pid, int *st, int options)
{
	pid_t r;
	do
		r = waitpid(pid, st, options);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Thread tid's state letter from /proc (R, S, D, t, Z, ...); 0 when it is gone. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *state = strrchr(buf, ')'); /* after the command name, which may hold spaces */
	return state && state[1] == ' ' ? state[2] : 0;
}

/*
 * waitpid for thread tid of process pid, asked to stop: its status, or -1 when it will not
 * report. The thread group leader, once it has exited, is a zombie whose exit the kernel
 * reports only after every other thread's has been reaped, which the caller may be about to
 * do: it is polled, and given up while it is such a zombie (its exit comes to the main loop
 * later). Any other thread reports a stop or its exit soon.
 */
static pid_t wait_thread(pid_t pid, pid_t tid, int *st)
{
	if (tid != pid)
		return wait_status(tid, st, __WALL);
	for (long ns = 10000;; ns = ns < 1000000 ? 2 * ns : ns) {
		pid_t r = waitpid(tid, st, __WALL | WNOHANG);
		if (r != 0 && !(r < 0 && errno == EINTR))
			return r;
		if (thread_state(pid, tid) == 'Z')
			return -1;
		struct timespec pause = {0, ns};
		nanosleep(&pause, NULL);
	}
}

void target_fail(struct target *T, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	if (T && T->before_exit)
		T->before_exit(T->before_exit_ctx);
	if (T && T->pid > 0) {
		if (T->launched) {
			kill(T->pid, SIGKILL);
			while (waitpid(T->pid, NULL, __WALL) > 0 || errno == EINTR)
				;
		} else {
			target_detach_all(T);
		}
	}
	exit(2);
}

/* ---- threads ---- */

struct thread *thread_find(struct target *T, pid_t tid)
{
	for (int i = 0; i < T->nthreads; i++)
		if (T->threads[i].tid == tid)
			return &T->threads[i];
	return NULL;
}

static struct thread *thread_add(struct target *T, pid_t tid)
{
	struct thread *t = thread_find(T, tid);
	if (t)
		return t;
	if (T->nthreads == T->cap) {
		int cap = T->cap ? 2 * T->cap : 16;
		struct thread *n = realloc(T->threads, (size_t)cap * sizeof *n);
		if (!n)
			target_fail(T, "out of memory");
		T->threads = n;
		T->cap = cap;
	}
	t = &T->threads[T->nthreads++];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	return t;
}

/* A thread the program created (its parent's clone event, or its own first stop, whichever
 * came first): armed at its first stop. A thread already known is left as it is (its first
 * stop may have been handled already). */
static struct thread *thread_born(struct target *T, pid_t tid)
{
	struct thread *t = thread_find(T, tid);
	if (!t) {
		t = thread_add(T, tid);
		t->fresh = true;
	}
	return t;
}

static void thread_remove(struct target *T, pid_t tid)
{
	struct thread *t = thread_find(T, tid);
	if (t)
		*t = T->threads[--T->nthreads];
}

/* /proc/PID/task/TID/status, open for reading; NULL when the thread is gone. */
static FILE *task_status(pid_t pid, pid_t tid)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	return fopen(path, "r");
}

void target_resume(struct target *T, struct thread *t)
{
	int sig = t->resume_sig;
	t->resume_sig = 0;
	t->stopped = t->held = false;
	if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)sig) != 0 && errno != ESRCH)
		note("ptrace cont tid %d: %s", (int)t->tid, strerror(errno));
	(void)T;
}

/* Holds every running thread except current in a ptrace-stop. Stops other than our interrupt
 * are kept as pending and handled later by the main loop. */
void hold_threads(struct target *T, struct thread *current)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t != current && !t->stopped && !t->fresh)
			ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
	}
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t == current || t->stopped || t->fresh)
			continue;
		int st;
		pid_t r = wait_thread(T->pid, t->tid, &st);
		if (r < 0) {
			t->stopped = true; /* gone: nothing to arm */
			t->held = t->gone = true;
			continue;
		}
		t->stopped = true;
		if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP) {
			t->held = true;
		} else {
			t->has_pending = true;
			t->pending_status = st;
		}
	}
}

void target_collect_stops(struct target *T, struct thread *current)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		int st;
		if (t == current || t->stopped || t->fresh ||
		    wait_status(t->tid, &st, __WALL | WNOHANG) != t->tid)
			continue;
		t->stopped = true;
		t->has_pending = true;
		t->pending_status = st;
	}
}

void release_threads(struct target *T)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->held && !t->has_pending)
			target_resume(T, t);
	}
}

int target_arm_thread(struct target *T, struct thread *t, const struct watch r[ARCH_MAX_WATCH])
{
	struct watch w[ARCH_MAX_WATCH] = {{0}};
	for (unsigned i = 0; i < T->watch->nslots && i < ARCH_MAX_WATCH; i++)
		if (r[i].used)
			w[i] = r[i];
	int rc = T->watch->set(t->tid, w);
	if (rc == -ESRCH)
		return -1;
	if (rc != 0) {
		note("setting debug registers of tid %d: %s", (int)t->tid, strerror(-rc));
		return 0;
	}
	return 1;
}

void target_arm_all(struct target *T, struct thread *current, const struct watch w[ARCH_MAX_WATCH])
{
	bool print = !T->armed_once;
	T->armed_once = true;
	memcpy(T->watches, w, sizeof T->watches);
	if (T->nthreads > 1)
		hold_threads(T, current);
	int ok = 0, n = 0;
	unsigned want = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (T->watches[i].used)
			want |= 1u << i;
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->fresh || t->own_watch)
			continue; /* armed at its first stop; or holding its own */
		int rc = target_arm_thread(T, t, T->watches);
		if (rc < 0)
			continue; /* exiting: nothing to arm */
		n++;
		if (rc == 0)
			continue;
		unsigned got;
		if (T->watch->enabled(t->tid, &got) == 0 && got == want)
			ok++;
	}
	if (print)
		note("armed on %d/%d threads", ok, n);
	else if (ok != n)
		note("re-armed on only %d/%d threads", ok, n);
	if (T->nthreads > 1)
		release_threads(T);
}

int target_arm_own(struct target *T, struct thread *t, const struct watch w[ARCH_MAX_WATCH])
{
	memcpy(t->own, w, sizeof t->own);
	t->own_watch = true;
	return target_arm_thread(T, t, t->own);
}

void target_disarm_own(struct target *T, struct thread *t)
{
	T->watch->clear(t->tid);
	t->own_watch = false;
}

bool target_regs(struct target *T, pid_t tid, regs_t *r)
{
	(void)T;
	return ptrace(PTRACE_GETREGS, tid, 0, r) == 0;
}

/* ---- breakpoints ---- */

struct bp *bp_at(struct target *T, uint64_t addr)
{
	for (int i = 0; i < T->nbps; i++)
		if (T->bps[i].addr == addr)
			return &T->bps[i];
	return NULL;
}

int bp_insert(struct target *T, pid_t tid, uint64_t addr, int kind)
{
	struct bp *b = bp_at(T, addr);
	if (b)
		return 0;
	if (T->nbps == MAX_BPS)
		return -1;
	b = &T->bps[T->nbps];
	b->addr = addr;
	b->kind = kind;
	if (!mem_poke_byte(tid, addr, T->isa->bp_byte, &b->orig))
		return -1;
	b->inserted = true;
	T->nbps++;
	return 0;
}

void bp_remove(struct target *T, pid_t tid, uint64_t addr)
{
	struct bp *b = bp_at(T, addr);
	if (!b)
		return;
	if (b->inserted)
		mem_poke_byte(tid, b->addr, b->orig, NULL);
	T->bp_gone[T->nbp_gone++ % BP_GONE_KEPT] = b->addr;
	*b = T->bps[--T->nbps];
}

static bool bp_was_at(const struct target *T, uint64_t addr)
{
	unsigned n = T->nbp_gone < BP_GONE_KEPT ? T->nbp_gone : BP_GONE_KEPT;
	for (unsigned i = 0; i < n; i++)
		if (T->bp_gone[i] == addr)
			return true;
	return false;
}

bool target_read_code(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct target *T = ctx;
	if (!mem_read(&T->mem, addr, buf, len))
		return false;
	for (int i = 0; i < T->nbps; i++) {
		struct bp *b = &T->bps[i];
		if (b->inserted && b->addr >= addr && b->addr < addr + len)
			((uint8_t *)buf)[b->addr - addr] = b->orig;
	}
	return true;
}

/* ---- whose a SIGTRAP is ---- */

static const struct watch *thread_watches(struct target *T, const struct thread *t)
{
	return t->own_watch ? t->own : T->watches;
}

static bool any_armed(const struct watch w[ARCH_MAX_WATCH])
{
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (w[i].used)
			return true;
	return false;
}

/* The regions of r the instruction ending at pc accessed in a way their watch traps on; sets
 * *int1 when that instruction is the program's own int1 (icebp). */
static unsigned regions_touched(struct target *T, const struct watch *r, const regs_t *regs,
				bool *int1)
{
	struct code_loc code;
	struct insn_info insn;
	bool have;
	uint8_t byte;
	uint64_t a;
	*int1 = false;
	uint64_t pc = T->isa->pc(regs);
	code_of(T->dbg, T->dis, pc, false, &code, &insn, &have);
	if (!have)
		return 0;
	if (insn.len == 1 && insn.addr + 1 == pc && target_read_code(T, insn.addr, &byte, 1) &&
	    T->isa->is_int1(byte))
		*int1 = true;
	if (!insn.mem_size || !disasm_mem_addr(&insn, regs, &a))
		return 0;
	unsigned mask = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (r[i].used && (r[i].kind == WATCH_ACCESS || insn.writes_mem) &&
		    a < r[i].addr + r[i].len && a + insn.mem_size > r[i].addr)
			mask |= 1u << i;
	return mask;
}

/* Whether the program's code (as it is in memory, not ours) has an int3 ending at pc. */
static bool program_int3_at(struct target *T, uint64_t pc)
{
	uint8_t b[2];
	if (!mem_read(&T->mem, pc - 2, b, 2))
		return false;
	struct bp *ours = bp_at(T, pc - 1);
	return T->isa->trap_insn_before(b, ours && ours->inserted);
}

/*
 * Whose the SIGTRAP thread t is stopped with is (regs: its registers): the
 * facts trap_classify needs, gathered only as far as the kind of trap needs
 * them (a hit with a debug status costs a siginfo and a status read). False
 * when the thread is gone.
 */
static bool whose_trap(struct target *T, struct thread *t, const regs_t *regs,
		       bool stepping, struct trap_verdict *v)
{
	siginfo_t si;
	unsigned mask = 0;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) != 0 || T->watch->read_hits(t->tid, &mask) != 0)
		return false;
	struct trap_facts f = {
		.origin = trap_origin_of(si.si_code),
		.status_mask = mask,
		.status_fresh = T->watch->hits_fresh_each_trap(),
		.stepping = stepping,
	};
	if (mask && !f.status_fresh)
		T->watch->clear_hits(t->tid); /* the status keeps its bits until cleared */
	const struct watch *r = thread_watches(T, t);
	if (f.origin == TRAP_FROM_INT3) {
		struct bp *b = bp_at(T, T->isa->pc(regs) - 1);
		f.bp_at_prev = b && b->inserted;
		f.bp_was_at_prev = bp_was_at(T, T->isa->pc(regs) - 1);
		f.int3_at_prev = program_int3_at(T, T->isa->pc(regs));
	} else if (f.origin == TRAP_FROM_DEBUG && !mask) {
		f.armed = any_armed(r);
		f.touched_mask = regions_touched(T, r, regs, &f.prev_is_int1);
	}
	*v = trap_classify(&f);
	if (v->owner == TRAP_WATCH && !mask)
		T->traps_status_lost++;
	else if (v->owner == TRAP_SPURIOUS)
		T->traps_spurious++;
	return true;
}

/*
 * A process the program forked is not traced: it got a copy of the breakpoint
 * bytes (the kernel copies no debug registers), so the bytes are restored in
 * it and it is let go. A vfork child shares the parent's memory until it
 * execs: nothing to restore there, or the parent would lose its breakpoints.
 */
static void release_child(struct target *T, pid_t parent, int ev)
{
	unsigned long msg;
	if (ptrace(PTRACE_GETEVENTMSG, parent, 0, &msg) != 0)
		return;
	pid_t child = (pid_t)msg;
	bool stopped = false;
	for (int i = 0; i < T->nearly; i++)
		if (T->early[i] == child) {
			stopped = true; /* its first stop came before this event */
			T->early[i] = T->early[--T->nearly];
			break;
		}
	int st;
	if (!stopped)
		wait_status(child, &st, __WALL);
	for (int i = 0; ev == PTRACE_EVENT_FORK && i < T->nbps; i++)
		if (T->bps[i].inserted)
			mem_poke_byte(child, T->bps[i].addr, T->bps[i].orig, NULL);
	ptrace(PTRACE_DETACH, child, 0, 0);
}

static bool take_trap(struct target *T, struct thread *t, regs_t *regs, struct trap_verdict *v);
static int wait_trap(struct target *T, struct thread *t, bool alone);

/* The clone event of thread tid: the new thread is known from now on. */
static void clone_event(struct target *T, pid_t tid)
{
	unsigned long msg;
	if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0)
		thread_born(T, (pid_t)msg);
}

/* Steps stopped thread t over the instruction at addr, where a breakpoint of ours is, alone:
 * the byte restored meanwhile, no other thread's stop waited for. */
static bool step_alone_over(struct target *T, struct thread *t, struct bp *b)
{
	uint64_t addr = b->addr;
	pid_t tid = t->tid;
	mem_poke_byte(tid, addr, b->orig, NULL);
	bool ok = ptrace(PTRACE_SINGLESTEP, tid, 0, 0) == 0 && wait_trap(T, t, true) == 0;
	if ((b = bp_at(T, addr)) && b->inserted)
		mem_poke_byte(tid, addr, T->isa->bp_byte, NULL);
	return ok;
}

/* A SIGTRAP of thread o while another is single-stepped: whether o can go on (its trap taken:
 * the program's own kept for delivery, a breakpoint of ours stepped over) or must wait for
 * the main loop (a watch hit, to report). */
static bool trap_passes(struct target *T, struct thread *o)
{
	regs_t regs;
	struct trap_verdict v;
	if (!take_trap(T, o, &regs, &v))
		return true; /* gone */
	if (v.owner == TRAP_WATCH)
		return false;
	struct bp *b = v.owner == TRAP_BREAKPOINT ? bp_at(T, T->isa->pc(&regs)) : NULL;
	return !b || step_alone_over(T, o, b);
}

/*
 * A stop of another thread while one is single-stepped. The stepped thread may wait (in a
 * futex) for any other thread, so none is held that can go on: a signal for it is delivered
 * at once (Go's SIGURG preemption), a new thread is armed and let run (Go starts threads at
 * any time), a clone is recorded, a late answer to an interrupt of ours is resumed, a trap at
 * one of our breakpoints (another goroutine entering a delete) is stepped over there. Only a
 * watch hit, a group-stop and an exit are kept pending for the main loop.
 */
static void other_stop(struct target *T, pid_t who, int st)
{
	struct thread *o = thread_born(T, who); /* a new one may report before its parent's clone */
	int ev = st >> 16, sig = WIFSTOPPED(st) ? WSTOPSIG(st) : 0;
	bool go_on = false;
	if (!WIFSTOPPED(st)) {
		/* exited: for the main loop */
	} else if (ev == 0 && sig != SIGTRAP) {
		go_on = true;
		o->resume_sig = sig;
	} else if (ev == 0) {
		go_on = trap_passes(T, o);
		o = thread_find(T, who); /* the table may have moved */
	} else if (ev == PTRACE_EVENT_STOP && o->fresh) {
		o->fresh = false;
		if (T->ready)
			target_arm_thread(T, o, T->watches);
		go_on = true;
	} else if (ev == PTRACE_EVENT_STOP) {
		go_on = sig == SIGTRAP; /* not a group-stop: an interrupt of ours, answered late */
	} else if (ev == PTRACE_EVENT_CLONE) {
		clone_event(T, who);
		o = thread_find(T, who); /* the table may have moved */
		go_on = true;
	}
	if (!o)
		return;
	o->stopped = true;
	if (go_on) {
		target_resume(T, o);
		return;
	}
	o->has_pending = true;
	o->pending_status = st;
}

static bool sigtrap_queued(pid_t pid, pid_t tid);
static int take_queued_sigtrap(struct target *T, struct thread *t);

/* How long a step may go without any stop before the stepped thread is looked at. */
#define STEP_LOOK_NS 2000000L

/* The next status of thread pid (-1: any traced thread); 0 when none came within ns. */
static pid_t wait_within(pid_t pid, int *st, long ns)
{
	sigset_t child;
	sigemptyset(&child);
	sigaddset(&child, SIGCHLD);
	pid_t r = waitpid(pid, st, __WALL | WNOHANG);
	if (r != 0)
		return r;
	/* SIGCHLD is blocked while the loop runs: it is taken here. (During setup it is not,
	 * and the handler may take it first: then this waits ns and the waitpid finds it.) */
	struct timespec wait = {0, ns};
	sigtimedwait(&child, NULL, &wait);
	r = waitpid(pid, st, __WALL | WNOHANG);
	return r < 0 && errno == EINTR ? 0 : r;
}

/* Whether thread tid sleeps inside a system call (state S, /proc/.../syscall naming one). */
static bool asleep_in_syscall(pid_t pid, pid_t tid)
{
	char path[96];
	if (thread_state(pid, tid) != 'S')
		return false;
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	long nr = -1;
	bool in_call = fscanf(f, "%ld", &nr) == 1 && nr >= 0;
	fclose(f);
	return in_call;
}

/*
 * Waits for the end of the step of tid, keeping its signals for later delivery: 0 when the
 * step ended, -1 when it did not (the thread is gone, or was stopped before the step ended).
 * A step into a system call that sleeps can take for ever: what it waits for may be a thread
 * kept stopped meanwhile (its trap is pending for the main loop), or, in Go, the goroutine
 * may have gone on in another thread while this one idles. So a stepped thread found asleep
 * in a system call is interrupted (the call is restarted when it resumes) and the step ends
 * there, not done. alone: only tid is waited for (the others' stops stay queued).
 */
static int wait_trap(struct target *T, struct thread *t, bool alone)
{
	pid_t tid = t->tid;
	bool cut_short = false; /* interrupted asleep: its interrupt stop ends the step */
	for (;;) {
		int st;
		pid_t who = wait_within(alone ? tid : -1, &st, STEP_LOOK_NS);
		if (who == 0) {
			if (!cut_short && asleep_in_syscall(T->pid, tid))
				cut_short = ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0;
			continue;
		}
		if (who < 0)
			return -1;
		if (who != tid) {
			other_stop(T, who, st);
			if (!(t = thread_find(T, tid))) /* the table may have moved */
				return -1;
			continue;
		}
		if (!WIFSTOPPED(st)) {
			t->has_pending = true; /* exited: handled by the main loop */
			t->pending_status = st;
			return -1;
		}
		int ev = st >> 16;
		if (ev == 0 && WSTOPSIG(st) == SIGTRAP) {
			regs_t regs;
			struct trap_verdict v;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) != 0 ||
			    !whose_trap(T, t, &regs, true, &v))
				return -1;
			if (v.owner != TRAP_PROGRAM)
				return 0; /* the step ended (with or without a hit on the way) */
		}
		if (ev == PTRACE_EVENT_CLONE) {
			clone_event(T, tid);
			t = thread_find(T, tid); /* the table may have moved */
		} else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
			release_child(T, t->tid, ev);
		} else if (ev == 0) {
			t->resume_sig = WSTOPSIG(st); /* a signal: delivered when the thread resumes */
		}
		if (ev == PTRACE_EVENT_STOP && cut_short) {
			/* Stopped asleep: the step is not done, the thread stays stopped. The call
			 * the interrupt ended reported the step's trap, queued behind this stop: it
			 * is taken, or the program would get it. */
			if (sigtrap_queued(T->pid, tid))
				take_queued_sigtrap(T, t);
			return -1;
		}
		/* Any other event stop (an interrupt of ours): the step is still to be done. */
		ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0);
	}
}

bool single_step(struct target *T, struct thread *t)
{
	return ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) == 0 && wait_trap(T, t, false) == 0;
}

bool step_over_bp(struct target *T, struct thread *t, struct bp *b)
{
	uint64_t addr = b->addr;
	bool hold = T->nthreads > 1;
	pid_t tid = t->tid;
	if (hold)
		hold_threads(T, t);
	t = thread_find(T, tid);
	mem_poke_byte(t->tid, addr, b->orig, NULL);
	bool ok = ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) == 0 && wait_trap(T, t, false) == 0;
	b = bp_at(T, addr);
	if (b && b->inserted)
		mem_poke_byte(t->tid, addr, T->isa->bp_byte, NULL);
	if (hold)
		release_threads(T);
	return ok;
}

/* ---- starting and attaching ---- */

static uint64_t auxv_entry(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	uint64_t kv[2], entry = 0;
	while (fread(kv, sizeof kv, 1, f) == 1)
		if (kv[0] == 9 /* AT_ENTRY */)
			entry = kv[1];
	fclose(f);
	return entry;
}

/* Whether execvp would find an executable file. */
static int runnable(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? 0 : errno;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	int err = ENOENT;
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, ':');
		char full[4096];
		snprintf(full, sizeof full, "%.*s/%s", (int)(end - p), p, prog);
		if (access(full, X_OK) == 0)
			return 0;
		if (errno != ENOENT)
			err = errno;
		p = *end ? end + 1 : end;
	}
	return err;
}

void target_launch(struct target *T, char **argv)
{
	int e = runnable(argv[0]);
	if (e)
		target_fail(T, "cannot run %s: %s", argv[0], strerror(e));
	pid_t pid = fork();
	if (pid < 0)
		target_fail(T, "fork: %s", strerror(errno));
	if (pid == 0) {
		raise(SIGSTOP);
		execvp(argv[0], argv);
		fprintf(stderr, "mapviz-trace: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, WSTOPPED) != pid || !WIFSTOPPED(st))
		target_fail(T, "starting %s failed", argv[0]);
	T->pid = pid;
	T->launched = true;
	if (ptrace(PTRACE_SEIZE, pid, 0, SEIZE_OPTIONS | PTRACE_O_EXITKILL) != 0)
		target_fail(T, "ptrace seize pid %d: %s", (int)pid, strerror(errno));
	struct thread *t = thread_add(T, pid);
	kill(pid, SIGCONT);
	/* Run to the exec, then to the program's entry point: by then the dynamic loader has
	 * mapped every library the program was linked with. */
	uint64_t entry = 0;
	for (;;) {
		if (wait_status(pid, &st, __WALL) != pid)
			target_fail(T, "waitpid %d: %s", (int)pid, strerror(errno));
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			T->pid = 0;
			target_fail(T, "%s exited before it started (exec failed?)", argv[0]);
		}
		int ev = st >> 16;
		if (ev == PTRACE_EVENT_EXEC) {
			if (mem_open(&T->mem, pid) != 0)
				target_fail(T, "open /proc/%d/mem: %s", (int)pid, strerror(errno));
			entry = auxv_entry(pid);
			if (!entry || bp_insert(T, pid, entry, BP_ENTRY) != 0)
				target_fail(T, "cannot set a breakpoint at the entry of %s", argv[0]);
		} else if (ev == 0 && WSTOPSIG(st) == SIGTRAP && entry) {
			regs_t regs;
			ptrace(PTRACE_GETREGS, pid, 0, &regs);
			if (T->isa->pc(&regs) - 1 == entry) {
				bp_remove(T, pid, entry);
				T->isa->set_pc(&regs, entry);
				ptrace(PTRACE_SETREGS, pid, 0, &regs);
				t->stopped = true;
				return;
			}
		}
		int sig = (ev == 0 && WSTOPSIG(st) != SIGTRAP && WSTOPSIG(st) != SIGSTOP &&
			   WSTOPSIG(st) != SIGCONT) ? WSTOPSIG(st) : 0;
		ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
	}
}

/* Whether thread tid is traced by this process (its TracerPid in /proc). */
static bool traced_by_us(pid_t pid, pid_t tid)
{
	char line[256];
	FILE *f = task_status(pid, tid);
	if (!f)
		return false;
	int tracer = 0;
	while (fgets(line, sizeof line, f) && sscanf(line, "TracerPid: %d", &tracer) != 1)
		;
	fclose(f);
	return tracer == (int)getpid();
}

/*
 * Seizes thread tid of the process being attached and asks it to stop: 1 when it is ours
 * now, 0 when it is gone (a thread that exited meanwhile) or was ours already, -errno when
 * it cannot be traced. A thread the program creates while we attach (Go starts and ends
 * threads at any time) is either found by a later pass over /proc/PID/task or, when a
 * seized thread created it, attached by the kernel (PTRACE_O_TRACECLONE): it is then ours
 * before we seize it, and its first stop is on its way.
 */
static int seize_thread(struct target *T, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, SEIZE_OPTIONS) == 0) {
		ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	} else if (errno == ESRCH && tid != T->pid) {
		return 0;
	} else if (errno == EPERM && T->nthreads && traced_by_us(T->pid, tid)) {
		/* attached through its parent's clone: its first stop is an event stop too */
	} else {
		return -errno;
	}
	thread_add(T, tid)->stopped = false;
	return 1;
}

void target_attach(struct target *T, pid_t pid)
{
	T->pid = pid;
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		T->pid = 0;
		target_fail(T, "no such process: pid %d", (int)pid);
	}
	/* A main thread that has exited alone is a zombie until the others end: it cannot be
	 * seized, and the process's memory and exit are reached through it. */
	if (thread_state(pid, pid) == 'Z') {
		T->pid = 0;
		target_fail(T, "pid %d: its main thread has exited (the process lives on in its other "
			    "threads); attaching to such a process is not supported", (int)pid);
	}
	/* Seize every thread; repeat until a pass finds no new one. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	for (bool added = true; added;) {
		added = false;
		DIR *d = opendir(path);
		if (!d)
			target_fail(T, "opendir %s: %s", path, strerror(errno));
		struct dirent *de;
		int err = 0;
		pid_t failed = 0;
		while (!err && (de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || thread_find(T, tid))
				continue;
			int rc = seize_thread(T, tid);
			if (rc < 0)
				err = -rc, failed = tid;
			added |= rc > 0;
		}
		closedir(d);
		if (err) {
			if (T->nthreads == 0)
				T->pid = 0; /* nothing of ours to undo */
			target_fail(T, "ptrace seize pid %d: %s", (int)failed, strerror(err));
		}
	}
	/* Wait for each to stop: its first stop is our interrupt, or a status kept for later (a
	 * clone, an exit). */
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		int st;
		pid_t r = wait_status(t->tid, &st, __WALL);
		t->stopped = true;
		if (r > 0 && !(WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP)) {
			t->has_pending = true;
			t->pending_status = st;
		}
	}
	if (mem_open(&T->mem, pid) != 0)
		target_fail(T, "open /proc/%d/mem: %s", (int)pid, strerror(errno));
}

/* ---- leaving ---- */

/* Whether SIGTRAP is queued for thread tid and not yet reported (/proc/PID/task/TID/status). */
static bool sigtrap_queued(pid_t pid, pid_t tid)
{
	char line[256];
	FILE *f = task_status(pid, tid);
	if (!f)
		return false;
	bool queued = false;
	while (fgets(line, sizeof line, f)) {
		unsigned long long mask;
		if ((sscanf(line, "SigPnd: %llx", &mask) == 1 || sscanf(line, "ShdPnd: %llx", &mask) == 1) &&
		    (mask & (1ull << (SIGTRAP - 1))))
			queued = true;
	}
	fclose(f);
	return queued;
}

/* Runs held thread t until the SIGTRAP queued for it is reported; its status, or -1. */
static int take_queued_sigtrap(struct target *T, struct thread *t)
{
	if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
		return -1;
	for (;;) {
		int st;
		if (wait_thread(T->pid, t->tid, &st) < 0 || !WIFSTOPPED(st))
			return -1;
		if ((st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP)
			return st;
		if ((st >> 16) == 0)
			t->resume_sig = WSTOPSIG(st); /* another signal: passed on at detach */
		if ((st >> 16) == PTRACE_EVENT_CLONE) {
			unsigned long msg;
			if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) == 0)
				T->pending_clone = (pid_t)msg;
		} else if ((st >> 16) == PTRACE_EVENT_FORK || (st >> 16) == PTRACE_EVENT_VFORK) {
			release_child(T, t->tid, st >> 16);
		}
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
			return -1;
	}
}

/*
 * Thread t is stopped with a SIGTRAP: its registers into regs and whose the
 * trap is into v, with what every place does alike already done: the
 * program's own is kept for delivery, a trap at one of our breakpoints (there
 * or removed meanwhile) has pc put back on the instruction, ours that hit
 * nothing is dropped. False when the thread is gone.
 */
static bool take_trap(struct target *T, struct thread *t, regs_t *regs,
		      struct trap_verdict *v)
{
	if (ptrace(PTRACE_GETREGS, t->tid, 0, regs) != 0 || !whose_trap(T, t, regs, false, v))
		return false;
	if (v->owner == TRAP_PROGRAM)
		t->resume_sig = SIGTRAP;
	if (v->owner == TRAP_BREAKPOINT || v->owner == TRAP_BREAKPOINT_GONE) {
		T->isa->set_pc(regs, T->isa->pc(regs) - 1);
		ptrace(PTRACE_SETREGS, t->tid, 0, regs);
	}
	return true;
}

/* Leaves held thread t, stopped with a SIGTRAP not yet handled, as if untraced (a hit is
 * dropped: the events end here). */
static void settle_trap(struct target *T, struct thread *t)
{
	regs_t regs;
	struct trap_verdict v;
	take_trap(T, t, &regs, &v);
}

/*
 * Leaves the process as if never traced. Every thread is held first. A
 * SIGTRAP of ours that is queued or reported but not yet handled would kill
 * the program once we are gone, so each is taken here: a breakpoint trap
 * re-runs its instruction (pc back on the restored byte), a watchpoint trap
 * is dropped, and only a SIGTRAP the program sent itself is passed on. Then
 * registers are cleared, breakpoint bytes restored, and every thread detached.
 */
void target_detach_all(struct target *T)
{
	if (T->nthreads == 0)
		return;
	/* New threads not yet stopped: wait for their first stop. */
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->fresh && !t->stopped) {
			int st;
			wait_status(t->tid, &st, __WALL);
			t->stopped = t->held = true;
			t->fresh = false;
		}
	}
	hold_threads(T, NULL);
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		int st = t->has_pending ? t->pending_status : 0;
		bool trap = t->has_pending && WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP;
		if (!t->has_pending && sigtrap_queued(T->pid, t->tid)) {
			st = take_queued_sigtrap(T, t);
			trap = st != -1;
		}
		if (t->has_pending && WIFSTOPPED(st) && (st >> 16) == 0 && !trap)
			t->resume_sig = WSTOPSIG(st); /* the program's signal, collected while held */
		t->has_pending = false;
		if (trap)
			settle_trap(T, t);
		T->watch->clear(t->tid);
	}
	struct thread *live = NULL; /* the bytes are written through a held thread not gone */
	for (int i = 0; i < T->nthreads && !live; i++)
		if (!T->threads[i].gone)
			live = &T->threads[i];
	while (live && T->nbps)
		bp_remove(T, live->tid, T->bps[0].addr);
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->resume_sig);
	}
	if (T->pending_clone) {
		/* Created while we were leaving: it has no registers of ours; let it go. */
		int st;
		wait_status(T->pending_clone, &st, __WALL);
		ptrace(PTRACE_DETACH, T->pending_clone, 0, 0);
	}
	T->nthreads = 0;
}

/* ---- the loop ---- */

/* A SIGTRAP in the loop: a watch hit, one of our breakpoints, or the program's own. */
static void handle_trap(struct target *T, struct thread *t, struct stop *out)
{
	struct trap_verdict v;
	if (!take_trap(T, t, &out->regs, &v))
		return; /* gone */
	if (v.owner == TRAP_WATCH) {
		out->kind = STOP_WATCH;
		out->mask = v.mask;
	} else if (v.owner == TRAP_BREAKPOINT) {
		out->kind = STOP_BREAKPOINT;
		out->bp = bp_at(T, T->isa->pc(&out->regs));
	}
}

void target_finish_stop(struct target *T, struct stop *s, bool stepped_over)
{
	struct thread *t = s->tid ? thread_find(T, s->tid) : NULL;
	if (!t)
		return;
	if (s->kind == STOP_BREAKPOINT && !stepped_over) {
		regs_t regs;
		struct bp *b;
		if (!target_regs(T, t->tid, &regs))
			return;
		b = bp_at(T, T->isa->pc(&regs));
		if (b && b->inserted)
			step_over_bp(T, t, b);
		t = thread_find(T, s->tid);
	}
	if (t && t->stopped && !T->detach)
		target_resume(T, t);
}

void target_handle_status(struct target *T, pid_t tid, int st, struct stop *out)
{
	struct thread *t = thread_find(T, tid);
	memset(out, 0, sizeof *out);
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		thread_remove(T, tid);
		if (tid == T->pid) {
			T->done = true;
			T->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			T->exit_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		}
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	if (!t) {
		char task[64];
		snprintf(task, sizeof task, "/proc/%d/task/%d", (int)T->pid, (int)tid);
		if (access(task, F_OK) != 0) {
			/* A forked child's first stop, before its parent's fork event: keep it
			 * stopped until release_child sees that event. */
			if (T->nearly < (int)(sizeof T->early / sizeof T->early[0]))
				T->early[T->nearly++] = tid;
			return;
		}
		t = thread_born(T, tid); /* reported before its parent's clone event */
	}
	t->stopped = true;
	int ev = st >> 16, sig = WSTOPSIG(st);
	if (ev == PTRACE_EVENT_CLONE) {
		clone_event(T, tid);
		t = thread_find(T, tid); /* the table may have moved */
	} else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
		release_child(T, tid, ev);
	} else if (ev == PTRACE_EVENT_STOP) {
		if (t->fresh) {
			/* Registers are per thread and not inherited: arm it before it runs. */
			t->fresh = false;
			if (T->ready) {
				target_arm_thread(T, t, T->watches);
				out->kind = STOP_NEW_THREAD;
			}
		} else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* A group-stop: stay stopped, as untraced, until SIGCONT. */
			t->stopped = false;
			ptrace(PTRACE_LISTEN, tid, 0, 0);
			return;
		}
	} else if (ev == PTRACE_EVENT_EXEC) {
		/* The old image, its breakpoint bytes and (by the kernel) its debug registers are
		 * gone: nothing to restore in the new one. */
		note("pid %d called exec: the map is gone; detaching", (int)T->pid);
		T->nbps = 0;
		T->detach = true;
		T->detach_why = "exec";
	} else if (ev == 0 && sig == SIGTRAP) {
		handle_trap(T, t, out);
	} else if (ev == 0) {
		t->resume_sig = sig; /* the program's own signal */
	}
	out->tid = tid; /* the caller handles it, then target_finish_stop resumes it */
}

pid_t target_wait_or_signal(pid_t pid, const sigset_t *wake_on, int *st, int *sig, bool *by_tty,
			    const struct idle_hook *idle)
{
	sigset_t wake = *wake_on;
	sigaddset(&wake, SIGCHLD);
	*sig = 0;
	for (;;) {
		pid_t r = waitpid(pid, st, __WALL | WNOHANG);
		if (r != 0)
			return r;
		struct timespec wait = {0, idle ? idle->ns : 0};
		siginfo_t si;
		bool pending = idle && idle->pending(idle->ctx);
		int s = sigtimedwait(&wake, &si, pending ? &wait : NULL);
		if (s < 0 && errno == EAGAIN) {
			idle->run(idle->ctx);
		} else if (s > 0 && s != SIGCHLD) {
			*sig = s;
			*by_tty = si.si_code == SI_KERNEL;
			errno = EINTR;
			return -1;
		}
	}
}

pid_t target_next_status(struct target *T, const sigset_t *wake, int *st, int *sig, bool *by_tty,
			 const struct idle_hook *idle)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->has_pending) {
			t->has_pending = false;
			*st = t->pending_status;
			*sig = 0;
			return t->tid;
		}
	}
	return target_wait_or_signal(-1, wake, st, sig, by_tty, idle);
}

void target_resume_all(struct target *T)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->stopped && !t->has_pending)
			target_resume(T, t);
	}
}
