"""A key the user typed, as the map sees it: its hash input and a cell matcher."""
import struct

import gdb

from . import memory
from .cells import codecs, quote
from .errors import MapvizError, Unreadable
from .hashing import hash_bytes


class Key:
    def __init__(self, text, data, is_string):
        self.text = text          # how to show the key
        self.data = data          # the bytes the map hashes (and compares)
        self.is_string = is_string

    def hash(self, ref):
        return hash_bytes(self.data, ref.header.hash0)

    def matcher(self, ref):
        """matches(key cell) -> bool: the comparison the map makes."""
        codec = codecs(ref.layout)[0]

        def matches(cell):
            try:
                return codec.hash_input(cell) == self.data
            except Unreadable:
                return False
        return matches


def _int_bytes(n, t):
    size = t.sizeof
    signed = bool(getattr(t, "is_signed", False))
    lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
    if not lo <= n <= hi:
        raise ValueError(f"{n} is out of range")
    return n.to_bytes(size, "little", signed=signed)


def parse_key(ref, text):
    """The Key for text, parsed by the map's key type; MapvizError when it does not parse."""
    lay = ref.layout
    kt = lay.key_type
    if lay.hash_kind == "string":
        data = text.encode()
        return Key(quote(data), data, True)
    st = kt.strip_typedefs()
    try:
        value = gdb.parse_and_eval(text)
        vt = value.type.strip_typedefs()
        if st.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM):
            if vt.code not in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM):
                raise ValueError(f"it is a {value.type}")
            data = _int_bytes(int(value), st)
        elif st.code == gdb.TYPE_CODE_FLT:
            data = struct.pack({4: "<f", 8: "<d"}[st.sizeof], float(value))
        elif st.code == gdb.TYPE_CODE_PTR:
            data = _int_bytes(int(value.cast(kt)), gdb.lookup_type("unsigned long"))
        else:
            if vt.sizeof != st.sizeof or vt.code != st.code:
                raise ValueError(f"it is a {value.type}")
            if value.address is None:
                raise ValueError("it has no address to read its bytes from")
            data = memory.read(int(value.address), st.sizeof)
    except (gdb.error, ValueError, KeyError, OverflowError, Unreadable) as e:
        reason = str(e).splitlines()[0].rstrip(".") if str(e) else type(e).__name__
        raise MapvizError(f'key "{text}" does not parse as {kt}: {reason}') from None
    return Key(codecs(lay)[0].text(data) if not lay.indirect_key else text, data, False)
