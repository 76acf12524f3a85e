/*
 * session.h: one tracing session, from the command line to the exit status.
 * The session owns the parts of every layer (the target, the map model, the
 * event stream, the mode) and runs the loop: it takes each stop from the
 * target, gives a watch hit (through the hit backend) or a breakpoint to the
 * mode's table, and knows no mode.
 *
 * Invariants: a JSON stream holds JSON Lines only (when it is standard error,
 * diagnostics go into it as note events; otherwise they are lines on standard
 * error); the stream always ends with an exit event.
 */
#ifndef MAPVIZ_SESSION_SESSION_H
#define MAPVIZ_SESSION_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "events/stream.h"
#include "hits/hit.h"
#include "modes/mode.h"
#include "target/target.h"

enum mode_choice { MODE_SLOT, MODE_DELETE };

struct options {
	const char *map;
	const char *key;
	enum mode_choice mode;
	bool reads;
	bool stack;
	const char *output;
	const struct writer *writer;
	bool step;
	uint64_t max_events;
	pid_t attach_pid;
	char **argv; /* the program to run */
};

struct session {
	struct options opt;
	struct target tg;
	struct map_model model;
	struct map_target where;
	struct stream stream;
	const struct hit_backend *hits;
	const struct mode_ops *mode;
	struct mode_env env;
	sigset_t ending_signals; /* the signals that ask for a clean detach */
	uint64_t nhits;          /* watch hits taken */
};

/* The last signal (SIGINT, SIGTERM, SIGQUIT, ...) that asks the tracer to detach, or 0. */
extern volatile sig_atomic_t tracer_interrupted;
/* Whether it came from the terminal (sent by the kernel to the foreground process group). */
extern volatile sig_atomic_t tracer_interrupted_by_tty;

/* Runs the session; the tracer's exit status. */
int session_run(struct session *S);

#endif
