"""A key the user typed, as the map sees it: its hash input and a cell matcher.

How KEY is read, by the map's key type:
  integers, enums, bools  an expression (`42`, `40 + 2`, `'a'`, `i`)
  floating point          an expression (`1.5`)
  pointers                an expression yielding an address
  structs (and unions)    a brace literal, by position `{1, -1}` or by member
                          name `{x = 1, y = -1}` (also `.x = 1`; nested braces
                          for members that are structs or arrays; members not
                          named are zero, as is padding), or an expression whose
                          value is of the key's type (`probe`, `pts[2]`)
  strings (char * keys)   a quoted C literal `"alice"` (C escapes), or an
                          expression yielding a `char *` or a char array, whose
                          bytes up to the NUL are read from memory; a bare word
                          that names nothing (`alice`) is the string itself
"""
import ast
import re
import struct

import gdb

from .. import memory
from ..argsplit import split_top_level
from ..errors import MapvizError, Unreadable
from .literal import quote
from .view import Key

_BARE_WORD = re.compile(r"[A-Za-z0-9_.\-/:@+]+\Z")
_INTEGRAL = (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM)


def _int_bytes(n, t):
    size = t.sizeof
    signed = bool(getattr(t, "is_signed", False))
    lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
    if not lo <= n <= hi:
        raise ValueError(f"{n} is out of range")
    return n.to_bytes(size, "little", signed=signed)


def _evaluate(text):
    if not text.strip():
        raise ValueError("a value is missing")
    return gdb.parse_and_eval(text)


def value_bytes(text, t):
    """The bytes of a value of type t written as text (an expression, or a brace literal
    for a struct, union or array type). ValueError or gdb.error when it does not fit."""
    st = t.strip_typedefs()
    text = text.strip()
    if text.startswith("{") and st.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION, gdb.TYPE_CODE_ARRAY):
        return _brace_bytes(text, st)
    if text.startswith('"') and st.code == gdb.TYPE_CODE_ARRAY and st.target().sizeof == 1:
        data = _c_string_literal(text)   # a char array member: the string, then zeros
        if len(data) > st.sizeof:
            raise ValueError(f"{len(data)} bytes do not fit in {st}")
        return data + bytes(st.sizeof - len(data))
    value = _evaluate(text)
    vt = value.type.strip_typedefs()
    if st.code in _INTEGRAL:
        if vt.code not in _INTEGRAL:
            raise ValueError(f"it is a {value.type}")
        return _int_bytes(int(value), st)
    if st.code == gdb.TYPE_CODE_FLT:
        if vt.code not in _INTEGRAL + (gdb.TYPE_CODE_FLT,):
            raise ValueError(f"it is a {value.type}")
        return struct.pack({4: "<f", 8: "<d"}[st.sizeof], float(value))
    if st.code == gdb.TYPE_CODE_PTR:
        return _int_bytes(int(value.cast(t)), gdb.lookup_type("unsigned long"))
    if vt.sizeof != st.sizeof or vt.code != st.code:
        raise ValueError(f"it is a {value.type}")
    if value.address is None:
        raise ValueError("it has no address to read its bytes from")
    return memory.read(int(value.address), st.sizeof)


def _brace_bytes(text, st):
    """A brace literal {a, b} or {x = a, .y = b} laid out as type st (typedefs stripped)."""
    if not text.endswith("}"):
        raise ValueError(f"unbalanced braces in {text}")
    items = [i.strip() for i in split_top_level(text[1:-1], lambda ch: ch == ",")]
    items = [i for i in items if i]
    out = bytearray(st.sizeof)
    if st.code == gdb.TYPE_CODE_ARRAY:
        elem = st.target()
        count = st.sizeof // elem.sizeof if elem.sizeof else 0
        if len(items) > count:
            raise ValueError(f"{len(items)} values for {count} elements")
        for n, item in enumerate(items):
            out[n * elem.sizeof:(n + 1) * elem.sizeof] = value_bytes(item, elem)
        return bytes(out)
    members = [f for f in st.fields() if f.name]
    by_name = {f.name: f for f in members}
    for n, item in enumerate(items):
        m = re.match(r"\.?([A-Za-z_]\w*)\s*=(?!=)\s*(.*)\Z", item, re.S)
        if m:
            if m.group(1) not in by_name:
                raise ValueError(f"{st} has no member {m.group(1)}")
            field, item = by_name[m.group(1)], m.group(2)
        elif n < len(members):
            field = members[n]
        else:
            raise ValueError(f"{len(items)} values for the {len(members)} members of {st}")
        if field.bitsize:
            raise ValueError(f"member {field.name} is a bit-field")
        off = field.bitpos // 8
        out[off:off + field.type.sizeof] = value_bytes(item, field.type)
    return bytes(out)


def _c_string_literal(text):
    """The bytes of a C string literal ("a\\tb", adjacent literals joined)."""
    data = b""
    for part in split_top_level(text):
        if len(part) < 2 or part[0] != '"' or part[-1] != '"':
            raise ValueError(f"not a string literal: {part}")
        body = part[1:-1]
        # C's escapes are Python's (\n \t \\ \" \x41 \101), but a \x in C takes every hex digit.
        body = re.sub(r"\\x([0-9A-Fa-f]+)", lambda m: "\\x%02x" % (int(m.group(1), 16) & 0xFF), body)
        data += ast.literal_eval("b'" + body.replace("'", "\\'") + "'") if body.isascii() \
            else body.encode("utf-8")
    return data


def _string_key_bytes(text):
    text = text.strip()
    if text.startswith('"'):
        return _c_string_literal(text)
    try:
        value = _evaluate(text)
    except gdb.error:
        if _BARE_WORD.match(text):
            return text.encode()   # a bare word that names nothing: the string itself
        raise
    t = value.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_ARRAY) and t.target().strip_typedefs().sizeof == 1:
        if t.code == gdb.TYPE_CODE_ARRAY and value.address is None:
            return bytes(int(b) & 0xFF for b in (value[i] for i in range(t.sizeof))).split(b"\0")[0]
        addr = int(value.address if t.code == gdb.TYPE_CODE_ARRAY else value)
        data, complete = memory.read_cstring(addr)
        if not complete:
            raise ValueError(f"the string at {addr:#x} has no NUL within {len(data)} bytes")
        return data
    raise ValueError(f"it is a {value.type}, not a char * or a string literal")


def parse_key(view, text):
    """The Key for text, parsed by the map's key type; MapvizError when it does not parse."""
    codec = view.key_codec
    kt = codec.type
    try:
        if codec.is_string:
            data = _string_key_bytes(text)
            return Key(quote(data), data, data)
        data = value_bytes(text, kt)
    except (gdb.error, ValueError, KeyError, OverflowError, SyntaxError, Unreadable) as e:
        reason = str(e).splitlines()[0].rstrip(".") if str(e) else type(e).__name__
        raise MapvizError(f'key "{text}" does not parse as {kt}: {reason}') from None
    if codec.indirect:   # the codec decodes a cell, which holds a pointer to these bytes
        shown = gdb.Value(data, kt).format_string(max_elements=16, repeat_threshold=10)
    else:
        shown = codec.text(data)
    return Key(shown, data, data)
