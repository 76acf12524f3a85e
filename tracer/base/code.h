/*
 * code.h: where a trap's code is. A data breakpoint traps after the writing
 * instruction retires: the writer is the instruction that ends at the trap
 * pc, decoded from its function's start (disasm), then named with its
 * function and source line (dbg).
 */
#ifndef MAPVIZ_BASE_CODE_H
#define MAPVIZ_BASE_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/dbg.h"
#include "base/disasm.h"

/* Where the writing code is. */
struct code_loc {
	uint64_t pc;
	char insn[192];
	const char *func;
	uint64_t off;
	const char *file;
	int line;
};

/* The instruction of trap_pc into c (and insn, *have_insn): with exact, the one at trap_pc (a
 * single-step's), else the one that ends there (a watch trap's). */
void code_of(struct dbg *dbg, struct disasm *dis, uint64_t trap_pc, bool exact, struct code_loc *c,
	     struct insn_info *insn, bool *have_insn);

#endif
