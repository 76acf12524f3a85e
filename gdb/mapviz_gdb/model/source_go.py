"""The Go source: Go's runtime maps, found through a Go binary's own DWARF.

A Go map variable (`main.m`, `example.com/pkg.table`) has the type map[K]V,
which DWARF gives as a pointer to the synthesized header struct hash<K,V>
(runtime.hmap's fields); its `buckets` field points to bucket<K,V> (tophash
[8]uint8, keys, values, overflow). Everything is read from there: offsets,
cell sizes, and whether a key or elem is stored by pointer (its cell type is
*K while the map's K is not a pointer: keys and elems over 128 bytes).

Go's constants are DWARF constants of the runtime package, in every release
from 1.19 to 1.23 (checked on each): runtime.emptyRest ... minTopHash, the flags
runtime.iterator ... sameSizeGrow, runtime.loadFactorNum/Den, and the bucket
size and indirection limits as runtime.bucketCnt/maxKeySize/maxElemSize (up to
1.22) or internal/abi.MapBucketCount/MapMaxKeyBytes/MapMaxElemBytes (1.21 on).
No table of them is kept here: a binary without them is an error that names
the missing constant.

The Go release comes from the binary's build information (the .go.buildinfo
section, which holds the version string since Go 1.18), else from
runtime.buildVersion in memory. Go 1.24 replaced the design with swiss tables
(internal/runtime/maps): those maps are recognized and refused in one line.

The hash is the runtime's own (hash_go), keyed by runtime.aeskeysched when
runtime.useAeshash is set, else by runtime.hashkey: both read from the process
or the core, never computed by calling into the program.
"""
import re

import gdb

from .. import elf, memory
from ..errors import MapvizError, Unreadable
from . import hash_go
from . import codec_go
from .design_classic import DESIGN, ClassicConsts, ClassicHeader, ClassicLayout, decode_ints
from .view import CannotHash, DeleteCall, MapView

CLASSIC = ((1, 19), (1, 23))   # the releases whose maps have the classic design, as tested
SWISS_FROM = (1, 24)


def _constant(*names):
    """The value of the first DWARF constant of names that the program has; MapvizError
    naming them when none is there."""
    for name in names:
        for lookup in (gdb.lookup_static_symbol, gdb.lookup_global_symbol):
            try:
                sym = lookup(name)
            except gdb.error:
                sym = None
            if sym is not None:
                try:
                    return int(sym.value())
                except (gdb.error, TypeError, ValueError):
                    pass
    raise MapvizError(f"no {' or '.join(names)} in the Go binary's DWARF (built with -ldflags=-w?)")


class GoConsts(ClassicConsts):
    def __init__(self):
        states = {n: _constant("runtime." + n) for n in
                  ("emptyRest", "emptyOne", "evacuatedX", "evacuatedY", "evacuatedEmpty", "minTopHash")}
        flags = {n: _constant("runtime." + n) for n in ("iterator", "oldIterator", "hashWriting", "sameSizeGrow")}
        super().__init__(states, flags,
                         _constant("runtime.bucketCnt", "internal/abi.MapBucketCount"),
                         (_constant("runtime.loadFactorNum"), _constant("runtime.loadFactorDen")),
                         _constant("runtime.maxKeySize", "internal/abi.MapMaxKeyBytes"),
                         _constant("runtime.maxElemSize", "internal/abi.MapMaxElemBytes"))


# ---- the Go release ----

BUILDINFO_MAGIC = b"\xff Go buildinf:"


def buildinfo_version(path):
    """'go1.19.8' from the .go.buildinfo section of the ELF file at path, or None.

    The section starts with the magic, a pointer size byte and a flags byte; with flag 2
    (Go 1.18 on) the version string follows at offset 32 as a varint length and bytes."""
    data = elf.section_bytes(path, ".go.buildinfo")
    if not data or not data.startswith(BUILDINFO_MAGIC) or len(data) < 33 or not data[15] & 2:
        return None
    n, shift, off = 0, 0, 32
    while off < len(data):
        b = data[off]
        off += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return data[off:off + n].decode("utf-8", "replace") or None


def parse_release(version):
    """(1, 19) from 'go1.19.8' (or 'go1.21rc2'), else None."""
    m = re.match(r"go(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _memory_version():
    try:
        v = gdb.parse_and_eval("'runtime.buildVersion'")
        ptr, length = int(v["str"]), int(v["len"])
        return memory.read(ptr, min(length, 64)).decode("utf-8", "replace")
    except (gdb.error, Unreadable):
        return None


# ---- reading the hash's seeds ----

def _symbol_bytes(name, size):
    v = gdb.parse_and_eval(f"'{name}'")
    return memory.read(int(v.address), size)


def read_seeds(release):
    """hash_go.GoSeeds from the process or core (MapvizError when unreadable)."""
    try:
        use_aes = _symbol_bytes("runtime.useAeshash", 1)[0] != 0
        aes = _symbol_bytes("runtime.aeskeysched", hash_go.AESKEYSCHED_SIZE)
        raw = _symbol_bytes("runtime.hashkey", 8 * hash_go.HASHKEY_WORDS)
    except (gdb.error, Unreadable) as e:
        raise MapvizError(f"cannot read the Go runtime's hash seeds: {e}")
    hashkey = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
    return hash_go.GoSeeds(use_aes, aes, hashkey, release)


def _split_top_level_comma(text):
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            return text[:i].strip(), text[i + 1:].strip()
    return None


class GoType:
    """What one Go map type needs, made once: layout, codecs, its key's hash type."""

    def __init__(self, layout, key_codec, elem_codec):
        self.layout = layout
        self.key_codec = key_codec
        self.elem_codec = elem_codec


class GoSource:
    NAME = "go"
    # The runtime's map operations (the outermost on the stack is the one the program called).
    OPERATIONS = tuple("runtime." + f for f in (
        "mapassign", "mapassign_fast32", "mapassign_fast32ptr", "mapassign_fast64", "mapassign_fast64ptr",
        "mapassign_faststr", "mapdelete", "mapdelete_fast32", "mapdelete_fast64", "mapdelete_faststr",
        "evacuate", "evacuate_fast32", "evacuate_fast64", "evacuate_faststr", "growWork", "growWork_fast32",
        "growWork_fast64", "growWork_faststr", "hashGrow", "mapclear", "makemap", "makemap_small"))
    HEADER_WRITERS = ("runtime.hashGrow",)
    # The delete operation, by entry point, under Go's register ABI (amd64): RAX the maptype,
    # RBX the hmap, then the key: mapdelete takes a pointer to it, the 32- and 64-bit
    # variants the key itself, mapdelete_faststr a string (pointer in RCX, length in RDI).
    DELETE_CALLS = {"runtime.mapdelete": DeleteCall("rbx", ("pointer", "rcx")),
                    "runtime.mapdelete_fast32": DeleteCall("rbx", ("value", "rcx")),
                    "runtime.mapdelete_fast64": DeleteCall("rbx", ("value", "rcx")),
                    "runtime.mapdelete_faststr": DeleteCall("rbx", ("string", "rcx", "rdi"))}
    # Calls after which the goroutine may resume on another thread, at the call's return
    # address: a function's prologue calls morestack when its stack must grow or the goroutine
    # is asked to yield (then the scheduler runs on this thread, and the goroutine resumes
    # wherever it is scheduled next, its stack possibly moved); asyncPreempt is where a
    # preemption signal makes it yield. R14 holds the goroutine (g) in Go code (register ABI).
    THREAD_SWITCHES = ("runtime.morestack_noctxt", "runtime.morestack", "runtime.asyncPreempt")
    CONTEXT_REGISTER = "r14"
    # The operation each runtime function is part of, in mapviz-trace's words (a name
    # stands for its variants too: mapassign_fast64, mapaccess2_faststr; see view.op_of).
    OP_NAMES = {"runtime.mapassign": "assign", "runtime.mapdelete": "delete",
                "runtime.evacuate": "evacuate", "runtime.growWork": "evacuate",
                "runtime.hashGrow": "evacuate", "runtime.mapclear": "clear", "runtime.makemap": "new",
                "runtime.mapaccess": "access", "runtime.mapiternext": "iterate"}
    ENDINGS = {}   # the collector frees a map; no function ends one the watch could stop at

    def __init__(self):
        self._types = {}     # header type name -> GoType
        self._release = {}   # program file -> (release, version text)
        self._consts = {}

    def forget(self):
        self._types.clear()
        self._release.clear()
        self._consts.clear()

    # ---- recognizing (cheap) ----

    @staticmethod
    def header_of_type(t):
        """('classic', hash<K,V>) or ('swiss', its header struct) for a Go map type (a pointer
        to the header: map[K]V), else None."""
        st = t.strip_typedefs()
        if st.code != gdb.TYPE_CODE_PTR:
            return None
        target = st.target().strip_typedefs()
        if target.code != gdb.TYPE_CODE_STRUCT:
            return None
        name = target.name or ""
        if name.startswith("hash<") and name.endswith(">"):
            return "classic", target
        if name.startswith("internal/runtime/maps.") or (name.startswith("map<") and str(t).startswith("map[")):
            return "swiss", target
        return None

    def recognize(self, value):
        return self.header_of_type(value.type)

    # ---- the program ----

    def release(self):
        """((major, minor) or None, version text) of the program."""
        key = gdb.current_progspace().filename
        got = self._release.get(key)
        if got is None:
            version = (buildinfo_version(key) if key else None) or _memory_version()
            got = (parse_release(version), version)
            if got[0] is not None:
                self._release[key] = got
        return got

    def check_release(self):
        release, version = self.release()
        if release is None:
            raise MapvizError("cannot tell the Go release of this program (no .go.buildinfo, "
                              "no runtime.buildVersion)")
        if release >= SWISS_FROM:
            raise MapvizError(f"Go {release[0]}.{release[1]} maps (swiss tables) are not supported yet")
        if release < CLASSIC[0]:
            raise MapvizError(f"Go {release[0]}.{release[1]} maps are not supported (mapviz reads "
                              f"Go 1.19 to 1.23)")
        return release

    def consts(self):
        key = gdb.current_progspace().filename
        c = self._consts.get(key)
        if c is None:
            c = self._consts[key] = GoConsts()
        return c

    # ---- a map ----

    def map_view(self, value):
        found = self.header_of_type(value.type)
        if not found:
            raise MapvizError(f"not a Go map: {value.type}")
        design_name, htype = found
        release = self.check_release()
        if design_name != "classic":
            raise MapvizError(f"Go {release[0]}.{release[1]} maps (swiss tables) are not supported yet")
        memory.require_target()
        addr = int(value) & ((1 << 64) - 1)
        if addr == 0:
            raise MapvizError(f"the map is nil ({value.type})")
        mt = self.map_type(htype)
        c = mt.layout.consts
        fields = {f.name: (f.bitpos // 8, f.type.sizeof) for f in htype.fields() if f.name}
        values = decode_ints(memory.read(addr, htype.sizeof), fields, ClassicHeader.FIELDS)
        header = ClassicHeader(addr, values, c, fields, htype.sizeof)
        seeds = []   # read on the first hash: a map shown without hashing needs no seeds

        def hasher(hash_input):
            if not seeds:
                seeds.append(read_seeds(release))
            image, read_string = hash_input
            try:
                return hash_go.hash_memory(seeds[0], mt.key_codec.hash_type(), image, read_string,
                                           header.hash0)
            except hash_go.GoHashError as e:
                raise CannotHash(str(e)) from None

        type_name = str(value.type) if str(value.type).startswith("map[") else mt.layout.name
        return MapView(self, DESIGN, header, mt.layout, type_name, mt.key_codec, mt.elem_codec, hasher, [])

    def pinned(self, value, addr):
        return gdb.Value(addr).cast(value.type)

    def hashed_as(self, view):
        return ""

    def map_type(self, htype):
        name = htype.name
        mt = self._types.get(name)
        if mt is None:
            mt = self._types[name] = self._build_type(htype)
        return mt

    def _build_type(self, htype):
        c = self.consts()
        hf = {f.name: f for f in htype.fields()}
        if "buckets" not in hf:
            raise MapvizError(f"{htype.name} has no buckets field")
        bt = hf["buckets"].type.strip_typedefs().target().strip_typedefs()
        bf = {f.name: f for f in bt.fields()}
        if not {"tophash", "keys", "values", "overflow"} <= set(bf):
            raise MapvizError(f"{bt.name} is not a Go map bucket (tophash, keys, values, overflow)")
        key_cell_t = bf["keys"].type.strip_typedefs().target()
        elem_cell_t = bf["values"].type.strip_typedefs().target()
        names = _split_top_level_comma(htype.name[len("hash<"):-1]) or ("", "")
        indirect_key = _indirect(key_cell_t, names[0], c.max_key_size)
        indirect_elem = _indirect(elem_cell_t, names[1], c.max_elem_size)
        key_t = key_cell_t.strip_typedefs().target() if indirect_key else key_cell_t
        elem_t = elem_cell_t.strip_typedefs().target() if indirect_elem else elem_cell_t
        lay = ClassicLayout(f"map[{names[0]}]{names[1]}", key_t, elem_t, bt.sizeof,
                            bf["tophash"].bitpos // 8, bf["keys"].bitpos // 8, bf["values"].bitpos // 8,
                            bf["overflow"].bitpos // 8, key_cell_t.sizeof, elem_cell_t.sizeof,
                            indirect_key, indirect_elem, c)
        return GoType(lay, codec_go.GoCodec(key_t, indirect_key), codec_go.GoCodec(elem_t, indirect_elem))

    # ---- mapviz ls ----

    def ls(self):
        """(map type lines, map variables) of a Go program, or None for another program."""
        if not self._is_go_program():
            return None
        variables = []
        types = {}
        try:
            listing = gdb.execute("info variables -q -n", to_string=True)
        except gdb.error:
            listing = ""
        for line in listing.splitlines():
            m = re.match(r"\s*(map\[.*\]\S.*?) (\S+);$", line.strip())
            if not m:
                continue
            name = m.group(2)
            sym = memory.variable_symbol(name)
            if sym is None:
                continue
            found = self.header_of_type(sym.type)
            if not found:
                continue
            variables.append((name, str(sym.type), sym))
            types.setdefault(str(sym.type), found)
        release, version = self.release()
        lines = []
        for type_text, (design_name, htype) in sorted(types.items()):
            if design_name != "classic" or (release and release >= SWISS_FROM):
                lines.append(f"{type_text}: swiss tables, not supported yet  [{version}]")
                continue
            try:
                lay = self.map_type(htype).layout
            except MapvizError as e:
                lines.append(f"{type_text}: {e}")
                continue
            lines.append(f"{type_text}: key {lay.key_type} ({lay.key_type.sizeof} bytes"
                         f"{', indirect' if lay.indirect_key else ''}), elem {lay.elem_type} "
                         f"({lay.elem_type.sizeof} bytes{', indirect' if lay.indirect_elem else ''}), "
                         f"bucket {lay.bucket_size} bytes  [{version}]")
        return lines, variables

    def _is_go_program(self):
        path = gdb.current_progspace().filename
        return bool(path) and elf.section_bytes(path, ".go.buildinfo") is not None


def _indirect(cell_t, declared, max_size):
    """Whether cells of cell_t hold a pointer to the value: a pointer cell where the map's
    type says the key (or elem) is not that pointer type, and the value is over max_size."""
    st = cell_t.strip_typedefs()
    if st.code != gdb.TYPE_CODE_PTR:
        return False
    if declared and str(cell_t).replace(" ", "") == declared.replace(" ", ""):
        return False
    return st.target().strip_typedefs().sizeof > max_size


SOURCE = GoSource()
