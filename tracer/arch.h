/*
 * arch.h: the hardware watchpoint interface, one implementation per
 * architecture (arch_x86_64.c today; an aarch64 port implements the same
 * table over NT_ARM_HW_WATCH in one new file).
 *
 * A watch is an aligned region (len 1, 2, 4 or 8, addr % len == 0) that traps
 * on write, or on read and write. Registers belong to one thread and are
 * changed only while that thread is ptrace-stopped.
 */
#ifndef MAPVIZ_ARCH_H
#define MAPVIZ_ARCH_H

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

struct arch_watch_ops {
	const char *name;
	unsigned nslots; /* hardware watch registers available */
	/* Programs slots 0..nslots-1 of thread tid (unused slots disabled). 0 or -errno. */
	int (*set)(pid_t tid, const struct watch *w);
	/* Disables every watch register of tid and clears the hit status. 0 or -errno. */
	int (*clear)(pid_t tid);
	/* Which slots the status says fired (a bit per slot). 0 or -errno. */
	int (*read_hits)(pid_t tid, unsigned *mask);
	/* Clears the status. 0 or -errno. */
	int (*clear_hits)(pid_t tid);
	/* True when the OS starts the status afresh at each debug trap, so that after a watch
	 * trap it names only that trap's slots without being cleared (it still shows them at a
	 * later trap of another kind, such as a breakpoint or a signal). */
	bool (*hits_fresh_each_trap)(void);
	/* Reads the enabled slots back from the thread (a bit per enabled slot). 0 or -errno. */
	int (*enabled)(pid_t tid, unsigned *mask);
};

extern const struct arch_watch_ops arch_watch_x86_64;

/* The implementation for the architecture the tracer runs on. */
static inline const struct arch_watch_ops *arch_watch(void) { return &arch_watch_x86_64; }

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
