/*
 * dregs.h: hardware watches as plain data, and the x86 DR7/DR6 encoding
 * (pure, unit-tested without ptrace). A watch is an aligned region (len 1, 2,
 * 4 or 8, addr % len == 0) that traps on write, or on read and write. Putting
 * watches into a thread is the target's (target/watch.h).
 */
#ifndef MAPVIZ_BASE_DREGS_H
#define MAPVIZ_BASE_DREGS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum watch_kind { WATCH_WRITE = 1, WATCH_ACCESS = 3 };

struct watch {
	uint64_t addr;
	unsigned len;          /* 1, 2, 4 or 8 */
	enum watch_kind kind;
	bool used;
};

#define ARCH_MAX_WATCH 4

/* x86 DR7/DR6 encoding: pure functions, unit-tested without ptrace. */
#define X86_DR7_LOCAL_ENABLE(i) (1ull << (2 * (i)))
#define X86_DR7_RW_SHIFT(i) (16 + 4 * (i))
#define X86_DR7_LEN_SHIFT(i) (18 + 4 * (i))
#define X86_DR_RW_WRITE 0x1u
#define X86_DR_RW_ACCESS 0x3u
#define X86_DR6_HIT(dr6, i) (((dr6) >> (i)) & 1u)

/* The DR7 value that enables the used watches of w[0..3]; 0 when none. */
uint64_t x86_dr7_encode(const struct watch w[ARCH_MAX_WATCH]);
/* Decodes slot i of dr7: false when disabled, else its len and kind. */
bool x86_dr7_decode(uint64_t dr7, unsigned i, unsigned *len, enum watch_kind *kind);
/* The LEN field of DR7 for a length of 1, 2, 4 or 8 bytes; -1 for any other. */
int x86_dr7_len_bits(unsigned len);
/* True when a watch of len bytes at addr is encodable (len valid, addr aligned). */
bool watch_valid(uint64_t addr, unsigned len);

#endif
