/*
 * slot.c: slot mode. Four regions follow the key: its tophash byte, the first
 * bytes of its key and elem cells, and the header's buckets pointer (a write
 * there is growth). After a hit that may have moved the key (tophash, key,
 * buckets, or a full chain's tail) the slot is looked up again; when it moved,
 * a move event says so and every thread's registers follow it. Before the map
 * exists, the global that will point to it is watched instead.
 */
#define _GNU_SOURCE
#include "tracer.h"

#include <string.h>
#include <sys/ptrace.h>

static void add(struct tracer *T, struct region *r, int *n, uint64_t addr, unsigned len,
		enum role role, bool reads)
{
	while (len && *n < (int)T->arch->nslots) {
		unsigned piece = 8;
		while (piece > len || addr % piece)
			piece /= 2;
		struct region *x = &r[(*n)++];
		memset(x, 0, sizeof *x);
		x->w = (struct watch){.addr = addr, .len = piece,
				      .kind = reads ? WATCH_ACCESS : WATCH_WRITE, .used = true};
		x->role = role;
		mem_read(&T->mem, addr, x->shadow, piece);
		addr += piece;
		len -= piece;
	}
}

void slot_regions(struct tracer *T, struct region *r)
{
	const struct map_layout *l = &T->layout;
	int n = 0;
	memset(r, 0, sizeof(struct region) * ARCH_MAX_WATCH);
	if (!T->map_addr) {
		if (T->target.var_is_pointer)
			add(T, r, &n, T->target.var_addr, 8, ROLE_MAP_VAR, false);
		return;
	}
	const struct loc *loc = &T->loc;
	bool rd = T->opt.reads;
	if (loc->valid) {
		add(T, r, &n, loc->tophash_addr, 1, ROLE_CELL, rd);
		add(T, r, &n, loc->key_addr, watched_len(l->keycell), ROLE_KEYCELL, rd);
		add(T, r, &n, loc->elem_addr, watched_len(l->elemcell), ROLE_ELEMCELL, rd);
	} else if (loc->wait_addr) {
		add(T, r, &n, loc->wait_addr, loc->wait_len, ROLE_TAIL, false);
	}
	add(T, r, &n, T->map_addr + l->hdr[HF_BUCKETS].off, 8, ROLE_BUCKETS, false);
}

static void loc_chain(const struct loc *loc, struct chainset *cs)
{
	cs->n = 0;
	if (loc->valid)
		cs->b[cs->n++] = (struct chain_bucket){loc->bucket_addr, loc->bucket, loc->overflow, loc->old};
}

static uint64_t buckets_now(struct tracer *T)
{
	struct hdr h;
	return hdr_read(&T->mem, &T->layout, T->map_addr, &h) ? h.buckets : 0;
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
static bool half_written(struct tracer *T, const struct loc *now, bool key_written)
{
	static const uint8_t zeros[8];
	uint8_t top, cell[8];
	unsigned n = watched_len(T->layout.keycell);
	if (now->present || !T->loc.valid || T->loc.hash != now->hash ||
	    !mem_read(&T->mem, T->loc.tophash_addr, &top, 1) || top != now->top ||
	    !mem_read(&T->mem, T->loc.key_addr, cell, n) || memcmp(cell, zeros, n) != 0)
		return false;
	return !(key_written && !T->loc.present);
}

/* Looks the key up again; a move event and re-arming when it moved. key_written: the hit
 * that asks includes a write to the watched key cell. */
static void relocate(struct tracer *T, struct thread *t, bool force_arm, bool key_written)
{
	struct loc now;
	if (locate(&T->mem, &T->layout, T->map_addr, &T->key, &now) != 0)
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
		force_arm |= !same_cells;
	}
	T->last_buckets = b;
	if (force_arm) {
		slot_regions(T, T->regions);
		arm_all(T, t);
	}
}

/* Single-steps t until it returns from the function it is in. */
static void finish_function(struct tracer *T, struct thread *t, const struct user_regs_struct *at)
{
	const struct sym_info *s = dbg_symbolize(T->dbg, at->rip);
	if (!s->func || !s->func_size)
		return;
	uint64_t lo = s->func_start, hi = s->func_start + s->func_size;
	struct user_regs_struct r = *at;
	for (int i = 0; i < 100000; i++) {
		if ((r.rip < lo || r.rip >= hi) && r.rsp > at->rsp)
			break;
		if (!single_step(T, t) || ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
			break;
	}
}

void slot_start(struct tracer *T, struct thread *current)
{
	T->map_addr = current_map(T);
	memset(&T->loc, 0, sizeof T->loc);
	if (T->map_addr) {
		T->last_buckets = buckets_now(T);
		if (locate(&T->mem, &T->layout, T->map_addr, &T->key, &T->loc) == 0 &&
		    (T->loc.valid || T->loc.wait_addr)) {
			struct loc none = {0};
			emit_move(T, current->tid, &none, &T->loc, "found");
		}
	}
	slot_regions(T, T->regions);
	arm_all(T, current);
}

void slot_map_freed(struct tracer *T, struct thread *t)
{
	struct loc none = {0};
	emit_move(T, t->tid, &T->loc, &none, "freed");
	T->map_addr = 0;
	memset(&T->loc, 0, sizeof T->loc);
	slot_regions(T, T->regions);
	arm_all(T, t);
}

/* Reports a hit on one of the slot's cells; with --reads, checks it for a race. */
static void report_cell_hit(struct tracer *T, struct thread *t, const struct user_regs_struct *regs,
			    struct region *r, const struct chainset *cs)
{
	if (T->opt.reads)
		flush_events(T); /* so the access event stays in the queue for race_check */
	int before = T->nqueued;
	report_region_hit(T, t, regs, r, cs, T->map_addr);
	if (T->opt.reads && r->role != ROLE_TAIL && T->nqueued > before)
		race_check(T, t, &T->queue[T->nqueued - 1]);
}

void slot_hit(struct tracer *T, struct thread *t, unsigned mask, const struct user_regs_struct *regs)
{
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
			uint64_t map = current_map(T);
			memcpy(r->shadow, &map, 8);
			if (map) {
				char err[512];
				if (T->lp->attach_instance(T->dbg, &T->mem, map, &T->target, &T->layout,
							   warn_line, err, sizeof err) != 0) {
					note("%s", err);
					break;
				}
				slot_start(T, t);
				return;
			}
			break;
		}
		case ROLE_ELEMCELL:
			report_cell_hit(T, t, regs, r, &cs);
			break;
		case ROLE_BUCKETS: {
			struct chainset none = {.n = 0};
			report_region_hit(T, t, regs, r, &none, T->map_addr);
			/* A growth writes buckets, oldbuckets, B and flags in some order: let it
			 * finish before the key is looked up again. (It writes no cells.) */
			if (strcmp(op_of(T, t->tid, regs->rip), "evacuate") == 0)
				finish_function(T, t, regs);
			moved_maybe = true;
			break;
		}
		case ROLE_TAIL:
		default: {
			struct chainset tail = cs;
			if (r->role == ROLE_TAIL) {
				/* The watched byte or pointer belongs to the key's chain(s). */
				struct chainset full;
				chains_for_key(&T->mem, &T->layout, T->map_addr, &T->key, &full);
				tail = full;
			}
			report_cell_hit(T, t, regs, r, &tail);
			moved_maybe = true;
			key_written |= r->role == ROLE_KEYCELL;
			break;
		}
		}
	}
	if (moved_maybe && T->map_addr)
		relocate(T, t, false, key_written);
}
