/* disasm.c: capstone, x86-64, AT&T syntax, with operand details. */
#define _GNU_SOURCE
#include "base/disasm.h"

#include <capstone/capstone.h>
#include <stddef.h>
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
	/* mov REG|IMM -> MEM: the value stored is the source's (movs, movz..., movsx... are not). */
	if (out->writes_mem && x->op_count == 2 && strncmp(in->mnemonic, "mov", 3) == 0 &&
	    strncmp(in->mnemonic, "movs", 4) != 0 && strncmp(in->mnemonic, "movz", 4) != 0 &&
	    out->mem_size && out->mem_size <= 8) {
		for (int i = 0; i < 2; i++) {
			const cs_x86_op *op = &x->operands[i];
			if (op->type == X86_OP_REG) {
				out->store_src_known = true;
				out->store_src_reg = op->reg;
			} else if (op->type == X86_OP_IMM) {
				out->store_src_known = true;
				out->store_src_is_imm = true;
				out->store_src_imm = op->imm;
			}
		}
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

/* The general registers by the names of their widths: 64, 32, 16 and low 8 bits. */
static const struct gpr {
	int r64, r32, r16, r8;
	size_t off;
} gprs[] = {
#define GPR(q, d, w, b, field) {X86_REG_##q, X86_REG_##d, X86_REG_##w, X86_REG_##b, \
				 offsetof(struct user_regs_struct, field)}
	GPR(RAX, EAX, AX, AL, rax),	GPR(RBX, EBX, BX, BL, rbx),	GPR(RCX, ECX, CX, CL, rcx),
	GPR(RDX, EDX, DX, DL, rdx),	GPR(RSI, ESI, SI, SIL, rsi),	GPR(RDI, EDI, DI, DIL, rdi),
	GPR(RBP, EBP, BP, BPL, rbp),	GPR(RSP, ESP, SP, SPL, rsp),	GPR(R8, R8D, R8W, R8B, r8),
	GPR(R9, R9D, R9W, R9B, r9),	GPR(R10, R10D, R10W, R10B, r10), GPR(R11, R11D, R11W, R11B, r11),
	GPR(R12, R12D, R12W, R12B, r12), GPR(R13, R13D, R13W, R13B, r13), GPR(R14, R14D, R14W, R14B, r14),
	GPR(R15, R15D, R15W, R15B, r15),
#undef GPR
};

/* The value of register reg as its name reads it (eax: the low 32 bits of rax; ah: bits 8-15). */
static bool reg_value(int reg, const struct user_regs_struct *r, uint64_t next_pc, uint64_t *v)
{
	if (reg == X86_REG_INVALID) {
		*v = 0;
		return true;
	}
	if (reg == X86_REG_RIP) {
		*v = next_pc;
		return true;
	}
	static const struct {
		int reg;
		size_t off;
	} high[] = {
		{X86_REG_AH, offsetof(struct user_regs_struct, rax)},
		{X86_REG_BH, offsetof(struct user_regs_struct, rbx)},
		{X86_REG_CH, offsetof(struct user_regs_struct, rcx)},
		{X86_REG_DH, offsetof(struct user_regs_struct, rdx)},
	};
	for (size_t i = 0; i < sizeof high / sizeof high[0]; i++)
		if (high[i].reg == reg) {
			*v = (*(const unsigned long long *)((const char *)r + high[i].off) >> 8) & 0xff;
			return true;
		}
	for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++) {
		uint64_t full = *(const unsigned long long *)((const char *)r + gprs[i].off);
		if (reg == gprs[i].r64)
			*v = full;
		else if (reg == gprs[i].r32)
			*v = full & 0xffffffffu;
		else if (reg == gprs[i].r16)
			*v = full & 0xffff;
		else if (reg == gprs[i].r8)
			*v = full & 0xff;
		else
			continue;
		return true;
	}
	return false;
}

bool disasm_store_value(const struct insn_info *insn, const struct user_regs_struct *regs,
			uint64_t *value)
{
	if (!insn->store_src_known)
		return false;
	if (insn->store_src_is_imm) {
		*value = (uint64_t)insn->store_src_imm;
		return true;
	}
	return reg_value(insn->store_src_reg, regs, insn->addr + insn->len, value);
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
