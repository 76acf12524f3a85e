/*
 * session.c: from the command line to a ready session, the loop, and the
 * way out. Setup: the map found through its source, the key parsed by its
 * type, the register budget checked, the mode started with every thread
 * stopped; every failure is one line and exit status 2. The loop takes each
 * stop of the target and dispatches it to the mode's table.
 */
#define _GNU_SOURCE
#include "session/session.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/diag.h"

volatile sig_atomic_t tracer_interrupted;
volatile sig_atomic_t tracer_interrupted_by_tty;

/* How long the loop may be idle with events not yet flushed to the file. */
#define IDLE_FLUSH_NS 50000000L

/* The sources tried, in turn, on -m. */
static const struct map_source *const sources[] = {&source_go, &source_hmap};

/* ---- the stream's side ---- */

/* A note into the JSON stream on standard error, as a note event. */
static void note_into_stream(void *ctx, const char *message)
{
	struct session *S = ctx;
	if (S->stream.out_errno) {
		fprintf(stderr, "mapviz-trace: %s\n", message);
		return;
	}
	struct event e = {.type = EV_NOTE, .tid = S->tg.pid};
	snprintf(e.message, sizeof e.message, "%s", message);
	stream_emit(&S->stream, &e);
}

/* The stream asks the session to end (-n reached, output lost). */
static void stream_ends(void *ctx, const char *why)
{
	struct session *S = ctx;
	S->tg.detach = true;
	S->tg.detach_why = why;
}

/* Before a setup error exits: notes queued for the JSON stream get out. */
static void flush_before_exit(void *ctx)
{
	struct session *S = ctx;
	stream_write_queued(&S->stream);
	stream_flush(&S->stream);
}

static bool idle_pending(void *ctx) { return ((struct stream *)ctx)->out_dirty; }
static void idle_flush(void *ctx) { stream_flush(ctx); }

/* ---- setup ---- */

/* The path of the traced program's executable into exe (empty when unknown); its length. */
static ssize_t program_exe(pid_t pid, char *exe, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, size - 1);
	exe[n > 0 ? n : 0] = '\0';
	return n;
}

static void emit_meta(struct session *S)
{
	struct meta m = {
		.program = S->opt.argv ? S->opt.argv[0] : NULL,
		.pid = S->tg.pid,
		.map = S->opt.map,
		.key = S->env.key.text,
		.mode = S->mode->name,
		.model = &S->model,
		.map_addr = model_map_addr(&S->tg.mem, &S->where),
	};
	char exe[256];
	if (!m.program) {
		program_exe(S->tg.pid, exe, sizeof exe);
		m.program = exe;
	}
	S->opt.writer->meta(S->stream.out, &m);
}

/* Resolves -m through the first source that knows it. */
static void resolve_map(struct session *S)
{
	struct target *T = &S->tg;
	char err[512] = "";
	int rc = 1;
	for (size_t i = 0; i < sizeof sources / sizeof sources[0] && rc == 1; i++)
		rc = sources[i]->resolve(T->dbg, &T->mem, S->opt.map, &S->where, &S->model, err,
					 sizeof err);
	if (rc == 0)
		return;
	char exe[4096];
	ssize_t n = program_exe(T->pid, exe, sizeof exe);
	uint64_t addr;
	if (n > 0 && !dbg_module_has_dwarf(T->dbg, exe))
		target_fail(T, "%s has no DWARF debug info (stripped binary?): cannot find map %s", exe,
			    S->opt.map);
	if (strncmp(err, "no such map", 11) == 0 && dbg_symbol_addr(T->dbg, S->opt.map, &addr))
		target_fail(T, "%s is not a map: it is a symbol without a variable's DWARF (a function?)",
			    S->opt.map);
	target_fail(T, "%s", err);
}

static void session_setup(struct session *S)
{
	struct target *T = &S->tg;
	struct mode_env *env = &S->env;
	char err[512];
	resolve_map(S);
	uint64_t map = model_map_addr(&T->mem, &S->where);
	if (map) {
		if (S->model.source->attach_instance(T->dbg, &T->mem, map, &S->where, &S->model,
						     warn_line, err, sizeof err) != 0)
			target_fail(T, "%s", err);
	} else if (!S->where.var_is_pointer || !S->where.layout_known) {
		target_fail(T, "map %s does not exist and its layout is not in its type", S->opt.map);
	}
	if (key_parse(&S->model, S->opt.key, &env->key, err, sizeof err) != 0)
		target_fail(T, "%s", err);
	char why[128];
	int need = S->model.design->slot_regions_needed(&S->model, why, sizeof why);
	if (need > (int)T->watch->nslots)
		target_fail(T, "following key %s of map %s needs %d watch regions (%s); %s has %u debug registers",
			    S->opt.key, S->opt.map, need, why, T->watch->name, T->watch->nslots);
	emit_meta(S);
	if (S->mode->start(env, thread_find(T, T->pid)) != 0)
		target_fail(T, "setup failed");
}

/* ---- the loop ---- */

/* Gives a stop that is ours to the mode. */
static void dispatch(struct session *S, struct stop *s)
{
	struct mode_env *env = &S->env;
	struct thread *t = thread_find(&S->tg, s->tid);
	bool stepped_over = false;
	struct hit h;
	switch (s->kind) {
	case STOP_WATCH:
		S->nhits++;
		if (S->mode->on_hit && S->hits->take(&S->tg, s, &h))
			S->mode->on_hit(env, &h);
		break;
	case STOP_BREAKPOINT:
		if (t && s->bp && S->mode->on_breakpoint)
			stepped_over = S->mode->on_breakpoint(env, t, &s->regs, s->bp);
		break;
	case STOP_NEW_THREAD:
		if (t && S->mode->on_new_thread)
			S->mode->on_new_thread(env, t);
		break;
	case STOP_NONE:
		break;
	}
	target_finish_stop(&S->tg, s, stepped_over);
}

/* Whether an ending signal is to be passed on to the program we launched: not when the
 * terminal sent it to the program's process group as well as to ours (Ctrl-C). */
static bool to_pass_on(struct session *S, bool by_tty)
{
	return S->tg.launched && !(by_tty && getpgid(S->tg.pid) == getpgrp());
}

static void pass_on(struct session *S, int sig, bool by_tty)
{
	if (to_pass_on(S, by_tty))
		kill(S->tg.pid, sig);
}

/* Waits for the program we launched (and detached from) to end, passing on to it every
 * ending signal the tracer gets meanwhile; its wait status, or -1. Threads of it that
 * exited before the detach are still ours to reap, and its own exit is reported only after
 * theirs: every child is reaped here. */
static int wait_launched(struct session *S)
{
	struct idle_hook idle = {IDLE_FLUSH_NS, idle_pending, idle_flush, &S->stream};
	for (;;) {
		int st, sig;
		bool by_tty;
		pid_t r = target_wait_or_signal(-1, &S->ending_signals, &st, &sig, &by_tty, &idle);
		if (r == S->tg.pid)
			return st;
		if (r > 0)
			continue;
		if (!sig)
			return -1;
		pass_on(S, sig, by_tty);
	}
}

/* The end of the stream: the exit event, why the session ended and with what status. */
static void emit_exit(struct session *S, const char *reason)
{
	struct event e = {.type = EV_EXIT, .tid = S->tg.pid, .exit_reason = reason,
			  .exit_code = S->tg.exit_code, .exit_signal = S->tg.exit_signal};
	stream_emit(&S->stream, &e);
	stream_write_queued(&S->stream);
}

/* Leaves a process still running: detached clean, and (launched) the ending signal passed
 * on to it, as strace does; its status, when it was ours, is waited for. */
static void leave_running(struct session *S)
{
	struct target *T = &S->tg;
	int sig = tracer_interrupted;
	if (sig == SIGPIPE && S->stream.out_errno == EPIPE)
		sig = 0; /* raised by our own write to a closed pipe, not sent to us */
	target_detach_all(T);
	const char *why = sig ? strsignal(sig) : T->detach_why ? T->detach_why : "leaving";
	note("%s: detached from pid %d after %llu watch hits, %llu events%s", why, (int)T->pid,
	     (unsigned long long)S->nhits, (unsigned long long)S->stream.nevents,
	     sig && to_pass_on(S, tracer_interrupted_by_tty) ? "; the signal is passed on to it" : "");
	T->exit_code = -1;
	T->exit_signal = 0;
	if (!T->launched)
		return;
	if (sig)
		pass_on(S, sig, tracer_interrupted_by_tty);
	stream_write_queued(&S->stream);
	stream_flush(&S->stream);
	int st = wait_launched(S);
	if (st != -1) {
		T->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		T->exit_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
}

/* The parts of each layer, wired together. */
static void session_init(struct session *S)
{
	struct target *T = &S->tg;
	struct mode_env *env = &S->env;
	S->stream.t0_ns = now_ns();
	S->stream.writer = S->opt.writer;
	S->stream.max_events = S->opt.max_events;
	S->stream.end = stream_ends;
	S->stream.end_ctx = S;
	T->watch = arch_watch();
	T->isa = isa_native();
	T->before_exit = flush_before_exit;
	T->before_exit_ctx = S;
	if (S->opt.writer == &writer_json && S->stream.out == stderr)
		diag_set_sink(note_into_stream, S);
	S->hits = &hits_ptrace;
	S->mode = S->opt.mode == MODE_DELETE ? (S->opt.step ? &mode_step : &mode_delete)
					     : (S->opt.reads ? &mode_race : &mode_slot);
	env->tg = T;
	env->model = &S->model;
	env->where = &S->where;
	env->stream = &S->stream;
	env->reads = S->opt.reads;
	env->stack = S->opt.stack;
}

int session_run(struct session *S)
{
	struct target *T = &S->tg;
	struct mode_env *env = &S->env;
	session_init(S);
	if (S->opt.attach_pid)
		target_attach(T, S->opt.attach_pid);
	else
		target_launch(T, S->opt.argv);
	/* The ending signals and SIGCHLD are taken at the loop's waits only (sigtimedwait): a
	 * SIGCHLD delivered between a waitpid that found nothing and the wait would be lost,
	 * and the wait would never end. */
	sigset_t blocked = S->ending_signals;
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	T->dis = env->dis = disasm_new(target_read_code, T);
	char err[512];
	T->dbg = env->dbg = dbg_open(T->pid, err, sizeof err);
	if (!T->dbg)
		target_fail(T, "%s", err);
	/* The unwinder names the operation of writes made outside map functions, and gives -s. */
	env->unw_ops = &unwind_dwfl;
	env->unw = env->unw_ops->init(T->dbg, T->pid);
	session_setup(S);
	T->ready = true;
	target_resume_all(T); /* what setup stopped */
	struct idle_hook idle = {IDLE_FLUSH_NS, idle_pending, idle_flush, &S->stream};
	/* Events on standard error or output share it with the program: each stop's events go
	 * out whole, so that the program's own lines (its dying message) fall between them. */
	bool shared = S->stream.out == stderr || S->stream.out == stdout;
	while (!T->done) {
		if (tracer_interrupted || T->detach)
			break;
		int st, sig;
		bool by_tty;
		pid_t tid = target_next_status(T, &S->ending_signals, &st, &sig, &by_tty, &idle);
		if (sig) {
			tracer_interrupted = sig;
			tracer_interrupted_by_tty = by_tty;
		}
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
		struct stop stop;
		target_handle_status(T, tid, st, &stop);
		dispatch(S, &stop);
		stream_write_queued(&S->stream);
		if (shared && S->stream.out_dirty)
			stream_flush(&S->stream);
	}
	stream_write_queued(&S->stream);
	const char *reason = T->exit_signal ? "killed" : "exited";
	if (!T->done) {
		leave_running(S);
		reason = "detached";
	}
	if (T->traps_status_lost || T->traps_spurious)
		note("%llu debug traps came with an empty debug status: %llu were hits on the regions "
		     "the instruction before them touched, %llu hit nothing and were dropped",
		     (unsigned long long)(T->traps_status_lost + T->traps_spurious),
		     (unsigned long long)T->traps_status_lost, (unsigned long long)T->traps_spurious);
	emit_exit(S, reason);
	FILE *out = S->stream.out;
	if (stream_flush(&S->stream) && out != stderr && out != stdout && fclose(out) != 0)
		stream_failed(&S->stream, errno);
	if (S->stream.out_errno)
		return 1;
	if (T->exit_code < 0 && !T->exit_signal)
		return 0; /* detached from a process not ours */
	return T->exit_signal ? 128 + T->exit_signal : T->exit_code;
}
