/*
 * disasm.h: which instruction wrote. A data breakpoint traps after the
 * writing instruction retires, so the writer is the instruction that ends at
 * the trap pc; x86 code cannot be decoded backwards, so the function is
 * decoded from its start (capstone). Results are cached per trap pc.
 */
#ifndef MAPVIZ_DISASM_H
#define MAPVIZ_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

struct insn_info {
	uint64_t addr;
	unsigned len;
	char text[192];  /* AT&T syntax: "movb $0x1, (%rax)" */
	bool writes_mem; /* has a memory operand it writes */
	bool has_mem;    /* has an explicit memory operand */
	/* The explicit memory operand, to compute its address from registers. */
	int base, index, scale;
	int64_t disp;
	unsigned mem_size;
	/* A plain store (mov of a general register or an immediate to memory): its source. */
	bool store_src_known;
	bool store_src_is_imm;
	int store_src_reg;
	int64_t store_src_imm;
};

/* Reads code as the program sees it (breakpoint bytes already undone). */
typedef bool (*code_reader)(void *ctx, uint64_t addr, void *buf, size_t len);

struct disasm;

struct disasm *disasm_new(code_reader read, void *ctx);
void disasm_free(struct disasm *d);
/* The instruction that ends at trap_pc, decoding from func_start; false when unknown. A trap
 * that leaves pc on a rep-prefixed string store (not finished yet) names that store. */
bool disasm_writer(struct disasm *d, uint64_t func_start, uint64_t trap_pc, struct insn_info *out);
/* The instruction at addr. */
bool disasm_at(struct disasm *d, uint64_t addr, struct insn_info *out);
/* The address of insn's memory operand given registers as they are after it ran (valid for
 * instructions that do not change their own address registers). */
bool disasm_mem_addr(const struct insn_info *insn, const struct user_regs_struct *regs,
		     uint64_t *addr);

/* The value a plain store wrote (low mem_size bytes), from the registers as they are after
 * it ran (a store does not change its source); false when insn is not one. */
bool disasm_store_value(const struct insn_info *insn, const struct user_regs_struct *regs,
			uint64_t *value);

#endif
