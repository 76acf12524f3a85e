/* mem.h: reading and writing a stopped tracee's memory. */
#ifndef MAPVIZ_MEM_H
#define MAPVIZ_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mem {
	pid_t pid;
	int fd; /* /proc/PID/mem */
};

int mem_open(struct mem *m, pid_t pid);
void mem_close(struct mem *m);
bool mem_read(struct mem *m, uint64_t addr, void *buf, size_t len);
bool mem_read_u64(struct mem *m, uint64_t addr, uint64_t *v);
/* Writes one byte through ptrace (so text pages can be patched); tid is a ptrace-stopped
 * thread of the process (ptrace acts only on stopped threads). */
bool mem_poke_byte(pid_t tid, uint64_t addr, uint8_t byte, uint8_t *old);

#endif
