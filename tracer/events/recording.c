/* recording.c: a recorded JSON Lines stream read back into events (see recording.h). */
#define _GNU_SOURCE
#include "events/recording.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One line being read: its object, and where its first error goes. */
struct line {
	struct json_object *obj;
	const char *type;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct line *l, const char *fmt, ...)
{
	if (l->failed)
		return;
	l->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
}

/* Member key of o, or NULL when it is absent or null. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A member that must be there and of type t (or null, when nullable). */
static struct json_object *typed(struct line *l, struct json_object *o, const char *key, enum json_type t,
				 bool required)
{
	struct json_object *v = member(o, key);
	if (!v) {
		if (required)
			fail(l, "%s without \"%s\"", l->type, key);
		return NULL;
	}
	if (!json_object_is_type(v, t)) {
		fail(l, "%s: \"%s\" is not %s", l->type, key,
		     t == json_type_string ? "a string" : t == json_type_int ? "an integer"
			: t == json_type_boolean ? "true or false" : t == json_type_array ? "an array" : "an object");
		return NULL;
	}
	return v;
}

static const char *str(struct line *l, struct json_object *o, const char *key, bool required)
{
	struct json_object *v = typed(l, o, key, json_type_string, required);
	return v ? json_object_get_string(v) : NULL;
}

static int64_t integer(struct line *l, struct json_object *o, const char *key, bool required, int64_t dflt)
{
	struct json_object *v = typed(l, o, key, json_type_int, required);
	return v ? json_object_get_int64(v) : dflt;
}

static bool boolean(struct line *l, struct json_object *o, const char *key)
{
	struct json_object *v = typed(l, o, key, json_type_boolean, false);
	return v && json_object_get_boolean(v);
}

/* A raw value written as hex ("0x6e4", "0"). */
static uint64_t hex(struct line *l, struct json_object *o, const char *key)
{
	const char *s = str(l, o, key, false);
	if (!s)
		return 0;
	char *end;
	uint64_t v = strtoull(s, &end, 16);
	if (!*s || *end)
		fail(l, "%s: \"%s\" is not hex: %s", l->type, key, s);
	return v;
}

static void copy(char *dst, size_t n, const char *s) { snprintf(dst, n, "%s", s ? s : ""); }

/* The place members of o (bucket, overflow, old_table, slot); bucket null is the header. */
static void place(struct line *l, struct json_object *o, struct place *p)
{
	struct json_object *bucket = typed(l, o, "bucket", json_type_int, false);
	*p = (struct place){.in_bucket = bucket != NULL, .slot = -1};
	if (bucket)
		p->bucket = (uint64_t)json_object_get_int64(bucket);
	p->overflow = (unsigned)integer(l, o, "overflow", false, 0);
	p->old = boolean(l, o, "old_table");
	p->slot = (int)integer(l, o, "slot", false, -1);
}

static void stack(struct line *l, struct json_object *o, const char *key, struct stack *s, bool *has)
{
	struct json_object *a = typed(l, o, key, json_type_array, false);
	s->n = 0;
	if (has)
		*has = a != NULL;
	if (!a)
		return;
	size_t n = json_object_array_length(a);
	for (size_t i = 0; i < n && s->n < EVENT_MAX_FRAMES; i++) {
		struct json_object *f = json_object_array_get_idx(a, i);
		if (!json_object_is_type(f, json_type_object)) {
			fail(l, "%s: \"%s\" holds a frame that is not an object", l->type, key);
			return;
		}
		struct frame *fr = &s->f[s->n++];
		*fr = (struct frame){.pc = hex(l, f, "pc"), .func = str(l, f, "func", false),
				     .file = str(l, f, "file", false),
				     .line = (int)integer(l, f, "line", false, 0),
				     .inlined = boolean(l, f, "inlined")};
	}
}

static enum map_op op_named(struct line *l, const char *name)
{
	for (int op = OP_NONE + 1; op < OP_N; op++)
		if (strcmp(map_op_name(op), name) == 0)
			return op;
	fail(l, "%s: unknown op \"%s\"", l->type, name);
	return OP_NONE;
}

/* A race's two sides: "access" (read or write) and "other" {tid, op, stack}, the thread
 * inside a write operation. A recording made before those has "other_tid" and
 * "other_stack" instead, and no access: access_unknown, other_op OP_NONE. */
static void race_sides(struct line *l, struct json_object *o, struct event *e)
{
	const char *access = str(l, o, "access", false);
	e->access_unknown = access == NULL;
	e->access_writes = access && strcmp(access, "write") == 0;
	if (access && !e->access_writes && strcmp(access, "read") != 0)
		fail(l, "race: \"access\" is neither read nor write: %s", access);
	struct json_object *other = typed(l, o, "other", json_type_object, false);
	if (!other) {
		e->other_tid = (pid_t)integer(l, o, "other_tid", false, 0);
		stack(l, o, "other_stack", &e->other_stack, NULL);
		return;
	}
	const char *type = l->type;
	l->type = "race: other"; /* what a message about other's members names */
	e->other_tid = (pid_t)integer(l, other, "tid", true, 0);
	const char *op = str(l, other, "op", false);
	e->other_op = op ? op_named(l, op) : OP_NONE;
	stack(l, other, "stack", &e->other_stack, NULL);
	l->type = type;
}

static void cell_event(struct line *l, struct event *e)
{
	struct json_object *o = l->obj;
	const char *op = str(l, o, "op", true);
	e->op = op ? op_named(l, op) : OP_NONE;
	e->field_name = str(l, o, "field", true);
	place(l, o, &e->at);
	e->addr = hex(l, o, "addr");
	e->size = (unsigned)integer(l, o, "size", false, 0);
	e->old = hex(l, o, "old");
	e->new = hex(l, o, "new");
	copy(e->old_decoded, sizeof e->old_decoded, str(l, o, "old_decoded", false));
	copy(e->new_decoded, sizeof e->new_decoded, str(l, o, "new_decoded", false));
	e->code.pc = hex(l, o, "pc");
	copy(e->code.insn, sizeof e->code.insn, str(l, o, "insn", false));
	e->code.func = str(l, o, "func", false);
	e->code.off = (uint64_t)integer(l, o, "func_offset", false, 0);
	e->code.file = str(l, o, "file", false);
	e->code.line = (int)integer(l, o, "line", false, 0);
	stack(l, o, "stack", &e->stack, &e->has_stack);
	if (e->type == EV_RACE)
		race_sides(l, o, e);
}

/* A move's end: a place, or null (nowhere). */
static bool move_end(struct line *l, const char *key, struct place *p, bool *present)
{
	struct json_object *o = typed(l, l->obj, key, json_type_object, false);
	if (o) {
		place(l, o, p);
		if (present)
			*present = boolean(l, o, "present");
	}
	return o != NULL;
}

static void read_event(struct line *l, struct event *e)
{
	static const char *const types[] = {[EV_WRITE] = "write", [EV_READ] = "read", [EV_MOVE] = "move",
					    [EV_RACE] = "race",   [EV_EXIT] = "exit", [EV_NOTE] = "note"};
	size_t t = 0;
	while (t < sizeof types / sizeof types[0] && strcmp(types[t], l->type) != 0)
		t++;
	if (t == sizeof types / sizeof types[0]) {
		fail(l, "unknown event type \"%s\"", l->type);
		return;
	}
	struct json_object *o = l->obj;
	*e = (struct event){.type = (enum event_type)t};
	e->seq = (uint64_t)integer(l, o, "seq", true, 0);
	e->t_ns = (uint64_t)integer(l, o, "t_ns", false, 0);
	e->tid = (pid_t)integer(l, o, "tid", true, 0);
	switch (e->type) {
	case EV_WRITE:
	case EV_READ:
	case EV_RACE:
		cell_event(l, e);
		break;
	case EV_MOVE:
		e->reason = str(l, o, "reason", true);
		e->from_valid = move_end(l, "from", &e->from, NULL);
		e->to_valid = move_end(l, "to", &e->to, &e->to_present);
		break;
	case EV_EXIT:
		e->exit_reason = str(l, o, "reason", true);
		e->exit_code = (int)integer(l, o, "status", false, -1);
		e->exit_signal = (int)integer(l, o, "signal", false, 0);
		break;
	case EV_NOTE:
		copy(e->message, sizeof e->message, str(l, o, "message", true));
		break;
	}
}

/* The names of an object's members with integer values (states, flags), in their order. */
static int names(struct line *l, struct json_object *layout, const char *key, struct enum_value *out,
		 int max)
{
	struct json_object *o = typed(l, layout, key, json_type_object, false);
	int n = 0;
	if (!o)
		return 0;
	json_object_object_foreach(o, name, value) {
		if (n == max)
			break;
		if (!json_object_is_type(value, json_type_int)) {
			fail(l, "meta: %s.%s is not an integer", key, name);
			return n;
		}
		copy(out[n].name, sizeof out[n].name, name);
		out[n++].value = json_object_get_int64(value);
	}
	return n;
}

static void read_meta(struct line *l, struct recording *r, struct meta *m)
{
	struct json_object *o = l->obj;
	struct map_model *model = &r->model;
	*model = (struct map_model){0};
	struct json_object *layout = typed(l, o, "layout", json_type_object, true);
	copy(model->type_name, sizeof model->type_name, str(l, layout, "type", false));
	copy(model->key_type, sizeof model->key_type, str(l, layout, "key_type", false));
	copy(model->elem_type, sizeof model->elem_type, str(l, layout, "elem_type", false));
	model->nstates = names(l, layout, "states", model->states, MODEL_MAX_NAMES);
	model->nflags = names(l, layout, "flags", model->flags, MODEL_MAX_NAMES);
	*m = (struct meta){
		.program = str(l, o, "program", false),
		.pid = (pid_t)integer(l, o, "pid", false, 0),
		.map = str(l, o, "map", false),
		.key = str(l, o, "key", false),
		.mode = str(l, o, "mode", false),
		.model = model,
		.map_addr = hex(l, o, "map_addr"),
	};
	if (!m->program)
		m->program = "";
	if (!m->map)
		m->map = "";
	if (!m->key)
		m->key = "";
	if (!m->mode)
		m->mode = "";
}

/* The JSON value of text, the whole line of it, or NULL with err. */
static struct json_object *parse(const char *text, struct line *l)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		fail(l, "out of memory");
		return NULL;
	}
	size_t len = strlen(text);
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o && jerr == json_tokener_continue)
		fail(l, "not JSON (the line ends inside a value)");
	else if (!o)
		fail(l, "not JSON (%s)", json_tokener_error_desc(jerr));
	else if (text[used + strspn(text + used, " \t\r")])
		fail(l, "not JSON (more after the value)");
	if (l->failed) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int recording_read(struct recording *r, const char *text, struct meta *m, struct event *e, char *err,
		   size_t errlen)
{
	struct line l = {.err = err, .errlen = errlen, .type = "line"};
	json_object_put(r->line);
	r->line = NULL;
	if (!text[strspn(text, " \t\r\n")])
		return RECORDED_NOTHING;
	struct json_object *o = parse(text, &l);
	if (!o)
		return -1;
	r->line = l.obj = o;
	struct json_object *type = member(o, "type");
	if (!json_object_is_type(o, json_type_object) || !json_object_is_type(type, json_type_string)) {
		fail(&l, "not a mapviz-trace event (no \"type\")");
		return -1;
	}
	l.type = json_object_get_string(type);
	bool is_meta = strcmp(l.type, "meta") == 0;
	if (!r->have_meta && !is_meta)
		fail(&l, "not a mapviz-trace recording (it starts with no meta line)");
	else if (r->have_meta && is_meta)
		fail(&l, "a second meta line");
	else if (r->have_exit)
		fail(&l, "%s event after the exit event", l.type);
	else if (is_meta)
		read_meta(&l, r, m);
	else
		read_event(&l, e);
	if (l.failed)
		return -1;
	if (is_meta) {
		r->have_meta = true;
		return RECORDED_META;
	}
	r->have_exit = e->type == EV_EXIT;
	r->nevents++;
	return RECORDED_EVENT;
}

void recording_close(struct recording *r)
{
	json_object_put(r->line);
	r->line = NULL;
}
