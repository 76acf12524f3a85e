/*
 * delete.c: delete mode, hardware. A breakpoint on the library's delete
 * entry (map in the first argument register, key pointer in the second)
 * catches each delete of the key; for its duration the deleting thread gets
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
#include "tracer.h"

#include <string.h>
#include <sys/ptrace.h>

enum { R_COUNT, R_FLAGS, R_ARRAY, R_CELL };

static void set_region(struct tracer *T, struct region *r, uint64_t addr, unsigned len,
		       enum role role, uint64_t bucket)
{
	memset(r, 0, sizeof *r);
	while (len > 1 && addr % len)
		len /= 2; /* an unaligned start: watch what is aligned */
	r->w = (struct watch){.addr = addr, .len = len, .kind = WATCH_WRITE, .used = true};
	r->role = role;
	r->bucket_addr = bucket;
	mem_read(&T->mem, addr, r->shadow, len);
}

/* The bucket before b in the chain of the run, or 0. */
static uint64_t chain_pred(struct tracer *T, uint64_t b)
{
	const struct chainset *cs = &T->del.chain;
	for (int i = 1; i < cs->n; i++)
		if (cs->b[i].addr == b && cs->b[i].old == cs->b[i - 1].old &&
		    cs->b[i].overflow == cs->b[i - 1].overflow + 1)
			return cs->b[i - 1].addr;
	return 0;
}

/* Regions that follow the key's slot at the start of a run or after it moved. */
static void slot_regions_for(struct tracer *T, const struct loc *loc)
{
	const struct map_layout *l = &T->layout;
	struct region *r = T->del_regions;
	memset(&r[R_ARRAY], 0, sizeof r[R_ARRAY]);
	memset(&r[R_CELL], 0, sizeof r[R_CELL]);
	if (!loc->valid)
		return;
	set_region(T, &r[R_ARRAY], loc->bucket_addr + l->tophash_off, l->bucket_cnt < 8 ? l->bucket_cnt : 8,
		   ROLE_TOPHASH_ARRAY, loc->bucket_addr);
	if (l->key_cleared)
		set_region(T, &r[R_CELL], loc->key_addr, watched_len(l->keycell), ROLE_KEYCELL, 0);
	else
		set_region(T, &r[R_CELL], loc->elem_addr, watched_len(l->elemcell), ROLE_ELEMCELL, 0);
}

void delete_entry(struct tracer *T, struct thread *t, struct user_regs_struct *regs)
{
	uint64_t map = current_map(T);
	if (!map || regs->rdi != map || T->del.active || !key_value_at(&T->mem, &T->layout, regs->rsi, &T->key))
		return;
	struct delete_run *d = &T->del;
	memset(d, 0, sizeof *d);
	d->tid = t->tid;
	d->sp = regs->rsp;
	if (!mem_read_u64(&T->mem, regs->rsp, &d->ret))
		return;
	locate(&T->mem, &T->layout, map, &T->key, &d->loc);
	chains_for_key(&T->mem, &T->layout, map, &T->key, &d->chain);
	if (T->opt.step) {
		step_delete(T, t, regs);
		return;
	}
	if (bp_insert(T, t->tid, d->ret, BP_RETURN) != 0) {
		note("cannot set a breakpoint at the return address %#llx", (unsigned long long)d->ret);
		return;
	}
	d->active = true;
	const struct map_layout *l = &T->layout;
	struct region *r = T->del_regions;
	uint64_t flags = map + l->hdr[HF_FLAGS].off, hash0 = map + l->hdr[HF_HASH0].off;
	set_region(T, &r[R_COUNT], map + l->hdr[HF_COUNT].off, 8, ROLE_COUNT, 0);
	/* flags and hash0 share one aligned 8-byte word in Go's layout; else watch flags alone. */
	if ((flags & ~7ull) == ((hash0 + l->hdr[HF_HASH0].size - 1) & ~7ull))
		set_region(T, &r[R_FLAGS], flags & ~7ull, 8, ROLE_FLAGS, 0);
	else
		set_region(T, &r[R_FLAGS], flags, 1, ROLE_FLAGS, 0);
	slot_regions_for(T, &d->loc);
	t->local_watch = true;
	unsigned got, want = 0;
	for (unsigned i = 0; i < ARCH_MAX_WATCH; i++)
		want |= r[i].role != ROLE_NONE ? 1u << i : 0;
	/* Read back what the thread holds: a register that did not take is said, not hidden. */
	if (arm_thread(T, t, r) > 0 && T->arch->enabled(t->tid, &got) == 0 && got != want)
		note("tid %d: debug registers %#x enabled, %#x wanted", (int)t->tid, got, want);
}

void delete_hit(struct tracer *T, struct thread *t, unsigned mask, const struct user_regs_struct *regs)
{
	struct delete_run *d = &T->del;
	struct region *r = T->del_regions;
	uint64_t map = current_map(T);
	bool rearm = false;
	/* Everything a run can touch, for naming fields: the chain at entry and as it is now. */
	struct chainset cs = d->chain;
	struct chainset now;
	if (chains_for_key(&T->mem, &T->layout, map, &T->key, &now) == 0)
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
		report_region_hit(T, t, regs, &r[i], &cs, map);
		switch (r[i].role) {
		case ROLE_KEYCELL: /* the key is cleared first, then the elem */
			set_region(T, &r[R_CELL], d->loc.elem_addr, watched_len(T->layout.elemcell),
				   ROLE_ELEMCELL, 0);
			rearm = true;
			break;
		case ROLE_TOPHASH_ARRAY: {
			uint64_t b = r[i].bucket_addr;
			uint8_t top;
			mem_read(&T->mem, d->loc.tophash_addr, &top, 1);
			if (b == d->loc.bucket_addr && is_evacuated(&T->layout, top)) {
				/* Growth work evacuated the key's old bucket: follow it to the new table. */
				struct loc to;
				if (locate(&T->mem, &T->layout, map, &T->key, &to) == 0 && !loc_same(&to, &d->loc)) {
					emit_move(T, t->tid, &d->loc, &to, "evacuate");
					d->loc = to;
					chains_for_key(&T->mem, &T->layout, map, &T->key, &d->chain);
					slot_regions_for(T, &to);
					if (!to.present && !T->layout.key_cleared)
						set_region(T, &r[R_COUNT], to.key_addr,
							   watched_len(T->layout.keycell), ROLE_ARRIVING_KEY, 0);
					rearm = true;
				}
				break;
			}
			/* Once the key's cell is empty, the walk may run back from bucket b: watch
			 * the bucket before it with the other register. */
			unsigned other = i == R_ARRAY ? R_CELL : R_ARRAY;
			uint64_t pred = chain_pred(T, b);
			if (pred && top <= T->layout.emptyOne && r[other].bucket_addr != pred) {
				set_region(T, &r[other], pred + T->layout.tophash_off,
					   T->layout.bucket_cnt < 8 ? T->layout.bucket_cnt : 8,
					   ROLE_TOPHASH_ARRAY, pred);
				rearm = true;
			}
			break;
		}
		case ROLE_ARRIVING_KEY: /* the key is in its new cell: R0 goes back to count */
			set_region(T, &r[R_COUNT], map + T->layout.hdr[HF_COUNT].off, 8, ROLE_COUNT, 0);
			rearm = true;
			break;
		default:
			break;
		}
	}
	if (rearm)
		arm_thread(T, t, r);
}

void delete_return(struct tracer *T, struct thread *t, struct user_regs_struct *regs, struct bp *b)
{
	struct delete_run *d = &T->del;
	if (d->active && t->tid == d->tid && regs->rsp > d->sp) {
		/* The run is over: the thread's registers and the return breakpoint go. */
		T->arch->clear(t->tid);
		t->local_watch = false;
		d->active = false;
		bp_remove(T, t->tid, b->addr);
		return;
	}
	step_over_bp(T, t, b); /* another thread, or a deeper frame, passing through */
}
