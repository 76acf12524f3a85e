"""Bulk reads of the inferior's (or the core's) memory, as bytes; C types and expressions
whatever the program's language."""
import contextlib

import gdb

from .errors import MapvizError, Unreadable

# A string key longer than this is shown cut short (and hashed only if complete).
MAX_STRING = 4096


def require_target():
    """Fail unless there is memory to read: a live process or a core file."""
    if gdb.selected_inferior().pid == 0:
        raise MapvizError("no process and no core file (run the program or load a core)")


def read(addr, size):
    """size bytes at addr, or Unreadable(addr)."""
    if addr == 0 or size < 0 or addr + size > 1 << 64:
        raise Unreadable(addr)
    if size == 0:
        return b""
    try:
        return gdb.selected_inferior().read_memory(addr, size).tobytes()
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        raise Unreadable(addr) from None


def read_cstring(addr, limit=MAX_STRING):
    """(bytes before the NUL, complete?) of a C string, reading in small bounded steps."""
    out = bytearray()
    step = 64
    while len(out) < limit:
        try:
            chunk = read(addr + len(out), step)
        except Unreadable:
            if step == 1:
                raise Unreadable(addr + len(out)) from None
            step = 1  # the string may end just before an unmapped page
            continue
        nul = chunk.find(b"\0")
        if nul >= 0:
            out += chunk[:nul]
            return bytes(out[:limit]), len(out) <= limit
        out += chunk
    return bytes(out[:limit]), False


def u64(raw, off=0):
    return int.from_bytes(raw[off:off + 8], "little")


def variable_symbol(name):
    """The gdb.Symbol of a global or static variable, or None."""
    try:
        sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    except gdb.error:
        return None
    return sym if sym is not None and sym.is_variable else None


@contextlib.contextmanager
def c_language():
    """GDB parses expressions in C meanwhile (a watchpoint keeps the language it was made in)."""
    before = gdb.parameter("language")
    gdb.execute("set language c", to_string=True)
    try:
        yield
    finally:
        gdb.execute(f"set language {before}", to_string=True)


_c_types = {}


def c_type(name):
    """A C type by name (char, unsigned long), also in a Go program."""
    t = _c_types.get(name)
    if t is None:
        with c_language():
            t = _c_types[name] = gdb.lookup_type(name)
    return t
