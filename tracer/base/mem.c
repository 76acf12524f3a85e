/* mem.c: /proc/PID/mem for reads, PTRACE_POKEDATA for breakpoint bytes. */
#define _GNU_SOURCE
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <unistd.h>

int mem_open(struct mem *m, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	m->pid = pid;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	return m->fd < 0 ? -errno : 0;
}

void mem_close(struct mem *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

bool mem_read(struct mem *m, uint64_t addr, void *buf, size_t len)
{
	if (addr == 0 || addr + len < addr)
		return false;
	return pread(m->fd, buf, len, (off_t)addr) == (ssize_t)len;
}

bool mem_read_u64(struct mem *m, uint64_t addr, uint64_t *v) { return mem_read(m, addr, v, 8); }

bool mem_poke_byte(pid_t tid, uint64_t addr, uint8_t byte, uint8_t *old)
{
	/* A word at addr & ~7 always lies within the page holding addr. */
	uint64_t base = addr & ~7ull;
	errno = 0;
	long w = ptrace(PTRACE_PEEKDATA, tid, base, 0);
	if (w == -1 && errno)
		return false;
	unsigned shift = (unsigned)(addr - base) * 8;
	if (old)
		*old = (uint8_t)((unsigned long)w >> shift);
	unsigned long nw = ((unsigned long)w & ~(0xfful << shift)) | ((unsigned long)byte << shift);
	return ptrace(PTRACE_POKEDATA, tid, base, nw) == 0;
}
