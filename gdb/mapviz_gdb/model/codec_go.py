"""The Go codec: Go keys and values shown by their DWARF types, and keys parsed in Go's notation.

Kinds, from the gdb.Type of a cell's value:
  integers, bools, uintptr   little-endian bytes             42, true
  floats                     float32/float64                 1.5
  strings                    {str *uint8, len int}           "alice"
  pointers, chans, maps      an address                      0xc000012345, nil
  structs                    fields in order                 {x = 1, y = -1}
  arrays                     elements in order               {1, 2, 3}
  interfaces                 {_type or itab, data}           (int) 42, (string) "bob"

A key typed by the user: an integer or float expression, true/false, a Go or C
string literal ("alice", or a bare word that names nothing), a brace literal for
a struct or an array by position {1, -1} or by field name {x = 1, y = -1} (also
{x: 1}), an address for a pointer; for an interface key, an integer or a
string literal (its dynamic type is then int or string).

Its hash input is the key's memory image (as the map stores it) with a reader
for the strings it points to; hash_go recomputes the runtime's hash over it.
"""
import re
import struct

import gdb

from .. import memory
from ..argsplit import split_top_level
from ..errors import MapvizError, Unreadable
from . import hash_go
from .codec_base import Codec
from .literal import quote
from .view import Key

MAX_SHOWN = 64          # bytes of a string shown before "..."
_BARE_WORD = re.compile(r"[A-Za-z0-9_.\-/:@+]+\Z")


def kind_of(t):
    """The Go kind of a gdb.Type: int, bool, float, complex, string, pointer, struct,
    array, interface (or 'other')."""
    t = t.strip_typedefs()
    code = t.code
    if code == gdb.TYPE_CODE_BOOL:
        return "bool"
    if code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR):
        return "int"
    if code == gdb.TYPE_CODE_FLT:
        return "float"
    if code == gdb.TYPE_CODE_COMPLEX:
        return "complex"
    if code == gdb.TYPE_CODE_PTR:
        return "pointer"
    if code == gdb.TYPE_CODE_ARRAY:
        return "array"
    if code == gdb.TYPE_CODE_STRUCT:
        names = [f.name for f in t.fields()]
        if t.name == "string" and names == ["str", "len"]:
            return "string"
        if names in (["_type", "data"], ["tab", "data"]):
            return "interface"
        return "struct"
    return "other"


def _fields(t):
    return [f for f in t.strip_typedefs().fields() if not f.is_base_class]


def _array_length(t):
    lo, hi = t.strip_typedefs().range()
    return hi - lo + 1


def hash_type(t):
    """hash_go's description of a key type (Mem, String, Float, ... Struct)."""
    kind = kind_of(t)
    st = t.strip_typedefs()
    if kind in ("int", "bool", "pointer"):
        return hash_go.Mem(st.sizeof)
    if kind == "string":
        return hash_go.String()
    if kind == "float":
        return hash_go.Float(st.sizeof)
    if kind == "complex":
        return hash_go.Complex(st.sizeof)
    if kind == "interface":
        return hash_go.Interface(_fields(st)[0].name == "_type")
    if kind == "array":
        return hash_go.Array(hash_type(st.target()), _array_length(st))
    if kind == "struct":
        return hash_go.Struct(st.sizeof, [hash_go.Field(f.name, f.bitpos // 8, hash_type(f.type))
                                          for f in _fields(st)])
    raise hash_go.GoHashError(f"{t} is not a Go key type")


class GoCodec(Codec):
    """Decodes one kind of cell (a Go map type's keys or elems) by its Go type."""

    def __init__(self, value_type, indirect):
        super().__init__(value_type, indirect)
        self.kind = kind_of(value_type)
        self.is_string = self.kind == "string"
        self._hash_type = None

    # ---- showing ----

    def text(self, cell):
        try:
            return format_value(self.type, self.value_bytes(cell))
        except Unreadable as e:
            return e.marker

    def value_child(self, raw, as_text):
        """As text: a string is a lazy string (GDB reads and quotes it, bounded by `set print
        elements`), a struct, array, pointer or interface mapviz's own text. As a value: a
        gdb.Value of the cell's Go type (string, main.point, *main.item), an interface's
        dynamic value typed by its dynamic type ((int) 42 is the int 42). Floats are always
        values: GDB's float notation is its own."""
        if self.kind in ("int", "bool", "float") or not as_text and self.kind != "interface":
            return gdb.Value(raw, self.type)
        if self.kind == "string" and as_text and 0 < memory.u64(raw, 8) <= memory.MAX_STRING:
            return go_string_data(memory.u64(raw), memory.u64(raw, 8))
        if self.kind == "interface" and not as_text:
            try:
                value = _dynamic_value(self.type.strip_typedefs(), raw)
            except Unreadable as e:
                return e.marker
            if value is not None:
                return value
        return format_value(self.type, raw)

    # ---- hashing and comparing ----

    def hash_input(self, cell):
        """(memory image, string reader) of the key in cell; may raise Unreadable."""
        return self.value_bytes(cell), _read_string

    def hash_type(self):
        if self._hash_type is None:
            self._hash_type = hash_type(self.type)
        return self._hash_type

    def identity(self, cell):
        return identity(self.type, self.value_bytes(cell), _read_string)

    def parse_key(self, view, text):
        text = text.strip()
        if self.kind == "interface":
            shown = _interface_text(text)
            return Key(shown, ("iface", shown), None, "an interface key hashes by its dynamic type")
        try:
            image, strings = parse_value(text, self.type)
        except (gdb.error, ValueError, KeyError, OverflowError, SyntaxError, Unreadable) as e:
            reason = str(e).splitlines()[0].rstrip(".") if str(e) else type(e).__name__
            raise MapvizError(f'key "{text}" does not parse as {self.type}: {reason}') from None

        def read(ptr, length):
            return strings.get(ptr, b"")[:length]
        hash_input, reason = (image, read), None
        if _has_interface(self.type):
            hash_input, reason = None, "a key holding an interface hashes by its dynamic type"
        return Key(format_value(self.type, image, read), identity(self.type, image, read), hash_input, reason)


def _has_interface(t):
    kind = kind_of(t)
    if kind == "interface":
        return True
    if kind == "struct":
        return any(_has_interface(f.type) for f in _fields(t))
    if kind == "array":
        return _has_interface(t.strip_typedefs().target())
    return False


def _read_string(ptr, length):
    if length > memory.MAX_STRING:
        raise Unreadable(ptr)
    return memory.read(ptr, length) if length else b""


def _int_of(raw, t):
    st = t.strip_typedefs()
    return int.from_bytes(raw[:st.sizeof], "little", signed=bool(getattr(st, "is_signed", False)))


def format_value(t, raw, read_string=None):
    """A Go value's text from its bytes (strings read through read_string or memory)."""
    kind = kind_of(t)
    st = t.strip_typedefs()
    if kind == "int":
        return str(_int_of(raw, t))
    if kind == "bool":
        return "true" if raw[0] else "false"
    if kind == "float":
        return repr(struct.unpack("<f" if st.sizeof == 4 else "<d", raw[:st.sizeof])[0])
    if kind == "complex":
        fmt = "<ff" if st.sizeof == 8 else "<dd"
        re_, im = struct.unpack(fmt, raw[:st.sizeof])
        return f"({re_!r}{im:+}i)"
    if kind == "pointer":
        ptr = memory.u64(raw)
        return f"{ptr:#x}" if ptr else "nil"
    if kind == "string":
        ptr, length = memory.u64(raw), memory.u64(raw, 8)
        if length == 0:
            return '""'
        if length >= 1 << 40:
            return f"<bad string length {length}>"
        try:
            data = (read_string or _read_string)(ptr, min(length, MAX_SHOWN))
        except Unreadable as e:
            return e.marker
        return quote(data, length <= MAX_SHOWN)
    if kind == "struct":
        parts = [f"{f.name} = {format_value(f.type, raw[f.bitpos // 8:f.bitpos // 8 + f.type.sizeof], read_string)}"
                 for f in _fields(st)]
        return "{" + ", ".join(parts) + "}"
    if kind == "array":
        elem = st.target()
        n = _array_length(st)
        size = elem.sizeof
        shown = [format_value(elem, raw[i * size:(i + 1) * size], read_string) for i in range(min(n, 16))]
        return "{" + ", ".join(shown) + (", ..." if n > 16 else "") + "}"
    if kind == "interface":
        return _format_interface(st, raw)
    return raw[:st.sizeof].hex()


# ---- interfaces: (dynamic type) value ----

def _dynamic_type(st, raw):
    """(name of the dynamic type, its _type address) of an interface value, or (None, 0) for nil."""
    word = memory.u64(raw)
    if word == 0:
        return None, 0
    if _fields(st)[0].name == "tab":   # a non-empty interface: itab{inter, _type, ...}
        word = memory.u64(memory.read(word + 8, 8))
    return _type_name(word), word


_type_names = {}


def _type_name(addr):
    """The name of the runtime type descriptor at addr (int, main.point, *main.item), read as
    the runtime's resolveNameOff does: its str field is an offset from the module's types
    base to a name (a flags byte, a varint length, the bytes); tflagExtraStar (2) says the
    name starts with a '*' that is not part of it."""
    name = _type_names.get(addr)
    if name is None:
        name = _read_type_name(addr) or f"type@{addr:#x}"
        _type_names[addr] = name
    return name


def _read_type_name(addr):
    for type_name, str_field, tflag_field in (("internal/abi.Type", "Str", "TFlag"),
                                              ("runtime._type", "str", "tflag")):
        try:
            t = gdb.lookup_type(type_name)
            break
        except gdb.error:
            continue
    else:
        return None
    try:
        fields = {f.name: f.bitpos // 8 for f in t.fields()}
        raw = memory.read(addr, t.sizeof)
        off = int.from_bytes(raw[fields[str_field]:fields[str_field] + 4], "little", signed=True)
        tflag = raw[fields[tflag_field]]
        base = int(gdb.parse_and_eval("'runtime.firstmoduledata'")["types"])
        head = memory.read(base + off, 11)
        n, shift, i = 0, 0, 1
        while i < len(head):
            n |= (head[i] & 0x7F) << shift
            shift += 7
            i += 1
            if not head[i - 1] & 0x80:
                break
        name = memory.read(base + off + i, min(n, 256)).decode("utf-8", "replace")
    except (gdb.error, KeyError, Unreadable):
        return None
    return name[1:] if tflag & 2 and name.startswith("*") else name


def _lookup_go_type(name):
    """The gdb.Type of a Go type name, or None. GDB finds `string` by way of a variable
    of that type (runtime.buildVersion), as its type lookup may not."""
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        pass
    if name == "string":
        try:
            return gdb.parse_and_eval("'runtime.buildVersion'").type
        except gdb.error:
            pass
    return None


def _dynamic_bytes(t, raw):
    """The bytes of an interface's dynamic value of type t: the data word itself for a
    pointer-shaped type, else what it points to. May raise Unreadable."""
    if kind_of(t) == "pointer":
        return raw[8:16]
    return memory.read(memory.u64(raw, 8), t.sizeof)


def _format_interface(st, raw):
    name, _ = _dynamic_type(st, raw)
    if name is None:
        return "nil"
    t = _lookup_go_type(name)
    if t is None:
        return f"({name}) {memory.u64(raw, 8):#x}"
    try:
        return f"({name}) {format_value(t, _dynamic_bytes(t, raw))}"
    except Unreadable as e:
        return f"({name}) {e.marker}"


def _dynamic_value(st, raw):
    """An interface's dynamic value as a gdb.Value of its dynamic type, or None (nil, or a
    type GDB does not know by name). May raise Unreadable."""
    name, _ = _dynamic_type(st, raw)
    t = _lookup_go_type(name) if name is not None else None
    return None if t is None else gdb.Value(_dynamic_bytes(t, raw), t)


def go_string_data(ptr, length):
    """A Go string's bytes as a lazy string of C chars: GDB reads and quotes it."""
    return gdb.Value(ptr).cast(memory.c_type("char").pointer()).lazy_string(length=length)


# ---- identity: what equal keys share ----

def identity(t, raw, read_string):
    kind = kind_of(t)
    st = t.strip_typedefs()
    if kind in ("int", "bool", "pointer"):
        return raw[:st.sizeof]
    if kind == "string":
        return read_string(memory.u64(raw), memory.u64(raw, 8))
    if kind == "float":
        v = struct.unpack("<f" if st.sizeof == 4 else "<d", raw[:st.sizeof])[0]
        return v if v == v else object()   # NaN equals nothing, +0 == -0
    if kind == "struct":
        return tuple(identity(f.type, raw[f.bitpos // 8:f.bitpos // 8 + f.type.sizeof], read_string)
                     for f in _fields(st) if f.name != "_")
    if kind == "array":
        elem = st.target()
        size = elem.sizeof
        return tuple(identity(elem, raw[i * size:(i + 1) * size], read_string)
                     for i in range(_array_length(st)))
    if kind == "interface":
        if memory.u64(raw) == 0:
            return None
        return ("iface", _format_interface(st, raw))
    return raw[:st.sizeof]


# ---- parsing a key ----

_FAKE_STRINGS = 1 << 62   # where parsed keys' strings "live": never a Go heap address


def parse_value(text, t):
    """(memory image, {fake pointer: bytes}) of a value of type t written as text."""
    strings = {}
    image = _parse(text.strip(), t, strings)
    return image, strings


def _parse(text, t, strings):
    kind = kind_of(t)
    st = t.strip_typedefs()
    if kind == "string":
        data = _string_bytes(text)
        ptr = _FAKE_STRINGS + 16 * (len(strings) + 1)
        strings[ptr] = data
        return struct.pack("<QQ", ptr if data else 0, len(data))
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError("a bool is true or false")
        return bytes([text == "true"])
    if kind in ("struct", "array"):
        return _brace(text, st, kind, strings)
    if kind == "interface":
        raise ValueError("a key holding an interface cannot be typed: the map's own keys are")
    if not text:
        raise ValueError("a value is missing")
    value = gdb.parse_and_eval(text)
    if kind == "int":
        n = int(value)
        signed = bool(getattr(st, "is_signed", False))
        return n.to_bytes(st.sizeof, "little", signed=signed)
    if kind == "float":
        return struct.pack("<f" if st.sizeof == 4 else "<d", float(value))
    if kind == "pointer":
        return (int(value) & ((1 << 64) - 1)).to_bytes(8, "little")
    raise ValueError(f"keys of type {t} cannot be typed")


def _string_bytes(text):
    if text.startswith('"') or text.startswith("`"):
        if text.startswith("`"):
            if not text.endswith("`") or len(text) < 2:
                raise ValueError(f"not a string literal: {text}")
            return text[1:-1].encode()
        from .codec_c_keys import _c_string_literal
        return _c_string_literal(text)
    if _BARE_WORD.match(text):
        return text.encode()
    raise ValueError("a string key is a literal (\"alice\") or a bare word")


def _brace(text, st, kind, strings):
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"a {kind} key is written in braces, as {{1, -1}} or {{x = 1, y = -1}}")
    items = [i.strip() for i in split_top_level(text[1:-1], lambda ch: ch == ",")]
    items = [i for i in items if i]
    out = bytearray(st.sizeof)
    if kind == "array":
        elem = st.target()
        n = _array_length(st)
        if len(items) > n:
            raise ValueError(f"{len(items)} values for {n} elements")
        for i, item in enumerate(items):
            out[i * elem.sizeof:(i + 1) * elem.sizeof] = _parse(item, elem, strings)
        return bytes(out)
    fields = _fields(st)
    by_name = {f.name: f for f in fields}
    for i, item in enumerate(items):
        m = re.match(r"\.?([A-Za-z_]\w*)\s*(?:=(?!=)|:)\s*(.*)\Z", item, re.S)
        if m and m.group(1) in by_name:
            f, item = by_name[m.group(1)], m.group(2)
        elif m:
            raise ValueError(f"{st} has no field {m.group(1)}")
        elif i < len(fields):
            f = fields[i]
        else:
            raise ValueError(f"{len(items)} values for the {len(fields)} fields of {st}")
        off = f.bitpos // 8
        out[off:off + f.type.sizeof] = _parse(item, f.type, strings)
    return bytes(out)


def _interface_text(text):
    """An interface key as mapviz shows one: (int) 42, (string) "bob", or (T) V as written."""
    m = re.match(r"\(\s*([^()]+?)\s*\)\s*(.+)\Z", text, re.S)
    if m:
        return f"({m.group(1)}) {m.group(2)}"
    if re.match(r"-?\d+\Z", text):
        return f"(int) {int(text)}"
    return f"(string) {quote(_string_bytes(text))}"
