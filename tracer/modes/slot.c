/*
 * slot.c: slot mode. Four regions follow the key: its tophash byte, the first
 * bytes of its key and elem cells, and the header's buckets pointer (a write
 * there is growth). After a hit that may have moved the key (tophash, key,
 * buckets, or a full chain's tail) the slot is looked up again; when it moved,
 * a move event says so and every thread's registers follow it. Before the map
 * exists, the global that will point to it is watched instead. With --reads
 * (race mode, race.c, which runs over these operations) the cells are watched
 * for reads too, and the buckets pointer's register watches the header's
 * flags byte: growth is then seen at the end of the write that grew
 * (slot_follow_growth).
 */
#define _GNU_SOURCE
#include "modes/slot.h"
#include "modes/report.h"
#include "base/diag.h"

#include <string.h>

static void add(struct mode_env *T, struct region *r, int *n, uint64_t addr, unsigned len,
		enum watch_role role, bool reads)
{
	while (len && *n < (int)T->tg->watch->nslots) {
		unsigned piece = 8;
		while (piece > len || addr % piece)
			piece /= 2;
		struct region *x = &r[(*n)++];
		memset(x, 0, sizeof *x);
		x->w = (struct watch){.addr = addr, .len = piece,
				      .kind = reads ? WATCH_ACCESS : WATCH_WRITE, .used = true};
		x->role = role;
		mem_read(&T->tg->mem, addr, x->shadow, piece);
		addr += piece;
		len -= piece;
	}
}

/* The regions that follow the key's slot at T->loc (or wait for the map or the slot), as the
 * design plans them: cells watched for reads too with --reads. */
static void slot_regions(struct mode_env *T, struct region *r)
{
	int n = 0;
	memset(r, 0, sizeof(struct region) * ARCH_MAX_WATCH);
	if (!T->map_addr) {
		if (T->where->var_is_pointer)
			add(T, r, &n, T->where->var_addr, 8, ROLE_MAP_VAR, false);
		return;
	}
	struct watch_plan plan;
	T->model->design->plan_slot(T->model, T->map_addr, &T->loc, &plan);
	for (int i = 0; i < plan.n; i++) {
		const struct plan_item *p = &plan.item[i];
		/* With --reads the growth pointer's register watches the writer flag instead: who
		 * is inside a write, and growth seen at the end of the write that grew (race.c). */
		if (T->reads && p->role == ROLE_BUCKETS) {
			add(T, r, &n, T->map_addr + T->model->hdr[FIELD_FLAGS].off, 1, ROLE_FLAGS, false);
			continue;
		}
		bool cell = p->role == ROLE_CELL || p->role == ROLE_KEYCELL || p->role == ROLE_ELEMCELL;
		add(T, r, &n, p->addr, p->len, p->role, cell && T->reads);
	}
}

/* Programs the regions into every thread. */
static void arm_regions(struct mode_env *T, struct thread *current)
{
	struct watch w[ARCH_MAX_WATCH];
	for (int i = 0; i < ARCH_MAX_WATCH; i++)
		w[i] = T->regions[i].w;
	target_arm_all(T->tg, current, w);
}

static void loc_chain(const struct loc *loc, struct chainset *cs)
{
	cs->n = 0;
	if (loc->valid)
		cs->b[cs->n++] = (struct chain_bucket){loc->bucket_addr, loc->bucket, loc->overflow, loc->old};
}

static uint64_t buckets_now(struct mode_env *T)
{
	struct hdr h;
	return T->model->design->hdr_read(&T->tg->mem, T->model, T->map_addr, &h) ? h.buckets : 0;
}

/*
 * Whether the watched cell, where the lookup does not find the key, is still the key's:
 * a key half written or half cleared. Evacuation writes the tophash byte into a fresh
 * (zeroed) cell before the key: the key arriving. Delete clears a key cell that holds
 * pointers before the tophash: the key leaving. Both show the key's tophash byte over a
 * key cell of zeros. A key cell holding other bytes is another key that happens to have
 * the same tophash byte (1 in 256 for any key landing in the cell), and so is a key of
 * zeros written into a cell that was not the key's.
 */
static bool half_written(struct mode_env *T, const struct loc *now, bool key_written)
{
	static const uint8_t zeros[8];
	uint8_t top, cell[8];
	unsigned n = watched_len(T->model->keycell);
	if (now->present || !T->loc.valid || T->loc.hash != now->hash ||
	    !mem_read(&T->tg->mem, T->loc.tophash_addr, &top, 1) || top != now->top ||
	    !mem_read(&T->tg->mem, T->loc.key_addr, cell, n) || memcmp(cell, zeros, n) != 0)
		return false;
	return !(key_written && !T->loc.present);
}

/* Looks the key up again; a move event and re-arming when it moved. key_written: the hit
 * that asks includes a write to the watched key cell. That stays known until the slot
 * followed changes: an insert writes the key cell before the tophash byte, in two hits, and
 * a key of zeros written there is another key even when its tophash byte is the key's. */
static void relocate(struct mode_env *T, struct thread *t, bool force_arm, bool key_written)
{
	T->loc_key_written |= key_written;
	key_written = T->loc_key_written;
	struct loc now;
	if (T->model->design->locate(&T->tg->mem, T->model, T->map_addr, &T->key, &now) != 0)
		memset(&now, 0, sizeof now);
	uint64_t b = buckets_now(T);
	if (half_written(T, &now, key_written))
		now = T->loc;
	bool same_cells = now.valid == T->loc.valid && now.tophash_addr == T->loc.tophash_addr &&
			  now.wait_addr == T->loc.wait_addr;
	if (same_cells && now.old == T->loc.old && now.bucket == T->loc.bucket) {
		T->loc.present = now.present; /* the key arrived in, or left, the watched slot */
	} else {
		const char *reason = !T->loc.valid && !T->loc.wait_addr ? "allocated"
				     : b != T->last_buckets			  ? "growth"
				     : T->loc.old && !now.old			  ? "evacuate"
				     : T->loc.hash != now.hash			  ? "reseed"
				     : now.present && !T->loc.present		  ? "inserted"
				     : T->loc.present && !now.present		  ? "deleted"
										  : "relocated";
		emit_move(T, t->tid, &T->loc, &now, reason);
		T->loc = now;
		T->loc_key_written = false;
		force_arm |= !same_cells;
	}
	T->last_buckets = b;
	if (force_arm) {
		slot_regions(T, T->regions);
		arm_regions(T, t);
	}
}

void slot_follow_growth(struct mode_env *T, struct thread *t)
{
	if (T->map_addr && buckets_now(T) != T->last_buckets)
		relocate(T, t, false, false);
}

/* Single-steps t until it returns from the function it is in. */
/*
 * Single-steps thread tid until it has returned from the function it is in (at: its
 * registers there). A step may take in threads that came meanwhile, which may move the
 * thread table: the thread is found again by its tid after each step, and a caller's
 * struct thread pointer must be found again after this returns.
 */
static void finish_function(struct mode_env *T, pid_t tid, const regs_t *at)
{
	const struct isa *isa = T->tg->isa;
	const struct sym_info *s = dbg_symbolize(T->dbg, isa->pc(at));
	if (!s->func || !s->func_size)
		return;
	uint64_t lo = s->func_start, hi = s->func_start + s->func_size;
	regs_t r = *at;
	for (int i = 0; i < 100000; i++) {
		uint64_t pc = isa->pc(&r);
		if ((pc < lo || pc >= hi) && isa->returned(isa->sp(&r), isa->sp(at)))
			break;
		struct thread *t = thread_find(T->tg, tid);
		if (!t || !single_step(T->tg, t) || !target_regs(T->tg, tid, &r))
			break;
	}
}

static int slot_start(struct mode_env *T, struct thread *current)
{
	T->map_addr = model_map_addr(&T->tg->mem, T->where);
	memset(&T->loc, 0, sizeof T->loc);
	T->loc_key_written = false;
	if (T->map_addr) {
		T->last_buckets = buckets_now(T);
		if (T->model->design->locate(&T->tg->mem, T->model, T->map_addr, &T->key, &T->loc) == 0 &&
		    (T->loc.valid || T->loc.wait_addr)) {
			struct loc none = {0};
			emit_move(T, current->tid, &none, &T->loc, "found");
		}
	}
	slot_regions(T, T->regions);
	arm_regions(T, current);
	return 0;
}

static void slot_map_freed(struct mode_env *T, struct thread *t)
{
	struct loc none = {0};
	emit_move(T, t->tid, &T->loc, &none, "freed");
	T->map_addr = 0;
	memset(&T->loc, 0, sizeof T->loc);
	T->loc_key_written = false;
	slot_regions(T, T->regions);
	arm_regions(T, t);
}

void slot_hit(struct mode_env *T, const struct hit *h)
{
	struct thread *t = thread_find(T->tg, h->tid);
	const regs_t *regs = &h->regs;
	unsigned mask = h->mask;
	if (!t)
		return;
	struct chainset cs;
	loc_chain(&T->loc, &cs);
	bool moved_maybe = false, key_written = false;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++) {
		if (!(mask & (1u << i)))
			continue;
		struct region *r = &T->regions[i];
		switch (r->role) {
		case ROLE_NONE:
			break;
		case ROLE_MAP_VAR: {
			uint64_t map = model_map_addr(&T->tg->mem, T->where);
			memcpy(r->shadow, &map, 8);
			if (map) {
				char err[512];
				if (T->model->source->attach_instance(T->dbg, &T->tg->mem, map, T->where,
								      T->model, warn_line, err,
								      sizeof err) != 0) {
					note("%s", err);
					break;
				}
				slot_start(T, t);
				return;
			}
			break;
		}
		case ROLE_ELEMCELL:
			report_region_hit(T, t->tid, regs, r, &cs, T->map_addr);
			break;
		case ROLE_FLAGS: /* (--reads) race mode's, which takes it before */
			break;
		case ROLE_BUCKETS: {
			struct chainset none = {.n = 0};
			report_region_hit(T, t->tid, regs, r, &none, T->map_addr);
			/* A growth writes buckets, oldbuckets, B and flags in some order: let it
			 * finish before the key is looked up again. (It writes no cells.) */
			if (op_of(T, t->tid, T->tg->isa->pc(regs)) == OP_EVACUATE) {
				finish_function(T, h->tid, regs);
				if (!(t = thread_find(T->tg, h->tid)))
					return;   /* it ended while stepped */
			}
			moved_maybe = true;
			break;
		}
		case ROLE_TAIL:
		default: {
			struct chainset tail = cs;
			if (r->role == ROLE_TAIL) {
				/* The watched byte or pointer belongs to the key's chain(s). */
				struct chainset full;
				T->model->design->chains_for_key(&T->tg->mem, T->model, T->map_addr,
								 &T->key, &full);
				tail = full;
			}
			report_region_hit(T, t->tid, regs, r, &tail, T->map_addr);
			moved_maybe = true;
			key_written |= r->role == ROLE_KEYCELL;
			break;
		}
		}
	}
	if (moved_maybe && T->map_addr)
		relocate(T, t, false, key_written);
}

/* The map is freed when its free function is called with it (first argument, C ABI). */
bool slot_breakpoint(struct mode_env *T, struct thread *t, regs_t *regs, struct bp *b)
{
	if (b && b->kind == BP_FREE && T->map_addr &&
	    T->tg->isa->arg(regs, ABI_C, 0) == T->map_addr)
		slot_map_freed(T, t);
	return false;
}

int slot_begin(struct mode_env *T, struct thread *current)
{
	uint64_t addr;
	const char *free_func = T->model->source->free_func;
	if (free_func && dbg_symbol_addr(T->dbg, free_func, &addr) &&
	    bp_insert(T->tg, T->tg->pid, addr, BP_FREE) != 0)
		target_fail(T->tg, "cannot set a breakpoint on %s", free_func);
	return slot_start(T, current);
}

const struct mode_ops mode_slot = {
	.name = "slot",
	.start = slot_begin,
	.on_hit = slot_hit,
	.on_breakpoint = slot_breakpoint,
};
