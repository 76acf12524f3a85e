/*
 * stream.h: the event stream of a session. Events are queued and written
 * after the thread that caused them is resumed, so that the formatting
 * overlaps with the program running; order is kept (seq is given at emit).
 * A write error ends the session: the error line once, then nothing more is
 * written.
 */
#ifndef MAPVIZ_EVENTS_STREAM_H
#define MAPVIZ_EVENTS_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "events/event.h"

struct stream {
	FILE *out;
	const char *out_name;  /* the file as the error line names it */
	const struct writer *writer;
	int out_errno;         /* the first write error of out; then the session ends */
	bool out_dirty;        /* events written to out since it was last flushed */
	uint64_t t0_ns;
	uint64_t seq;
	uint64_t nevents;      /* writes, reads and races, for -n */
	uint64_t max_events;   /* 0: no limit */
	/* Called once when the stream asks the session to end (why: "-n reached",
	 * "output lost"). */
	void (*end)(void *ctx, const char *why);
	void *end_ctx;
	struct event queue[16];
	int nqueued;
};

uint64_t now_ns(void);
void stream_emit(struct stream *s, struct event *e);
/* Writes the queued events; a write error ends the session. */
void stream_write_queued(struct stream *s);
/* Flushes out to the file; false (and the session ends) when it cannot be written. */
bool stream_flush(struct stream *s);
/* out could not be written (err: errno): the error line once, and the session ends. */
void stream_failed(struct stream *s, int err);

#endif
