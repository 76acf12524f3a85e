"""mapviz ls: the map types of the program (its hmap_types sections) and its map globals."""
import gdb

from . import layout as layouts
from .cli import MapvizCommand, Parser
from .errors import MapvizError
from . import elf

SECTION = "hmap_types"


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
        data = elf.section_bytes(path, SECTION)
        if not data:
            continue
        # Descriptors are 8-aligned in the section; several translation units may repeat one.
        names = set()
        for off in range(0, len(data) - dtype.sizeof + 1, 8):
            if int.from_bytes(data[off:off + 4], "little") != magic:
                continue
            d = layouts.decode_descriptor(data[off:off + dtype.sizeof])
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
            try:
                sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
            except gdb.error:
                continue
            if sym is None or not sym.is_variable:
                continue
            if layouts.HmapDwarfProvider.map_struct_kind(_pointee(sym.type)) is None:
                continue
            out.append((name, str(sym.type), sym))
    return out


def _pointee(t):
    t = t.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        t = t.target().strip_typedefs()
    return t


def render_ls():
    try:
        types = map_types()
    except gdb.error:
        raise MapvizError("no hmap types in this program (no struct hmap_type in its debug info)")
    lines = [f"map types ({len(types)}):"]
    for path, d in types:
        lines.append(f"  {d['name']}: {d['key_type']} -> {d['elem_type']}, key {d['key_size']} bytes, "
                     f"elem {d['elem_size']} bytes, bucket {d['bucketsize']} bytes  [{path}]")
    globals_ = map_globals(sorted({path for path, _ in types}))
    lines.append(f"map variables ({len(globals_)}):")
    live = gdb.selected_inferior().pid != 0
    for name, type_text, sym in globals_:
        state = ""
        if live:
            try:
                ref = layouts.map_ref_of_value(sym.value())
                state = f"  count {ref.header.count}, B {ref.header.B}"
            except Exception as exc:  # a NULL or unreadable map is still listed
                state = "  " + str(exc).splitlines()[0]
        lines.append(f"  {name}: {type_text}{state}")
    return lines


class LsCommand(MapvizCommand):
    NAME = "ls"
    SHAPE = "none"
    SUMMARY = "List the map types and the map variables of the program."
    PARSER = Parser("ls", "List the map types of the program (read from the hmap_types section of each\n"
                    "loaded file) and the global and static variables that are maps (with their\n"
                    "count and B when a process or core is there).")

    def run(self, args):
        return "\n".join(render_ls())
