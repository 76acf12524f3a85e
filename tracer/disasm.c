/* disasm.c: capstone, x86-64, AT&T syntax, with operand details. */
#define _GNU_SOURCE
#include "disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SIZE 1024 /* power of two */
#define MAX_DECODE (256 * 1024) /* bytes decoded from a function's start */

struct cache_entry {
	uint64_t trap_pc;
	bool valid, found;
	struct insn_info insn;
};

struct disasm {
	csh cs;
	code_reader read;
	void *ctx;
	struct cache_entry cache[CACHE_SIZE];
};

struct disasm *disasm_new(code_reader read, void *ctx)
{
	struct disasm *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK) {
		free(d);
		return NULL;
	}
	cs_option(d->cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	d->read = read;
	d->ctx = ctx;
	return d;
}

void disasm_free(struct disasm *d)
{
	if (!d)
		return;
	cs_close(&d->cs);
	free(d);
}

/* Instructions that only compare: capstone 4 marks some of their memory operands written. */
static bool compares_only(const char *mnemonic)
{
	static const char *const names[] = {"test", "cmp", "bt", "ucomis", "comis", "ptest", "vptest",
					    "vucomis", "vcomis"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n = strlen(names[i]);
		if (strncmp(mnemonic, names[i], n) == 0 &&
		    (strcmp(names[i], "bt") != 0 || mnemonic[2] == '\0' || mnemonic[2] == 'w' ||
		     mnemonic[2] == 'l' || mnemonic[2] == 'q'))
			return true;
	}
	return false;
}

static void fill(const cs_insn *in, struct insn_info *out)
{
	memset(out, 0, sizeof *out);
	out->addr = in->address;
	out->len = in->size;
	snprintf(out->text, sizeof out->text, "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "",
		 in->op_str);
	const cs_x86 *x = &in->detail->x86;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type != X86_OP_MEM)
			continue;
		out->has_mem = true;
		out->base = op->mem.base;
		out->index = op->mem.index;
		out->scale = op->mem.scale;
		out->disp = op->mem.disp;
		/* A masked store ({%k1}) writes only some of its bytes: its size says nothing. */
		out->mem_size = strstr(in->op_str, "{%k") ? 0 : op->size;
		if ((op->access & CS_AC_WRITE) && !compares_only(in->mnemonic))
			out->writes_mem = true;
	}
}

static bool is_rep_store(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	bool rep = x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE;
	return rep && (strncmp(in->mnemonic, "rep stos", 8) == 0 ||
		       strncmp(in->mnemonic, "rep movs", 8) == 0 || strncmp(in->mnemonic, "stos", 4) == 0 ||
		       strncmp(in->mnemonic, "movs", 4) == 0);
}

static bool decode_writer(struct disasm *d, uint64_t start, uint64_t trap_pc, struct insn_info *out)
{
	if (trap_pc < start || trap_pc - start > MAX_DECODE)
		return false;
	size_t len = (size_t)(trap_pc - start) + 16;
	uint8_t *code = malloc(len);
	if (!code || !d->read(d->ctx, start, code, len)) {
		free(code);
		return false;
	}
	cs_insn *in = cs_malloc(d->cs);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = start;
	bool found = false;
	while (left && addr <= trap_pc && cs_disasm_iter(d->cs, &p, &left, &addr, in)) {
		if (in->address == trap_pc) {
			if (is_rep_store(in)) { /* interrupted between iterations */
				fill(in, out);
				found = true;
			}
			break;
		}
		if (in->address + in->size == trap_pc) {
			fill(in, out);
			found = true;
			/* Peek: if the next one is an unfinished rep store, it is the writer. */
		}
	}
	/* A linear sweep can lose its way (data in code, or an encoding the decoder lacks, such
	 * as some AVX-512 forms): then try each start of at most 15 bytes before trap_pc that
	 * decodes to one instruction ending exactly there with a memory operand,
	 * preferring one the decoder knows to be a write. */
	for (unsigned pass = 0; pass < 2 && !found; pass++)
	for (unsigned k = 15; !found && k >= 1; k--) {
		if (trap_pc - k < start)
			continue;
		const uint8_t *q = code + (trap_pc - k - start);
		size_t qleft = k;
		uint64_t qaddr = trap_pc - k;
		if (cs_disasm_iter(d->cs, &q, &qleft, &qaddr, in) && in->size == k) {
			struct insn_info cand;
			fill(in, &cand);
			if (pass == 0 ? cand.writes_mem : cand.has_mem) {
				*out = cand;
				found = true;
			}
		}
	}
	cs_free(in, 1);
	free(code);
	return found;
}

bool disasm_writer(struct disasm *d, uint64_t func_start, uint64_t trap_pc, struct insn_info *out)
{
	struct cache_entry *e = &d->cache[(trap_pc ^ (trap_pc >> 10)) & (CACHE_SIZE - 1)];
	if (!(e->valid && e->trap_pc == trap_pc)) {
		e->valid = true;
		e->trap_pc = trap_pc;
		e->found = decode_writer(d, func_start, trap_pc, &e->insn);
	}
	if (e->found)
		*out = e->insn;
	return e->found;
}

bool disasm_at(struct disasm *d, uint64_t addr, struct insn_info *out)
{
	uint8_t code[16];
	if (!d->read(d->ctx, addr, code, sizeof code))
		return false;
	cs_insn *in;
	size_t n = cs_disasm(d->cs, code, sizeof code, addr, 1, &in);
	if (n < 1)
		return false;
	fill(&in[0], out);
	cs_free(in, n);
	return true;
}

static bool reg_value(int reg, const struct user_regs_struct *r, uint64_t next_pc, uint64_t *v)
{
	switch (reg) {
	case X86_REG_INVALID: *v = 0; return true;
	case X86_REG_RAX: *v = r->rax; return true;
	case X86_REG_RBX: *v = r->rbx; return true;
	case X86_REG_RCX: *v = r->rcx; return true;
	case X86_REG_RDX: *v = r->rdx; return true;
	case X86_REG_RSI: *v = r->rsi; return true;
	case X86_REG_RDI: *v = r->rdi; return true;
	case X86_REG_RBP: *v = r->rbp; return true;
	case X86_REG_RSP: *v = r->rsp; return true;
	case X86_REG_R8: *v = r->r8; return true;
	case X86_REG_R9: *v = r->r9; return true;
	case X86_REG_R10: *v = r->r10; return true;
	case X86_REG_R11: *v = r->r11; return true;
	case X86_REG_R12: *v = r->r12; return true;
	case X86_REG_R13: *v = r->r13; return true;
	case X86_REG_R14: *v = r->r14; return true;
	case X86_REG_R15: *v = r->r15; return true;
	case X86_REG_RIP: *v = next_pc; return true;
	default: return false;
	}
}

bool disasm_mem_addr(const struct insn_info *insn, const struct user_regs_struct *regs,
		     uint64_t *addr)
{
	uint64_t base, index;
	uint64_t next = insn->addr + insn->len;
	if (!insn->has_mem || !reg_value(insn->base, regs, next, &base) ||
	    !reg_value(insn->index, regs, next, &index))
		return false;
	*addr = base + index * (uint64_t)(insn->scale ? insn->scale : 1) + (uint64_t)insn->disp;
	return true;
}
