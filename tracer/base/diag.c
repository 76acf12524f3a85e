/* diag.c: notes on standard error, or into a sink (see diag.h). */
#include "base/diag.h"

#include <stdio.h>

static diag_sink sink;
static void *sink_ctx;

void diag_set_sink(diag_sink s, void *ctx)
{
	sink = s;
	sink_ctx = ctx;
}

void vnote(const char *fmt, va_list ap)
{
	if (sink) {
		char message[512];
		vsnprintf(message, sizeof message, fmt, ap);
		sink(sink_ctx, message);
		return;
	}
	fputs("mapviz-trace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

void warn_line(const char *line) { note("%s", line); }
