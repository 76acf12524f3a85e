"""What the C and Go codecs share: integer cells decoded in Python, and the printer's children.

The pretty printer asks a codec for each key and elem it yields, in one of two forms:

  text    a Python str, printed by GDB as it is. Only where the text is exactly what GDB
          would print for the value under the options in force (`print` with no format
          letter, output-radix 10): GDB then neither makes a value of it nor asks every
          pretty printer about it, which is most of the cost of a large map.
  value   a gdb.Value of the cell's own type (uint64_t, string, main.point), for GDB/MI's
          variable objects (front ends see the map's own key and elem types and expand
          structs and pointers) and for `print/x` and the like (GDB applies the format).

Integers of 2, 4 or 8 bytes and bools are the text fast path (struct.unpack of the cell's
bytes); one-byte integers are not, GDB may print them as characters (65 'A'). A codec says
how its other kinds are yielded (value_child).
"""
import itertools
import struct
import sys

import gdb

from ..errors import Unreadable
from .view import CellCodec

_INT_FORMATS = {(1, False): "B", (2, False): "H", (4, False): "I", (8, False): "Q",
                (1, True): "b", (2, True): "h", (4, True): "i", (8, True): "q"}

# Integer type names GDB prints as characters whatever their size (c_textual_element_type).
_TEXTUAL_NAMES = {"wchar_t", "char16_t", "char32_t"}


def int_struct(value_type, signed=None):
    """The struct.Struct that decodes an integer, bool or char of value_type from its
    little-endian bytes, or None when it is none of those (or of an odd size)."""
    st = value_type.strip_typedefs()
    if st.code not in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR) or st.sizeof not in (1, 2, 4, 8):
        return None
    if signed is None:
        signed = bool(getattr(st, "is_signed", False)) and st.code != gdb.TYPE_CODE_BOOL
    return struct.Struct("<" + _INT_FORMATS[(st.sizeof, signed)])


def _type_names(t):
    """The names along a typedef chain (uint32_t, __uint32_t, unsigned int)."""
    names = []
    while True:
        if t.name:
            names.append(t.name)
        if t.code != gdb.TYPE_CODE_TYPEDEF:
            return names
        t = t.target()


def _prints_as_digits(value_type):
    """Whether GDB prints a value of this type as its decimal number alone (or true/false)."""
    st = value_type.strip_typedefs()
    if st.code == gdb.TYPE_CODE_BOOL:
        return st.sizeof == 1
    return (st.code == gdb.TYPE_CODE_INT and st.sizeof in (2, 4, 8)
            and not _TEXTUAL_NAMES.intersection(_type_names(value_type)))


class Codec(CellCodec):
    """A map type's key or elem cells, with the integer fast path both languages share.

    Subclasses set self._int (int_struct of their type, or None) and implement
    value_child(raw, as_text) for the cells the fast path does not take."""

    def __init__(self, value_type, indirect):
        super().__init__(value_type, indirect)
        self.is_bool = value_type.strip_typedefs().code == gdb.TYPE_CODE_BOOL
        self._int = int_struct(value_type)
        self._digits = self._int if _prints_as_digits(value_type) else None

    def int_text(self, raw):
        """An integer or bool cell's text as GDB prints it (42, -1, true)."""
        n = self._int.unpack_from(raw)[0]
        if self.is_bool and n in (0, 1):
            return "true" if n else "false"
        return str(n)

    def for_gdb(self, cell, as_text):
        """What the pretty printer yields for cell: text when as_text and the text is GDB's
        own, else a gdb.Value (see the module's docstring); a marker where memory fails."""
        try:
            raw = self.value_bytes(cell)
        except Unreadable as e:
            return e.marker
        if as_text and self._digits is not None:
            return self.int_text(raw)
        return self.value_child(raw, as_text)

    def _digits_in_cells(self, as_text):
        """Whether the children are integers held in their cells (nothing to read, nothing to
        fail), as text: str of the number."""
        return as_text and self._digits is not None and not self.indirect and not self.is_bool

    def child_function(self, as_text):
        """for_gdb(cell, as_text) as a function of the cell alone; for integers held in their
        cells as text, one struct.unpack and str."""
        if self._digits_in_cells(as_text):
            unpack = self._digits.unpack_from
            return lambda cell: str(unpack(cell)[0])
        return lambda cell: self.for_gdb(cell, as_text)

    def children(self, cells, cell_size, live, as_text):
        """for_gdb(cell, as_text) of each cell of cells (cell_size bytes each, end to end) whose
        byte in live is 1, in order, as an iterator. Integers held in their cells, as text,
        are decoded all at once (a memoryview cast) and never sliced into cells."""
        if self._digits_in_cells(as_text) and cell_size == self.size and sys.byteorder == "little":
            # repr of an int is its decimal text, as str gives it, and a cheaper call than str
            return map(repr, itertools.compress(memoryview(cells).cast(self._digits.format[-1]), live))
        child = self.child_function(as_text)
        return (child(cells[s * cell_size:(s + 1) * cell_size])
                for s in itertools.compress(range(len(live)), live))

    def value_child(self, raw, as_text):
        return gdb.Value(raw, self.type)
