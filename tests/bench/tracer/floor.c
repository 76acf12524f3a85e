/*
 * floor: the least any ptrace watchpoint tracer does per hit, to measure
 * mapviz-trace against. Runs PROGRAM (tests/bench/tracer/hits), reads the
 * address it prints, arms DR0 there (8 bytes, write) when the program sends
 * itself SIGUSR1, then per hit: waitpid, PTRACE_GETREGS, PTRACE_CONT.
 * Prints "hits N" and exits with the program's status.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: floor PROGRAM [ARGS...]\n");
		return 2;
	}
	int fds[2];
	if (pipe(fds) != 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	unsigned long long addr = 0;
	long hits = 0;
	int st;
	while (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
		int sig = WSTOPSIG(st);
		if (sig == SIGUSR1 && !addr) {
			if (fscanf(in, "%llx", &addr) != 1)
				return 2;
			/* DR7: L0, RW0 = write (01), LEN0 = 8 bytes (10). */
			if (ptrace(PTRACE_POKEUSER, pid, offsetof(struct user, u_debugreg[0]), addr) ||
			    ptrace(PTRACE_POKEUSER, pid, offsetof(struct user, u_debugreg[7]),
				   1ul | (1ul << 16) | (2ul << 18))) {
				perror("floor: POKEUSER");
				return 2;
			}
			sig = 0;
		} else if (sig == SIGTRAP) {
			/* A hit; before arming, the SIGTRAP of the exec. */
			struct user_regs_struct regs;
			ptrace(PTRACE_GETREGS, pid, 0, &regs);
			hits += addr != 0;
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
	}
	char line[256];
	while (fgets(line, sizeof line, in))
		fputs(line, stdout);
	printf("hits %ld\n", hits);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
