/*
 * step.c: delete mode, exact (--step). The deleting thread is single-stepped
 * from the delete entry to its return; after each instruction the header and
 * the key's bucket chains (old and new table) are read back and compared
 * with what they were: every byte that changed, and every byte the
 * instruction's memory operand names (so writes of an unchanged value count
 * too), becomes an event. Slow and complete: the oracle the hardware mode
 * is tested against.
 *
 * The delete's code may leave its thread: a Go goroutine calls morestack in a
 * function's prologue (its stack grows, or it is asked to yield) and goes on
 * wherever the scheduler puts it next, at that call's return address (the
 * source's thread_switches). The run then waits, its thread let go, for a
 * breakpoint there to be reached with the same context register (Go's g),
 * on whichever thread, and stepping goes on from there.
 */
#define _GNU_SOURCE
#include "modes/delete.h"
#include "modes/report.h"
#include "base/diag.h"

#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 10000000
#define MAX_SNAPS (2 * CHAIN_MAX + 8)

struct snap {
	uint64_t addr;
	unsigned len;
	uint8_t *data;
};

struct snapshot {
	struct snap s[MAX_SNAPS];
	int n;
};

static void snap_add(struct mode_env *T, struct snapshot *sn, uint64_t addr, unsigned len)
{
	for (int i = 0; i < sn->n; i++)
		if (sn->s[i].addr == addr)
			return;
	if (sn->n == MAX_SNAPS)
		return;
	struct snap *s = &sn->s[sn->n];
	s->data = malloc(len);
	if (!s->data || !mem_read(&T->tg->mem, addr, s->data, len)) {
		free(s->data);
		return;
	}
	s->addr = addr;
	s->len = len;
	sn->n++;
}

/* Adds the chains the key's lookup touches now, and merges them into cs. */
static void snap_chains(struct mode_env *T, struct snapshot *sn, uint64_t map, struct chainset *cs)
{
	struct chainset now;
	if (T->model->design->chains_for_key(&T->tg->mem, T->model, map, &T->key, &now) != 0)
		return;
	for (int i = 0; i < now.n; i++) {
		bool seen = false;
		for (int j = 0; j < cs->n; j++)
			seen |= cs->b[j].addr == now.b[i].addr;
		if (!seen && cs->n < (int)(sizeof cs->b / sizeof cs->b[0]))
			cs->b[cs->n++] = now.b[i];
		snap_add(T, sn, now.b[i].addr, T->model->design->unit_size(T->model));
	}
}

/* A delete being single-stepped. */
struct step_run {
	uint64_t map;
	struct snapshot sn;
	struct chainset cs;   /* every bucket of the key's chains seen so far */
	uint8_t *buf;
	long steps;
	/* Away: its code called a thread switch at away_sp and comes back at resume_pc with
	 * this context (the stack maybe moved). */
	bool away;
	uint64_t resume_pc, context, away_sp;
	const char *away_through; /* the thread switch */
	uint64_t switches[SOURCE_MAX_SWITCH]; /* the source's thread switches' entries */
};

/* Reads every snapshot afresh. */
static void snap_refresh(struct mode_env *T, struct snapshot *sn)
{
	for (int i = 0; i < sn->n; i++)
		mem_read(&T->tg->mem, sn->s[i].addr, sn->s[i].data, sn->s[i].len);
}

static void run_end(struct mode_env *T)
{
	struct step_run *run = T->step;
	if (!run)
		return;
	for (int i = 0; i < run->sn.n; i++)
		free(run->sn.s[i].data);
	free(run->buf);
	free(run);
	T->step = NULL;
	T->del.active = false;
}

static bool run_start(struct mode_env *T)
{
	const struct map_model *l = T->model;
	unsigned unit = l->design->unit_size(l);
	struct step_run *run = calloc(1, sizeof *run);
	if (!run || !(run->buf = malloc(unit > l->hdr_size ? unit : l->hdr_size))) {
		note("out of memory");
		free(run);
		return false;
	}
	T->step = run;
	T->del.active = true;
	run->map = model_map_addr(&T->tg->mem, T->where);
	run->cs = T->del.chain;
	snap_add(T, &run->sn, run->map, l->hdr_size);
	for (int i = 0; i < run->cs.n; i++)
		snap_add(T, &run->sn, run->cs.b[i].addr, unit);
	const char *const *names = l->source->thread_switches;
	for (int i = 0; i < SOURCE_MAX_SWITCH && names[i]; i++)
		dbg_symbol_addr(T->dbg, names[i], &run->switches[i]);
	return true;
}

/* Events for what the instruction at before's pc (code) wrote into the snapshots. */
static void diff_snapshots(struct mode_env *T, pid_t tid, const struct code_loc *code,
			   uint64_t wlo, uint64_t whi)
{
	struct step_run *run = T->step;
	const struct map_model *l = T->model;
	uint8_t *buf = run->buf;
	for (int i = 0; i < run->sn.n; i++) {
		struct snap *s = &run->sn.s[i];
		if (!mem_read(&T->tg->mem, s->addr, buf, s->len))
			continue;
		/* Report runs of bytes the operand names, and the whole field of any other byte that
		 * changed (a write the operand does not describe, as a masked store). */
		uint8_t touched[4096];
		memset(touched, 0, s->len);
		for (unsigned j = 0; j < s->len; j++) {
			uint64_t a = s->addr + j;
			if (a >= wlo && a < whi)
				touched[j] = 1;
			else if (buf[j] != s->data[j]) {
				struct field_desc fd;
				if (!l->design->field_at(l, run->map, &run->cs, a, &fd)) {
					touched[j] = 1;
					continue;
				}
				for (uint64_t f = fd.start; f < fd.start + fd.size; f++)
					if (f >= s->addr && f < s->addr + s->len)
						touched[f - s->addr] = 1;
			}
		}
		for (unsigned j = 0; j < s->len;) {
			if (!touched[j]) {
				j++;
				continue;
			}
			unsigned k = j;
			while (k < s->len && touched[k])
				k++;
			report_range(T, tid, code, true, s->data, buf, s->addr, s->addr + j, s->addr + k,
				     &run->cs, run->map);
			j = k;
		}
		memcpy(s->data, buf, s->len);
	}
}

/* The thread switch (its name) whose entry is pc, or NULL. */
static const char *thread_switch_at(struct mode_env *T, uint64_t pc)
{
	for (int i = 0; i < SOURCE_MAX_SWITCH; i++)
		if (T->step->switches[i] && T->step->switches[i] == pc)
			return T->model->source->thread_switches[i];
	return NULL;
}

/* At the entry of a thread switch: waits for the code to come back at the call's return
 * address, on any thread. False when that cannot be watched for. */
static bool go_away(struct mode_env *T, struct thread *t, const regs_t *at, const char *through)
{
	struct step_run *run = T->step;
	run->away_through = through;
	const struct isa *isa = T->tg->isa;
	run->away_sp = isa->sp(at);
	run->context = isa->context(at, T->model->source->switch_abi);
	if (!isa->return_address(&T->tg->mem, at, &run->resume_pc) ||
	    bp_insert(T->tg, t->tid, run->resume_pc, BP_RESUME) != 0) {
		note("the delete left its thread and cannot be followed: the trajectory ends here");
		return false;
	}
	run->away = true;
	return true;
}

/* Single-steps thread t (registers regs) through the run until the delete returns, or its
 * code leaves the thread; regs is where t is then. */
static void step_run(struct mode_env *T, struct thread *t, regs_t *regs)
{
	struct step_run *run = T->step;
	struct delete_run *d = &T->del;
	const struct isa *isa = T->tg->isa;
	regs_t before = *regs, after = *regs;
	pid_t tid = t->tid;
	for (; run->steps < MAX_STEPS; run->steps++) {
		struct insn_info insn;
		bool have = disasm_at(T->dis, isa->pc(&before), &insn);
		uint64_t wlo = 0, whi = 0;
		/* rip-relative operands are relative to the end of the instruction: disasm_mem_addr
		 * computes that from insn itself, so before's rip is right here. */
		if (have && insn.writes_mem && insn.mem_size && disasm_mem_addr(&insn, &before, &wlo))
			whi = wlo + insn.mem_size;
		/* A breakpoint of ours on the way (the delete's entry; the entry again, when the code
		 * comes back from morestack): the instruction runs with its own byte. */
		uint64_t pc = isa->pc(&before);
		struct bp *b = bp_at(T->tg, pc);
		bool on_bp = b && b->inserted;
		if (on_bp)
			mem_poke_byte(tid, pc, b->orig, NULL);
		bool ok = single_step(T->tg, t);
		if (on_bp && (b = bp_at(T->tg, pc)) && b->inserted)
			mem_poke_byte(tid, pc, isa->bp_byte, NULL);
		/* Threads that came meanwhile may have moved the thread table. */
		if (!ok || !(t = thread_find(T->tg, tid)) || !target_regs(T->tg, tid, &after))
			break;
		struct code_loc code;
		struct insn_info i2;
		bool h2;
		code_of(T->dbg, T->dis, isa->pc(&before), true, &code, &i2, &h2);
		diff_snapshots(T, tid, &code, wlo, whi);
		snap_chains(T, &run->sn, run->map, &run->cs);
		if (isa->pc(&after) == d->ret && isa->returned(isa->sp(&after), d->sp))
			break;
		const char *through = thread_switch_at(T, isa->pc(&after));
		if (through) {
			*regs = after;
			if (go_away(T, t, &after, through))
				return;
			break;
		}
		before = after;
	}
	if (run->steps == MAX_STEPS)
		note("the delete did not return within %d instructions: its trajectory ends there",
		     MAX_STEPS);
	*regs = after;
	run_end(T);
}

/* At the breakpoint where the run's code comes back: goes on stepping if this is that code
 * (its context), on this thread, its stack maybe moved. */
static bool come_back(struct mode_env *T, struct thread *t, regs_t *regs, struct bp *b)
{
	struct step_run *run = T->step;
	const struct isa *isa = T->tg->isa;
	if (!run || !run->away ||
	    isa->context(regs, T->model->source->switch_abi) != run->context)
		return false; /* other code passing through */
	bp_remove(T->tg, t->tid, b->addr);
	run->away = false;
	int64_t moved = (int64_t)(isa->sp(regs) - isa->sp_at_return(run->away_sp));
	T->del.sp += (uint64_t)moved;
	char how[64] = "";
	if (moved)
		snprintf(how, sizeof how, ", its stack moved by %+lld", (long long)moved);
	note("the delete stepped on tid %d went through %s: it goes on on tid %d%s",
	     (int)T->del.tid, run->away_through, (int)t->tid, how);
	T->del.tid = t->tid;
	snap_refresh(T, &run->sn); /* what changed meanwhile is no instruction of the run's */
	step_run(T, t, regs);
	return true;
}

static bool step_breakpoint(struct mode_env *T, struct thread *t, regs_t *regs, struct bp *b)
{
	if (b->kind == BP_RESUME)
		return come_back(T, t, regs, b);
	if (b->kind != BP_DELETE || !delete_begin(T, t, regs) || !run_start(T))
		return false;
	step_run(T, t, regs);
	return true;
}

static int step_start(struct mode_env *T, struct thread *current)
{
	(void)current;
	return delete_set_breakpoints(T);
}

const struct mode_ops mode_step = {
	.name = "delete",
	.start = step_start,
	.on_breakpoint = step_breakpoint,
};
