/*
 * mapviz-render: a trajectory recorded with `mapviz-trace --format json`
 * drawn as the picture `mapviz-trace --format svg` draws live. The recording
 * is read back into events (events/recording.c) and given to the same SVG
 * writer (events/svg.c), so both pictures of the same events are the same.
 *
 *   mapviz-render FILE.jsonl [-o OUT.svg]      ('-': standard input / output)
 *
 * Exit status: 0; 2 for a usage error or bad input (unreadable, a line that is
 * not a mapviz-trace event, no events), one line "mapviz-render: FILE:N: ...";
 * 1 when the picture could not be written. On any error no picture is left:
 * the whole recording is read and drawn before the output is opened, and an
 * output file that could not be written whole is removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events/recording.h"
#include "events/svg.h"

#define MAPVIZ_VERSION "0.1.0"

static const char usage_text[] =
	"usage: mapviz-render FILE.jsonl [-o OUT.svg]\n"
	"  draws a recording of mapviz-trace --format json as mapviz-trace --format svg would\n"
	"  -o, --output OUT   the picture ('-' or none: standard output)\n"
	"  -h, --help         this help\n"
	"      --version      the version\n"
	"  FILE '-' reads standard input.\n";

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mapviz-render: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

/* Reads the whole recording into the SVG writer, which draws it into *picture. */
static void draw_recording(FILE *in, const char *name, char **picture, size_t *len)
{
	FILE *out = open_memstream(picture, len);
	if (!out)
		die(1, "out of memory");
	struct recording r = {0};
	char *text = NULL;
	size_t cap = 0;
	size_t number = 0;
	char err[512];
	errno = 0;
	while (getline(&text, &cap, in) != -1) {
		number++;
		struct meta m;
		struct event e;
		switch (recording_read(&r, text, &m, &e, err, sizeof err)) {
		case RECORDED_META: writer_svg.meta(out, &m); break;
		case RECORDED_EVENT: writer_svg.event(out, &e); break;
		case RECORDED_NOTHING: break;
		default: die(2, "%s:%zu: %s", name, number, err);
		}
	}
	if (ferror(in))
		die(2, "%s: %s", name, strerror(errno ? errno : EIO));
	free(text);
	recording_close(&r);
	if (!r.have_meta)
		die(2, "%s: empty (no meta line)", name);
	if (!r.nevents)
		die(2, "%s:%zu: no events after the meta line", name, number);
	svg_draw(out); /* (already drawn when the recording ends with its exit event) */
	if (fclose(out) != 0)
		die(1, "out of memory");
}

/* Writes the picture to path ('-': standard output); a file not written whole is removed. */
static void write_picture(const char *path, const char *picture, size_t len)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *out = to_stdout ? stdout : fopen(path, "w");
	if (!out)
		die(2, "%s: %s", path, strerror(errno));
	errno = 0;
	bool ok = fwrite(picture, 1, len, out) == len && fflush(out) == 0;
	int err = errno ? errno : EIO;
	struct stat st;
	bool regular = fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode);
	if (!to_stdout && fclose(out) != 0 && ok) {
		ok = false;
		err = errno ? errno : EIO;
	}
	if (ok)
		return;
	if (!to_stdout && regular)
		unlink(path);
	die(1, "%s: %s", to_stdout ? "standard output" : path, strerror(err));
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256 };
	static const struct option longopts[] = {
		{"output", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, OPT_VERSION},
		{0, 0, 0, 0},
	};
	const char *output = "-";
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case OPT_VERSION: printf("mapviz-render %s\n", MAPVIZ_VERSION); return 0;
		case ':': die(2, "option %s needs an argument (try --help)", argv[optind - 1]);
		default: die(2, "unknown option %s (try --help)", argv[optind - 1]);
		}
	}
	if (optind == argc)
		die(2, "no recording: give FILE.jsonl (try --help)");
	if (argc - optind > 1)
		die(2, "one recording at a time: %s and %s (try --help)", argv[optind], argv[optind + 1]);
	const char *name = argv[optind];
	bool from_stdin = strcmp(name, "-") == 0;
	FILE *in = from_stdin ? stdin : fopen(name, "r");
	if (!in)
		die(2, "%s: %s", name, strerror(errno));
	char *picture = NULL;
	size_t len = 0;
	draw_recording(in, from_stdin ? "standard input" : name, &picture, &len);
	if (!from_stdin)
		fclose(in);
	write_picture(output, picture, len);
	free(picture);
	return 0;
}
