/*
 * dbg.h: symbols, source lines and types of a live process, from elfutils
 * (libdwfl over every module of the process, libdw for DWARF).
 */
#ifndef MAPVIZ_DBG_H
#define MAPVIZ_DBG_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct dbg;

/* What a code address is: function, offset, source line. Strings live as long as the dbg. */
struct sym_info {
	const char *func;     /* NULL when unknown */
	/* Where the function holding pc starts: its symbol's address, or, where no symbol covers
	 * pc (a stripped library's internal function), the start of pc's call-frame (CFI) range;
	 * 0 when neither is known. Code can be decoded forward from here to pc. */
	uint64_t func_start;
	uint64_t func_size;
	const char *file;     /* NULL when no line info */
	int line;
	const char *module;
};

struct enum_value {
	char name[64];
	int64_t value;
};

/* Reports pid's modules. NULL with err filled (one line) on failure. */
struct dbg *dbg_open(pid_t pid, char *err, size_t errlen);
void dbg_close(struct dbg *d);

/* The Dwfl over the process's modules (for an unwinder to attach its thread state to). */
Dwfl *dbg_dwfl(struct dbg *d);
/* The address of function or object symbol name in any module (local symbols too). */
bool dbg_symbol_addr(struct dbg *d, const char *name, uint64_t *addr);
/* The same, for the symbol name whose code is in the source file of function anchor's (a
 * static function, where other files may have one of that name). */
bool dbg_symbol_addr_beside(struct dbg *d, const char *name, const char *anchor, uint64_t *addr);
/* Function (its symbol name, without a symbol version such as @@GLIBC_2.34), line of pc;
 * cached per pc. Never fails: unknown parts are NULL/0. */
const struct sym_info *dbg_symbolize(struct dbg *d, uint64_t pc);
struct stack;
/*
 * Appends the frames of code address pc to s (while it has room): the functions inlined
 * there, innermost first, then the function holding them. A return address (call_site) is
 * looked up one byte back, inside the call. Cached per address.
 */
void dbg_push_frames(struct dbg *d, struct stack *s, uint64_t pc, bool call_site);
/* True when the module whose file is path (the executable) has DWARF. */
bool dbg_module_has_dwarf(struct dbg *d, const char *path);

/* A global variable by name: its run-time address and its type DIE. */
bool dbg_find_variable(struct dbg *d, const char *name, uint64_t *addr, Dwarf_Die *type);
/* A named type (DW_TAG_structure_type, DW_TAG_enumeration_type, ...) with a definition. */
bool dbg_find_type(struct dbg *d, int tag, const char *name, Dwarf_Die *out);
/* The enumerators of enum NAME, at most max; the count, or -1 when absent. */
int dbg_enum(struct dbg *d, const char *name, struct enum_value *out, int max);

/* The value of an enumerator of any enum, named or not. */
bool dbg_enumerator(struct dbg *d, const char *name, int64_t *value);

/* The value of a named constant (DW_TAG_constant, as Go writes runtime.emptyOne). */
bool dbg_constant(struct dbg *d, const char *name, int64_t *value);
/* Type helpers over libdw. */
/* Strips typedefs and cv-qualifiers. */
bool dwarf_peel(Dwarf_Die *type, Dwarf_Die *out);
/* Member name of struct die: its offset and type. */
bool dwarf_member(Dwarf_Die *structdie, const char *name, uint64_t *offset, Dwarf_Die *type);
/* Name of a type, following typedefs no further than the first name. */
const char *dwarf_type_name(Dwarf_Die *type);

#endif
