/*
 * race.c: race mode, the cross-thread race witness (--reads). Slot mode
 * with every access to the key's cells watched, and two things more:
 *
 * Who is inside a write. Every write operation of the classic design (assign,
 * delete, clear; growth and evacuation happen inside them) sets the map's
 * writer flag (hashWriting) when it begins and clears it when it ends. The
 * register slot mode gives the buckets pointer watches the header's flags
 * byte instead, for writes: the thread that set the flag, seen at the trap
 * right after its store, is the writer until the thread clearing it is seen.
 * That is known, not guessed from stacks. Growth is still seen: the buckets
 * pointer is written only inside a write operation, so at the end of each one
 * the key is looked up again when the pointer changed (slot_follow_growth).
 *
 * The race. A thread touching the cells (through the map's functions or a
 * pointer) while another holds the flag races with it: a race event with the
 * access, both threads' stacks (every thread held while they are taken), and
 * the writer's op. A reader the map's own check stops at entry ("concurrent
 * map read and map write": hmap's fatal, Go's runtime.fatal) never touches the
 * cells: a breakpoint on the check's function reports its race first, the
 * reader's stack at the check, the writer's where it is, and flushes the
 * stream before the program goes on to its own death. A check that fires while
 * the writer's trap is being handled is looked for each time a write ends, so
 * that the writer's stack is still inside its write.
 *
 * Cost: nothing between hits (no thread is stopped unless it touches the key's
 * cells or the flag, or reaches a check); each write operation on the map costs
 * two stops (the flag set and cleared).
 */
#define _GNU_SOURCE
#include "modes/mode.h"
#include "modes/report.h"
#include "modes/slot.h"
#include "base/diag.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

/* The register of the writer flag among the slot's regions, or -1. */
static int flag_region(const struct mode_env *T)
{
	for (int i = 0; i < ARCH_MAX_WATCH; i++)
		if (T->regions[i].role == ROLE_FLAGS)
			return i;
	return -1;
}

/* The flags byte as memory holds it now (0 when unreadable). */
static unsigned flags_now(struct mode_env *T)
{
	uint8_t v = 0;
	if (T->map_addr)
		mem_read(&T->tg->mem, T->map_addr + T->model->hdr[FIELD_FLAGS].off, &v, 1);
	return v;
}

static bool writing(const struct mode_env *T, unsigned flags)
{
	return flags & (unsigned)T->model->writing_flag;
}

/* The op of stopped thread tid where it is. */
static enum map_op op_now(struct mode_env *T, pid_t tid)
{
	regs_t r;
	return target_regs(T->tg, tid, &r) ? op_of(T, tid, T->tg->isa->pc(&r)) : OP_NONE;
}

static void set_holder(struct mode_env *T, pid_t tid, enum map_op op)
{
	T->race.holder = tid;
	T->race.holder_op = op;
}

/*
 * Every other thread held: the thread that set the flag memory shows set, when its trap has
 * not been handled yet (it waits, pending, right after its store; the flag's register says
 * so in its debug status). It becomes the holder now, and its trap, handled later, finds
 * the flag as it left it.
 */
static pid_t pending_setter(struct mode_env *T, struct thread *current)
{
	int fr = flag_region(T);
	for (int i = 0; fr >= 0 && i < T->tg->nthreads; i++) {
		struct thread *o = &T->tg->threads[i];
		int st = o->pending_status;
		unsigned mask;
		if (o == current || !o->has_pending || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
		    (st >> 16) != 0 || T->tg->watch->read_hits(o->tid, &mask) != 0 ||
		    !(mask & (1u << fr)))
			continue;
		set_holder(T, o->tid, op_now(T, o->tid));
		T->regions[fr].shadow[0] = (uint8_t)flags_now(T);
		return o->tid;
	}
	return 0;
}

/* Every other thread held: the writer inside the map now (flag set), or 0. */
static pid_t writer_now(struct mode_env *T, struct thread *current)
{
	if (!writing(T, flags_now(T)))
		return 0;
	return T->race.holder ? T->race.holder : pending_setter(T, current);
}

static bool stack_in_write(const struct mode_env *T, const struct stack *s)
{
	for (int i = 0; i < s->n; i++)
		if (map_op_writes(source_op_of(T->model->source, s->f[i].func)))
			return true;
	return false;
}

/*
 * The writer's stack, every thread held, into *s. A Go write can go on on another thread
 * than the one that set the flag (its goroutine taken up by another M at a stack check):
 * when the holder's stack is in no write, the held thread whose stack is takes its place.
 * The writer's tid, or 0 when that is the accessing thread itself (its own write, moved).
 */
static pid_t writer_stack(struct mode_env *T, struct thread *current, pid_t writer,
			  struct stack *s)
{
	s->n = 0;
	if (!T->unw || T->unw_ops->walk(T->unw, writer, s, EVENT_MAX_FRAMES) <= 0 ||
	    stack_in_write(T, s))
		return writer;
	for (int i = 0; i < T->tg->nthreads; i++) {
		struct thread *o = &T->tg->threads[i];
		struct stack os;
		if (o->tid == writer || o->fresh ||
		    T->unw_ops->walk(T->unw, o->tid, &os, EVENT_MAX_FRAMES) <= 0 || !stack_in_write(T, &os))
			continue;
		set_holder(T, o->tid, op_of(T, o->tid, os.f[0].pc));
		if (o == current)
			return 0;
		*s = os;
		return o->tid;
	}
	return writer; /* descheduled inside its write: where its thread is now */
}

/* Fills e's other side with writer w (held) and emits e: true when emitted. */
static bool emit_with_writer(struct mode_env *T, struct thread *t, struct event *e, pid_t w,
			     enum map_op op)
{
	pid_t who = writer_stack(T, t, w, &e->other_stack);
	if (!who || who == t->tid)
		return false;
	e->type = EV_RACE;
	e->other_tid = who;
	e->other_op = who == T->race.holder ? T->race.holder_op : op;
	mode_emit(T, e);
	return true;
}

/* A race event when access (just emitted by t) happened while another thread writes. */
static void race_check(struct mode_env *T, struct thread *t, const struct event *access)
{
	if (T->tg->detach || !T->map_addr || T->race.holder == t->tid || !writing(T, flags_now(T)))
		return; /* the cheap path: no other thread is inside a write (or -n was reached) */
	hold_threads(T->tg, t);
	pid_t w = writer_now(T, t);
	if (w && w != t->tid) {
		struct event e = *access;
		e.access_writes = access->type == EV_WRITE;
		if (!e.has_stack)
			e.has_stack = event_stack(T, t->tid, access->code.pc, &e.stack);
		emit_with_writer(T, t, &e, w, T->race.holder_op);
	}
	release_threads(T->tg);
}

/* ---- the map's own check ---- */

static const struct check_func *check_at(const struct mode_env *T, uint64_t addr)
{
	const struct check_func *c = T->model->source->checks;
	for (int i = 0; i < SOURCE_MAX_CHECK && c[i].symbol; i++)
		if (addr && T->race.check_addr[i] == addr)
			return &c[i];
	return NULL;
}

/* Whether the call of check c that regs entered is the concurrent-access check of our map. */
static bool is_map_check(struct mode_env *T, const struct check_func *c, const regs_t *regs)
{
	static const char want[] = "concurrent map ";
	const struct isa *isa = T->tg->isa;
	char msg[sizeof want] = "";
	uint64_t at = isa->arg(regs, c->abi, c->msg_arg);
	size_t n = sizeof want - 1;
	if (c->msg_go_string && isa->arg(regs, c->abi, c->msg_arg + 1) < n)
		return false;
	if (c->map_arg >= 0 && isa->arg(regs, c->abi, c->map_arg) != T->map_addr)
		return false;
	return T->map_addr && mem_read(&T->tg->mem, at, msg, n) && memcmp(msg, want, n) == 0;
}

/*
 * The race of thread t, stopped at the entry of the map's check (regs), with writer w held
 * or stopped: the access is the check's read of the flags, at the check's call; t's stack
 * starts in the check function. Flushed before t goes on to end the program.
 */
static void report_check(struct mode_env *T, struct thread *t, const regs_t *regs, pid_t w,
			 enum map_op wop)
{
	const struct map_model *l = T->model;
	const struct isa *isa = T->tg->isa;
	uint64_t ret = isa->pc(regs);
	unsigned seen = flags_now(T) | (unsigned)l->writing_flag; /* what the check read */
	struct event e = {
		.type = EV_RACE,
		.tid = t->tid,
		.op = op_of(T, t->tid, isa->pc(regs)),
		.field = FIELD_FLAGS,
		.field_name = field_name(l, FIELD_FLAGS),
		.at = {.in_bucket = false, .slot = -1},
		.addr = T->map_addr + l->hdr[FIELD_FLAGS].off,
		.size = 1,
		.old = seen,
		.new = seen,
	};
	/* The call of the check: it never returns, so the return address may be the next
	 * function's first byte; the call ends there, in the function holding the byte before. */
	struct insn_info insn;
	bool have;
	const struct sym_info *caller;
	if (isa->return_address(&T->tg->mem, regs, &ret) &&
	    (caller = dbg_symbolize(T->dbg, ret - 1))->func_start &&
	    disasm_writer(T->dis, caller->func_start, ret, &insn))
		code_of(T->dbg, T->dis, insn.addr, true, &e.code, &insn, &have);
	model_flags_str(l, seen, e.new_decoded, sizeof e.new_decoded);
	memcpy(e.old_decoded, e.new_decoded, sizeof e.old_decoded);
	e.has_stack = T->unw && T->unw_ops->walk(T->unw, t->tid, &e.stack, EVENT_MAX_FRAMES) > 0;
	if (emit_with_writer(T, t, &e, w, wop)) {
		stream_write_queued(T->stream);
		stream_flush(T->stream);
	}
}

static void check_entered(struct mode_env *T, struct thread *t, const regs_t *regs, uint64_t at);

/*
 * Writer w is stopped inside its write, at the store that ends it: a thread the check
 * stopped meanwhile may be waiting at the check's breakpoint, its stop not yet handled. That
 * stop is handled now (its race reported with w's stack still in the write, the thread
 * stepped past the breakpoint and let go to its end).
 */
static void checks_during_write(struct mode_env *T, struct thread *w)
{
	if (!T->race.check_addr[0] && !T->race.check_addr[1])
		return;
	target_collect_stops(T->tg, w);
	for (int i = 0; i < T->tg->nthreads; i++) {
		struct thread *o = &T->tg->threads[i];
		int st = o->pending_status;
		regs_t r;
		if (o == w || !o->has_pending || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
		    !target_regs(T->tg, o->tid, &r) || !check_at(T, T->tg->isa->pc(&r) - 1))
			continue; /* (an int3 trap leaves pc after it) */
		o->has_pending = false;
		struct stop stop;
		target_handle_status(T->tg, o->tid, st, &stop);
		if (stop.kind == STOP_BREAKPOINT && stop.bp)
			check_entered(T, thread_find(T->tg, stop.tid), &stop.regs, stop.bp->addr);
		target_finish_stop(T->tg, &stop, false);
		i = -1; /* the threads may have changed: look again */
	}
}

/* Thread t wrote the writer flag's byte (region r): who is inside a write. True when a write
 * operation ended (the key may have moved: growth). */
static bool race_flag_hit(struct mode_env *T, struct thread *t, const regs_t *regs,
			  struct region *r)
{
	uint8_t now;
	if (!mem_read(&T->tg->mem, r->w.addr, &now, 1))
		return false;
	bool was = writing(T, r->shadow[0]), is = writing(T, now);
	r->shadow[0] = now;
	if (is && !was) {
		/* Only a write operation sets the flag. A thread outside one that wrote the byte
		 * (an iteration's atomic or of its own bits) found it already set by another
		 * thread, whose trap is pending: that one is the holder. */
		enum map_op op = op_of(T, t->tid, T->tg->isa->pc(regs));
		if (map_op_writes(op)) {
			set_holder(T, t->tid, op);
		} else {
			hold_threads(T->tg, t);
			pending_setter(T, t);
			release_threads(T->tg);
		}
		return false;
	}
	if (!was || is)
		return false; /* another bit of the byte (growth's sameSizeGrow, iterator) */
	enum map_op op = T->race.holder == t->tid ? T->race.holder_op
						  : op_of(T, t->tid, T->tg->isa->pc(regs));
	set_holder(T, t->tid, op); /* (the writer, should its set have gone unseen) */
	checks_during_write(T, t);
	T->race.last_holder = t->tid;
	T->race.last_op = op;
	set_holder(T, 0, OP_NONE);
	return true;
}

/* Thread t at the entry of a check (regs): its race, when it is the check of our map. */
static void check_entered(struct mode_env *T, struct thread *t, const regs_t *regs, uint64_t at)
{
	const struct check_func *c = check_at(T, at);
	if (!t || T->tg->detach || !c || !is_map_check(T, c, regs))
		return;
	hold_threads(T->tg, t);
	/* The writer inside now, or the one that left last: the check saw the flag it set. */
	pid_t w = writer_now(T, t);
	if (!w)
		w = T->race.holder ? T->race.holder : T->race.last_holder;
	enum map_op wop = w == T->race.holder ? T->race.holder_op : T->race.last_op;
	if (w && w != t->tid)
		report_check(T, t, regs, w, wop);
	else
		note("tid %d: the map's own check stops it, and no writer of the map was seen",
		     (int)t->tid);
	release_threads(T->tg);
}

static bool is_cell(enum watch_role role)
{
	return role == ROLE_CELL || role == ROLE_KEYCELL || role == ROLE_ELEMCELL;
}

/* A hit: the writer flag's register is the witness's; the rest is slot mode's, and an
 * access of the key's cells among it is checked for a race. */
static void race_hit(struct mode_env *T, const struct hit *h)
{
	struct thread *t = thread_find(T->tg, h->tid);
	if (!t)
		return;
	struct hit rest = *h;
	bool cells = false;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++) {
		if (!(h->mask & (1u << i)))
			continue;
		struct region *r = &T->regions[i];
		cells |= is_cell(r->role);
		if (r->role == ROLE_FLAGS) {
			rest.mask &= ~(1u << i);
			if (race_flag_hit(T, t, &h->regs, r))
				slot_follow_growth(T, t);
		}
	}
	struct stream *s = T->stream;
	stream_write_queued(s); /* the hit's own events stay in the queue, to be looked at */
	slot_hit(T, &rest);
	struct event access;
	bool found = false;
	for (int i = 0; cells && i < s->nqueued; i++) {
		const struct event *e = &s->queue[i];
		if ((e->type == EV_READ || e->type == EV_WRITE) && !field_in_header(e->field)) {
			access = *e;
			found = true;
		}
	}
	if (found)
		race_check(T, t, &access);
}

static bool race_breakpoint(struct mode_env *T, struct thread *t, regs_t *regs, struct bp *b)
{
	if (b && b->kind == BP_CHECK) {
		check_entered(T, t, regs, b->addr);
		return false;
	}
	return slot_breakpoint(T, t, regs, b);
}

/* Breakpoints on the source's checks; a check not found is said, once. */
static void set_check_breakpoints(struct mode_env *T)
{
	const struct check_func *c = T->model->source->checks;
	for (int i = 0; i < SOURCE_MAX_CHECK && c[i].symbol; i++) {
		uint64_t addr;
		bool found = c[i].anchor ? dbg_symbol_addr_beside(T->dbg, c[i].symbol, c[i].anchor, &addr)
					 : dbg_symbol_addr(T->dbg, c[i].symbol, &addr);
		if (found && bp_insert(T->tg, T->tg->pid, addr, BP_CHECK) == 0)
			T->race.check_addr[i] = addr;
		else if (i == 0)
			note("no breakpoint on %s, the map's own concurrent-access check: a race it stops "
			     "is reported only if the reader touched the key's cells",
			     c[i].symbol);
	}
}

static int race_begin(struct mode_env *T, struct thread *current)
{
	T->reads = true;
	memset(&T->race, 0, sizeof T->race);
	set_check_breakpoints(T);
	return slot_begin(T, current);
}

const struct mode_ops mode_race = {
	.name = "slot",
	.start = race_begin,
	.on_hit = race_hit,
	.on_breakpoint = race_breakpoint,
};
