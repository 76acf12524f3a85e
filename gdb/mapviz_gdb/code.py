"""The program's code as mapviz names it, the way mapviz-trace does: a function's entry
address, and the function, offset, inlined function, file and line of an instruction."""
import gdb

from . import memory


def function_address(name):
    """The entry address of a function of the program, or None."""
    for lookup in (gdb.lookup_global_symbol, gdb.lookup_static_symbol):
        try:
            sym = lookup(name)
        except gdb.error:
            continue
        if sym is not None and sym.type is not None and sym.type.code == gdb.TYPE_CODE_FUNC:
            return int(sym.value().address.cast(memory.c_type("unsigned long")))
    return None


def code_location(pc):
    """(function, offset, inlined function or None, file, line) of an instruction, named as
    mapviz-trace names it: the function holding it (not inlined: its DWARF function, else
    its ELF symbol), and its line's file as DWARF gives it."""
    func, off, inlined = None, 0, None
    b = gdb.block_for_pc(pc)
    while b is not None and b.function is None:
        b = b.superblock
    if b is not None:
        inner = b.function.name
        while b.superblock is not None and not b.superblock.is_static:
            b = b.superblock
        if b.function is not None:
            func, off = b.function.name, pc - _entry(b.function, b.start)
            inlined = inner if inner != func else None
    if func is None:
        try:
            with memory.c_language():   # Go's language would print runtime[name]
                words = gdb.execute(f"info symbol {pc:#x}", to_string=True).split()
            if len(words) > 1 and words[0] != "No":
                func = words[0]
                off = int(words[2]) if len(words) > 3 and words[1] == "+" else 0
        except gdb.error:
            pass
    sal = gdb.find_pc_line(pc)
    file = sal.symtab.filename if sal.symtab else None
    return func, off, inlined, file, sal.line if sal.symtab else None


def _entry(function, lowest):
    """A function symbol's entry address (its block may start lower, at a split-off part)."""
    try:
        return int(function.value().address.cast(memory.c_type("unsigned long")))
    except (gdb.error, AttributeError):
        return lowest
