/*
 * dregs_x86.c: the x86-64 debug-register encoding, pure. DR0-DR3 hold
 * addresses, DR7 enables them (a local-enable bit, a 2-bit RW field and a
 * 2-bit LEN field per register), DR6 reports which one fired. The ptrace side
 * that moves these numbers in and out of a thread is target/watch_x86_64.c.
 */
#include "base/dregs.h"

int x86_dr7_len_bits(unsigned len)
{
	switch (len) {
	case 1: return 0x0;
	case 2: return 0x1;
	case 8: return 0x2;
	case 4: return 0x3;
	default: return -1;
	}
}

bool watch_valid(uint64_t addr, unsigned len)
{
	return x86_dr7_len_bits(len) >= 0 && addr % len == 0;
}

uint64_t x86_dr7_encode(const struct watch w[ARCH_MAX_WATCH])
{
	uint64_t dr7 = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++) {
		if (!w[i].used || !watch_valid(w[i].addr, w[i].len))
			continue;
		unsigned rw = w[i].kind == WATCH_ACCESS ? X86_DR_RW_ACCESS : X86_DR_RW_WRITE;
		dr7 |= X86_DR7_LOCAL_ENABLE(i);
		dr7 |= (uint64_t)rw << X86_DR7_RW_SHIFT(i);
		dr7 |= (uint64_t)x86_dr7_len_bits(w[i].len) << X86_DR7_LEN_SHIFT(i);
	}
	return dr7;
}

bool x86_dr7_decode(uint64_t dr7, unsigned i, unsigned *len, enum watch_kind *kind)
{
	if (i >= ARCH_MAX_WATCH || !(dr7 & X86_DR7_LOCAL_ENABLE(i)))
		return false;
	static const unsigned lens[4] = {1, 2, 8, 4};
	unsigned rw = (dr7 >> X86_DR7_RW_SHIFT(i)) & 3;
	*len = lens[(dr7 >> X86_DR7_LEN_SHIFT(i)) & 3];
	*kind = rw == X86_DR_RW_ACCESS ? WATCH_ACCESS : WATCH_WRITE;
	return true;
}
