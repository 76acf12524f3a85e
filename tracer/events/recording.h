/*
 * recording.h: a recorded stream read back. A JSON Lines stream written by
 * writer_json (a meta line, then one event a line) becomes the struct meta
 * and struct events it was written from, as far as JSON carries them, so
 * that any writer can draw a recording as it would have drawn the live
 * stream (mapviz-render: the SVG writer).
 *
 * What a recording cannot give back: the model's design and source (a
 * recorded meta's model has names only: type, key and elem types, the slot
 * states and flags by name), the enum field of an event (field_name holds
 * the design's word), and a stack's function offsets. Strings of the meta
 * and of an event point into the line they came from: they live until the
 * next line is read.
 */
#ifndef MAPVIZ_EVENTS_RECORDING_H
#define MAPVIZ_EVENTS_RECORDING_H

#include <stdbool.h>
#include <stddef.h>

#include "events/event.h"

struct json_object;

struct recording {
	struct json_object *line; /* the line last read, which the strings point into */
	struct map_model model;   /* the meta line's names */
	bool have_meta, have_exit;
	size_t nevents;
};

enum recorded { RECORDED_NOTHING, RECORDED_META, RECORDED_EVENT };

/* Reads one line of a recording into *m (the meta line, which comes first) or *e. Returns
 * what it was (a blank line is nothing), or -1 with err saying what is wrong with it (one
 * line, without the file's name). */
int recording_read(struct recording *r, const char *text, struct meta *m, struct event *e, char *err,
		   size_t errlen);
void recording_close(struct recording *r);

#endif
