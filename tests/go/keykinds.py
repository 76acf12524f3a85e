"""The key kinds of tests/go/fixtures/truth.go: each map's key type in
hash_go's vocabulary, and its printed keys turned into memory images.

A key's image is its memory as Go lays it out; strings inside it are
{pointer, length} with the pointer an index into the key's string table
(1-based, 0 for none), which read_string resolves.
"""
import importlib.util

from gotruth import ROOT


def _load_hash_go():
    """gdb/mapviz_gdb/model/hash_go.py by its path: the package's __init__ needs
    GDB, the module itself does not."""
    spec = importlib.util.spec_from_file_location(
        "hash_go", ROOT / "gdb" / "mapviz_gdb" / "model" / "hash_go.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hash_go = _load_hash_go()
Array, Complex, Field, Float, Mem, String, Struct = (
    hash_go.Array, hash_go.Complex, hash_go.Field, hash_go.Float, hash_go.Mem, hash_go.String,
    hash_go.Struct)

PADDED = Struct(16, [Field("a", 0, Mem(4)), Field("b", 8, Mem(8))])

KEY_TYPES = {
    "int64": Mem(8),
    "uint64": Mem(8),
    "int32": Mem(4),
    "string": String(),
    "padded": PADDED,
    "packed": Struct(8, [Field("x", 0, Mem(4)), Field("y", 4, Mem(4))]),
    "named": Struct(24, [Field("name", 0, String()), Field("id", 16, Mem(4))]),
    "float64": Float(8),
    "bytes4": Array(Mem(1), 4),
    "bytes6": Array(Mem(1), 6),
    "bytes16": Array(Mem(1), 16),
    "strings2": Array(String(), 2),
    "int16": Mem(2),
    "float32": Float(4),
    "complex128": Complex(16),
    "pointer": Mem(8),
    "floaty": Struct(16, [Field("f", 0, Float(8)), Field("n", 8, Mem(4))]),
    "blank": Struct(16, [Field("a", 0, Mem(4)), Field("_", 4, Mem(4)), Field("b", 8, Mem(8))]),
    "nested": Struct(32, [Field("p", 0, PADDED), Field("s", 16, String())]),
    "paddeds3": Array(PADDED, 3),
    "triple": Struct(24, [Field("x", 0, Mem(8)), Field("y", 8, Mem(8)), Field("z", 16, Mem(8))]),
    "run": Struct(24, [Field("a", 0, Mem(4)), Field("b", 4, Mem(4)), Field("c", 8, Mem(8)),
                       Field("d", 16, Mem(1))]),
}


def _string_header(table, data):
    table.append(data)
    return len(table).to_bytes(8, "little") + len(data).to_bytes(8, "little")


def key_image(kind, printed):
    """(image, strings) for a key as the truth program printed it."""
    strings = []
    if kind == "string":
        return _string_header(strings, bytes.fromhex(printed)), strings
    if kind == "named":
        name, ident = printed.split(":")
        image = _string_header(strings, bytes.fromhex(name)) + bytes.fromhex(ident) + bytes(4)
        return image, strings
    if kind == "nested":
        inner, text = printed.split(":")
        return bytes.fromhex(inner) + _string_header(strings, bytes.fromhex(text)), strings
    if kind == "strings2":
        first, second = printed.split(":")
        return (_string_header(strings, bytes.fromhex(first))
                + _string_header(strings, bytes.fromhex(second))), strings
    return bytes.fromhex(printed), strings


def string_reader(strings):
    def read_string(pointer, length):
        data = strings[pointer - 1]
        assert len(data) == length
        return data
    return read_string
