"""The hmap source: maps made by this project's C library, found through its DWARF.

A typed map (struct NAME with members h and bucket_layout), a pointer to one,
or struct hmap itself (its descriptor names its bucket type) becomes a
MapView of the classic design. The design's constants are hmap's C enums
(enum hmap_tophash_state, hmap_flag, hmap_bucket_shape, ...), read from DWARF;
each map's descriptor (struct hmap_type, in the ELF section hmap_types) is
cross-checked against DWARF, and every disagreement is a problem line.
Keys hash with XXH3-64 seeded with the map's hash0 (hash_xxh3).
"""
import gdb

from .. import elf, memory
from ..errors import MapvizError, Unreadable
from . import codec_c, hash_xxh3
from .design_classic import DESIGN, ClassicConsts, ClassicHeader, ClassicLayout, decode_ints
from .view import DeleteCall, MapView

ENUM_PREFIX = "hmap_"


def enum_values(type_name):
    """{display name: value} of a C enum, display names without the hmap_ prefix."""
    try:
        t = gdb.lookup_type(type_name)
    except gdb.error:
        raise MapvizError(f"no {type_name} in the program's debug info (is it linked with hmap, built with -g?)")
    return {f.name[len(ENUM_PREFIX):] if f.name.startswith(ENUM_PREFIX) else f.name: int(f.enumval)
            for f in t.fields()}


class HmapConsts(ClassicConsts):
    """The classic design's constants as hmap's enums give them, and hmap's own
    (hash kinds, descriptor flags)."""

    def __init__(self):
        shape = enum_values("enum hmap_bucket_shape")
        super().__init__(enum_values("enum hmap_tophash_state"), enum_values("enum hmap_flag"),
                         shape["bucketCnt"], (shape["loadFactorNum"], shape["loadFactorDen"]),
                         shape["maxKeySize"], shape["maxElemSize"])
        self.hash_kinds = enum_values("enum hmap_hash_kind")
        self.type_flags = enum_values("enum hmap_type_flag")


_consts = {}


def consts():
    """The constants of the current program (cached until its objfiles change)."""
    key = gdb.current_progspace().filename
    c = _consts.get(key)
    if c is None:
        c = _consts[key] = HmapConsts()
    return c


def struct_fields(t):
    """{name: (byte offset, size)} of a struct type."""
    return {f.name: (f.bitpos // 8, f.type.sizeof) for f in t.strip_typedefs().fields() if f.name}


class HmapSource:
    """Maps made by hmap: typed maps (struct NAME with members h and bucket_layout),
    pointers to them, and struct hmap itself (its descriptor names its bucket type)."""

    NAME = "hmap"
    # The map operations a write can happen in (the outermost on the stack is the one called).
    OPERATIONS = ("evacuate", "growWork", "hashGrow", "hmap_assign", "hmap_delete", "hmap_clear",
                  "hmap_make", "hmap_free")
    # Functions that write several header fields around `buckets` (read the header after them).
    HEADER_WRITERS = ("hashGrow",)
    # The delete operation, by entry point: hmap_delete(struct hmap *h, const void *key), the
    # C ABI's first two argument registers (the key-shape variants are inlined into it or
    # called from it, so its entry sees every delete).
    DELETE_CALLS = {"hmap_delete": DeleteCall("rdi", ("pointer", "rsi"))}
    # Calls after which an operation may resume on another thread (none: a C call stays on
    # its thread), and the register naming the code's context across threads.
    THREAD_SWITCHES = ()
    CONTEXT_REGISTER = None
    # The operation each map function is part of, in mapviz-trace's words.
    OP_NAMES = {"hmap_assign": "assign", "hmap_delete": "delete", "evacuate": "evacuate",
                "growWork": "evacuate", "hashGrow": "evacuate", "hmap_clear": "clear",
                "hmap_make": "new", "hmap_free": "free", "hmap_access": "access",
                "hmap_iternext": "iterate"}
    # Functions after which a map no longer owns its cells: {function: (what happened, argument)}.
    ENDINGS = {"hmap_clear": ("cleared", "h"), "hmap_free": ("freed", "h")}

    DESCRIPTOR_INTS = ("magic", "version", "hash_kind", "flags", "key_size", "elem_size", "keysize",
                       "elemsize", "bucketsize", "tophash_offset", "keys_offset", "elems_offset",
                       "overflow_offset")

    def __init__(self):
        self._layouts = {}   # (bucket type, descriptor address, descriptor bytes) -> HmapType

    def ls(self):
        return ls_lines()

    def forget(self):
        self._layouts.clear()
        _consts.clear()

    # ---- recognizing types (cheap: called by the pretty printer for every value) ----

    @staticmethod
    def map_struct_kind(t):
        """'typed', 'generic' or None for a struct type (typedefs stripped)."""
        if t.code != gdb.TYPE_CODE_STRUCT:
            return None
        if t.tag == "hmap":
            return "generic"
        fields = t.fields()
        if len(fields) == 2 and fields[0].name == "h" and fields[1].name == "bucket_layout":
            return "typed"
        return None

    def recognize(self, value):
        """(struct type, is_pointer) when value is a map or a pointer to one, else None."""
        t = value.type.strip_typedefs()
        is_pointer = t.code == gdb.TYPE_CODE_PTR
        if is_pointer:
            t = t.target().strip_typedefs()
        return (t, is_pointer) if self.map_struct_kind(t) else None

    # ---- reading a map ----

    def map_view(self, value):
        """The MapView of a map value or pointer; MapvizError when it is not a map."""
        found = self.recognize(value)
        if not found:
            raise MapvizError(f"not a map: {value.type} (expected an hmap map or a pointer to one)")
        t, is_pointer = found
        memory.require_target()
        addr = int(value.cast(gdb.lookup_type("unsigned long"))) if is_pointer else _value_address(value)
        if addr == 0:
            raise MapvizError(f"the map is NULL ({value.type} 0x0)")
        header = self.read_header(addr)
        bucket_type = None
        if self.map_struct_kind(t) == "typed":
            bucket_type = t.fields()[1].type.strip_typedefs().target().target()
        mt = self.map_type(header.type, bucket_type)
        lay = mt.layout
        return MapView(self, DESIGN, header, lay, lay.name if t.tag == "hmap" else (t.name or t.tag or lay.name),
                       mt.key_codec, mt.elem_codec, lambda data: hash_xxh3.hash_bytes(data, header.hash0),
                       mt.problems)

    def pinned(self, value, addr):
        """A value that names the map at addr as value did (a pointer to its struct)."""
        t, _ = self.recognize(value)
        return gdb.Value(addr).cast(t.pointer())

    def hashed_as(self, view):
        return ", hashed as a string" if view.key_codec.is_string else ""

    def read_header(self, addr):
        htype = gdb.lookup_type("struct hmap")
        fields = struct_fields(htype)
        values = decode_ints(memory.read(addr, htype.sizeof), fields, ClassicHeader.FIELDS + ("type",))
        return ClassicHeader(addr, values, consts(), fields, htype.sizeof)

    def map_type(self, descriptor_addr, bucket_type):
        """The HmapType for a map whose type field is descriptor_addr. The descriptor is
        read again each time (it is small), so a changed or corrupted one is noticed."""
        try:
            raw = memory.read(descriptor_addr, gdb.lookup_type("struct hmap_type").sizeof)
        except Unreadable as e:
            raw = e
        key = (str(bucket_type) if bucket_type else None, descriptor_addr,
               raw if isinstance(raw, bytes) else None)
        mt = self._layouts.get(key)
        if mt is None:
            if len(self._layouts) > 256:
                self._layouts.clear()
            mt = self._layouts[key] = self._build_type(descriptor_addr, bucket_type, raw)
        return mt

    def _build_type(self, descriptor_addr, bucket_type, raw):
        """raw: the descriptor's bytes, or Unreadable."""
        c = consts()
        problems = []
        desc = None
        if isinstance(raw, Unreadable):
            problems.append(f"<descriptor {raw.marker[1:-1]}>")
        else:
            desc = decode_descriptor(raw)
            magic = _enum_const("hmap_typeMagic")
            if magic is not None and desc["magic"] != magic:
                problems.append(f"<bad descriptor {descriptor_addr:#x}: magic {desc['magic']:#x}>")
                desc = None
        if bucket_type is None:
            if desc is None:
                raise MapvizError(f"cannot find the layout of the map: descriptor at {descriptor_addr:#x} is unusable")
            try:
                bucket_type = gdb.lookup_type(f"struct {desc['name']}_bucket")
            except gdb.error:
                raise MapvizError(f"no struct {desc['name']}_bucket in the debug info")
        bt = bucket_type.strip_typedefs()
        bf = {f.name: f for f in bt.fields()}
        if not {"tophash", "keys", "elems", "overflow"} <= set(bf):
            raise MapvizError(f"{bt} is not an hmap bucket")
        key_cell_t = bf["keys"].type.strip_typedefs().target()
        elem_cell_t = bf["elems"].type.strip_typedefs().target()
        dwarf = {
            "bucketsize": bt.sizeof,
            "tophash_offset": bf["tophash"].bitpos // 8,
            "keys_offset": bf["keys"].bitpos // 8,
            "elems_offset": bf["elems"].bitpos // 8,
            "overflow_offset": bf["overflow"].bitpos // 8,
            "keysize": key_cell_t.sizeof,
            "elemsize": elem_cell_t.sizeof,
        }
        name = bt.tag[:-len("_bucket")] if bt.tag and bt.tag.endswith("_bucket") else str(bt)
        # DWARF decides what a cell holds; the descriptor must agree.
        indirect_key = _looks_indirect(key_cell_t, c.max_key_size)
        indirect_elem = _looks_indirect(elem_cell_t, c.max_elem_size)
        hash_kind = "string" if str(bf["keys"].type.target().strip_typedefs()) == "const char *" else "bytes"
        if desc is not None:
            for k, v in dwarf.items():
                if desc[k] != v:
                    problems.append(f"descriptor {k} {desc[k]} disagrees with DWARF {bt}: {v}")
            if desc["name"] != name:
                problems.append(f"descriptor name {desc['name']!r} disagrees with DWARF {bt}")
            for what, bit, dwarf_says in (("key", "indirectKey", indirect_key), ("elem", "indirectElem", indirect_elem)):
                if bool(desc["flags"] & c.type_flags[bit]) != dwarf_says:
                    problems.append(f"descriptor says the {what} is {'' if not dwarf_says else 'not '}indirect, "
                                    f"DWARF {bt} says it is {'' if dwarf_says else 'not '}indirect")
            desc_kind = "string" if desc["hash_kind"] == c.hash_kinds["hashString"] else "bytes"
            if desc["hash_kind"] in c.hash_kinds.values():
                hash_kind = desc_kind   # only the descriptor knows how keys are hashed
            else:
                problems.append(f"<bad descriptor hash_kind {desc['hash_kind']}>")
        # Keep the typedef names (uint64_t) that the user wrote.
        key_type = _unqualified_typedef(bf["keys"].type.target(), indirect_key)
        elem_type = _unqualified_typedef(bf["elems"].type.target(), indirect_elem)
        if desc is not None and desc["key_size"] != key_type.sizeof:
            problems.append(f"descriptor key_size {desc['key_size']} disagrees with DWARF {key_type}: {key_type.sizeof}")
        lay = ClassicLayout(name, key_type, elem_type, dwarf["bucketsize"], dwarf["tophash_offset"],
                            dwarf["keys_offset"], dwarf["elems_offset"], dwarf["overflow_offset"],
                            dwarf["keysize"], dwarf["elemsize"], indirect_key, indirect_elem, c)
        return HmapType(lay, problems,
                        codec_c.CellCodec(key_type, indirect_key, hash_kind == "string"),
                        codec_c.CellCodec(elem_type, indirect_elem))


class HmapType:
    """What one map type needs, made once: its layout, its problems, its codecs."""

    def __init__(self, layout, problems, key_codec, elem_codec):
        self.layout = layout
        self.problems = problems
        self.key_codec = key_codec
        self.elem_codec = elem_codec


def decode_descriptor(raw):
    """A struct hmap_type's bytes as a dict (its offsets from DWARF)."""
    fields = struct_fields(gdb.lookup_type("struct hmap_type"))
    d = decode_ints(raw, fields, HmapSource.DESCRIPTOR_INTS)
    for name in ("name", "key_type", "elem_type"):
        off, size = fields[name]
        d[name] = raw[off:off + size].split(b"\0", 1)[0].decode("utf-8", "replace")
    return d


def _unqualified_typedef(cell_type, indirect):
    """KEY from a keycell typedef: the typedef's target, or its pointee when indirect."""
    t = cell_type
    if t.code == gdb.TYPE_CODE_TYPEDEF:
        t = t.target()   # NAME_keycell -> KEY (or KEY *)
    if indirect:
        t = t.strip_typedefs().target()
    return t


def _looks_indirect(cell_t, max_size):
    cell_t = cell_t.strip_typedefs()
    return cell_t.code == gdb.TYPE_CODE_PTR and cell_t.target().strip_typedefs().sizeof > max_size


def _enum_const(name):
    try:
        return int(gdb.parse_and_eval(name))
    except gdb.error:
        return None


def _value_address(value):
    if value.address is None:
        raise MapvizError(f"the map value {value.type} has no address in memory")
    return int(value.address.cast(gdb.lookup_type("unsigned long")))


# ---- mapviz ls ----

DESCRIPTOR_SECTION = "hmap_types"


def map_types():
    """[(objfile path, descriptor dict)] of every descriptor in every objfile, duplicates once."""
    dtype = gdb.lookup_type("struct hmap_type")
    magic = int(gdb.parse_and_eval("hmap_typeMagic"))
    seen = set()
    out = []
    for objfile in gdb.objfiles():
        path = objfile.filename
        if not path or path in seen:
            continue
        seen.add(path)
        data = elf.section_bytes(path, DESCRIPTOR_SECTION)
        if not data:
            continue
        # Descriptors are 8-aligned in the section; several translation units may repeat one.
        names = set()
        for off in range(0, len(data) - dtype.sizeof + 1, 8):
            if int.from_bytes(data[off:off + 4], "little") != magic:
                continue
            d = decode_descriptor(data[off:off + dtype.sizeof])
            if d["name"] not in names:
                names.add(d["name"])
                out.append((path, d))
    return out


def map_globals(paths):
    """[(name, type text, gdb.Symbol)] of the global and static variables of the files at
    paths that are maps (or pointers to maps), in symbol table order."""
    out = []
    seen = set()
    for path in paths:
        for name in elf.data_symbols(path):
            if name in seen:
                continue
            seen.add(name)
            sym = memory.variable_symbol(name)
            if sym is None:
                continue
            if HmapSource.map_struct_kind(_pointee(sym.type)) is None:
                continue
            out.append((name, str(sym.type), sym))
    return out


def _pointee(t):
    t = t.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        t = t.target().strip_typedefs()
    return t


def ls_lines():
    """(map type lines, [(name, type text, gdb.Symbol)] of map variables), or None when the
    program has no hmap types."""
    try:
        types = map_types()
    except gdb.error:
        return None
    lines = [f"{d['name']}: {d['key_type']} -> {d['elem_type']}, key {d['key_size']} bytes, "
             f"elem {d['elem_size']} bytes, bucket {d['bucketsize']} bytes  [{path}]" for path, d in types]
    return lines, map_globals(sorted({path for path, _ in types}))


SOURCE = HmapSource()
