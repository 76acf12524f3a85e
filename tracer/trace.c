/*
 * trace.c: the ptrace loop. Starts or attaches to the process (PTRACE_SEIZE
 * of every thread, PTRACE_O_TRACECLONE for new ones), dispatches each stop
 * (a watch hit, a breakpoint, a new thread, a signal to pass on), and on the
 * way out clears every register and breakpoint byte before detaching.
 */
#define _GNU_SOURCE
#include "tracer.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define SEIZE_OPTIONS \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)

volatile sig_atomic_t tracer_interrupted;
volatile sig_atomic_t tracer_interrupted_by_tty;

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The session whose JSON stream is standard error: notes go into it as note events. */
static struct tracer *notes_into_stream;

static void vnote(const char *fmt, va_list ap)
{
	struct tracer *T = notes_into_stream;
	if (T && !T->out_errno) {
		struct event e = {.type = EV_NOTE, .tid = T->pid};
		vsnprintf(e.message, sizeof e.message, fmt, ap);
		emit(T, &e);
		return;
	}
	fputs("mapviz-trace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

static void detach_all(struct tracer *T);

void stream_failed(struct tracer *T, int err)
{
	if (T->out_errno)
		return;
	T->out_errno = err ? err : EIO;
	fprintf(stderr, "mapviz-trace: %s: %s\n", T->out_name, strerror(T->out_errno));
	T->detach = true;
	T->detach_why = "output lost";
	T->out_dirty = false;
}

bool stream_flush(struct tracer *T)
{
	if (T->out_errno)
		return false;
	errno = 0;
	if (fflush(T->out) != 0 || ferror(T->out)) {
		stream_failed(T, errno);
		return false;
	}
	T->out_dirty = false;
	return true;
}

/* waitpid, retried when a signal to the tracer (SIGINT, SIGTERM, SIGHUP) interrupts it. */
static pid_t wait_status(pid_t pid, int *st, int options)
{
	pid_t r;
	do
		r = waitpid(pid, st, options);
	while (r < 0 && errno == EINTR);
	return r;
}

/* A setup error: one line, the process left as it was (ours: killed), exit 2. */
void fatal_setup(struct tracer *T, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	if (T && notes_into_stream == T) {
		flush_events(T);
		stream_flush(T);
	}
	if (T && T->pid > 0) {
		if (T->launched) {
			kill(T->pid, SIGKILL);
			while (waitpid(T->pid, NULL, __WALL) > 0 || errno == EINTR)
				;
		} else {
			detach_all(T);
		}
	}
	exit(2);
}

/* ---- threads ---- */

struct thread *thread_find(struct tracer *T, pid_t tid)
{
	for (int i = 0; i < T->nthreads; i++)
		if (T->threads[i].tid == tid)
			return &T->threads[i];
	return NULL;
}

static struct thread *thread_add(struct tracer *T, pid_t tid)
{
	struct thread *t = thread_find(T, tid);
	if (t)
		return t;
	if (T->nthreads == T->cap) {
		int cap = T->cap ? 2 * T->cap : 16;
		struct thread *n = realloc(T->threads, (size_t)cap * sizeof *n);
		if (!n)
			fatal_setup(T, "out of memory");
		T->threads = n;
		T->cap = cap;
	}
	t = &T->threads[T->nthreads++];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	return t;
}

static void thread_remove(struct tracer *T, pid_t tid)
{
	struct thread *t = thread_find(T, tid);
	if (t)
		*t = T->threads[--T->nthreads];
}

static void resume(struct tracer *T, struct thread *t)
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
void hold_threads(struct tracer *T, struct thread *current)
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
		pid_t r = wait_status(t->tid, &st, __WALL);
		if (r < 0) {
			t->stopped = true; /* gone: nothing to arm */
			t->held = true;
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

void release_threads(struct tracer *T)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->held && !t->has_pending)
			resume(T, t);
	}
}

int arm_thread(struct tracer *T, struct thread *t, const struct region *r)
{
	struct watch w[ARCH_MAX_WATCH] = {{0}};
	for (unsigned i = 0; i < T->arch->nslots && i < ARCH_MAX_WATCH; i++)
		if (r[i].role != ROLE_NONE)
			w[i] = r[i].w;
	int rc = T->arch->set(t->tid, w);
	if (rc == -ESRCH)
		return -1;
	if (rc != 0) {
		note("setting debug registers of tid %d: %s", (int)t->tid, strerror(-rc));
		return 0;
	}
	return 1;
}

void arm_all(struct tracer *T, struct thread *current)
{
	bool print = !T->armed;
	T->armed = true;
	if (T->nthreads > 1)
		hold_threads(T, current);
	int ok = 0, n = 0;
	unsigned want = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (T->regions[i].role != ROLE_NONE)
			want |= 1u << i;
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->fresh)
			continue; /* armed at its first stop */
		int rc = arm_thread(T, t, T->regions);
		if (rc < 0)
			continue; /* exiting: nothing to arm */
		n++;
		if (rc == 0)
			continue;
		unsigned got;
		if (T->arch->enabled(t->tid, &got) == 0 && got == want)
			ok++;
	}
	if (print)
		note("armed on %d/%d threads", ok, n);
	else if (ok != n)
		note("re-armed on only %d/%d threads", ok, n);
	if (T->nthreads > 1)
		release_threads(T);
}

/* ---- breakpoints ---- */

struct bp *bp_at(struct tracer *T, uint64_t addr)
{
	for (int i = 0; i < T->nbps; i++)
		if (T->bps[i].addr == addr)
			return &T->bps[i];
	return NULL;
}

int bp_insert(struct tracer *T, pid_t tid, uint64_t addr, enum bp_kind kind)
{
	struct bp *b = bp_at(T, addr);
	if (b)
		return 0;
	if (T->nbps == MAX_BPS)
		return -1;
	b = &T->bps[T->nbps];
	b->addr = addr;
	b->kind = kind;
	if (!mem_poke_byte(tid, addr, 0xcc, &b->orig))
		return -1;
	b->inserted = true;
	T->nbps++;
	return 0;
}

void bp_remove(struct tracer *T, pid_t tid, uint64_t addr)
{
	struct bp *b = bp_at(T, addr);
	if (!b)
		return;
	if (b->inserted)
		mem_poke_byte(tid, b->addr, b->orig, NULL);
	T->bp_gone[T->nbp_gone++ % BP_GONE_KEPT] = b->addr;
	*b = T->bps[--T->nbps];
}

static bool bp_was_at(const struct tracer *T, uint64_t addr)
{
	unsigned n = T->nbp_gone < BP_GONE_KEPT ? T->nbp_gone : BP_GONE_KEPT;
	for (unsigned i = 0; i < n; i++)
		if (T->bp_gone[i] == addr)
			return true;
	return false;
}

bool read_code(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct tracer *T = ctx;
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

static const struct region *thread_regions(struct tracer *T, const struct thread *t)
{
	return t->local_watch ? T->del_regions : T->regions;
}

static bool any_armed(const struct region *r)
{
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (r[i].role != ROLE_NONE)
			return true;
	return false;
}

/* The regions of r the instruction ending at pc accessed in a way their watch traps on; sets
 * *int1 when that instruction is the program's own int1 (icebp). */
static unsigned regions_touched(struct tracer *T, const struct region *r,
				const struct user_regs_struct *regs, bool *int1)
{
	struct code_loc code;
	struct insn_info insn;
	bool have;
	uint8_t byte;
	uint64_t a;
	*int1 = false;
	code_of(T, regs->rip, false, &code, &insn, &have);
	if (!have)
		return 0;
	if (insn.len == 1 && insn.addr + 1 == regs->rip && read_code(T, insn.addr, &byte, 1) &&
	    byte == 0xf1)
		*int1 = true;
	if (!insn.mem_size || !disasm_mem_addr(&insn, regs, &a))
		return 0;
	unsigned mask = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (r[i].role != ROLE_NONE && (r[i].w.kind == WATCH_ACCESS || insn.writes_mem) &&
		    a < r[i].w.addr + r[i].w.len && a + insn.mem_size > r[i].w.addr)
			mask |= 1u << i;
	return mask;
}

/* Whether the program's code (as it is in memory, not ours) has an int3 ending at pc. */
static bool program_int3_at(struct tracer *T, uint64_t pc)
{
	uint8_t b[2];
	if (!mem_read(&T->mem, pc - 2, b, 2))
		return false;
	struct bp *ours = bp_at(T, pc - 1);
	return (b[1] == 0xcc && !(ours && ours->inserted)) || (b[0] == 0xcd && b[1] == 0x03);
}

/*
 * Whose the SIGTRAP thread t is stopped with is (regs: its registers): the
 * facts trap_classify needs, gathered only as far as the kind of trap needs
 * them (a hit with a debug status costs a siginfo and a status read). False
 * when the thread is gone.
 */
static bool whose_trap(struct tracer *T, struct thread *t, const struct user_regs_struct *regs,
		       bool stepping, struct trap_verdict *v)
{
	siginfo_t si;
	unsigned mask = 0;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) != 0 || T->arch->read_hits(t->tid, &mask) != 0)
		return false;
	struct trap_facts f = {
		.origin = trap_origin_of(si.si_code),
		.status_mask = mask,
		.status_fresh = T->arch->hits_fresh_each_trap(),
		.stepping = stepping,
	};
	if (mask && !f.status_fresh)
		T->arch->clear_hits(t->tid); /* the status keeps its bits until cleared */
	const struct region *r = thread_regions(T, t);
	if (f.origin == TRAP_FROM_INT3) {
		struct bp *b = bp_at(T, regs->rip - 1);
		f.bp_at_prev = b && b->inserted;
		f.bp_was_at_prev = bp_was_at(T, regs->rip - 1);
		f.int3_at_prev = program_int3_at(T, regs->rip);
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
static void release_child(struct tracer *T, pid_t parent, int ev)
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

/* Waits for one stop of tid, keeping signals for later delivery. */
static int wait_trap(struct tracer *T, struct thread *t)
{
	for (;;) {
		int st;
		if (wait_status(t->tid, &st, __WALL) < 0)
			return -1;
		if (!WIFSTOPPED(st)) {
			t->has_pending = true; /* exited: handled by the main loop */
			t->pending_status = st;
			return -1;
		}
		int ev = st >> 16;
		if (ev == 0 && WSTOPSIG(st) == SIGTRAP) {
			struct user_regs_struct regs;
			struct trap_verdict v;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) != 0 ||
			    !whose_trap(T, t, &regs, true, &v))
				return -1;
			if (v.owner != TRAP_PROGRAM)
				return 0; /* the step ended (with or without a hit on the way) */
		}
		if (ev == PTRACE_EVENT_CLONE) {
			unsigned long msg;
			pid_t tid = t->tid;
			if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0)
				thread_add(T, (pid_t)msg)->fresh = true;
			t = thread_find(T, tid); /* the table may have moved */
		} else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
			release_child(T, t->tid, ev);
		} else if (ev == 0) {
			t->resume_sig = WSTOPSIG(st); /* a signal: delivered when the thread resumes */
		}
		/* Any other event stop (an interrupt of ours): the step is still to be done. */
		ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0);
	}
}

bool single_step(struct tracer *T, struct thread *t)
{
	return ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) == 0 && wait_trap(T, t) == 0;
}

bool step_over_bp(struct tracer *T, struct thread *t, struct bp *b)
{
	uint64_t addr = b->addr;
	bool hold = T->nthreads > 1;
	pid_t tid = t->tid;
	if (hold)
		hold_threads(T, t);
	t = thread_find(T, tid);
	mem_poke_byte(t->tid, addr, b->orig, NULL);
	bool ok = ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) == 0 && wait_trap(T, t) == 0;
	b = bp_at(T, addr);
	if (b && b->inserted)
		mem_poke_byte(t->tid, addr, 0xcc, NULL);
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

static void launch(struct tracer *T)
{
	int e = runnable(T->opt.argv[0]);
	if (e)
		fatal_setup(T, "cannot run %s: %s", T->opt.argv[0], strerror(e));
	pid_t pid = fork();
	if (pid < 0)
		fatal_setup(T, "fork: %s", strerror(errno));
	if (pid == 0) {
		raise(SIGSTOP);
		execvp(T->opt.argv[0], T->opt.argv);
		fprintf(stderr, "mapviz-trace: exec %s: %s\n", T->opt.argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, WSTOPPED) != pid || !WIFSTOPPED(st))
		fatal_setup(T, "starting %s failed", T->opt.argv[0]);
	T->pid = pid;
	T->launched = true;
	if (ptrace(PTRACE_SEIZE, pid, 0, SEIZE_OPTIONS | PTRACE_O_EXITKILL) != 0)
		fatal_setup(T, "ptrace seize pid %d: %s", (int)pid, strerror(errno));
	struct thread *t = thread_add(T, pid);
	kill(pid, SIGCONT);
	/* Run to the exec, then to the program's entry point: by then the dynamic loader has
	 * mapped every library the program was linked with. */
	uint64_t entry = 0;
	for (;;) {
		if (wait_status(pid, &st, __WALL) != pid)
			fatal_setup(T, "waitpid %d: %s", (int)pid, strerror(errno));
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			T->pid = 0;
			fatal_setup(T, "%s exited before it started (exec failed?)", T->opt.argv[0]);
		}
		int ev = st >> 16;
		if (ev == PTRACE_EVENT_EXEC) {
			if (mem_open(&T->mem, pid) != 0)
				fatal_setup(T, "open /proc/%d/mem: %s", (int)pid, strerror(errno));
			entry = auxv_entry(pid);
			if (!entry || bp_insert(T, pid, entry, BP_ENTRY) != 0)
				fatal_setup(T, "cannot set a breakpoint at the entry of %s", T->opt.argv[0]);
		} else if (ev == 0 && WSTOPSIG(st) == SIGTRAP && entry) {
			struct user_regs_struct regs;
			ptrace(PTRACE_GETREGS, pid, 0, &regs);
			if (regs.rip - 1 == entry) {
				bp_remove(T, pid, entry);
				regs.rip = entry;
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

static void attach(struct tracer *T, pid_t pid)
{
	T->pid = pid;
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		T->pid = 0;
		fatal_setup(T, "no such process: pid %d", (int)pid);
	}
	/* Seize every thread; repeat until no new one appears (threads may be created meanwhile). */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	for (bool added = true; added;) {
		added = false;
		DIR *d = opendir(path);
		if (!d)
			fatal_setup(T, "opendir %s: %s", path, strerror(errno));
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || thread_find(T, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, SEIZE_OPTIONS) != 0) {
				int e = errno;
				closedir(d);
				if (e == ESRCH && tid != pid)
					continue;
				if (T->nthreads == 0)
					T->pid = 0; /* nothing of ours to undo */
				fatal_setup(T, "ptrace seize pid %d: %s", (int)tid, strerror(e));
			}
			struct thread *t = thread_add(T, tid);
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			t->stopped = false;
			added = true;
		}
		closedir(d);
	}
	/* Wait for each to stop. */
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
		fatal_setup(T, "open /proc/%d/mem: %s", (int)pid, strerror(errno));
}

/* ---- leaving ---- */

/* Whether SIGTRAP is queued for thread tid and not yet reported (/proc/PID/task/TID/status). */
static bool sigtrap_queued(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
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
static int take_queued_sigtrap(struct tracer *T, struct thread *t)
{
	if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
		return -1;
	for (;;) {
		int st;
		if (wait_status(t->tid, &st, __WALL) < 0 || !WIFSTOPPED(st))
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
static bool take_trap(struct tracer *T, struct thread *t, struct user_regs_struct *regs,
		      struct trap_verdict *v)
{
	if (ptrace(PTRACE_GETREGS, t->tid, 0, regs) != 0 || !whose_trap(T, t, regs, false, v))
		return false;
	if (v->owner == TRAP_PROGRAM)
		t->resume_sig = SIGTRAP;
	if (v->owner == TRAP_BREAKPOINT || v->owner == TRAP_BREAKPOINT_GONE) {
		regs->rip--;
		ptrace(PTRACE_SETREGS, t->tid, 0, regs);
	}
	return true;
}

/* Leaves held thread t, stopped with a SIGTRAP not yet handled, as if untraced (a hit is
 * dropped: the events end here). */
static void settle_trap(struct tracer *T, struct thread *t)
{
	struct user_regs_struct regs;
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
static void detach_all(struct tracer *T)
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
		T->arch->clear(t->tid);
	}
	while (T->nbps)
		bp_remove(T, T->threads[0].tid, T->bps[0].addr); /* every thread is held */
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
static void handle_trap(struct tracer *T, struct thread *t)
{
	struct user_regs_struct regs;
	struct trap_verdict v;
	if (!take_trap(T, t, &regs, &v))
		return; /* gone */
	if (v.owner == TRAP_WATCH) {
		T->nhits++;
		if (t->local_watch)
			delete_hit(T, t, v.mask, &regs);
		else
			slot_hit(T, t, v.mask, &regs);
		return;
	}
	if (v.owner != TRAP_BREAKPOINT)
		return;
	struct bp *b = bp_at(T, regs.rip);
	switch (b->kind) {
	case BP_DELETE:
		delete_entry(T, t, &regs);
		break;
	case BP_FREE:
		if (regs.rdi == T->map_addr && T->map_addr)
			slot_map_freed(T, t);
		break;
	case BP_RETURN:
		delete_return(T, t, &regs, b);
		return;
	case BP_ENTRY:
		break;
	}
	if (!thread_find(T, t->tid) || ptrace(PTRACE_GETREGS, t->tid, 0, &regs) != 0)
		return;
	b = bp_at(T, regs.rip);
	if (b && b->inserted && thread_find(T, t->tid))
		step_over_bp(T, thread_find(T, t->tid), b);
}

static void handle_status(struct tracer *T, pid_t tid, int st)
{
	struct thread *t = thread_find(T, tid);
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
		t = thread_add(T, tid); /* a new thread reported before its parent's clone event */
		t->fresh = true;
	}
	t->stopped = true;
	int ev = st >> 16, sig = WSTOPSIG(st);
	if (ev == PTRACE_EVENT_CLONE) {
		unsigned long msg;
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && !thread_find(T, (pid_t)msg)) {
			thread_add(T, (pid_t)msg)->fresh = true;
			t = thread_find(T, tid);
		}
	} else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
		release_child(T, tid, ev);
	} else if (ev == PTRACE_EVENT_STOP) {
		if (t->fresh) {
			/* Registers are per thread and not inherited: arm it before it runs. */
			t->fresh = false;
			if (T->setup_done)
				arm_thread(T, t, T->regions);
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
		handle_trap(T, t);
		t = thread_find(T, tid);
	} else if (ev == 0) {
		t->resume_sig = sig; /* the program's own signal */
	}
	if (t && t->stopped && !T->detach)
		resume(T, t);
}

/* How long the loop may be idle with events not yet flushed to the file. */
#define IDLE_FLUSH_NS 50000000L

/*
 * waitpid(pid, ...) that also returns when an ending signal comes. The ending
 * signals and SIGCHLD are blocked while the tracer runs and taken here only,
 * so none can slip in between a check and a wait that would then block. The
 * pid that reported (status in *st); or -1 with errno EINTR and the signal in
 * *sig (*by_tty: sent by the terminal); or -1 with waitpid's errno. Events
 * not yet in the file are flushed when nothing happened for a moment.
 */
static pid_t wait_or_signal(struct tracer *T, pid_t pid, int *st, int *sig, bool *by_tty)
{
	sigset_t wake = T->ending_signals;
	sigaddset(&wake, SIGCHLD);
	*sig = 0;
	for (;;) {
		pid_t r = waitpid(pid, st, __WALL | WNOHANG);
		if (r != 0)
			return r;
		struct timespec idle = {0, IDLE_FLUSH_NS};
		siginfo_t si;
		int s = sigtimedwait(&wake, &si, T->out_dirty ? &idle : NULL);
		if (s < 0 && errno == EAGAIN) {
			stream_flush(T);
		} else if (s > 0 && s != SIGCHLD) {
			*sig = s;
			*by_tty = si.si_code == SI_KERNEL;
			errno = EINTR;
			return -1;
		}
	}
}

/* The next stop or exit of a traced thread (pending ones first); -1 with EINTR when an
 * ending signal came (tracer_interrupted says which). */
static pid_t next_status(struct tracer *T, int *st)
{
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->has_pending) {
			t->has_pending = false;
			*st = t->pending_status;
			return t->tid;
		}
	}
	int sig;
	bool by_tty;
	pid_t r = wait_or_signal(T, -1, st, &sig, &by_tty);
	if (sig) {
		tracer_interrupted = sig;
		tracer_interrupted_by_tty = by_tty;
	}
	return r;
}

/* Whether an ending signal is to be passed on to the program we launched: not when the
 * terminal sent it to the program's process group as well as to ours (Ctrl-C). */
static bool to_pass_on(struct tracer *T, bool by_tty)
{
	return T->launched && !(by_tty && getpgid(T->pid) == getpgrp());
}

static void pass_on(struct tracer *T, int sig, bool by_tty)
{
	if (to_pass_on(T, by_tty))
		kill(T->pid, sig);
}

/* Waits for the program we launched (and detached from) to end, passing on to it every
 * ending signal the tracer gets meanwhile; its wait status, or -1. */
static int wait_launched(struct tracer *T)
{
	for (;;) {
		int st, sig;
		bool by_tty;
		if (wait_or_signal(T, T->pid, &st, &sig, &by_tty) == T->pid)
			return st;
		if (!sig)
			return -1;
		pass_on(T, sig, by_tty);
	}
}

/* The end of the stream: the exit event, why the session ended and with what status. */
static void emit_exit(struct tracer *T, const char *reason)
{
	struct event e = {.type = EV_EXIT, .tid = T->pid, .exit_reason = reason,
			  .exit_code = T->exit_code, .exit_signal = T->exit_signal};
	emit(T, &e);
	flush_events(T);
}

/* Leaves a process still running: detached clean, and (launched) the ending signal passed
 * on to it, as strace does; its status, when it was ours, is waited for. */
static void leave_running(struct tracer *T)
{
	int sig = tracer_interrupted;
	if (sig == SIGPIPE && T->out_errno == EPIPE)
		sig = 0; /* raised by our own write to a closed pipe, not sent to us */
	detach_all(T);
	const char *why = sig ? strsignal(sig) : T->detach_why ? T->detach_why : "leaving";
	note("%s: detached from pid %d after %llu watch hits, %llu events%s", why, (int)T->pid,
	     (unsigned long long)T->nhits, (unsigned long long)T->nevents,
	     sig && to_pass_on(T, tracer_interrupted_by_tty) ? "; the signal is passed on to it" : "");
	T->exit_code = -1;
	T->exit_signal = 0;
	if (!T->launched)
		return;
	if (sig)
		pass_on(T, sig, tracer_interrupted_by_tty);
	flush_events(T);
	stream_flush(T);
	int st = wait_launched(T);
	if (st != -1) {
		T->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		T->exit_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
}

int tracer_run(struct tracer *T)
{
	T->t0_ns = now_ns();
	if (T->opt.writer == &writer_json && T->out == stderr)
		notes_into_stream = T;
	if (T->opt.attach_pid)
		attach(T, T->opt.attach_pid);
	else
		launch(T);
	sigprocmask(SIG_BLOCK, &T->ending_signals, NULL);
	T->dis = disasm_new(read_code, T);
	char err[512];
	T->dbg = dbg_open(T->pid, err, sizeof err);
	if (!T->dbg)
		fatal_setup(T, "%s", err);
	/* The unwinder names the operation of writes made outside map functions, and gives -s. */
	T->unw_ops = &unwind_dwfl;
	T->unw = T->unw_ops->init(T->dbg, T->pid);
	if (session_setup(T) != 0)
		fatal_setup(T, "setup failed");
	T->setup_done = true;
	/* Resume what setup stopped. */
	for (int i = 0; i < T->nthreads; i++) {
		struct thread *t = &T->threads[i];
		if (t->stopped && !t->has_pending)
			resume(T, t);
	}
	while (!T->done) {
		if (tracer_interrupted || T->detach)
			break;
		int st;
		pid_t tid = next_status(T, &st);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD) {
				T->done = true;
				break;
			}
			note("waitpid: %s", strerror(errno));
			break;
		}
		handle_status(T, tid, st);
		flush_events(T);
	}
	flush_events(T);
	const char *reason = T->exit_signal ? "killed" : "exited";
	if (!T->done) {
		leave_running(T);
		reason = "detached";
	}
	if (T->traps_status_lost || T->traps_spurious)
		note("%llu debug traps came with an empty debug status: %llu were hits on the regions "
		     "the instruction before them touched, %llu hit nothing and were dropped",
		     (unsigned long long)(T->traps_status_lost + T->traps_spurious),
		     (unsigned long long)T->traps_status_lost, (unsigned long long)T->traps_spurious);
	emit_exit(T, reason);
	if (stream_flush(T) && T->out != stderr && T->out != stdout && fclose(T->out) != 0)
		stream_failed(T, errno);
	if (T->out_errno)
		return 1;
	if (T->exit_code < 0 && !T->exit_signal)
		return 0; /* detached from a process not ours */
	return T->exit_signal ? 128 + T->exit_signal : T->exit_code;
}
