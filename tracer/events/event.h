/*
 * event.h: the event stream. The tracer fills struct event; writers (text,
 * JSON Lines) render it and know nothing of ptrace. A new writer (SVG) is a
 * new struct writer.
 */
#ifndef MAPVIZ_EVENTS_EVENT_H
#define MAPVIZ_EVENTS_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/code.h"
#include "base/stack.h"
#include "model/design.h"

enum event_type { EV_WRITE, EV_READ, EV_MOVE, EV_RACE, EV_EXIT, EV_NOTE };

struct event {
	enum event_type type;
	uint64_t seq;
	uint64_t t_ns; /* since the tracer started */
	pid_t tid;
	/* write, read, race */
	enum map_op op;
	enum map_field field;
	const char *field_name; /* the field in the design's words: tophash, key, count, ... */
	struct place at;
	uint64_t addr;
	unsigned size;
	uint64_t old, new;  /* values of the first size (<= 8) bytes, little-endian */
	/* old and new as the program's types show them: state or flag names, header counts,
	 * key and elem values in their C notation ({x = 3, y = -3}, 1.5, "alice"), "" when
	 * there is nothing to say beyond the raw value (a pointer, a live tophash byte). */
	char old_decoded[320], new_decoded[320];
	struct code_loc code;
	struct stack stack;
	bool has_stack;
	/* move */
	struct place from, to;
	bool from_valid, to_valid, to_present;
	const char *reason; /* growth, evacuate, reseed, inserted, deleted, relocated */
	/* race: the access (op, field, values, code and stack above) was a write or a read; the
	 * other thread is inside a write operation of the map (other_op). access_unknown: a
	 * recording made before races said which (read back by events/recording.c) */
	bool access_writes, access_unknown;
	pid_t other_tid;
	enum map_op other_op;
	struct stack other_stack;
	/* exit */
	const char *exit_reason; /* exited, killed, detached */
	int exit_code;   /* -1 when killed or not known (detached from a process not ours) */
	int exit_signal; /* 0 when exited or not known */
	/* note */
	char message[512];
};

struct meta {
	const char *program;
	pid_t pid;
	const char *map;
	const char *key;
	const char *mode;
	const struct map_model *model;
	uint64_t map_addr;
};

struct writer {
	const char *name;
	void (*meta)(FILE *out, const struct meta *m);
	void (*event)(FILE *out, const struct event *e);
};

extern const struct writer writer_text;
extern const struct writer writer_json;

#endif
