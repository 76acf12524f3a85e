/* isa_x86_64.c: registers, arguments and breakpoints on x86-64 (see isa.h). */
#include "target/isa.h"

static uint64_t x86_pc(const regs_t *r) { return r->rip; }
static void x86_set_pc(regs_t *r, uint64_t pc) { r->rip = pc; }
static uint64_t x86_sp(const regs_t *r) { return r->rsp; }

/*
 * System V: rdi, rsi, rdx, rcx, r8, r9. Go's ABIInternal (Go 1.17 on amd64):
 * rax, rbx, rcx, rdi, rsi, r8, r9, r10, r11, a value wider than a register
 * (a string's {ptr, len}) taking consecutive ones.
 */
static uint64_t x86_arg(const regs_t *r, enum call_abi abi, int i)
{
	const unsigned long long c[] = {r->rdi, r->rsi, r->rdx, r->rcx, r->r8, r->r9};
	const unsigned long long go[] = {r->rax, r->rbx, r->rcx, r->rdi, r->rsi,
					 r->r8,  r->r9,  r->r10, r->r11};
	if (abi == ABI_GO_REGS)
		return i >= 0 && i < (int)(sizeof go / sizeof go[0]) ? go[i] : 0;
	return i >= 0 && i < (int)(sizeof c / sizeof c[0]) ? c[i] : 0;
}

/* Go's ABIInternal keeps the current goroutine (g) in r14. */
static uint64_t x86_context(const regs_t *r, enum call_abi abi)
{
	return abi == ABI_GO_REGS ? r->r14 : 0;
}

/* At entry the call has just pushed the return address: it is at rsp. */
static bool x86_return_address(struct mem *m, const regs_t *r, uint64_t *ret)
{
	return mem_read_u64(m, r->rsp, ret);
}

/* The stack grows down; the return pops the return address. */
static bool x86_returned(uint64_t sp_now, uint64_t sp_entry) { return sp_now > sp_entry; }

/* ret pops the 8-byte return address and nothing else: callers pop their own arguments, under
 * the C ABI and Go's alike. */
static uint64_t x86_sp_at_return(uint64_t sp_entry) { return sp_entry + 8; }
static bool x86_returned_from(uint64_t sp_now, uint64_t sp_entry)
{
	return sp_now == x86_sp_at_return(sp_entry);
}

static bool x86_trap_insn_before(const uint8_t b[2], bool last_byte_is_ours)
{
	return (b[1] == 0xcc && !last_byte_is_ours) || (b[0] == 0xcd && b[1] == 0x03);
}

static bool x86_is_int1(uint8_t b) { return b == 0xf1; }

const struct isa isa_x86_64 = {
	.name = "x86-64",
	.pc = x86_pc,
	.set_pc = x86_set_pc,
	.sp = x86_sp,
	.arg = x86_arg,
	.context = x86_context,
	.return_address = x86_return_address,
	.returned = x86_returned,
	.sp_at_return = x86_sp_at_return,
	.returned_from = x86_returned_from,
	.bp_byte = 0xcc,
	.trap_insn_before = x86_trap_insn_before,
	.is_int1 = x86_is_int1,
};
