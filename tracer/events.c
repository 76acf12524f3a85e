/*
 * events.c: from a trap to events. Which instruction wrote (the one before
 * the trap pc), where it is (function, line), which map operation it belongs
 * to (the nearest map function on the stack), and what it changed, field by
 * field, decoded with the layout's names.
 */
#define _GNU_SOURCE
#include "tracer.h"

#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>

void emit(struct tracer *T, struct event *e)
{
	e->seq = ++T->seq;
	e->t_ns = now_ns() - T->t0_ns;
	if (T->nqueued == (int)(sizeof T->queue / sizeof T->queue[0]))
		flush_events(T);
	T->queue[T->nqueued++] = *e;
	bool counted = e->type == EV_WRITE || e->type == EV_READ || e->type == EV_RACE;
	if (counted && ++T->nevents == T->opt.max_events) {
		T->detach = true;
		T->detach_why = "-n reached";
	}
}

void flush_events(struct tracer *T)
{
	if (T->out_errno)
		T->nqueued = 0; /* the stream is lost: nothing more goes to it */
	for (int i = 0; i < T->nqueued; i++)
		T->opt.writer->event(T->out, &T->queue[i]);
	if (T->nqueued)
		T->out_dirty = true;
	T->nqueued = 0;
	if (ferror(T->out))
		stream_failed(T, errno);
}

void place_of_loc(const struct loc *l, struct place *p)
{
	p->in_bucket = l->valid;
	p->old = l->old;
	p->bucket = l->bucket;
	p->overflow = l->overflow;
	p->slot = l->valid ? (int)l->slot : -1;
}

const char *op_name(struct tracer *T, const char *func)
{
	if (!func)
		return NULL;
	/* Compiler-split parts (hmap_assign.cold, evacuate.part.0) belong to their function. */
	size_t n = strcspn(func, ".");
	for (const struct op_func *o = T->lp->ops; o->symbol; o++)
		if (strlen(o->symbol) == n && strncmp(o->symbol, func, n) == 0)
			return o->op;
	return NULL;
}

static bool is_op_func(struct tracer *T, const char *func, const char **op)
{
	*op = op_name(T, func);
	return *op != NULL;
}

const char *op_of(struct tracer *T, pid_t tid, uint64_t pc)
{
	const char *op;
	if (is_op_func(T, dbg_symbolize(T->dbg, pc)->func, &op))
		return op;
	/* Not directly in a map function (a helper, memset, or foreign code): look up the stack. */
	struct stack s;
	if (T->unw && T->unw_ops->walk(T->unw, tid, &s, EVENT_MAX_FRAMES) > 0)
		for (int i = 1; i < s.n; i++)
			if (is_op_func(T, s.f[i].func, &op))
				return op;
	return "foreign";
}

void code_of(struct tracer *T, uint64_t trap_pc, bool exact, struct code_loc *c,
	     struct insn_info *insn, bool *have_insn)
{
	memset(c, 0, sizeof *c);
	const struct sym_info *s = dbg_symbolize(T->dbg, trap_pc);
	*have_insn = false;
	if (exact)
		*have_insn = disasm_at(T->dis, trap_pc, insn);
	else if (s->func_start)
		*have_insn = disasm_writer(T->dis, s->func_start, trap_pc, insn);
	c->pc = *have_insn ? insn->addr : trap_pc;
	if (*have_insn)
		snprintf(c->insn, sizeof c->insn, "%s", insn->text);
	const struct sym_info *w = dbg_symbolize(T->dbg, c->pc);
	c->func = w->func;
	c->off = w->func ? c->pc - w->func_start : 0;
	c->file = w->file;
	c->line = w->line;
}

/*
 * The walk's first frames are where the thread stopped, after the write: they become the
 * writing instruction's (its inline frames and function).
 */
static void stack_top_at(struct tracer *T, struct stack *s, uint64_t pc)
{
	int skip = 0;
	while (skip < s->n && s->f[skip].inlined)
		skip++;
	struct stack top = {.n = 0};
	dbg_push_frames(T->dbg, &top, pc, false);
	for (int i = skip + 1; i < s->n && top.n < EVENT_MAX_FRAMES; i++)
		top.f[top.n++] = s->f[i];
	*s = top;
}

static void decode(struct tracer *T, const char *field, bool is_key_or_elem, bool is_key,
		   const uint8_t *b, unsigned n, uint64_t v, char *out, size_t outlen)
{
	const struct map_layout *l = &T->layout;
	out[0] = '\0';
	if (strcmp(field, "tophash") == 0) {
		const char *s = layout_state_name(l, (unsigned)v);
		if (s)
			snprintf(out, outlen, "%s", s);
	} else if (strcmp(field, "flags") == 0) {
		layout_flags_str(l, (unsigned)v, out, outlen);
	} else if (is_key_or_elem) {
		value_text(l, is_key, b, n, &T->mem, out, outlen);
	} else if (strcmp(field, "count") == 0 || strcmp(field, "B") == 0 ||
		   strcmp(field, "noverflow") == 0 || strcmp(field, "nevacuate") == 0) {
		snprintf(out, outlen, "%llu", (unsigned long long)v);
	}
}

void report_range(struct tracer *T, pid_t tid, const struct code_loc *code, bool writes,
		  const uint8_t *oldb, const uint8_t *newb, uint64_t base, uint64_t lo, uint64_t hi,
		  const struct chainset *cs, uint64_t map)
{
	const char *op = NULL;
	struct stack stack;
	bool have_stack = false;
	for (uint64_t a = lo; a < hi;) {
		struct field_desc fd;
		if (!field_at(&T->layout, map, cs, a, &fd)) {
			a++;
			continue;
		}
		uint64_t end = fd.start + fd.size;
		if (end > hi)
			end = hi;
		uint64_t from = a > fd.start ? a : fd.start;
		unsigned n = (unsigned)(end - from);
		if (n > 8)
			n = 8; /* events carry the first 8 bytes of a field */
		if (!op) {
			op = op_of(T, tid, code->pc);
			if (T->opt.stack && T->unw &&
			    T->unw_ops->walk(T->unw, tid, &stack, EVENT_MAX_FRAMES) > 0) {
				stack_top_at(T, &stack, code->pc);
				have_stack = true;
			}
		}
		struct event e = {
			.type = writes ? EV_WRITE : EV_READ,
			.tid = tid,
			.op = op,
			.field = fd.field,
			.addr = from,
			.size = n,
			.old = read_uint(oldb + (from - base), n),
			.new = read_uint(newb + (from - base), n),
			.code = *code,
		};
		e.at.in_bucket = fd.in_bucket;
		e.at.old = fd.where.old;
		e.at.bucket = fd.where.bucket;
		e.at.overflow = fd.where.overflow;
		e.at.slot = fd.slot;
		bool kv = strcmp(fd.field, "key") == 0 || strcmp(fd.field, "elem") == 0;
		bool whole = from == fd.start;
		decode(T, fd.field, kv && whole, strcmp(fd.field, "key") == 0, newb + (from - base), n,
		       e.new, e.new_decoded, sizeof e.new_decoded);
		decode(T, fd.field, kv && whole, strcmp(fd.field, "key") == 0, oldb + (from - base), n,
		       e.old, e.old_decoded, sizeof e.old_decoded);
		if (have_stack) {
			e.stack = stack;
			e.has_stack = true;
		}
		emit(T, &e);
		a = end;
	}
}

void report_region_hit(struct tracer *T, struct thread *t, const struct user_regs_struct *regs,
		       struct region *r, const struct chainset *cs, uint64_t map)
{
	uint8_t now[8];
	unsigned len = r->w.len;
	struct code_loc code;
	struct insn_info insn;
	bool have;
	code_of(T, regs->rip, false, &code, &insn, &have);
	/* A plain store that covers the region exactly says what it wrote: no memory read. */
	uint64_t target, stored;
	if (have && insn.mem_size == len && disasm_mem_addr(&insn, regs, &target) &&
	    target == r->w.addr && disasm_store_value(&insn, regs, &stored))
		memcpy(now, &stored, len);
	else if (!mem_read(&T->mem, r->w.addr, now, len))
		return;
	/* The bytes the instruction touched: its memory operand when the registers still give
	 * it (so a write of the same value is seen too), else the bytes that changed. */
	uint64_t lo = r->w.addr, hi = r->w.addr + len, a;
	bool writes = !have || insn.writes_mem || memcmp(now, r->shadow, len) != 0;
	if (have && insn.has_mem && insn.mem_size && disasm_mem_addr(&insn, regs, &a) &&
	    a < r->w.addr + len && a + insn.mem_size > r->w.addr) {
		lo = a > r->w.addr ? a : r->w.addr;
		hi = a + insn.mem_size < r->w.addr + len ? a + insn.mem_size : r->w.addr + len;
	}
	/* Else the whole region: its fields are written as units. */
	if (!writes && !T->opt.reads) {
		memcpy(r->shadow, now, len);
		return;
	}
	report_range(T, t->tid, &code, writes, r->shadow, now, r->w.addr, lo, hi, cs, map);
	memcpy(r->shadow, now, len);
}

void emit_move(struct tracer *T, pid_t tid, const struct loc *from, const struct loc *to,
	       const char *reason)
{
	struct event e = {.type = EV_MOVE, .tid = tid, .reason = reason};
	e.from_valid = from->valid;
	e.to_valid = to->valid;
	e.to_present = to->present;
	place_of_loc(from, &e.from);
	place_of_loc(to, &e.to);
	emit(T, &e);
}
