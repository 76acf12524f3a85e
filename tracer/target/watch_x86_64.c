/*
 * watch_x86_64.c: the x86-64 watch registers of a stopped thread, through
 * ptrace: it only moves the numbers base/dregs_x86.c encodes in and out of
 * struct user's u_debugreg. Following the SDM, DR7 is written 0 before DR0-3
 * change, so no stale enable points at a half-updated address; DR6 is not
 * cleared by the CPU.
 */
#include "target/watch.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <sys/ptrace.h>
#include <sys/user.h>


static int poke_dr(pid_t tid, unsigned n, uint64_t v)
{
	errno = 0;
	if (ptrace(PTRACE_POKEUSER, tid, offsetof(struct user, u_debugreg[n]), v) != 0)
		return -errno;
	return 0;
}

static int peek_dr(pid_t tid, unsigned n, uint64_t *v)
{
	errno = 0;
	long r = ptrace(PTRACE_PEEKUSER, tid, offsetof(struct user, u_debugreg[n]), 0);
	if (r == -1 && errno)
		return -errno;
	*v = (uint64_t)r;
	return 0;
}

static int x86_set(pid_t tid, const struct watch *w)
{
	int rc = poke_dr(tid, 7, 0);
	for (unsigned i = 0; i < ARCH_MAX_WATCH && rc == 0; i++)
		if (w[i].used)
			rc = poke_dr(tid, i, w[i].addr);
	if (rc == 0)
		rc = poke_dr(tid, 6, 0);
	if (rc == 0)
		rc = poke_dr(tid, 7, x86_dr7_encode(w));
	return rc;
}

static int x86_clear(pid_t tid)
{
	int rc = poke_dr(tid, 7, 0);
	for (unsigned i = 0; i < ARCH_MAX_WATCH && rc == 0; i++)
		rc = poke_dr(tid, i, 0);
	if (rc == 0)
		rc = poke_dr(tid, 6, 0);
	return rc;
}

static int x86_read_hits(pid_t tid, unsigned *mask)
{
	uint64_t dr6;
	int rc = peek_dr(tid, 6, &dr6);
	if (rc)
		return rc;
	*mask = dr6 & 0xf;
	return 0;
}

static int x86_clear_hits(pid_t tid) { return poke_dr(tid, 6, 0); }

/*
 * The DR6 that ptrace shows is the kernel's per-thread copy. Since Linux 5.11
 * it is started afresh at each debug exception (thread.virtual_dr6, with only
 * the single-step bit carried over); before, the B0-B3 bits piled up until a
 * debugger cleared them, as in the hardware register.
 */
static bool x86_hits_fresh_each_trap(void)
{
	static int fresh = -1;
	if (fresh < 0) {
		struct utsname u;
		unsigned major = 0, minor = 0;
		fresh = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
			(major > 5 || (major == 5 && minor >= 11));
	}
	return fresh;
}

static int x86_enabled(pid_t tid, unsigned *mask)
{
	uint64_t dr7;
	int rc = peek_dr(tid, 7, &dr7);
	if (rc)
		return rc;
	*mask = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		if (dr7 & X86_DR7_LOCAL_ENABLE(i))
			*mask |= 1u << i;
	return 0;
}

const struct arch_watch_ops arch_watch_x86_64 = {
	.name = "x86-64",
	.nslots = 4,
	.set = x86_set,
	.clear = x86_clear,
	.read_hits = x86_read_hits,
	.clear_hits = x86_clear_hits,
	.hits_fresh_each_trap = x86_hits_fresh_each_trap,
	.enabled = x86_enabled,
};
