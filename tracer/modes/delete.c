/*
 * delete.c: delete mode, hardware. A breakpoint on each of the source's
 * delete functions (the map and the key, or a pointer to it, in argument
 * registers under the function's ABI) catches each delete of the key; for its duration the deleting thread gets
 * four regions of its own:
 *
 *   R0  the header's count             (count--)
 *   R1  the header word holding flags and hash0 (hashWriting set and cleared, reseed)
 *   R2  the tophash array of the key's bucket   (emptyOne, then the emptyRest walk)
 *   R3  the key cell when delete clears keys, then the elem cell; once the
 *       tophash byte is written, the tophash array of the previous bucket
 *       of the chain, where the emptyRest walk continues.
 *
 * The walk runs backwards through the chain: whenever it writes a bucket's
 * array, the other array register moves to that bucket's predecessor, so the
 * next bucket the walk can reach is always watched. When growth work
 * evacuates the key's old bucket first, R2 and R3 move to the new cell and,
 * until evacuation has written the key there, R0 watches the new key cell
 * (count is written only later). A breakpoint on the return address ends the
 * run and clears the thread's registers.
 */
#define _GNU_SOURCE
#include "modes/delete.h"
#include "modes/report.h"
#include "base/diag.h"

#include <string.h>

enum { R_COUNT, R_FLAGS, R_ARRAY, R_CELL };

static void set_region(struct mode_env *T, struct region *r, uint64_t addr, unsigned len,
		       enum watch_role role, uint64_t bucket)
{
	memset(r, 0, sizeof *r);
	while (len > 1 && addr % len)
		len /= 2; /* an unaligned start: watch what is aligned */
	r->w = (struct watch){.addr = addr, .len = len, .kind = WATCH_WRITE, .used = true};
	r->role = role;
	r->bucket_addr = bucket;
	mem_read(&T->tg->mem, addr, r->shadow, len);
}

/* The bucket before b in the chain of the run, or 0. */
static uint64_t chain_pred(struct mode_env *T, uint64_t b)
{
	const struct chainset *cs = &T->del.chain;
	for (int i = 1; i < cs->n; i++)
		if (cs->b[i].addr == b && cs->b[i].old == cs->b[i - 1].old &&
		    cs->b[i].overflow == cs->b[i - 1].overflow + 1)
			return cs->b[i - 1].addr;
	return 0;
}

/* Regions that follow the key's slot at the start of a run or after it moved. */
/* Region r watches the state bytes of the unit (bucket or group) at unit. */
static void set_states_region(struct mode_env *T, struct region *r, uint64_t unit)
{
	uint64_t addr;
	unsigned len;
	T->model->design->unit_states(T->model, unit, &addr, &len);
	set_region(T, r, addr, len, ROLE_TOPHASH_ARRAY, unit);
}

static void slot_regions_for(struct mode_env *T, const struct loc *loc)
{
	const struct map_model *l = T->model;
	struct region *r = T->del_regions;
	memset(&r[R_ARRAY], 0, sizeof r[R_ARRAY]);
	memset(&r[R_CELL], 0, sizeof r[R_CELL]);
	if (!loc->valid)
		return;
	set_states_region(T, &r[R_ARRAY], loc->bucket_addr);
	if (l->key_cleared)
		set_region(T, &r[R_CELL], loc->key_addr, watched_len(l->keycell), ROLE_KEYCELL, 0);
	else
		set_region(T, &r[R_CELL], loc->elem_addr, watched_len(l->elemcell), ROLE_ELEMCELL, 0);
}

/*
 * Arms the run's regions in every thread (t, stopped, is the one at hand). Not the deleting
 * thread alone: a Go delete can go on on another thread (the goroutine yields at a stack
 * check, and another M takes it up), and its writes there are the run's. A correctly locked
 * program has no other writer of the map meanwhile. New threads get them at their first stop.
 */
static int arm_run(struct mode_env *T, struct thread *t)
{
	struct watch w[ARCH_MAX_WATCH];
	for (int i = 0; i < ARCH_MAX_WATCH; i++)
		w[i] = T->del_regions[i].w;
	target_arm_all(T->tg, t, w);
	return 1;
}

/* The delete function whose entry is at pc, or NULL. */
static const struct delete_func *delete_func_at(struct mode_env *T, uint64_t pc)
{
	const struct delete_func *f = T->model->source->deletes;
	for (int i = 0; i < SOURCE_MAX_DELETE && f[i].symbol; i++)
		if (T->del_addr[i] == pc)
			return &f[i];
	return NULL;
}

/* Whether the call of f that regs entered deletes the key from the map at map. */
static bool deletes_the_key(struct mode_env *T, const struct delete_func *f, const regs_t *regs,
			    uint64_t map)
{
	const struct isa *isa = T->tg->isa;
	if (isa->arg(regs, f->abi, f->map_arg) != map)
		return false;
	if (!f->key_by_value)
		return key_value_at(&T->tg->mem, T->model, isa->arg(regs, f->abi, f->key_arg), &T->key);
	/* The key in registers, one word each (a string: pointer, then length). */
	uint8_t cell[16];
	unsigned n = T->model->keycell <= 16 ? T->model->keycell : 16;
	for (unsigned w = 0; w * 8 < n; w++) {
		uint64_t v = isa->arg(regs, f->abi, f->key_arg + (int)w);
		memcpy(cell + w * 8, &v, n - w * 8 < 8 ? n - w * 8 : 8);
	}
	return key_matches(&T->tg->mem, T->model, cell, &T->key);
}

bool delete_begin(struct mode_env *T, struct thread *t, const regs_t *regs)
{
	uint64_t map = model_map_addr(&T->tg->mem, T->where);
	const struct isa *isa = T->tg->isa;
	const struct delete_func *f = delete_func_at(T, isa->pc(regs));
	if (!map || !f || T->del.active || !deletes_the_key(T, f, regs, map))
		return false;
	struct delete_run *d = &T->del;
	memset(d, 0, sizeof *d);
	d->tid = t->tid;
	d->sp = isa->sp(regs);
	if (!isa->return_address(&T->tg->mem, regs, &d->ret))
		return false;
	T->model->design->locate(&T->tg->mem, T->model, map, &T->key, &d->loc);
	T->model->design->chains_for_key(&T->tg->mem, T->model, map, &T->key, &d->chain);
	return true;
}

static void delete_entry(struct mode_env *T, struct thread *t, const regs_t *regs)
{
	if (!delete_begin(T, t, regs))
		return;
	struct delete_run *d = &T->del;
	uint64_t map = model_map_addr(&T->tg->mem, T->where);
	if (bp_insert(T->tg, t->tid, d->ret, BP_RETURN) != 0) {
		note("cannot set a breakpoint at the return address %#llx", (unsigned long long)d->ret);
		return;
	}
	d->active = true;
	const struct map_model *l = T->model;
	struct region *r = T->del_regions;
	uint64_t flags = map + l->hdr[FIELD_FLAGS].off, hash0 = map + l->hdr[FIELD_SEED].off;
	set_region(T, &r[R_COUNT], map + l->hdr[FIELD_COUNT].off, 8, ROLE_COUNT, 0);
	/* flags and hash0 share one aligned 8-byte word in Go's layout; else watch flags alone. */
	if ((flags & ~7ull) == ((hash0 + l->hdr[FIELD_SEED].size - 1) & ~7ull))
		set_region(T, &r[R_FLAGS], flags & ~7ull, 8, ROLE_FLAGS, 0);
	else
		set_region(T, &r[R_FLAGS], flags, 1, ROLE_FLAGS, 0);
	slot_regions_for(T, &d->loc);
	unsigned got, want = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		want |= r[i].role != ROLE_NONE ? 1u << i : 0;
	/* Read back what the thread holds: a register that did not take is said, not hidden. */
	if (arm_run(T, t) > 0 && T->tg->watch->enabled(t->tid, &got) == 0 && got != want)
		note("tid %d: debug registers %#x enabled, %#x wanted", (int)t->tid, got, want);
}

static void delete_hit(struct mode_env *T, const struct hit *h)
{
	struct thread *t = thread_find(T->tg, h->tid);
	const regs_t *regs = &h->regs;
	unsigned mask = h->mask;
	struct delete_run *d = &T->del;
	struct region *r = T->del_regions;
	const struct map_design *design = T->model->design;
	uint64_t map = model_map_addr(&T->tg->mem, T->where);
	if (!t)
		return;
	bool rearm = false;
	/* Everything a run can touch, for naming fields: the chain at entry and as it is now. */
	struct chainset cs = d->chain;
	struct chainset now;
	if (design->chains_for_key(&T->tg->mem, T->model, map, &T->key, &now) == 0)
		for (int i = 0; i < now.n && cs.n < (int)(sizeof cs.b / sizeof cs.b[0]); i++) {
			bool seen = false;
			for (int j = 0; j < cs.n; j++)
				seen |= cs.b[j].addr == now.b[i].addr;
			if (!seen)
				cs.b[cs.n++] = now.b[i];
		}
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++) {
		if (!(mask & (1u << i)) || r[i].role == ROLE_NONE)
			continue;
		report_region_hit(T, t->tid, regs, &r[i], &cs, map);
		switch (r[i].role) {
		case ROLE_KEYCELL: /* the key is cleared first, then the elem */
			set_region(T, &r[R_CELL], d->loc.elem_addr, watched_len(T->model->elemcell),
				   ROLE_ELEMCELL, 0);
			rearm = true;
			break;
		case ROLE_TOPHASH_ARRAY: {
			uint64_t b = r[i].bucket_addr;
			uint8_t top;
			mem_read(&T->tg->mem, d->loc.tophash_addr, &top, 1);
			if (b == d->loc.bucket_addr && design->state_moved(T->model, top)) {
				/* Growth work evacuated the key's old bucket: follow it to the new table. */
				struct loc to;
				if (design->locate(&T->tg->mem, T->model, map, &T->key, &to) == 0 &&
				    !loc_same(&to, &d->loc)) {
					emit_move(T, t->tid, &d->loc, &to, "evacuate");
					d->loc = to;
					design->chains_for_key(&T->tg->mem, T->model, map, &T->key,
							       &d->chain);
					slot_regions_for(T, &to);
					if (!to.present && !T->model->key_cleared)
						set_region(T, &r[R_COUNT], to.key_addr,
							   watched_len(T->model->keycell), ROLE_ARRIVING_KEY, 0);
					rearm = true;
				}
				break;
			}
			/* Once the key's cell is empty, the walk may run back from bucket b: watch
			 * the bucket before it with the other register. */
			unsigned other = i == R_ARRAY ? R_CELL : R_ARRAY;
			uint64_t pred = chain_pred(T, b);
			if (pred && design->state_free(T->model, top) && r[other].bucket_addr != pred) {
				set_states_region(T, &r[other], pred);
				rearm = true;
			}
			break;
		}
		case ROLE_ARRIVING_KEY: /* the key is in its new cell: R0 goes back to count */
			set_region(T, &r[R_COUNT], map + T->model->hdr[FIELD_COUNT].off, 8, ROLE_COUNT, 0);
			rearm = true;
			break;
		default:
			break;
		}
	}
	if (rearm)
		arm_run(T, t);
}

static void delete_return(struct mode_env *T, struct thread *t, const regs_t *regs, struct bp *b)
{
	struct delete_run *d = &T->del;
	const struct isa *isa = T->tg->isa;
	/* The run's own frame returns, on its thread or on whichever thread its goroutine ended on. */
	if (d->active && (t->tid == d->tid ? isa->returned(isa->sp(regs), d->sp)
					   : isa->returned_from(isa->sp(regs), d->sp))) {
		/* The run is over: every thread's registers and the return breakpoint go. */
		static const struct watch none[ARCH_MAX_WATCH];
		d->active = false;
		memset(T->del_regions, 0, sizeof T->del_regions);
		target_arm_all(T->tg, t, none);
		bp_remove(T->tg, t->tid, b->addr);
		return;
	}
	step_over_bp(T->tg, t, b); /* another thread, or a deeper frame, passing through */
}

int delete_set_breakpoints(struct mode_env *T)
{
	const struct delete_func *f = T->model->source->deletes;
	int found = 0;
	for (int i = 0; i < SOURCE_MAX_DELETE && f[i].symbol; i++) {
		uint64_t addr;
		if (!dbg_symbol_addr(T->dbg, f[i].symbol, &addr))
			continue;
		if (bp_insert(T->tg, T->tg->pid, addr, BP_DELETE) != 0)
			target_fail(T->tg, "cannot set a breakpoint on %s at %#llx", f[i].symbol,
				    (unsigned long long)addr);
		T->del_addr[i] = addr;
		found++;
	}
	if (!found)
		target_fail(T->tg, "no function %s in the program", f[0].symbol);
	return 0;
}

static int delete_start(struct mode_env *T, struct thread *current)
{
	(void)current;
	T->tg->armed_once = true; /* a run's arming is no news; a thread it misses is said */
	return delete_set_breakpoints(T);
}

static bool delete_breakpoint(struct mode_env *T, struct thread *t, regs_t *regs, struct bp *b)
{
	if (b->kind == BP_DELETE) {
		delete_entry(T, t, regs);
	} else if (b->kind == BP_RETURN) {
		delete_return(T, t, regs, b);
		return true;
	}
	return false;
}

const struct mode_ops mode_delete = {
	.name = "delete",
	.start = delete_start,
	.on_hit = delete_hit,
	.on_breakpoint = delete_breakpoint,
};
