/*
 * step.c: delete mode, exact (--step). The deleting thread is single-stepped
 * from the delete entry to its return; after each instruction the header and
 * the key's bucket chains (old and new table) are read back and compared
 * with what they were: every byte that changed, and every byte the
 * instruction's memory operand names (so writes of an unchanged value count
 * too), becomes an event. Slow and complete: the oracle the hardware mode
 * is tested against.
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

static void step_delete(struct mode_env *T, struct thread *t, regs_t *regs)
{
	struct delete_run *d = &T->del;
	const struct isa *isa = T->tg->isa;
	const struct map_model *l = T->model;
	uint64_t map = model_map_addr(&T->tg->mem, T->where);
	unsigned unit = l->design->unit_size(l);
	struct snapshot *sn = calloc(1, sizeof *sn);
	uint8_t *buf = malloc(unit > l->hdr_size ? unit : l->hdr_size);
	if (!sn || !buf) {
		note("out of memory");
		free(sn);
		free(buf);
		return;
	}
	struct chainset cs = d->chain;
	snap_add(T, sn, map, l->hdr_size);
	for (int i = 0; i < cs.n; i++)
		snap_add(T, sn, cs.b[i].addr, unit);
	struct bp *entry = bp_at(T->tg, isa->pc(regs));
	uint64_t entry_addr = entry ? entry->addr : 0;
	regs_t before = *regs, after = *regs;
	for (long steps = 0; steps < MAX_STEPS; steps++) {
		struct insn_info insn;
		bool have = disasm_at(T->dis, isa->pc(&before), &insn);
		uint64_t wlo = 0, whi = 0;
		if (have && insn.writes_mem && insn.mem_size && disasm_mem_addr(&insn, &before, &wlo))
			whi = wlo + insn.mem_size;
		/* rip-relative operands are relative to the end of the instruction: disasm_mem_addr
		 * computed that from insn itself, so before's rip is right here. */
		if (steps == 0 && entry_addr)
			mem_poke_byte(t->tid, entry_addr, entry->orig, NULL);
		bool ok = single_step(T->tg, t);
		if (steps == 0 && entry_addr && bp_at(T->tg, entry_addr))
			mem_poke_byte(t->tid, entry_addr, isa->bp_byte, NULL);
		if (!ok || !target_regs(T->tg, t->tid, &after))
			break;
		struct code_loc code;
		struct insn_info i2;
		bool h2;
		code_of(T->dbg, T->dis, isa->pc(&before), true, &code, &i2, &h2);
		for (int i = 0; i < sn->n; i++) {
			struct snap *s = &sn->s[i];
			if (!mem_read(&T->tg->mem, s->addr, buf, s->len))
				continue;
			/* Report runs of bytes the operand names, and the whole field of any other byte
			 * that changed (a write the operand does not describe, as a masked store). */
			uint8_t touched[4096];
			memset(touched, 0, s->len);
			for (unsigned j = 0; j < s->len; j++) {
				uint64_t a = s->addr + j;
				if (a >= wlo && a < whi)
					touched[j] = 1;
				else if (buf[j] != s->data[j]) {
					struct field_desc fd;
					if (!l->design->field_at(l, map, &cs, a, &fd)) {
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
				report_range(T, t->tid, &code, true, s->data, buf, s->addr, s->addr + j,
					     s->addr + k, &cs, map);
				j = k;
			}
			memcpy(s->data, buf, s->len);
		}
		snap_chains(T, sn, map, &cs);
		if (isa->pc(&after) == d->ret && isa->returned(isa->sp(&after), d->sp))
			break;
		before = after;
	}
	for (int i = 0; i < sn->n; i++)
		free(sn->s[i].data);
	free(sn);
	free(buf);
	*regs = after;
}

static bool step_breakpoint(struct mode_env *T, struct thread *t, regs_t *regs, struct bp *b)
{
	if (b->kind == BP_DELETE && delete_begin(T, t, regs))
		step_delete(T, t, regs);
	return false;
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
