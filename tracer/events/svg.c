/*
 * svg.c: the SVG writer (see svg.h). The stream's events are kept as
 * columns, each with the lines its cell shows and its tooltip; cells become
 * lanes as events name them; svg_draw lays the columns out in bands and
 * writes the picture.
 *
 * All text is monospace, so that a string's width is its length in
 * characters times the font's advance (0.6 em for DejaVu Sans Mono and its
 * kin): a cell's lines are shortened to what its column holds, never drawn
 * over the next one.
 */
#define _GNU_SOURCE
#include "events/svg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- the geometry (pixels) ---- */

#define MARGIN 16
#define TITLE_H 58      /* two title lines */
#define LABEL_W 232     /* the lane labels' column */
#define COL_W 100       /* one event */
#define HEAD_H 34       /* the column heads: sequence number and operation */
#define LINE_H 13       /* a cell's lines, one below the other */
#define LANE_PAD 10     /* a lane's height beyond its cells' lines */
#define LANE_LINES 2    /* a lane holds at least: the value, and what it was (or read) */
#define STREAM_H 48     /* the stream's own events: moves, notes, the exit */
#define BAND_GAP 26
#define COLS_MAX 14     /* columns in a band; more events wrap into another band */
#define MIN_W 1000      /* room for the legend */
#define FONT "DejaVu Sans Mono, Liberation Mono, Menlo, Consolas, monospace"
#define ADVANCE 0.61    /* a character's width, in em, with a little to spare */
#define CELL_FONT 10
#define LABEL_FONT 11
#define CELL_CHARS ((int)((COL_W - 10) / (CELL_FONT * ADVANCE)))
#define NOTE_FONT 9 /* a cell's second and third lines */
#define NOTE_CHARS ((int)((COL_W - 10) / (NOTE_FONT * ADVANCE)))
#define LABEL_CHARS ((int)((LABEL_W - 14) / (LABEL_FONT * ADVANCE)))
#define RACE_INK "#d62728"

/* Threads in order of their first event: the color (stroke) and its tint (fill). Red is
 * kept for races. */
static const char *const thread_ink[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
					 "#8c564b", "#e377c2", "#bcbd22", "#17becf"};
static const char *const thread_tint[] = {"#d6e6f4", "#ffe3c8", "#d5efd5", "#e6dcf1",
					  "#eadcd8", "#f9def0", "#f1f1c6", "#d0f1f5"};
#define NINKS (sizeof thread_ink / sizeof thread_ink[0])
/* The model's states in its order (emptyRest, emptyOne, ... for classic), one ink each. */
static const char *const state_ink[] = {"#4d4d4d", "#a6611a", "#5e3c99", "#1a9850",
					"#c51b7d", "#2166ac", "#8c510a", "#01665e"};
#define NSTATE_INKS (sizeof state_ink / sizeof state_ink[0])

/* ---- what is kept ---- */

/* A watched cell: a field at an address. */
struct lane {
	char *field;       /* in the design's words */
	uint64_t addr;
	bool header;       /* a header field */
	char *place;       /* where the lane's first event says the cell is */
	char *place_later; /* where a later one says it, when that differs (old after growth) */
	size_t first, last; /* its first and last columns */
};

struct thread_color {
	pid_t tid;
	size_t events;
	size_t writer_in; /* races in which it is the thread inside the write */
};

/* One event. */
struct column {
	enum event_type type;
	uint64_t seq;
	pid_t tid;
	int thread;      /* its index in threads */
	int lane;        /* write, read, race: its cell's lane; -1 for the stream's own events */
	char *head;      /* the operation (or move, exit, note) */
	char *line[3];   /* what its cell shows, line by line (NULL: nothing) */
	int state;       /* the model state the value names (index in states), or -1 */
	const char *access; /* race: "read" or "write", NULL when the recording does not say */
	pid_t other_tid;    /* race: the thread inside the write, */
	enum map_op other_op; /* and its write operation (OP_NONE: not known) */
	char *race_words; /* race: who touched what where, while the other thread was where */
	char *title;     /* everything the event says */
};

static struct picture {
	bool have_meta, drawn;
	char *program, *map, *key, *mode, *type_name, *key_type, *elem_type;
	pid_t pid;
	struct enum_value states[MODEL_MAX_NAMES]; /* the model's slot states */
	int nstates;
	struct column *cols;
	size_t ncols, cap;
	struct lane *lanes;
	size_t nlanes, lanes_cap;
	struct thread_color *threads;
	size_t nthreads, threads_cap;
	/* Lanes in drawing order: header fields first, then cells, each by first appearance. */
	size_t *order;
} pic;

static void out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory drawing the picture\n", program_invocation_short_name);
	exit(1);
}

static char *keep(const char *s)
{
	char *c = strdup(s ? s : "");
	if (!c)
		out_of_memory();
	return c;
}

static char *keepf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *keepf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	return s;
}

/* Room for one more of an array of n elements of size sz with capacity *cap. */
static void *grow(void *a, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return a;
	*cap = *cap ? 2 * *cap : 64;
	void *b = realloc(a, *cap * sz);
	if (!b)
		out_of_memory();
	return b;
}

/* ---- words ---- */

/* A value as the text writer shows it: decoded (a state or flag name, a typed key or elem)
 * when the tracer decoded it, else its raw bytes' value in hex. */
static char *value_shown(const char *decoded, uint64_t raw)
{
	return decoded[0] ? keep(decoded) : keepf("%#" PRIx64, raw);
}

/* How a place is spelled: in full in lane labels ("old bucket 0 overflow 1 slot 7"), in a
 * few characters in a cell ("old b0 ov1 s7"). */
struct place_words {
	const char *header, *bucket, *overflow, *slot;
};
static const struct place_words place_long = {"map header", "bucket ", " overflow ", " slot "};
static const struct place_words place_short = {"map", "b", " ov", " s"};

static char *place_text(const struct place *p, const struct place_words *w)
{
	if (!p->in_bucket)
		return keep(w->header);
	char ovf[32] = "", slot[32] = "";
	if (p->overflow)
		snprintf(ovf, sizeof ovf, "%s%u", w->overflow, p->overflow);
	if (p->slot >= 0)
		snprintf(slot, sizeof slot, "%s%d", w->slot, p->slot);
	return keepf("%s%s%" PRIu64 "%s%s", p->old ? "old " : "", w->bucket, p->bucket, ovf, slot);
}

/* A move's end, in a cell: its place, or "nowhere" (the key has none there). */
static char *move_end_text(const struct place *p, bool valid)
{
	return valid ? place_text(p, &place_short) : keep("nowhere");
}

static const char *type_word(enum event_type t)
{
	static const char *const words[] = {"write", "read", "move", "race", "exit", "note"};
	return words[t];
}

/* A race's access: "read", "write", or NULL when a recording made before races said
 * which does not say. */
static const char *race_access(const struct event *e)
{
	return e->access_unknown ? NULL : e->access_writes ? "write" : "read";
}

/* What the other thread of a race is inside: its write operation, "a write" when the
 * recording does not say which. */
static const char *race_inside(const struct event *e)
{
	return e->other_op != OP_NONE ? map_op_name(e->other_op) : "a write";
}

/* Whether the event's cell shows a change (old -> new): a write, or a race that wrote. */
static bool shows_change(const struct event *e)
{
	return e->type == EV_WRITE || (e->type == EV_RACE && e->access_writes);
}

/* The index of the model state a decoded value names, or -1. */
static int state_index(const char *decoded)
{
	for (int i = 0; i < pic.nstates; i++)
		if (strcmp(pic.states[i].name, decoded) == 0)
			return i;
	return -1;
}

/* How the program ended, as a cell's two lines say it. */
static void exit_lines(const struct event *e, struct column *c)
{
	c->line[0] = keep(e->exit_reason ? e->exit_reason : "exit");
	if (e->exit_signal)
		c->line[1] = keepf("signal %d", e->exit_signal);
	else if (e->exit_code >= 0)
		c->line[1] = keepf("status %d", e->exit_code);
}

/* ---- keeping the stream ---- */

/* The index of thread tid, or -1 when no event named it. */
static int thread_known(pid_t tid)
{
	for (size_t i = 0; i < pic.nthreads; i++)
		if (pic.threads[i].tid == tid)
			return (int)i;
	return -1;
}

/* The index of thread tid (a new color at its first mention). */
static int thread_of(pid_t tid)
{
	int known = thread_known(tid);
	if (known >= 0)
		return known;
	pic.threads = grow(pic.threads, pic.nthreads, &pic.threads_cap, sizeof *pic.threads);
	pic.threads[pic.nthreads] = (struct thread_color){.tid = tid};
	return (int)pic.nthreads++;
}

/* The lane of the cell e touches (a new one at its first event). */
static int lane_of(const struct event *e, size_t col)
{
	char *place = place_text(&e->at, &place_long);
	for (size_t i = 0; i < pic.nlanes; i++) {
		struct lane *l = &pic.lanes[i];
		if (l->addr != e->addr || strcmp(l->field, e->field_name) != 0)
			continue;
		l->last = col;
		if (strcmp(place, l->place) != 0 && !l->place_later)
			l->place_later = place;
		else
			free(place);
		return (int)i;
	}
	pic.lanes = grow(pic.lanes, pic.nlanes, &pic.lanes_cap, sizeof *pic.lanes);
	pic.lanes[pic.nlanes] = (struct lane){.field = keep(e->field_name), .addr = e->addr,
					      .header = !e->at.in_bucket, .place = place,
					      .first = col, .last = col};
	return (int)pic.nlanes++;
}

static void put_stack(FILE *t, const struct stack *s, int max)
{
	for (int i = 0; i < s->n && i < max; i++) {
		const struct frame *f = &s->f[i];
		fprintf(t, "\n  %s", f->func ? f->func : "??");
		if (f->file)
			fprintf(t, "  %s:%d", f->file, f->line);
	}
	if (s->n > max)
		fprintf(t, "\n  (%d frames more)", s->n - max);
}

/* The tooltip of a write, read or race: everything the event says. */
static char *cell_title(const struct event *e, const char *place)
{
	char *s = NULL;
	size_t n = 0;
	FILE *t = open_memstream(&s, &n);
	if (!t)
		out_of_memory();
	/* "#12 tid 7 read access: ...", "#13 tid 7 RACE read access: ..." */
	const char *access = e->type == EV_RACE ? race_access(e) : e->type == EV_READ ? "read" : NULL;
	fprintf(t, "#%" PRIu64 " tid %d %s%s%s%s: %s of %s at %#" PRIx64 " (%u byte%s)\n", e->seq,
		(int)e->tid, e->type == EV_RACE ? "RACE " : "", access ? access : "", access ? " " : "",
		map_op_name(e->op), e->field_name, place, e->addr, e->size, e->size == 1 ? "" : "s");
	if (shows_change(e)) {
		char *was = value_shown(e->old_decoded, e->old);
		char *now = value_shown(e->new_decoded, e->new);
		fprintf(t, "%s -> %s", was, now);
		free(was);
		free(now);
	} else {
		char *now = value_shown(e->new_decoded, e->new);
		fprintf(t, "value %s", now);
		free(now);
	}
	if (e->code.func)
		fprintf(t, "\n%s+%#" PRIx64, e->code.func, e->code.off);
	else
		fprintf(t, "\n%#" PRIx64, e->code.pc);
	if (e->code.file)
		fprintf(t, "  %s:%d", e->code.file, e->code.line);
	if (e->code.insn[0])
		fprintf(t, "\n%s", e->code.insn);
	if (e->has_stack)
		put_stack(t, &e->stack, 8);
	if (e->type == EV_RACE) {
		fprintf(t, "\nwhile tid %d is inside %s, a write to the map", (int)e->other_tid, race_inside(e));
		if (e->other_stack.n)
			fputc(':', t);
		put_stack(t, &e->other_stack, 8);
	}
	fprintf(t, "\nt = %.3f ms", e->t_ns / 1e6);
	if (fclose(t) != 0)
		out_of_memory();
	return s;
}

/* A code location in words: " in FUNC FILE:LINE", or "" when nothing is known. */
static char *code_words(const char *func, const char *file, int line)
{
	char *at = file ? keepf(" %s:%d", file, line) : keep("");
	char *s = func || file ? keepf(" in %s%s", func ? func : "??", at) : keep("");
	free(at);
	return s;
}

/* A race in a line of the legend: "#11: tid 7 read elem (bucket 4 slot 0) in read_cell
 * race.c:78 while tid 6 was inside assign, in assign_k hmap/hmap.c:1032". */
static char *race_words(const struct event *e)
{
	char *place = place_text(&e->at, &place_long);
	char *mine = code_words(e->code.func, e->code.file, e->code.line);
	const struct frame *f = e->other_stack.n ? &e->other_stack.f[0] : NULL;
	char *theirs = f ? code_words(f->func, f->file, f->line) : keep("");
	const char *access = race_access(e);
	const char *verb = !access ? "touched" : e->access_writes ? "wrote" : "read";
	char *s = keepf("#%" PRIu64 ": tid %d %s %s (%s)%s while tid %d was inside %s%s%s", e->seq, (int)e->tid,
			verb, e->field_name, place, mine, (int)e->other_tid, race_inside(e), *theirs ? "," : "",
			theirs);
	free(place);
	free(mine);
	free(theirs);
	return s;
}

static void keep_cell_event(const struct event *e, struct column *c, size_t col)
{
	c->lane = lane_of(e, col);
	c->line[0] = value_shown(e->new_decoded, e->new);
	c->state = state_index(e->new_decoded);
	if (e->type == EV_RACE) {
		/* "RACE read", the value, "while tid 6", "inside delete" */
		c->access = race_access(e);
		c->head = c->access ? keepf("RACE %s", c->access) : keep("RACE");
		c->other_tid = e->other_tid;
		c->other_op = e->other_op;
		c->line[1] = keepf("while tid %d", (int)e->other_tid);
		c->line[2] = keepf("inside %s", race_inside(e));
		if (e->other_tid) /* in the legend, with its color, if it wrote nothing seen */
			pic.threads[thread_of(e->other_tid)].writer_in++;
		c->race_words = race_words(e);
	} else {
		c->head = keep(map_op_name(e->op));
		if (e->type == EV_WRITE) {
			char *was = value_shown(e->old_decoded, e->old);
			c->line[1] = keepf("was %s", was);
			free(was);
		} else {
			c->line[1] = keep("read");
		}
	}
	char *place = place_text(&e->at, &place_long);
	c->title = cell_title(e, place);
	free(place);
}

static void keep_stream_event(const struct event *e, struct column *c)
{
	c->lane = -1;
	c->head = keep(type_word(e->type));
	char *from, *to;
	switch (e->type) {
	case EV_MOVE:
		from = move_end_text(&e->from, e->from_valid);
		to = move_end_text(&e->to, e->to_valid);
		c->line[0] = keep(e->reason);
		c->line[1] = keepf("from %s", from);
		c->line[2] = keepf("to %s%s", to, !e->to_valid || e->to_present ? "" : "?");
		c->title = keepf("#%" PRIu64 " tid %d move (%s): %s -> %s%s\nt = %.3f ms", e->seq,
				 (int)e->tid, e->reason, from, to,
				 !e->to_valid || e->to_present ? "" : ", the key not there (yet)",
				 e->t_ns / 1e6);
		free(from);
		free(to);
		break;
	case EV_EXIT:
		exit_lines(e, c);
		c->title = keepf("#%" PRIu64 " exit: %s%s%s\nt = %.3f ms", e->seq, c->line[0],
				 c->line[1] ? ", " : "", c->line[1] ? c->line[1] : "", e->t_ns / 1e6);
		break;
	default: /* a note */
		c->line[0] = keep(e->message);
		c->title = keepf("#%" PRIu64 " note: %s", e->seq, e->message);
		break;
	}
}

static void svg_meta(FILE *out, const struct meta *m)
{
	(void)out;
	const struct map_model *l = m->model;
	pic.have_meta = true;
	pic.program = keep(m->program);
	pic.map = keep(m->map);
	pic.key = keep(m->key);
	pic.mode = keep(m->mode);
	pic.pid = m->pid;
	pic.type_name = keep(l->type_name);
	pic.key_type = keep(l->key_type);
	pic.elem_type = keep(l->elem_type);
	pic.nstates = l->nstates < MODEL_MAX_NAMES ? l->nstates : MODEL_MAX_NAMES;
	memcpy(pic.states, l->states, pic.nstates * sizeof pic.states[0]);
}

static void svg_event(FILE *out, const struct event *e)
{
	if (pic.drawn)
		return; /* the stream has ended */
	pic.cols = grow(pic.cols, pic.ncols, &pic.cap, sizeof *pic.cols);
	size_t col = pic.ncols++;
	struct column *c = &pic.cols[col];
	*c = (struct column){.type = e->type, .seq = e->seq, .tid = e->tid, .state = -1};
	c->thread = thread_of(e->tid);
	pic.threads[c->thread].events++;
	if (e->type == EV_WRITE || e->type == EV_READ || e->type == EV_RACE)
		keep_cell_event(e, c, col);
	else
		keep_stream_event(e, c);
	if (e->type == EV_EXIT)
		svg_draw(out);
}

const struct writer writer_svg = {"svg", svg_meta, svg_event};

/* ---- drawing ---- */

/* The bytes of the character at p: a whole UTF-8 sequence, or 0 for a byte that starts none
 * (shown as one '?'). */
static int char_len(const unsigned char *p)
{
	int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
	for (int i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* The length of s in characters, as put_xml counts them. */
static size_t chars_of(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
		int len = char_len(p);
		p += len ? len : 1;
	}
	return n;
}

/* s as XML character data: markup escaped; control characters, which XML 1.0 forbids, and
 * bytes that are not UTF-8 shown as '?'; at most max characters, the last an ellipsis when
 * s is longer (max 0: all of it). */
static void put_xml(FILE *out, const char *s, size_t max)
{
	bool cut = max && chars_of(s) > max;
	size_t room = cut ? max - 1 : (size_t)-1;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t n = 0; *p && n < room; n++) {
		int len = char_len(p);
		if (!len || (*p < 0x20 && *p != '\t' && *p != '\n')) {
			fputc('?', out);
			p++;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fwrite(p, 1, len, out);
		}
		p += len;
	}
	if (cut)
		fputs("\u2026", out);
}

static void put_text(FILE *out, double x, double y, const char *cls, const char *s, size_t max)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\">", x, y, cls);
	put_xml(out, s, max);
	fputs("</text>\n", out);
}

static void put_title(FILE *out, const char *s)
{
	fputs("<title>", out);
	put_xml(out, s, 0);
	fputs("</title>", out);
}

static int text_w(const char *s, int font) { return (int)(chars_of(s) * font * ADVANCE + 0.5); }

/* Where things are: bands of columns, each a head row, the lanes, the stream's lane. */
struct layout {
	size_t per_band, nbands;
	int width, lane_h, band_h, legend_y;
};

static int band_y(const struct layout *L, size_t band)
{
	return MARGIN + TITLE_H + (int)band * (L->band_h + BAND_GAP);
}

static int col_x(const struct layout *L, size_t col)
{
	return MARGIN + LABEL_W + (int)(col % L->per_band) * COL_W;
}

static int lane_y(const struct layout *L, size_t col, size_t rank)
{
	return band_y(L, col / L->per_band) + HEAD_H + (int)rank * L->lane_h;
}

static void order_lanes(void)
{
	pic.order = calloc(pic.nlanes + 1, sizeof *pic.order);
	if (!pic.order)
		out_of_memory();
	size_t n = 0;
	for (int header = 1; header >= 0; header--)
		for (size_t i = 0; i < pic.nlanes; i++)
			if (pic.lanes[i].header == header)
				pic.order[n++] = i;
}

/* The rank (row) of lane i. */
static size_t rank_of(size_t lane)
{
	for (size_t r = 0; r < pic.nlanes; r++)
		if (pic.order[r] == lane)
			return r;
	return 0;
}

/* The lines a column's cell shows. */
static int lines_of(const struct column *c)
{
	int n = 0;
	while (n < 3 && c->line[n])
		n++;
	return n;
}

static void lay_out(struct layout *L)
{
	int lines = LANE_LINES; /* lanes are as tall as their tallest cell (a race's: three lines) */
	for (size_t i = 0; i < pic.ncols; i++)
		if (pic.cols[i].lane >= 0 && lines_of(&pic.cols[i]) > lines)
			lines = lines_of(&pic.cols[i]);
	L->lane_h = LANE_PAD + lines * LINE_H;
	size_t n = pic.ncols ? pic.ncols : 1;
	L->nbands = (n + COLS_MAX - 1) / COLS_MAX;
	L->per_band = (n + L->nbands - 1) / L->nbands; /* bands as even as they can be */
	L->width = 2 * MARGIN + LABEL_W + (int)L->per_band * COL_W;
	if (L->width < MIN_W)
		L->width = MIN_W;
	L->band_h = HEAD_H + (int)pic.nlanes * L->lane_h + STREAM_H;
	L->legend_y = band_y(L, L->nbands) + 4;
}

static void draw_style(FILE *out)
{
	fprintf(out,
		"<style>\n"
		"text { font-family: %s; fill: #222; white-space: pre; }\n"
		".t1 { font-size: 15px; font-weight: bold; } .t2 { font-size: 12px; fill: #444; }\n"
		".lf { font-size: %dpx; font-weight: bold; } .lp { font-size: %dpx; fill: #555; }\n"
		".hs { font-size: %dpx; font-weight: bold; } .ho { font-size: %dpx; }\n"
		".v { font-size: %dpx; font-weight: bold; } .w { font-size: %dpx; fill: #444; }\n"
		".race .w, .race .ho, .race .hs { fill: " RACE_INK "; font-weight: bold; }\n"
		".lh { font-size: 12px; font-weight: bold; } .li { font-size: 11px; }\n"
		"</style>\n",
		FONT, LABEL_FONT, LABEL_FONT - 1, CELL_FONT + 1, CELL_FONT, CELL_FONT, NOTE_FONT);
}

static void draw_title(FILE *out, const struct layout *L)
{
	size_t writes = 0, reads = 0, races = 0, moves = 0;
	const struct column *exit_col = NULL;
	for (size_t i = 0; i < pic.ncols; i++) {
		const struct column *c = &pic.cols[i];
		writes += c->type == EV_WRITE;
		reads += c->type == EV_READ;
		races += c->type == EV_RACE;
		moves += c->type == EV_MOVE;
		if (c->type == EV_EXIT)
			exit_col = c;
	}
	int chars = (L->width - 2 * MARGIN) / (int)(12 * ADVANCE);
	char *t1 = keepf("%s key %s of map %s (%s, key %s, elem %s)",
			 strcmp(pic.mode, "delete") == 0 ? "Delete trajectories of" : "Following",
			 pic.key, pic.map, pic.type_name, pic.key_type, pic.elem_type);
	char *t2 = keepf("%s, pid %d: %zu events: %zu writes, %zu reads, %zu races, %zu moves; %s%s%s",
			 pic.program, (int)pic.pid, pic.ncols, writes, reads, races, moves,
			 exit_col ? exit_col->line[0] : "no exit event",
			 exit_col && exit_col->line[1] ? " with " : "",
			 exit_col && exit_col->line[1] ? exit_col->line[1] : "");
	put_text(out, MARGIN, MARGIN + 18, "t1", t1, chars * 12 / 15);
	put_text(out, MARGIN, MARGIN + 40, "t2", t2, chars);
	free(t1);
	free(t2);
}

/* Where a lane's cell is: its place, and where later events say it is when that differs
 * (after growth, the same memory is the old array's: "bucket 1 slot 0, then old"). */
static char *lane_where(const struct lane *l)
{
	if (!l->place_later)
		return keep(l->place);
	if (strncmp(l->place_later, "old ", 4) == 0 && strcmp(l->place_later + 4, l->place) == 0)
		return keepf("%s, then old", l->place);
	return keepf("%s, then %s", l->place, l->place_later);
}

/* A band's lane labels and stripes, and each lane's life (first to last event) as a line. */
static void draw_lanes(FILE *out, const struct layout *L, size_t band)
{
	size_t c0 = band * L->per_band, c1 = c0 + L->per_band;
	if (c1 > pic.ncols)
		c1 = pic.ncols;
	int y = band_y(L, band);
	int right = MARGIN + LABEL_W + (int)(c1 - c0) * COL_W;
	fprintf(out, "<g class=\"band\" data-band=\"%zu\">\n", band);
	put_text(out, MARGIN + 6, y + 14, "lf", "event", 0);
	put_text(out, MARGIN + 6, y + 28, "lp", "thread = color", 0);
	for (size_t r = 0; r < pic.nlanes; r++) {
		size_t i = pic.order[r];
		const struct lane *l = &pic.lanes[i];
		int ly = y + HEAD_H + (int)r * L->lane_h;
		fprintf(out, "<g class=\"lane\" data-lane=\"%zu\" data-field=\"", i);
		put_xml(out, l->field, 0);
		fprintf(out, "\" data-addr=\"%#" PRIx64 "\">\n", l->addr);
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", MARGIN, ly,
			right - MARGIN, L->lane_h, r % 2 ? "#ffffff" : "#f3f3f3");
		char *first = keepf("%s %#" PRIx64, l->field, l->addr);
		char *where = lane_where(l);
		put_text(out, MARGIN + 6, ly + 15, "lf", first, LABEL_CHARS);
		put_text(out, MARGIN + 6, ly + 29, "lp", where, LABEL_CHARS * LABEL_FONT / (LABEL_FONT - 1));
		free(first);
		free(where);
		size_t a = l->first > c0 ? l->first : c0, b = l->last < c1 - 1 ? l->last : c1 - 1;
		if (l->first < c1 && l->last >= c0)
			fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#b0b0b0\" "
				     "stroke-width=\"2\"/>\n",
				col_x(L, a) + COL_W / 2, ly + L->lane_h / 2, col_x(L, b) + COL_W / 2, ly + L->lane_h / 2);
		fputs("</g>\n", out);
	}
	int sy = y + HEAD_H + (int)pic.nlanes * L->lane_h;
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e8eef4\"/>\n", MARGIN, sy,
		right - MARGIN, STREAM_H);
	put_text(out, MARGIN + 6, sy + 15, "lf", "the key's moves, the exit", 0);
	put_text(out, MARGIN + 6, sy + 29, "lp", "(and notes)", 0);
	fputs("</g>\n", out);
}

static void draw_column(FILE *out, const struct layout *L, size_t i)
{
	const struct column *c = &pic.cols[i];
	const char *ink = thread_ink[c->thread % NINKS], *tint = thread_tint[c->thread % NINKS];
	bool race = c->type == EV_RACE;
	int x = col_x(L, i), y = band_y(L, i / L->per_band);
	fprintf(out, "<g class=\"event %s%s\" data-seq=\"%" PRIu64 "\" data-type=\"%s\" data-tid=\"%d\"",
		type_word(c->type), race ? " race" : "", c->seq, type_word(c->type), (int)c->tid);
	if (c->lane >= 0)
		fprintf(out, " data-lane=\"%d\"", c->lane);
	if (race) {
		fprintf(out, " data-other-tid=\"%d\" data-other-op=\"%s\"", (int)c->other_tid,
			map_op_name(c->other_op));
		if (c->access)
			fprintf(out, " data-access=\"%s\"", c->access);
	}
	fputs(">", out);
	put_title(out, c->title);
	fputc('\n', out);
	/* The head: the sequence number and the operation, in the thread's color. */
	fprintf(out, "<rect class=\"head\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\" "
		     "stroke=\"%s\" stroke-width=\"%d\"/>\n",
		x + 2, y + 2, COL_W - 4, HEAD_H - 4, tint, race ? RACE_INK : ink,
		race ? 3 : 1);
	char seq[32];
	snprintf(seq, sizeof seq, "#%" PRIu64, c->seq);
	put_text(out, x + 7, y + 15, "hs", seq, CELL_CHARS);
	put_text(out, x + 7, y + 27, "ho", c->head, CELL_CHARS);
	if (race) {
		/* A swatch of the color of the thread inside the write, at the head's right. */
		int other = thread_known(c->other_tid);
		if (other >= 0)
			fprintf(out, "<rect class=\"other\" x=\"%d\" y=\"%d\" width=\"11\" height=\"11\" "
				     "fill=\"%s\"/>\n",
				x + COL_W - 18, y + 11, thread_ink[other % NINKS]);
	}
	/* The cell: in its lane, or in the stream's lane below them. */
	int cy = c->lane >= 0 ? lane_y(L, i, rank_of((size_t)c->lane))
			      : band_y(L, i / L->per_band) + HEAD_H + (int)pic.nlanes * L->lane_h;
	int ch = c->lane >= 0 ? L->lane_h : STREAM_H;
	fprintf(out, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\" "
		     "stroke=\"%s\" stroke-width=\"%d\"%s/>\n",
		x + 3, cy + 2, COL_W - 6, ch - 4, c->type == EV_READ ? "#ffffff" : tint,
		race ? RACE_INK : ink, race ? 3 : c->type == EV_READ ? 1 : 2,
		c->type == EV_READ ? " stroke-dasharray=\"4 2\"" : "");
	if (race) /* a corner flag */
		fprintf(out, "<path d=\"M%d %d l10 0 l0 10 z\" fill=\"" RACE_INK "\"/>\n", x + COL_W - 13, cy + 2);
	for (int k = 0; k < 3 && c->line[k]; k++) {
		int ty = cy + 14 + k * LINE_H;
		if (k == 0 && c->state >= 0)
			fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"v state\" style=\"fill: %s\">", x + 7, ty,
				state_ink[c->state % NSTATE_INKS]),
				put_xml(out, c->line[0], CELL_CHARS), fputs("</text>\n", out);
		else
			put_text(out, x + 7, ty, k == 0 ? "v" : "w", c->line[k], k == 0 ? CELL_CHARS : NOTE_CHARS);
	}
	fputs("</g>\n", out);
}

/* A legend row: a heading, then items flowing right and wrapping. Returns the next row's y. */
struct flow {
	FILE *out;
	int x, y, width;
};

/* Room for an item w pixels wide: its x (the row wraps when it is full). */
static int flow_place(struct flow *f, int w)
{
	if (f->x + w > f->width - MARGIN && f->x > MARGIN + 150) {
		f->x = MARGIN + 150;
		f->y += 20;
	}
	int x = f->x;
	f->x += w + 18;
	return x;
}

static void flow_heading(struct flow *f, const char *s)
{
	put_text(f->out, MARGIN, f->y + 11, "lh", s, 0);
	f->x = MARGIN + 150;
}

static void flow_end(struct flow *f)
{
	f->y += 26;
}

/* Draws the legend below the bands; its bottom. */
static int draw_legend(FILE *out, const struct layout *L)
{
	struct flow f = {out, MARGIN, L->legend_y, L->width};
	fputs("<g class=\"legend\">\n", out);
	flow_heading(&f, "threads");
	for (size_t i = 0; i < pic.nthreads; i++) {
		const struct thread_color *t = &pic.threads[i];
		char writer[64] = "";
		if (t->writer_in)
			snprintf(writer, sizeof writer, ", the writer in %zu race%s", t->writer_in,
				 t->writer_in == 1 ? "" : "s");
		char *s = keepf("tid %d%s: %zu event%s%s", (int)t->tid, t->tid == pic.pid ? " (main)" : "",
				t->events, t->events == 1 ? "" : "s", writer);
		int x = flow_place(&f, 20 + text_w(s, 11));
		fprintf(out, "<g class=\"thread\" data-tid=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
			     "fill=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>",
			(int)t->tid, x, f.y, thread_tint[i % NINKS], thread_ink[i % NINKS]);
		put_text(out, x + 20, f.y + 11, "li", s, 0);
		fputs("</g>\n", out);
		free(s);
	}
	flow_end(&f);
	if (pic.nstates) {
		flow_heading(&f, "slot states");
		for (int i = 0; i < pic.nstates; i++) {
			char *s = keepf("%s = %" PRId64, pic.states[i].name, pic.states[i].value);
			int x = flow_place(&f, text_w(s, 11));
			fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"li state-name\" style=\"fill: %s; "
				     "font-weight: bold\">",
				x, f.y + 11, state_ink[i % NSTATE_INKS]);
			put_xml(out, s, 0);
			fputs("</text>\n", out);
			free(s);
		}
		char *s = keep("(a live slot's state byte is shown as its value, in hex)");
		int x = flow_place(&f, text_w(s, 11));
		put_text(out, x, f.y + 11, "li", s, 0);
		free(s);
		flow_end(&f);
	}
	flow_heading(&f, "cells");
	static const struct {
		const char *what, *stroke, *dash;
		int width;
	} kinds[] = {
		{"write: new value, was old", "#555", "", 2},
		{"read: the value read", "#555", " stroke-dasharray=\"4 2\"", 1},
		{"RACE read|write: while tid W is inside OP, a write (the square: W's color)", RACE_INK, "", 3},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		int x = flow_place(&f, 30 + text_w(kinds[i].what, 11));
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"24\" height=\"14\" rx=\"2\" fill=\"#ffffff\" "
			     "stroke=\"%s\" stroke-width=\"%d\"%s/>",
			x, f.y, kinds[i].stroke, kinds[i].width, kinds[i].dash);
		put_text(out, x + 30, f.y + 11, "li", kinds[i].what, 0);
	}
	const char *stream = "the bottom lane: moves of the key (to ...?: not there yet), notes, the exit";
	int x = flow_place(&f, text_w(stream, 11));
	put_text(out, x, f.y + 11, "li", stream, 0);
	flow_end(&f);
	/* Each race in words, with the thread inside the write and where it was. */
	size_t races = 0, shown = 0;
	for (size_t i = 0; i < pic.ncols; i++)
		races += pic.cols[i].type == EV_RACE;
	if (races) {
		flow_heading(&f, "races");
		for (size_t i = 0; i < pic.ncols && shown < 8; i++) {
			const struct column *c = &pic.cols[i];
			if (c->type != EV_RACE)
				continue;
			if (shown++)
				f.x = f.width; /* one race a line */
			x = flow_place(&f, text_w(c->race_words, 11));
			fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"li race-line\" style=\"fill: " RACE_INK "\">", x,
				f.y + 11);
			put_xml(out, c->race_words, (size_t)((f.width - MARGIN - x) / (11 * ADVANCE)));
			fputs("</text>\n", out);
		}
		if (races > shown) {
			char *s = keepf("and %zu more (each race's cell has both threads in its tooltip)", races - shown);
			f.x = f.width;
			x = flow_place(&f, text_w(s, 11));
			put_text(out, x, f.y + 11, "li", s, 0);
			free(s);
		}
		flow_end(&f);
	}
	const char *hint = "Hover a cell for the whole event: place, address, values, instruction, "
			   "source line, stacks.";
	put_text(out, MARGIN, f.y + 11, "lp", hint, 0);
	fputs("</g>\n", out);
	return f.y + 22;
}

void svg_draw(FILE *out)
{
	if (pic.drawn)
		return;
	pic.drawn = true;
	if (!pic.have_meta)
		svg_meta(out, &(struct meta){.program = "", .map = "", .key = "", .mode = "",
					     .model = &(struct map_model){0}});
	order_lanes();
	struct layout L;
	lay_out(&L);
	/* The picture's height is the legend's bottom: the body is drawn first, then the svg
	 * element that says how tall it is, then the body. */
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (!b)
		out_of_memory();
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", b);
	draw_title(b, &L);
	for (size_t band = 0; band < L.nbands; band++)
		draw_lanes(b, &L, band);
	for (size_t i = 0; i < pic.ncols; i++)
		draw_column(b, &L, i);
	int height = draw_legend(b, &L) + MARGIN;
	if (fclose(b) != 0)
		out_of_memory();
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		L.width, height, L.width, height);
	draw_style(out);
	fwrite(body, 1, len, out);
	fputs("</svg>\n", out);
	free(body);
}

bool svg_drawn(void) { return pic.drawn; }
