/*
 * isa.h: the instruction set and ABI boundary. Everything above the target
 * reads registers through this table: pc, sp, a call's arguments under the C
 * ABI or Go's register ABI, the code's context register, the return address at a function's entry, and
 * the breakpoint instruction. isa_x86_64.c is x86-64; an aarch64 port is a
 * new file with the same table (and target/watch.h's).
 */
#ifndef MAPVIZ_TARGET_ISA_H
#define MAPVIZ_TARGET_ISA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/user.h>

#include "base/abi.h"
#include "base/mem.h"

/* A thread's general registers, as ptrace gives them on this architecture. */
typedef struct user_regs_struct regs_t;

struct isa {
	const char *name;
	uint64_t (*pc)(const regs_t *r);
	void (*set_pc)(regs_t *r, uint64_t pc);
	uint64_t (*sp)(const regs_t *r);
	/* Integer argument i (0 first) of a call just entered, under abi; 0 past the registers. */
	uint64_t (*arg)(const regs_t *r, enum call_abi abi, int i);
	/* The register holding the running code's own context under abi, which stays with the
	 * code when it moves to another thread: Go's g under its register ABI; 0 under C's. */
	uint64_t (*context)(const regs_t *r, enum call_abi abi);
	/* At a function's first instruction: where it returns to. */
	bool (*return_address)(struct mem *m, const regs_t *r, uint64_t *ret);
	/* Whether the stack pointer sp_now is past the frame a function entered with sp_entry
	 * (the function returned). */
	bool (*returned)(uint64_t sp_now, uint64_t sp_entry);
	/* The stack pointer a function entered with sp_entry has once it returned. */
	uint64_t (*sp_at_return)(uint64_t sp_entry);
	/* At the return address: whether sp_now is the stack of the very frame entered with
	 * sp_entry, its return address popped (not another stack, nor a frame inside it). */
	bool (*returned_from)(uint64_t sp_now, uint64_t sp_entry);
	/* The breakpoint instruction: one byte, and the pc a trap on it leaves is addr + 1. */
	uint8_t bp_byte;
	/* Whether the two bytes before a pc hold a trap instruction of the program's own that
	 * ends there (int3: cc, or cd 03). */
	bool (*trap_insn_before)(const uint8_t before[2], bool last_byte_is_ours);
	/* Whether the one-byte instruction b is the program's int1 (icebp). */
	bool (*is_int1)(uint8_t b);
};

extern const struct isa isa_x86_64;
static inline const struct isa *isa_native(void) { return &isa_x86_64; }

#endif
