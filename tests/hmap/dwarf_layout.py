"""Run inside GDB (gdb -nx -batch -x dwarf_layout.py PROGRAM): print, as one
JSON object, what the program's DWARF says about hmap's published layout,
and where a live map's type pointer points. test_dwarf_layout.py asserts on it."""
import json

import gdb

ENUMS = ["hmap_bucket_shape", "hmap_tophash_state", "hmap_flag", "hmap_hash_kind", "hmap_type_flag"]
MAP_TYPES = ["fixture_counts", "fixture_names", "fixture_points", "fixture_blobs"]


def fields(struct_name):
    t = gdb.lookup_type("struct " + struct_name)
    out = []
    for f in t.fields():
        entry = {"name": f.name, "offset": f.bitpos // 8, "type": str(f.type)}
        if f.type.code == gdb.TYPE_CODE_ARRAY:
            entry["element"] = str(f.type.target())
            entry["element_size"] = f.type.target().sizeof
            # A cell type is a typedef (NAME_keycell): what it stands for is the real type.
            entry["element_real"] = str(f.type.target().target() if f.type.target().code == gdb.TYPE_CODE_TYPEDEF else f.type.target())
            lo, hi = f.type.range()
            entry["length"] = hi - lo + 1
        out.append(entry)
    return {"size": t.sizeof, "fields": out}


def main():
    result = {"enums": {}, "structs": {}, "typed": {}}
    for name in ENUMS:
        t = gdb.lookup_type("enum " + name)
        result["enums"][name] = {f.name: int(f.enumval) for f in t.fields()}
    for name in ["hmap", "hmap_type"] + [m + "_bucket" for m in MAP_TYPES]:
        result["structs"][name] = fields(name)
    for name in MAP_TYPES:
        result["typed"][name] = fields(name)
    gdb.execute("break break_here", to_string=True)
    gdb.execute("run", to_string=True)
    result["live"] = {}
    for var in ["fixture_counts_global", "fixture_names_global"]:
        h = gdb.parse_and_eval(var).dereference()["h"]
        result["live"][var] = {
            "type_symbol": gdb.execute("info symbol (void *)%s->h.type" % var, to_string=True).strip(),
            "count": int(h["count"]),
            "name": h["type"]["name"].string(),
        }
    print("MAPVIZ-LAYOUT " + json.dumps(result))


main()
