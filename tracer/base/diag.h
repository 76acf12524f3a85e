/*
 * diag.h: diagnostics. A note is one line "mapviz-trace: ..." on standard
 * error, unless a sink is set (a JSON stream on standard error takes notes
 * as note events, so that it holds JSON Lines only).
 */
#ifndef MAPVIZ_BASE_DIAG_H
#define MAPVIZ_BASE_DIAG_H

#include <stdarg.h>

typedef void (*diag_sink)(void *ctx, const char *message);

/* Where notes go from now on; NULL: standard error. */
void diag_set_sink(diag_sink sink, void *ctx);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vnote(const char *fmt, va_list ap);
/* A one-line warning given as a whole line (for callbacks that take one). */
void warn_line(const char *line);

#endif
