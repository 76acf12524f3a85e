"""Layout providers: where a map's header and buckets are, and what their cells hold.

Everything that decodes or renders a map consumes only a MapRef (a header
address, its decoded header, its MapLayout). A provider turns a gdb.Value
into a MapRef. HmapDwarfProvider reads hmap's own DWARF (struct hmap,
struct NAME_bucket) and the descriptor each map points to; a provider for
Go's runtime maps (runtime.hmap, bucket<K,V>) would return the same objects.
"""
import gdb

from . import memory
from .consts import consts
from .errors import MapvizError, Unreadable


class MapLayout:
    """One map type's bucket layout: offsets, cell sizes, key and elem types."""

    def __init__(self, name, key_type, elem_type, bucket_size, tophash_offset, keys_offset,
                 elems_offset, overflow_offset, key_cell, elem_cell, indirect_key,
                 indirect_elem, hash_kind, problems, c):
        self.name = name                  # the map type's name: counts_map
        self.key_type = key_type          # gdb.Type of KEY (what an indirect cell points to)
        self.elem_type = elem_type        # gdb.Type of ELEM
        self.bucket_size = bucket_size
        self.tophash_offset = tophash_offset
        self.keys_offset = keys_offset
        self.elems_offset = elems_offset
        self.overflow_offset = overflow_offset
        self.key_cell = key_cell          # bytes per key cell (a pointer's when indirect)
        self.elem_cell = elem_cell
        self.indirect_key = indirect_key
        self.indirect_elem = indirect_elem
        self.hash_kind = hash_kind        # "bytes" or "string"
        self.problems = problems          # descriptor/DWARF disagreements, one line each
        self.consts = c                   # Consts: slot states, flags, sizes of this map's design
        self._codecs = None               # (key, elem) CellCodecs, made by cells.codecs()


class MapHeader:
    """The fields of struct hmap, decoded from one read."""

    FIELDS = ("count", "flags", "B", "noverflow", "hash0", "buckets", "oldbuckets", "nevacuate", "type")

    def __init__(self, addr, values, c):
        self.addr = addr
        self.consts = c
        for f in self.FIELDS:
            setattr(self, f, values[f])

    def growing(self):
        return self.oldbuckets != 0

    def same_size_grow(self):
        return bool(self.flags & self.consts.flags["sameSizeGrow"])

    def old_B(self):
        return self.B if self.same_size_grow() else self.B - 1


class MapRef:
    """A map in memory: what every command and the printer work on."""

    def __init__(self, header, layout, type_name):
        self.header = header
        self.layout = layout
        self.type_name = type_name   # what the user's expression was (counts_map)

    @property
    def addr(self):
        return self.header.addr


def struct_fields(t):
    """{name: (byte offset, size)} of a struct type."""
    return {f.name: (f.bitpos // 8, f.type.sizeof) for f in t.strip_typedefs().fields() if f.name}


def _decode_struct(raw, fields, names):
    out = {}
    for name in names:
        off, size = fields[name]
        out[name] = int.from_bytes(raw[off:off + size], "little", signed=(name == "count"))
    return out


class HmapDwarfProvider:
    """Maps made by hmap: typed maps (struct NAME with members h and bucket_layout),
    pointers to them, and struct hmap itself (its descriptor names its bucket type)."""

    DESCRIPTOR_INTS = ("magic", "version", "hash_kind", "flags", "key_size", "elem_size", "keysize",
                       "elemsize", "bucketsize", "tophash_offset", "keys_offset", "elems_offset",
                       "overflow_offset")

    def __init__(self):
        self._layouts = {}   # (bucket type, descriptor address, descriptor bytes) -> MapLayout

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

    def map_ref(self, value):
        """The MapRef of a map value or pointer; MapvizError when it is not a map."""
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
        layout = self.layout(header.type, bucket_type)
        return MapRef(header, layout, layout.name if t.tag == "hmap" else (t.name or t.tag or layout.name))

    def read_header(self, addr):
        htype = gdb.lookup_type("struct hmap")
        fields = struct_fields(htype)
        return MapHeader(addr, _decode_struct(memory.read(addr, htype.sizeof), fields, MapHeader.FIELDS), consts())

    def layout(self, descriptor_addr, bucket_type):
        """The MapLayout for a map whose type field is descriptor_addr. The descriptor is
        read again each time (it is small), so a changed or corrupted one is noticed."""
        try:
            raw = memory.read(descriptor_addr, gdb.lookup_type("struct hmap_type").sizeof)
        except Unreadable as e:
            raw = e
        key = (str(bucket_type) if bucket_type else None, descriptor_addr,
               raw if isinstance(raw, bytes) else None)
        lay = self._layouts.get(key)
        if lay is None:
            if len(self._layouts) > 256:
                self._layouts.clear()
            lay = self._layouts[key] = self._build_layout(descriptor_addr, bucket_type, raw)
        return lay

    def _build_layout(self, descriptor_addr, bucket_type, raw):
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
        indirect_key = _looks_indirect(key_cell_t, c.shape["maxKeySize"])
        indirect_elem = _looks_indirect(elem_cell_t, c.shape["maxElemSize"])
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
        return MapLayout(name, key_type, elem_type, dwarf["bucketsize"], dwarf["tophash_offset"],
                         dwarf["keys_offset"], dwarf["elems_offset"], dwarf["overflow_offset"],
                         dwarf["keysize"], dwarf["elemsize"], indirect_key, indirect_elem, hash_kind,
                         problems, c)


def decode_descriptor(raw):
    """A struct hmap_type's bytes as a dict (its offsets from DWARF)."""
    fields = struct_fields(gdb.lookup_type("struct hmap_type"))
    d = _decode_struct(raw, fields, HmapDwarfProvider.DESCRIPTOR_INTS)
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


PROVIDERS = [HmapDwarfProvider()]


def recognize(value):
    """The provider that knows this value's type, or None (cheap)."""
    for p in PROVIDERS:
        if p.recognize(value):
            return p
    return None


def map_ref_of_value(value):
    p = recognize(value)
    if p is None:
        raise MapvizError(f"not a map: {value.type} (expected an hmap map or a pointer to one)")
    return p.map_ref(value)


def map_ref_of_expr(expr):
    """Evaluate a user's expression and return its MapRef (one-line errors)."""
    if not expr.strip():
        raise MapvizError("missing map expression")
    try:
        value = gdb.parse_and_eval(expr)
    except gdb.error as e:   # gdb.MemoryError included
        raise MapvizError(str(e))
    return map_ref_of_value(value)


def forget():
    for p in PROVIDERS:
        p._layouts.clear()
