/*
 * setup.c: from the command line to a ready session, with every thread
 * stopped: the map found through the layout provider, the key parsed by its
 * DWARF type, the region budget checked, the mode's breakpoints and
 * registers in place. Every failure is one line and exit status 2.
 */
#define _GNU_SOURCE
#include "tracer.h"

#include <string.h>
#include <unistd.h>

void warn_line(const char *line) { note("%s", line); }

uint64_t current_map(struct tracer *T)
{
	if (!T->target.var_addr)
		return T->target.map_addr;
	if (!T->target.var_is_pointer)
		return T->target.var_addr;
	uint64_t v = 0;
	mem_read_u64(&T->mem, T->target.var_addr, &v);
	return v;
}

/* Greedy split of [off, off+n) into aligned 1/2/4/8-byte pieces: how many watch registers. */
static int pieces(uint64_t off, unsigned n)
{
	int count = 0;
	while (n) {
		unsigned len = 8;
		while (len > n || off % len)
			len /= 2;
		off += len;
		n -= len;
		count++;
	}
	return count;
}

int slot_regions_needed(const struct map_layout *l, char *why, size_t n)
{
	int worst = 0, wk = 0, we = 0;
	for (unsigned i = 0; i < l->bucket_cnt; i++) {
		int k = pieces(l->keys_off + i * l->keycell, watched_len(l->keycell));
		int e = pieces(l->elems_off + i * l->elemcell, watched_len(l->elemcell));
		if (k + e > worst) {
			worst = k + e;
			wk = k;
			we = e;
		}
	}
	snprintf(why, n, "tophash 1, key cell %d, elem cell %d, buckets pointer 1", wk, we);
	return worst + 2;
}

/* The path of the traced program's executable into exe (empty when unknown); its length. */
static ssize_t program_exe(pid_t pid, char *exe, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, size - 1);
	exe[n > 0 ? n : 0] = '\0';
	return n;
}

void emit_meta(struct tracer *T)
{
	struct meta m = {
		.program = T->opt.argv ? T->opt.argv[0] : NULL,
		.pid = T->pid,
		.map = T->opt.map,
		.key = T->key.text,
		.mode = T->opt.mode == MODE_DELETE ? "delete" : "slot",
		.layout = &T->layout,
		.map_addr = current_map(T),
	};
	char exe[256];
	if (!m.program) {
		program_exe(T->pid, exe, sizeof exe);
		m.program = exe;
	}
	T->opt.writer->meta(T->out, &m);
}

int session_setup(struct tracer *T)
{
	char err[512];
	T->arch = arch_watch();
	T->lp = &layout_hmap;
	if (T->lp->resolve(T->dbg, T->opt.map, &T->target, &T->layout, err, sizeof err) != 0) {
		char exe[4096];
		ssize_t n = program_exe(T->pid, exe, sizeof exe);
		uint64_t addr;
		if (n > 0 && !dbg_module_has_dwarf(T->dbg, exe))
			fatal_setup(T, "%s has no DWARF debug info (stripped binary?): cannot find map %s",
				    exe, T->opt.map);
		if (strncmp(err, "no such map", 11) == 0 && dbg_symbol_addr(T->dbg, T->opt.map, &addr))
			fatal_setup(T, "%s is not a map: it is a symbol without a variable's DWARF (a function?)",
				    T->opt.map);
		fatal_setup(T, "%s", err);
	}
	uint64_t map = current_map(T);
	if (map) {
		if (T->lp->attach_instance(T->dbg, &T->mem, map, &T->target, &T->layout, warn_line, err,
					   sizeof err) != 0)
			fatal_setup(T, "%s", err);
	} else if (!T->target.var_is_pointer || !T->target.layout_known) {
		fatal_setup(T, "map %s does not exist and its layout is not in its type", T->opt.map);
	}
	if (key_parse(&T->layout, T->opt.key, &T->key, err, sizeof err) != 0)
		fatal_setup(T, "%s", err);
	char why[128];
	int need = slot_regions_needed(&T->layout, why, sizeof why);
	if (need > (int)T->arch->nslots)
		fatal_setup(T, "following key %s of map %s needs %d watch regions (%s); %s has %u debug registers",
			    T->opt.key, T->opt.map, need, why, T->arch->name, T->arch->nslots);
	emit_meta(T);

	uint64_t addr;
	if (T->opt.mode == MODE_DELETE) {
		if (!dbg_symbol_addr(T->dbg, T->lp->delete_entry, &addr))
			fatal_setup(T, "no function %s in the program", T->lp->delete_entry);
		if (bp_insert(T, T->pid, addr, BP_DELETE) != 0)
			fatal_setup(T, "cannot set a breakpoint on %s at %#llx", T->lp->delete_entry,
				    (unsigned long long)addr);
		return 0;
	}
	if (dbg_symbol_addr(T->dbg, "hmap_free", &addr) && bp_insert(T, T->pid, addr, BP_FREE) != 0)
		fatal_setup(T, "cannot set a breakpoint on hmap_free");
	slot_start(T, thread_find(T, T->pid));
	return 0;
}
