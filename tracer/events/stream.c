/* stream.c: the queued event stream (see stream.h). */
#define _GNU_SOURCE
#include "events/stream.h"

#include <errno.h>
#include <string.h>
#include <time.h>

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void end_session(struct stream *s, const char *why)
{
	if (s->end)
		s->end(s->end_ctx, why);
}

void stream_emit(struct stream *s, struct event *e)
{
	e->seq = ++s->seq;
	e->t_ns = now_ns() - s->t0_ns;
	if (s->nqueued == (int)(sizeof s->queue / sizeof s->queue[0]))
		stream_write_queued(s);
	s->queue[s->nqueued++] = *e;
	bool counted = e->type == EV_WRITE || e->type == EV_READ || e->type == EV_RACE;
	if (counted && ++s->nevents == s->max_events)
		end_session(s, "-n reached");
}

void stream_write_queued(struct stream *s)
{
	if (s->out_errno)
		s->nqueued = 0; /* the stream is lost: nothing more goes to it */
	for (int i = 0; i < s->nqueued; i++)
		s->writer->event(s->out, &s->queue[i]);
	if (s->nqueued)
		s->out_dirty = true;
	s->nqueued = 0;
	if (ferror(s->out))
		stream_failed(s, errno);
}

void stream_failed(struct stream *s, int err)
{
	if (s->out_errno)
		return;
	s->out_errno = err ? err : EIO;
	fprintf(stderr, "mapviz-trace: %s: %s\n", s->out_name, strerror(s->out_errno));
	end_session(s, "output lost");
	s->out_dirty = false;
}

bool stream_flush(struct stream *s)
{
	if (s->out_errno)
		return false;
	errno = 0;
	if (fflush(s->out) != 0 || ferror(s->out)) {
		stream_failed(s, errno);
		return false;
	}
	s->out_dirty = false;
	return true;
}
