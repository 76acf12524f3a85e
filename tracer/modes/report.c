/*
 * report.c: from a hit to events (see report.h).
 */
#define _GNU_SOURCE
#include "modes/report.h"

#include <errno.h>
#include <string.h>

void mode_emit(struct mode_env *env, struct event *e) { stream_emit(env->stream, e); }

enum map_op op_of(struct mode_env *T, pid_t tid, uint64_t pc)
{
	const struct map_source *src = T->model->source;
	enum map_op op = source_op_of(src, dbg_symbolize(T->dbg, pc)->func);
	if (op != OP_NONE)
		return op;
	/* Not directly in a map function (a helper, memset, or foreign code): look up the stack. */
	struct stack s;
	if (T->unw && T->unw_ops->walk(T->unw, tid, &s, EVENT_MAX_FRAMES) > 0)
		for (int i = 1; i < s.n; i++)
			if ((op = source_op_of(src, s.f[i].func)) != OP_NONE)
				return op;
	return OP_FOREIGN;
}

/*
 * The walk's first frames are where the thread stopped, after the write: they become the
 * writing instruction's (its inline frames and function).
 */
static void stack_top_at(struct mode_env *T, struct stack *s, uint64_t pc)
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

bool event_stack(struct mode_env *T, pid_t tid, uint64_t pc, struct stack *s)
{
	if (!T->unw || T->unw_ops->walk(T->unw, tid, s, EVENT_MAX_FRAMES) <= 0)
		return false;
	stack_top_at(T, s, pc);
	return true;
}

/* old or new of a field, as the program's types and the design's names show it. whole: the
 * bytes b start at the field's first byte. */
static void decode(struct mode_env *T, enum map_field field, bool whole, const uint8_t *b,
		   unsigned n, uint64_t v, char *out, size_t outlen)
{
	const struct map_model *l = T->model;
	out[0] = '\0';
	switch (field) {
	case FIELD_STATE: {
		const char *s = l->design->state_name(l, (unsigned)v);
		if (s)
			snprintf(out, outlen, "%s", s);
		break;
	}
	case FIELD_FLAGS:
		model_flags_str(l, (unsigned)v, out, outlen);
		break;
	case FIELD_KEY:
	case FIELD_ELEM:
		if (whole)
			value_text(l, field == FIELD_KEY, b, n, &T->tg->mem, out, outlen);
		break;
	case FIELD_COUNT:
	case FIELD_B:
	case FIELD_NOVERFLOW:
	case FIELD_NEVACUATE:
		snprintf(out, outlen, "%llu", (unsigned long long)v);
		break;
	default:
		break;
	}
}

void report_range(struct mode_env *T, pid_t tid, const struct code_loc *code, bool writes,
		  const uint8_t *oldb, const uint8_t *newb, uint64_t base, uint64_t lo, uint64_t hi,
		  const struct chainset *cs, uint64_t map)
{
	enum map_op op = OP_NONE;
	struct stack stack;
	bool have_stack = false;
	for (uint64_t a = lo; a < hi;) {
		struct field_desc fd;
		if (!T->model->design->field_at(T->model, map, cs, a, &fd)) {
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
		if (op == OP_NONE) {
			op = op_of(T, tid, code->pc);
			have_stack = T->stack && event_stack(T, tid, code->pc, &stack);
		}
		struct event e = {
			.type = writes ? EV_WRITE : EV_READ,
			.tid = tid,
			.op = op,
			.field = fd.field,
			.field_name = field_name(T->model, fd.field),
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
		bool whole = from == fd.start;
		decode(T, fd.field, whole, newb + (from - base), n, e.new, e.new_decoded,
		       sizeof e.new_decoded);
		decode(T, fd.field, whole, oldb + (from - base), n, e.old, e.old_decoded,
		       sizeof e.old_decoded);
		if (have_stack) {
			e.stack = stack;
			e.has_stack = true;
		}
		mode_emit(T, &e);
		a = end;
	}
}

void report_region_hit(struct mode_env *T, pid_t tid, const regs_t *regs, struct region *r,
		       const struct chainset *cs, uint64_t map)
{
	uint8_t now[8];
	unsigned len = r->w.len;
	struct code_loc code;
	struct insn_info insn;
	bool have;
	code_of(T->dbg, T->dis, T->tg->isa->pc(regs), false, &code, &insn, &have);
	/* A plain store that covers the region exactly says what it wrote: no memory read. */
	uint64_t target, stored;
	if (have && insn.mem_size == len && disasm_mem_addr(&insn, regs, &target) &&
	    target == r->w.addr && disasm_store_value(&insn, regs, &stored))
		memcpy(now, &stored, len);
	else if (!mem_read(&T->tg->mem, r->w.addr, now, len))
		return;
	/* The bytes the instruction touched: its memory operand when the registers still give
	 * it (so a write of the same value is seen too), else the bytes that changed. */
	uint64_t lo = r->w.addr, hi = r->w.addr + len, a;
	bool writes = !have || insn.writes_mem || memcmp(now, r->shadow, len) != 0;
	/* With --reads, an instruction that only reads is a read even when the bytes changed
	 * since the region's last hit: another thread wrote them, and its own trap (every
	 * thread watches the region) reports that write, from the shadow kept for it. */
	bool read_only = T->reads && have && !insn.writes_mem;
	if (read_only)
		writes = false;
	if (have && insn.has_mem && insn.mem_size && disasm_mem_addr(&insn, regs, &a) &&
	    a < r->w.addr + len && a + insn.mem_size > r->w.addr) {
		lo = a > r->w.addr ? a : r->w.addr;
		hi = a + insn.mem_size < r->w.addr + len ? a + insn.mem_size : r->w.addr + len;
	}
	/* Else the whole region: its fields are written as units. */
	if (!writes && !T->reads) {
		memcpy(r->shadow, now, len);
		return;
	}
	report_range(T, tid, &code, writes, r->shadow, now, r->w.addr, lo, hi, cs, map);
	if (!read_only)
		memcpy(r->shadow, now, len);
}

void emit_move(struct mode_env *T, pid_t tid, const struct loc *from, const struct loc *to,
	       const char *reason)
{
	struct event e = {.type = EV_MOVE, .tid = tid, .reason = reason};
	e.from_valid = from->valid;
	e.to_valid = to->valid;
	e.to_present = to->present;
	place_of_loc(from, &e.from);
	place_of_loc(to, &e.to);
	mode_emit(T, &e);
}
