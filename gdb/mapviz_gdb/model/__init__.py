"""The map model: sources find maps in a program, designs know their algorithms.

    source_hmap   hmap's C maps (DWARF, descriptors, enums)      -> design_classic
    source_go     Go's runtime maps (DWARF of a Go binary)      -> design_classic (Go 1.19-1.23)
    design_*      the algorithm behind the generic views of view.py
    hash_*        each source's hash, recomputed without running the program
    codec_*       keys and values by their DWARF types, and keys parsed in that notation

Everything outside this package sees MapViews (view.py) and nothing else.
"""
import gdb

from ..errors import MapvizError
from . import source_go, source_hmap

SOURCES = (source_hmap.SOURCE, source_go.SOURCE)


def recognize(value):
    """The source that knows this value's type, or None (cheap: the printer asks for every value)."""
    for s in SOURCES:
        if s.recognize(value):
            return s
    return None


def not_a_map(value):
    return MapvizError(f"not a map: {value.type} (expected an hmap map, a Go map, or a pointer to one)")


def map_view_of_value(value):
    s = recognize(value)
    if s is None:
        raise not_a_map(value)
    return s.map_view(value)


def map_view_of_expr(expr):
    """Evaluate a user's expression and return its MapView (one-line errors)."""
    if not expr.strip():
        raise MapvizError("missing map expression")
    try:
        value = gdb.parse_and_eval(expr)
    except gdb.error as e:   # gdb.MemoryError included
        raise MapvizError(str(e))
    return map_view_of_value(value)


def forget():
    for s in SOURCES:
        s.forget()
