"""The C codec: hmap's key and elem cells shown by their C types, as GDB would.

From a cell's bytes to a value for GDB, text, hash input and identity; keys are
parsed by codec_c_keys.
"""
import gdb

from .. import memory
from ..errors import Unreadable
from .codec_base import Codec
from .codec_c_keys import parse_key
from .literal import quote


def _is_char_pointer(t):
    t = t.strip_typedefs()
    if t.code != gdb.TYPE_CODE_PTR:
        return False
    target = t.target().strip_typedefs()
    return target.sizeof == 1 and target.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR)


class CellCodec(Codec):
    """Decodes one kind of cell (the keys or the elems of a map type) by its C type.

    A direct cell holds the value; an indirect cell holds a pointer to it.
    Integers and bools are decoded in Python (the fast path, no gdb.Value);
    every other type goes through gdb.Value(bytes, type) so GDB formats it.
    """

    def __init__(self, value_type, indirect, is_string=False):
        super().__init__(value_type, indirect)
        self.is_string = is_string or _is_char_pointer(value_type)

    def value_child(self, raw, as_text):
        """A gdb.Value of the cell's C type; as text, a string key is a lazy string (GDB reads
        and quotes it, and `set print elements` bounds it, without asking the printers)."""
        v = gdb.Value(raw, self.type)
        if as_text and self.is_string:
            try:
                return v.lazy_string()
            except gdb.error:
                return v
        return v

    def text(self, cell):
        """How show, slot and dot write the value."""
        try:
            raw = self.value_bytes(cell)
        except Unreadable as e:
            return e.marker
        if self._int is not None:
            return self.int_text(raw)
        if self.is_string:
            ptr = memory.u64(raw)
            if ptr == 0:
                return "NULL"
            try:
                data, complete = memory.read_cstring(ptr, 64)
            except Unreadable as e:
                return e.marker
            return quote(data, complete)
        try:
            return gdb.Value(raw, self.type).format_string(max_elements=16, repeat_threshold=10)
        except gdb.error as e:
            return f"<{str(e).splitlines()[0] if str(e) else 'undecodable'}>"

    def hash_input(self, cell):
        """The bytes the map hashes for this key: the string's bytes for string keys
        (None when too long to read whole), else the key's bytes. May raise Unreadable."""
        raw = self.value_bytes(cell)
        if not self.is_string:
            return raw
        ptr = memory.u64(raw)
        data, complete = memory.read_cstring(ptr)
        return data if complete else None

    def identity(self, cell):
        """What equal keys share: the bytes the map compares (a string's own bytes)."""
        return self.hash_input(cell)

    def parse_key(self, view, text):
        """The view.Key for text, in C's notation (codec_c_keys says how each type is read)."""
        return parse_key(view, text)
