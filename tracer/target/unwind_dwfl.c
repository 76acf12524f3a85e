/*
 * unwind_dwfl.c: backtraces of a ptrace-stopped thread with libdwfl's unwinder
 * (call-frame information from .eh_frame and .debug_frame, as eu-stack uses),
 * over the same Dwfl that names the frames. The tracer holds the thread
 * stopped, so the callbacks only read: its registers (PTRACE_GETREGS) and its
 * memory. A walk reads many words from the same few stack pages: they are read
 * a page at a time from /proc/PID/mem into a cache valid for one walk.
 */
#define _GNU_SOURCE
#include "target/unwind.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "base/mem.h"

#define PAGE 4096
#define CACHED_PAGES 8

struct unwinder {
	struct dbg *dbg;
	Dwfl *dwfl;
	struct mem mem;
	/* the page cache of the walk in progress */
	int npages;
	uint64_t page_addr[CACHED_PAGES];
	uint8_t page[CACHED_PAGES][PAGE];
};

static pid_t no_next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	(void)dwfl, (void)arg, (void)thread_arg;
	return 0; /* threads are walked by tid, never enumerated */
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	(void)dwfl, (void)arg;
	*thread_arg = (void *)(intptr_t)tid;
	return true;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	struct unwinder *u = arg;
	uint64_t page = addr & ~(uint64_t)(PAGE - 1);
	if (addr - page > PAGE - sizeof *result)
		return mem_read(&u->mem, addr, result, sizeof *result); /* across two pages */
	int i = 0;
	while (i < u->npages && u->page_addr[i] != page)
		i++;
	if (i == u->npages) {
		if (u->npages == CACHED_PAGES || !mem_read(&u->mem, page, u->page[i], PAGE))
			return mem_read(&u->mem, addr, result, sizeof *result);
		u->page_addr[i] = page;
		u->npages++;
	}
	memcpy(result, u->page[i] + (addr - page), sizeof *result);
	return true;
}

/* The thread's registers in DWARF's numbering for x86-64 (the ABI's table): rax, rdx, rcx,
 * rbx, rsi, rdi, rbp, rsp, r8-r15, then the return address column, rip. */
static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	pid_t tid = (pid_t)(intptr_t)thread_arg;
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
		return false;
	Dwarf_Word regs[17] = {r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
			       r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip};
	return dwfl_thread_state_registers(thread, 0, 17, regs);
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = no_next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static struct unwinder *dwfl_unwind_init(struct dbg *d, pid_t pid)
{
	struct unwinder *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->dbg = d;
	u->dwfl = dbg_dwfl(d);
	if (mem_open(&u->mem, pid) != 0 || !dwfl_attach_state(u->dwfl, NULL, pid, &callbacks, u)) {
		mem_close(&u->mem);
		free(u);
		return NULL;
	}
	return u;
}

struct walk {
	struct dbg *dbg;
	struct stack *out;
	int max;
};

static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(frame, &pc, &activation) || pc == 0)
		return DWARF_CB_ABORT;
	/* A caller's pc is a return address, the call the byte before it; the stopped pc and the
	 * pc a signal interrupted (activations) are the next instruction to run. */
	dbg_push_frames(w->dbg, w->out, pc, !activation);
	return w->out->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int dwfl_unwind_walk(struct unwinder *u, pid_t tid, struct stack *out, int max)
{
	struct walk w = {u->dbg, out, max < EVENT_MAX_FRAMES ? max : EVENT_MAX_FRAMES};
	out->n = 0;
	u->npages = 0; /* the stack changed since the last walk */
	/* Ends with -1 where the stack cannot be unwound further: the frames so far stand. */
	dwfl_getthread_frames(u->dwfl, tid, on_frame, &w);
	if (out->n > w.max)
		out->n = w.max;
	return out->n ? out->n : -1;
}

static void dwfl_unwind_fin(struct unwinder *u)
{
	if (!u)
		return;
	mem_close(&u->mem);
	free(u); /* the Dwfl's thread state ends with the Dwfl (dbg_close) */
}

const struct unwinder_ops unwind_dwfl = {
	.name = "libdwfl",
	.init = dwfl_unwind_init,
	.walk = dwfl_unwind_walk,
	.fin = dwfl_unwind_fin,
};
