/* code.c: the instruction of a trap, named (see code.h). */
#define _GNU_SOURCE
#include "base/code.h"

#include <stdio.h>
#include <string.h>

void code_of(struct dbg *dbg, struct disasm *dis, uint64_t trap_pc, bool exact, struct code_loc *c,
	     struct insn_info *insn, bool *have_insn)
{
	memset(c, 0, sizeof *c);
	const struct sym_info *s = dbg_symbolize(dbg, trap_pc);
	*have_insn = false;
	if (exact)
		*have_insn = disasm_at(dis, trap_pc, insn);
	else if (s->func_start)
		*have_insn = disasm_writer(dis, s->func_start, trap_pc, insn);
	c->pc = *have_insn ? insn->addr : trap_pc;
	if (*have_insn)
		snprintf(c->insn, sizeof c->insn, "%s", insn->text);
	const struct sym_info *w = dbg_symbolize(dbg, c->pc);
	c->func = w->func;
	c->off = w->func ? c->pc - w->func_start : 0;
	c->file = w->file;
	c->line = w->line;
}
