/* output.c: the text and JSON Lines writers of the event stream. */
#define _GNU_SOURCE
#include "events/event.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

/* ---- text ---- */

static void text_place(FILE *out, const struct place *p)
{
	if (!p->in_bucket) {
		fputs("map", out);
		return;
	}
	fprintf(out, "%sbucket %" PRIu64, p->old ? "old " : "", p->bucket);
	if (p->overflow)
		fprintf(out, " overflow %u", p->overflow);
	if (p->slot >= 0)
		fprintf(out, " slot %d", p->slot);
}

/* A move's end: the place, or "(nowhere)" when the key has none there (absent, freed). */
static void text_place_if(FILE *out, const struct place *p, bool valid)
{
	if (valid)
		text_place(out, p);
	else
		fputs("(nowhere)", out);
}

static void text_code(FILE *out, const struct code_loc *c)
{
	if (c->func)
		fprintf(out, "%s+%#" PRIx64, c->func, c->off);
	else
		fprintf(out, "%#" PRIx64, c->pc);
	if (c->file)
		fprintf(out, "  %s:%d", c->file, c->line);
}

static void text_stack(FILE *out, const struct stack *s)
{
	for (int i = 0; i < s->n; i++) {
		const struct frame *f = &s->f[i];
		fprintf(out, "      #%d %#" PRIx64 " %s", i, f->pc, f->func ? f->func : "??");
		if (f->inlined)
			fputs(" (inlined)", out);
		else
			fprintf(out, "+%#" PRIx64, f->off);
		if (f->file)
			fprintf(out, "  %s:%d", f->file, f->line);
		fputc('\n', out);
	}
}

static void text_meta(FILE *out, const struct meta *m)
{
	fprintf(out, "mapviz-trace: %s key %s of map %s (%s, key %s, elem %s) in pid %d\n",
		strcmp(m->mode, "delete") == 0 ? "delete trajectories of" : "following", m->key, m->map,
		m->model->type_name, m->model->key_type, m->model->elem_type, (int)m->pid);
}

/* How the program ended, or "" when not known (detached from a process not ours). */
static void text_status(FILE *out, const struct event *e)
{
	if (e->exit_signal)
		fprintf(out, "killed by signal %d", e->exit_signal);
	else if (e->exit_code >= 0)
		fprintf(out, "status %d", e->exit_code);
}

static void text_event(FILE *out, const struct event *e)
{
	fprintf(out, "#%" PRIu64 " tid %d ", e->seq, (int)e->tid);
	switch (e->type) {
	case EV_WRITE:
	case EV_READ:
	case EV_RACE: {
		/* "delete  bucket 5", as docs/tracer.md shows; "RACE    access bucket 5" */
		bool reads = e->type == EV_READ || (e->type == EV_RACE && !e->access_writes);
		if (e->type == EV_RACE)
			fprintf(out, "RACE    %s ", map_op_name(e->op));
		else
			fprintf(out, "%-7s ", map_op_name(e->op));
		text_place(out, &e->at);
		fprintf(out, "  %s%s ", e->field_name, reads ? " read" : "");
		if (!reads) {
			if (e->old_decoded[0])
				fputs(e->old_decoded, out);
			else
				fprintf(out, "%#" PRIx64, e->old);
			fputs(" -> ", out);
		}
		if (e->new_decoded[0])
			fputs(e->new_decoded, out);
		else
			fprintf(out, "%#" PRIx64, e->new);
		fputs("   ", out);
		text_code(out, &e->code);
		const char *inside = e->other_op != OP_NONE ? map_op_name(e->other_op) : "a write";
		if (e->type == EV_RACE)
			fprintf(out, "  (tid %d is inside %s)", (int)e->other_tid, inside);
		fputc('\n', out);
		if (e->code.insn[0])
			fprintf(out, "      %#" PRIx64 ": %s\n", e->code.pc, e->code.insn);
		/* A race's two stacks one after the other, each under its thread and op. */
		if (e->type == EV_RACE)
			fprintf(out, "      tid %d %s:\n", (int)e->tid, map_op_name(e->op));
		if (e->has_stack)
			text_stack(out, &e->stack);
		if (e->type == EV_RACE) {
			fprintf(out, "      tid %d inside %s:\n", (int)e->other_tid, inside);
			text_stack(out, &e->other_stack);
		}
		break;
	}
	case EV_MOVE:
		fprintf(out, "move    ");
		text_place_if(out, &e->from, e->from_valid);
		fputs(" -> ", out);
		text_place_if(out, &e->to, e->to_valid);
		fprintf(out, "  (%s%s)\n", e->reason, !e->to_valid || e->to_present ? "" : ", key not there (yet)");
		break;
	case EV_EXIT:
		fputs("exit    ", out);
		if (strcmp(e->exit_reason, "detached") == 0) {
			fprintf(out, "detached from pid %d", (int)e->tid);
			if (e->exit_signal || e->exit_code >= 0)
				fputs(", which then ended: ", out);
		}
		text_status(out, e);
		fputc('\n', out);
		break;
	case EV_NOTE: /* (the tracer prints notes as lines of their own in text) */
		fprintf(out, "note    %s\n", e->message);
		break;
	}
}

const struct writer writer_text = {"text", text_meta, text_event};

/* ---- JSON Lines ---- */

/* A JSON string (escaped by json-c), or null. */
static void json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	struct json_object *o = json_object_new_string(s);
	fputs(o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
		: "null",
	      out);
	json_object_put(o);
}

static void json_place_fields(FILE *out, const struct place *p)
{
	if (p->in_bucket)
		fprintf(out, "\"bucket\":%" PRIu64 ",\"overflow\":%u,\"old_table\":%s,", p->bucket, p->overflow,
			p->old ? "true" : "false");
	else
		fputs("\"bucket\":null,\"overflow\":null,\"old_table\":false,", out);
	if (p->slot >= 0)
		fprintf(out, "\"slot\":%d", p->slot);
	else
		fputs("\"slot\":null", out);
}

static void json_stack(FILE *out, const struct stack *s)
{
	fputc('[', out);
	for (int i = 0; i < s->n; i++) {
		const struct frame *f = &s->f[i];
		fprintf(out, "%s{\"pc\":\"%#" PRIx64 "\",\"func\":", i ? "," : "", f->pc);
		json_str(out, f->func);
		fputs(",\"file\":", out);
		json_str(out, f->file);
		if (f->file)
			fprintf(out, ",\"line\":%d", f->line);
		else
			fputs(",\"line\":null", out);
		fprintf(out, ",\"inlined\":%s}", f->inlined ? "true" : "false");
	}
	fputc(']', out);
}

static void json_meta(FILE *out, const struct meta *m)
{
	const struct map_model *l = m->model;
	fputs("{\"type\":\"meta\",\"version\":1,\"program\":", out);
	json_str(out, m->program);
	fprintf(out, ",\"pid\":%d,\"map\":", (int)m->pid);
	json_str(out, m->map);
	fputs(",\"key\":", out);
	json_str(out, m->key);
	fputs(",\"mode\":", out);
	json_str(out, m->mode);
	if (m->map_addr)
		fprintf(out, ",\"map_addr\":\"%#" PRIx64 "\"", m->map_addr);
	else
		fputs(",\"map_addr\":null", out);
	fputs(",\"layout\":{\"type\":", out);
	json_str(out, l->type_name);
	fputs(",\"key_type\":", out);
	json_str(out, l->key_type);
	fputs(",\"elem_type\":", out);
	json_str(out, l->elem_type);
	l->design->layout_json(out, l);
	fputs("}}\n", out);
}

static const char *type_name(enum event_type t)
{
	static const char *const names[] = {"write", "read", "move", "race", "exit", "note"};
	return names[t];
}

static void json_event(FILE *out, const struct event *e)
{
	fprintf(out, "{\"type\":\"%s\",\"seq\":%" PRIu64 ",\"t_ns\":%" PRIu64 ",\"tid\":%d",
		type_name(e->type), e->seq, e->t_ns, (int)e->tid);
	switch (e->type) {
	case EV_WRITE:
	case EV_READ:
	case EV_RACE:
		fputs(",\"op\":", out);
		json_str(out, map_op_name(e->op));
		fputs(",\"field\":", out);
		json_str(out, e->field_name);
		fputc(',', out);
		json_place_fields(out, &e->at);
		fprintf(out, ",\"addr\":\"%#" PRIx64 "\",\"size\":%u,\"old\":\"%#" PRIx64
			     "\",\"new\":\"%#" PRIx64 "\",\"old_decoded\":",
			e->addr, e->size, e->old, e->new);
		json_str(out, e->old_decoded[0] ? e->old_decoded : NULL);
		fputs(",\"new_decoded\":", out);
		json_str(out, e->new_decoded[0] ? e->new_decoded : NULL);
		fputs(",\"decoded\":", out); /* = new_decoded, the name earlier versions used */
		json_str(out, e->new_decoded[0] ? e->new_decoded : NULL);
		fprintf(out, ",\"pc\":\"%#" PRIx64 "\",\"insn\":", e->code.pc);
		json_str(out, e->code.insn[0] ? e->code.insn : NULL);
		fputs(",\"func\":", out);
		json_str(out, e->code.func);
		fprintf(out, ",\"func_offset\":%" PRIu64 ",\"file\":", e->code.off);
		json_str(out, e->code.file);
		if (e->code.file)
			fprintf(out, ",\"line\":%d", e->code.line);
		else
			fputs(",\"line\":null", out);
		fputs(",\"stack\":", out);
		if (e->has_stack)
			json_stack(out, &e->stack);
		else
			fputs("null", out);
		if (e->type == EV_RACE) {
			/* other: the thread inside the write; other_tid and other_stack, the names
			 * earlier versions used, say the same */
			fprintf(out, ",\"access\":\"%s\",\"other\":{\"tid\":%d,\"op\":",
				e->access_writes ? "write" : "read", (int)e->other_tid);
			json_str(out, e->other_op != OP_NONE ? map_op_name(e->other_op) : NULL);
			fputs(",\"stack\":", out);
			json_stack(out, &e->other_stack);
			fprintf(out, "},\"other_tid\":%d,\"other_stack\":", (int)e->other_tid);
			json_stack(out, &e->other_stack);
		}
		break;
	case EV_MOVE:
		fputs(",\"reason\":", out);
		json_str(out, e->reason);
		fputs(",\"from\":", out);
		if (e->from_valid) {
			fputc('{', out);
			json_place_fields(out, &e->from);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		fputs(",\"to\":", out);
		if (e->to_valid) {
			fputc('{', out);
			json_place_fields(out, &e->to);
			fprintf(out, ",\"present\":%s}", e->to_present ? "true" : "false");
		} else {
			fputs("null", out);
		}
		break;
	case EV_EXIT:
		fputs(",\"reason\":", out);
		json_str(out, e->exit_reason);
		if (e->exit_signal)
			fprintf(out, ",\"status\":null,\"signal\":%d", e->exit_signal);
		else if (e->exit_code >= 0)
			fprintf(out, ",\"status\":%d,\"signal\":null", e->exit_code);
		else
			fputs(",\"status\":null,\"signal\":null", out);
		break;
	case EV_NOTE:
		fputs(",\"message\":", out);
		json_str(out, e->message);
		break;
	}
	fputs("}\n", out);
}

const struct writer writer_json = {"json", json_meta, json_event};
