/*
 * svg.h: the SVG writer, a picture of a whole trajectory. Its columns are
 * known only when the stream ends, so it keeps the events it is given and
 * draws them all at once: at the stream's exit event, or when a reader of a
 * recording that has none (a filtered one) calls svg_draw.
 *
 * The picture is a timeline: one lane per cell the events name (a field at an
 * address: state bytes, keys, elems, the header's count and flags), one
 * column per event in stream order, wrapped into bands so that a long
 * trajectory grows downwards; values and state names in the cells (state
 * names as the model gives them: the meta's states), threads as colors, races
 * marked with their access (read or write) and the thread inside the write
 * with its operation ("while tid 8", "inside delete"), and a legend. Everything an
 * event says is in its cell's tooltip (an SVG title).
 *
 * It draws from what the JSON Lines stream carries, nothing more, so that a
 * live picture and the picture of a recording of the same events are the
 * same: mapviz-render feeds recorded events to this same writer.
 *
 * One picture per process: the writer's state is its own, filled by the one
 * stream of a session (or of mapviz-render). The event's strings need to live
 * only through the call: the writer copies what it keeps.
 */
#ifndef MAPVIZ_EVENTS_SVG_H
#define MAPVIZ_EVENTS_SVG_H

#include <stdbool.h>
#include <stdio.h>

#include "events/event.h"

extern const struct writer writer_svg;

/* Draws the picture of the events kept so far into out, once (later calls and events do
 * nothing). The writer calls it at the exit event. */
void svg_draw(FILE *out);
/* Whether the picture has been drawn. */
bool svg_drawn(void);

#endif
