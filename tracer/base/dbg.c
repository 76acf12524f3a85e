/*
 * dbg.c: libdwfl set up as eu-stack does (proc find_elf, standard debuginfo),
 * reporting every module of the process, so that a map library linked
 * statically or as a shared object is found the same way.
 */
#define _GNU_SOURCE
#include "base/dbg.h"
#include "base/stack.h"

#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYMCACHE_SIZE 4096 /* power of two */
#define INLINE_CACHE_SIZE 1024 /* power of two */
#define INLINE_MAX 8 /* inline functions nested at one pc, the real function included */

struct symcache_entry {
	uint64_t pc;
	bool valid;
	struct sym_info info;
	char func[128]; /* the symbol's name when it had a version to strip */
};

/* The inline chain at one code address, innermost first; the last is the real function. */
struct inline_entry {
	uint64_t pc;
	bool valid;
	int n;
	struct inline_frame {
		const char *func, *file;
		int line;
	} f[INLINE_MAX];
};

struct dbg {
	pid_t pid;
	Dwfl *dwfl;
	Dwfl_Callbacks cb;
	char *debuginfo_path;
	struct symcache_entry cache[SYMCACHE_SIZE];
	struct inline_entry inlines[INLINE_CACHE_SIZE];
};

static int report(struct dbg *d, char *err, size_t errlen)
{
	dwfl_report_begin(d->dwfl);
	int r = dwfl_linux_proc_report(d->dwfl, d->pid);
	if (r != 0) {
		snprintf(err, errlen, "dwfl_linux_proc_report pid %d: %s", (int)d->pid,
			 r < 0 ? dwfl_errmsg(-1) : strerror(r));
		dwfl_report_end(d->dwfl, NULL, NULL);
		return -1;
	}
	if (dwfl_report_end(d->dwfl, NULL, NULL) != 0) {
		snprintf(err, errlen, "dwfl_report_end pid %d: %s", (int)d->pid, dwfl_errmsg(-1));
		return -1;
	}
	return 0;
}

struct dbg *dbg_open(pid_t pid, char *err, size_t errlen)
{
	struct dbg *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->pid = pid;
	d->cb.find_elf = dwfl_linux_proc_find_elf;
	d->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	d->cb.debuginfo_path = &d->debuginfo_path;
	d->dwfl = dwfl_begin(&d->cb);
	if (!d->dwfl) {
		snprintf(err, errlen, "dwfl_begin: %s", dwfl_errmsg(-1));
		free(d);
		return NULL;
	}
	if (report(d, err, errlen) != 0) {
		dbg_close(d);
		return NULL;
	}
	return d;
}

void dbg_close(struct dbg *d)
{
	if (!d)
		return;
	dwfl_end(d->dwfl);
	free(d);
}

Dwfl *dbg_dwfl(struct dbg *d) { return d->dwfl; }

struct symbol_search {
	const char *name;
	struct dbg *d;
	const char *file; /* NULL, or the source file the symbol's code must be in */
	uint64_t addr;
	bool found;
};

static int symbol_in_module(Dwfl_Module *mod, void **userdata, const char *mname, Dwarf_Addr start,
			    void *arg)
{
	(void)userdata, (void)mname, (void)start;
	struct symbol_search *s = arg;
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *nm = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (!nm || strcmp(nm, s->name) != 0 || sym.st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC)
			continue;
		const char *file = s->file ? dbg_symbolize(s->d, addr)->file : NULL;
		if (s->file && (!file || strcmp(file, s->file) != 0))
			continue;
		s->addr = addr;
		s->found = true;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

bool dbg_symbol_addr(struct dbg *d, const char *name, uint64_t *addr)
{
	struct symbol_search s = {.name = name, .d = d};
	dwfl_getmodules(d->dwfl, symbol_in_module, &s, 0);
	if (s.found)
		*addr = s.addr;
	return s.found;
}

bool dbg_symbol_addr_beside(struct dbg *d, const char *name, const char *anchor, uint64_t *addr)
{
	uint64_t at;
	if (!dbg_symbol_addr(d, anchor, &at))
		return false;
	const char *file = dbg_symbolize(d, at)->file;
	if (!file)
		return false;
	struct symbol_search s = {.name = name, .d = d, .file = file};
	Dwfl_Module *mod = dwfl_addrmodule(d->dwfl, at);
	if (mod)
		symbol_in_module(mod, NULL, NULL, 0, &s);
	if (s.found)
		*addr = s.addr;
	return s.found;
}

/* Source file names relative to the compilation directory when under it. */
static const char *relative_file(const char *comp_dir, const char *file)
{
	size_t n = comp_dir ? strlen(comp_dir) : 0;
	if (n && strncmp(file, comp_dir, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file;
}

/*
 * The start of the call-frame description range holding pc, from .eh_frame or .debug_frame.
 * Every function the compiler or an assembler's CFI directives describe has one, so this
 * finds a function's first instruction even in a library stripped of its symbol table.
 */
static uint64_t cfi_range_start(Dwfl_Module *mod, uint64_t pc)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfis[2] = {dwfl_module_eh_cfi(mod, &bias), NULL};
	Dwarf_Addr dwarf_bias;
	cfis[1] = dwfl_module_dwarf_cfi(mod, &dwarf_bias);
	Dwarf_Addr biases[2] = {bias, dwarf_bias};
	for (int i = 0; i < 2; i++) {
		Dwarf_Frame *frame;
		if (!cfis[i] || dwarf_cfi_addrframe(cfis[i], pc - biases[i], &frame) != 0)
			continue;
		Dwarf_Addr start, end;
		int got = dwarf_frame_info(frame, &start, &end, NULL);
		free(frame);
		if (got >= 0 && start <= pc - biases[i])
			return start + biases[i];
	}
	return 0;
}

static Dwarf_Addr d_bias(Dwfl_Module *mod)
{
	Dwarf_Addr bias = 0;
	dwfl_module_getdwarf(mod, &bias);
	return bias;
}

/* The compilation unit of mod whose ranges hold pc, found by walking the units. */
static bool unit_of_pc(Dwfl_Module *mod, uint64_t pc, Dwarf_Die *out)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dw && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, out) && dwarf_haspc(out, pc - bias) == 1)
			return true;
		off = next;
	}
	return false;
}

const struct sym_info *dbg_symbolize(struct dbg *d, uint64_t pc)
{
	struct symcache_entry *e = &d->cache[(pc ^ (pc >> 12)) & (SYMCACHE_SIZE - 1)];
	if (e->valid && e->pc == pc)
		return &e->info;
	memset(e, 0, sizeof *e);
	e->pc = pc;
	e->valid = true;
	Dwfl_Module *mod = dwfl_addrmodule(d->dwfl, pc);
	if (!mod)
		return &e->info;
	e->info.module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
	if (name) {
		/* A versioned symbol (__libc_start_main@@GLIBC_2.34) by its function's name. */
		size_t base = strcspn(name, "@");
		if (name[base]) {
			snprintf(e->func, sizeof e->func, "%.*s", (int)base, name);
			name = e->func;
		}
		e->info.func = name;
		e->info.func_start = pc - off;
		e->info.func_size = sym.st_size;
	} else {
		e->info.func_start = cfi_range_start(mod, pc);
	}
	Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
	const char *file = NULL, *comp_dir = NULL;
	int lineno = 0;
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		comp_dir = dwfl_line_comp_dir(line);
	} else {
		/* No .debug_aranges (Go writes none): the unit whose ranges hold pc. */
		Dwarf_Die cu;
		Dwarf_Attribute a;
		Dwarf_Line *l = unit_of_pc(mod, pc, &cu) ? dwarf_getsrc_die(&cu, pc - d_bias(mod)) : NULL;
		if (l && dwarf_lineno(l, &lineno) == 0)
			file = dwarf_linesrc(l, NULL, NULL);
		comp_dir = file ? dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &a)) : NULL;
	}
	if (file) {
		e->info.file = relative_file(comp_dir, file);
		e->info.line = lineno;
	}
	return &e->info;
}

/* ---- inline frames ---- */

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

/* Where inlined instance die was called from: file and line in the caller. */
static void call_site_of(Dwarf_Die *cu, Dwarf_Die *die, const char **file, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word fileno, lineno;
	Dwarf_Files *files;
	size_t nfiles;
	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &lineno) == 0)
		*line = (int)lineno;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &fileno) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && fileno < nfiles) {
		const char *f = dwarf_filesrc(files, fileno, NULL, NULL);
		if (f)
			*file = relative_file(dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a)), f);
	}
}

/* Fills e with the inline chain at pc (as DWARF's scopes nest there). */
static void inline_chain(struct dbg *d, uint64_t pc, struct inline_entry *e)
{
	const struct sym_info *s = dbg_symbolize(d, pc);
	const char *func = s->func, *file = s->file;
	int line = s->line;
	Dwfl_Module *mod = dwfl_addrmodule(d->dwfl, pc);
	Dwarf_Addr bias;
	Dwarf_Die *cu = mod ? dwfl_module_addrdie(mod, pc, &bias) : NULL;
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
	e->n = 0;
	for (int i = 0; i < nscopes && e->n < INLINE_MAX - 1; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram)
			break; /* the real function: named by its symbol below */
		if (tag != DW_TAG_inlined_subroutine)
			continue; /* a lexical block */
		e->f[e->n++] = (struct inline_frame){die_name(&scopes[i]), file, line};
		call_site_of(cu, &scopes[i], &file, &line);
	}
	free(scopes);
	e->f[e->n++] = (struct inline_frame){func, file, line};
}

void dbg_push_frames(struct dbg *d, struct stack *s, uint64_t pc, bool call_site)
{
	uint64_t lookup = call_site ? pc - 1 : pc;
	struct inline_entry *e = &d->inlines[(lookup ^ (lookup >> 12)) & (INLINE_CACHE_SIZE - 1)];
	if (!e->valid || e->pc != lookup) {
		e->pc = lookup;
		e->valid = true;
		inline_chain(d, lookup, e);
	}
	const struct sym_info *sym = dbg_symbolize(d, lookup);
	for (int i = 0; i < e->n && s->n < EVENT_MAX_FRAMES; i++) {
		bool real = i == e->n - 1;
		s->f[s->n++] = (struct frame){
			.pc = pc,
			.func = e->f[i].func,
			.off = real && sym->func ? pc - sym->func_start : 0,
			.file = e->f[i].file,
			.line = e->f[i].line,
			.inlined = !real,
		};
	}
}

/* ---- DWARF: walk every CU of every module ---- */

struct cu_walk {
	/* Called for each top-level DIE of each CU; returns true to stop. */
	bool (*visit)(Dwarf_Die *die, Dwarf_Addr bias, void *arg);
	void *arg;
	bool stopped;
	bool any_dwarf;
};

static int walk_module(Dwfl_Module *mod, void **userdata, const char *mname, Dwarf_Addr start,
		       void *arg)
{
	(void)userdata, (void)mname, (void)start;
	struct cu_walk *w = arg;
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	if (!dw)
		return DWARF_CB_OK;
	w->any_dwarf = true;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				if (w->visit(&child, bias, w->arg)) {
					w->stopped = true;
					return DWARF_CB_ABORT;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return DWARF_CB_OK;
}

static bool walk_dies(struct dbg *d, bool (*visit)(Dwarf_Die *, Dwarf_Addr, void *), void *arg)
{
	struct cu_walk w = {.visit = visit, .arg = arg};
	dwfl_getmodules(d->dwfl, walk_module, &w, 0);
	return w.any_dwarf;
}

struct module_search {
	const char *path;
	bool has_dwarf;
};

static int module_dwarf(Dwfl_Module *mod, void **userdata, const char *mname, Dwarf_Addr start,
			void *arg)
{
	(void)userdata, (void)mname, (void)start;
	struct module_search *s = arg;
	const char *file = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	if (!file || strcmp(file, s->path) != 0)
		return DWARF_CB_OK;
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_Off next;
	size_t hsize;
	s->has_dwarf = dw && dwarf_nextcu(dw, 0, &next, &hsize, NULL, NULL, NULL) == 0;
	return DWARF_CB_ABORT;
}

bool dbg_module_has_dwarf(struct dbg *d, const char *path)
{
	struct module_search s = {.path = path};
	dwfl_getmodules(d->dwfl, module_dwarf, &s, 0);
	return s.has_dwarf;
}

struct var_search {
	const char *name;
	uint64_t addr;
	Dwarf_Die type;
	bool found;
};

/*
 * The address a DW_OP_addr location holds. Go writes the location as a DW_FORM_block1 (DWARF
 * 2 style), which dwarf_getlocation refuses in a DWARF 4 unit: that block is read as it is.
 */
static bool static_address(Dwarf_Attribute *loc, uint64_t *addr)
{
	Dwarf_Op *ops;
	size_t nops;
	Dwarf_Block b;
	if (dwarf_getlocation(loc, &ops, &nops) == 0) {
		if (nops != 1 || ops[0].atom != DW_OP_addr)
			return false;
		*addr = ops[0].number;
		return true;
	}
	if (dwarf_formblock(loc, &b) != 0 || b.length != 9 || b.data[0] != DW_OP_addr)
		return false;
	memcpy(addr, b.data + 1, 8); /* x86-64: an 8-byte little-endian address */
	return true;
}

static bool visit_variable(Dwarf_Die *die, Dwarf_Addr bias, void *arg)
{
	struct var_search *s = arg;
	if (dwarf_tag(die) != DW_TAG_variable)
		return false;
	const char *nm = dwarf_diename(die);
	if (!nm || strcmp(nm, s->name) != 0)
		return false;
	Dwarf_Attribute attr;
	uint64_t addr;
	if (!dwarf_attr(die, DW_AT_location, &attr) || !static_address(&attr, &addr))
		return false; /* a declaration, or not a static address */
	Dwarf_Attribute ta;
	if (!dwarf_attr_integrate(die, DW_AT_type, &ta) || !dwarf_formref_die(&ta, &s->type))
		return false;
	s->addr = addr + bias;
	s->found = true;
	return true;
}

bool dbg_find_variable(struct dbg *d, const char *name, uint64_t *addr, Dwarf_Die *type)
{
	struct var_search s = {.name = name};
	walk_dies(d, visit_variable, &s);
	if (s.found) {
		*addr = s.addr;
		*type = s.type;
	}
	return s.found;
}

struct type_search {
	int tag;
	const char *name;
	Dwarf_Die die;
	bool found;
};

static bool visit_type(Dwarf_Die *die, Dwarf_Addr bias, void *arg)
{
	(void)bias;
	struct type_search *s = arg;
	if (dwarf_tag(die) != s->tag || dwarf_hasattr(die, DW_AT_declaration))
		return false;
	const char *nm = dwarf_diename(die);
	if (!nm || strcmp(nm, s->name) != 0)
		return false;
	s->die = *die;
	s->found = true;
	return true;
}

bool dbg_find_type(struct dbg *d, int tag, const char *name, Dwarf_Die *out)
{
	struct type_search s = {.tag = tag, .name = name};
	walk_dies(d, visit_type, &s);
	if (s.found)
		*out = s.die;
	return s.found;
}

int dbg_enum(struct dbg *d, const char *name, struct enum_value *out, int max)
{
	Dwarf_Die e, child;
	if (!dbg_find_type(d, DW_TAG_enumeration_type, name, &e))
		return -1;
	int n = 0;
	if (dwarf_child(&e, &child) != 0)
		return 0;
	do {
		if (dwarf_tag(&child) != DW_TAG_enumerator || n >= max)
			continue;
		Dwarf_Attribute a;
		Dwarf_Sword v;
		const char *nm = dwarf_diename(&child);
		if (!nm || !dwarf_attr(&child, DW_AT_const_value, &a) || dwarf_formsdata(&a, &v) != 0)
			continue;
		snprintf(out[n].name, sizeof out[n].name, "%s", nm);
		out[n].value = v;
		n++;
	} while (dwarf_siblingof(&child, &child) == 0);
	return n;
}

struct enumerator_search {
	const char *name;
	int64_t value;
	bool found;
};

/* Whether die is named s->name and has a signed constant value: then it is s's answer. */
static bool take_named_value(Dwarf_Die *die, struct enumerator_search *s)
{
	const char *nm = dwarf_diename(die);
	Dwarf_Attribute a;
	Dwarf_Sword v;
	if (!nm || strcmp(nm, s->name) != 0 || !dwarf_attr(die, DW_AT_const_value, &a) ||
	    dwarf_formsdata(&a, &v) != 0)
		return false;
	s->value = v;
	s->found = true;
	return true;
}

static bool visit_enumerator(Dwarf_Die *die, Dwarf_Addr bias, void *arg)
{
	(void)bias;
	Dwarf_Die child;
	if (dwarf_tag(die) != DW_TAG_enumeration_type || dwarf_child(die, &child) != 0)
		return false;
	do {
		if (take_named_value(&child, arg))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* The first DIE of the program's DWARF that visit takes for name, and its value. */
static bool find_named_value(struct dbg *d, bool (*visit)(Dwarf_Die *, Dwarf_Addr, void *),
			     const char *name, int64_t *value)
{
	struct enumerator_search s = {.name = name};
	walk_dies(d, visit, &s);
	if (s.found)
		*value = s.value;
	return s.found;
}

bool dbg_enumerator(struct dbg *d, const char *name, int64_t *value)
{
	return find_named_value(d, visit_enumerator, name, value);
}

static bool visit_constant(Dwarf_Die *die, Dwarf_Addr bias, void *arg)
{
	(void)bias;
	return dwarf_tag(die) == DW_TAG_constant && take_named_value(die, arg);
}

bool dbg_constant(struct dbg *d, const char *name, int64_t *value)
{
	return find_named_value(d, visit_constant, name, value);
}

bool dwarf_peel(Dwarf_Die *type, Dwarf_Die *out)
{
	Dwarf_Die cur = *type;
	for (int depth = 0; depth < 16; depth++) {
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
			*out = cur;
			return true;
		}
		Dwarf_Attribute a;
		if (!dwarf_attr_integrate(&cur, DW_AT_type, &a) || !dwarf_formref_die(&a, &cur))
			return false;
	}
	return false;
}

bool dwarf_member(Dwarf_Die *structdie, const char *name, uint64_t *offset, Dwarf_Die *type)
{
	Dwarf_Die child;
	if (dwarf_child(structdie, &child) != 0)
		return false;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		const char *nm = dwarf_diename(&child);
		if (!nm || strcmp(nm, name) != 0)
			continue;
		Dwarf_Attribute a;
		Dwarf_Word off = 0;
		if (dwarf_attr(&child, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) != 0)
			return false;
		*offset = off;
		if (type && (!dwarf_attr_integrate(&child, DW_AT_type, &a) || !dwarf_formref_die(&a, type)))
			return false;
		return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

const char *dwarf_type_name(Dwarf_Die *type)
{
	const char *nm = dwarf_diename(type);
	return nm ? nm : "?";
}
