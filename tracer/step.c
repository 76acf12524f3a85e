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
#include "tracer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

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

static void snap_add(struct tracer *T, struct snapshot *sn, uint64_t addr, unsigned len)
{
	for (int i = 0; i < sn->n; i++)
		if (sn->s[i].addr == addr)
			return;
	if (sn->n == MAX_SNAPS)
		return;
	struct snap *s = &sn->s[sn->n];
	s->data = malloc(len);
	if (!s->data || !mem_read(&T->mem, addr, s->data, len)) {
		free(s->data);
		return;
	}
	s->addr = addr;
	s->len = len;
	sn->n++;
}

/* Adds the chains the key's lookup touches now, and merges them into cs. */
static void snap_chains(struct tracer *T, struct snapshot *sn, uint64_t map, struct chainset *cs)
{
	struct chainset now;
	if (chains_for_key(&T->mem, &T->layout, map, &T->key, &now) != 0)
		return;
	for (int i = 0; i < now.n; i++) {
		bool seen = false;
		for (int j = 0; j < cs->n; j++)
			seen |= cs->b[j].addr == now.b[i].addr;
		if (!seen && cs->n < (int)(sizeof cs->b / sizeof cs->b[0]))
			cs->b[cs->n++] = now.b[i];
		snap_add(T, sn, now.b[i].addr, T->layout.bucketsize);
	}
}

void step_delete(struct tracer *T, struct thread *t, struct user_regs_struct *regs)
{
	struct delete_run *d = &T->del;
	uint64_t map = regs->rdi;
	struct snapshot *sn = calloc(1, sizeof *sn);
	uint8_t *buf = malloc(T->layout.bucketsize > T->layout.hdr_size ? T->layout.bucketsize
									 : T->layout.hdr_size);
	if (!sn || !buf) {
		note("out of memory");
		free(sn);
		free(buf);
		return;
	}
	struct chainset cs = d->chain;
	snap_add(T, sn, map, T->layout.hdr_size);
	for (int i = 0; i < cs.n; i++)
		snap_add(T, sn, cs.b[i].addr, T->layout.bucketsize);
	struct bp *entry = bp_at(T, regs->rip);
	uint64_t entry_addr = entry ? entry->addr : 0;
	struct user_regs_struct before = *regs, after;
	for (long steps = 0; steps < MAX_STEPS; steps++) {
		struct insn_info insn;
		bool have = disasm_at(T->dis, before.rip, &insn);
		uint64_t wlo = 0, whi = 0;
		if (have && insn.writes_mem && insn.mem_size && disasm_mem_addr(&insn, &before, &wlo))
			whi = wlo + insn.mem_size;
		/* rip-relative operands are relative to the end of the instruction: disasm_mem_addr
		 * computed that from insn itself, so before's rip is right here. */
		if (steps == 0 && entry_addr)
			mem_poke_byte(t->tid, entry_addr, entry->orig, NULL);
		bool ok = single_step(T, t);
		if (steps == 0 && entry_addr && bp_at(T, entry_addr))
			mem_poke_byte(t->tid, entry_addr, 0xcc, NULL);
		if (!ok || ptrace(PTRACE_GETREGS, t->tid, 0, &after) != 0)
			break;
		struct code_loc code;
		struct insn_info i2;
		bool h2;
		code_of(T, before.rip, true, &code, &i2, &h2);
		for (int i = 0; i < sn->n; i++) {
			struct snap *s = &sn->s[i];
			if (!mem_read(&T->mem, s->addr, buf, s->len))
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
					if (!field_at(&T->layout, map, &cs, a, &fd)) {
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
		if (after.rip == d->ret && after.rsp > d->sp)
			break;
		before = after;
	}
	for (int i = 0; i < sn->n; i++)
		free(sn->s[i].data);
	free(sn);
	free(buf);
	*regs = after;
}
