"""hmap publishes its layout (docs/hmap.md); read it back from a built
program so that a refactor cannot silently drop any of it: the enums with
their values, a struct NAME_bucket per map type with the real key and elem
types, descriptors in the hmap_types section that agree with DWARF, every map
pointing at its descriptor, and the .debug_gdb_scripts entry naming mapviz.py."""
import json
import pathlib
import struct
import subprocess

import pytest

from hmap_binaries import DWARF_FIXTURE

EXPECTED_ENUMS = {
    "hmap_bucket_shape": {"hmap_bucketCntBits": 3, "hmap_bucketCnt": 8, "hmap_maxKeySize": 128,
                          "hmap_maxElemSize": 128, "hmap_loadFactorNum": 13, "hmap_loadFactorDen": 2},
    "hmap_tophash_state": {"hmap_emptyRest": 0, "hmap_emptyOne": 1, "hmap_evacuatedX": 2,
                           "hmap_evacuatedY": 3, "hmap_evacuatedEmpty": 4, "hmap_minTopHash": 5},
    "hmap_flag": {"hmap_iterator": 1, "hmap_oldIterator": 2, "hmap_hashWriting": 4,
                  "hmap_sameSizeGrow": 8},
    "hmap_hash_kind": {"hmap_hashBytes": 1, "hmap_hashString": 2},
    "hmap_type_flag": {"hmap_indirectKey": 1, "hmap_indirectElem": 2, "hmap_keyHasPointers": 4,
                       "hmap_elemHasPointers": 8},
}

# Go's hmap, field for field, then the descriptor pointer.
EXPECTED_HMAP = [("count", 0, "int64_t"), ("flags", 8, "uint8_t"), ("B", 9, "uint8_t"),
                 ("noverflow", 10, "uint16_t"), ("hash0", 12, "uint32_t"), ("buckets", 16, "void *"),
                 ("oldbuckets", 24, "void *"), ("nevacuate", 32, "uintptr_t"),
                 ("extra", 40, "struct hmap_extra *"), ("type", 48, "const struct hmap_type *")]

# Map type -> (key as written, elem as written, key cell type, elem cell type, descriptor flags).
MAP_TYPES = {
    "fixture_counts": ("uint64_t", "uint64_t", "uint64_t", "uint64_t", 0),
    "fixture_names": ("const char *", "int", "const char *", "int", 4),
    "fixture_points": ("struct fixture_point", "double", "struct fixture_point", "double", 0),
    "fixture_blobs": ("uint32_t", "struct fixture_blob", "uint32_t", "struct fixture_blob *", 2),
}


@pytest.fixture(scope="module")
def layout():
    r = subprocess.run(["gdb", "-nx", "-batch", "-iex", "set auto-load python-scripts off",
                        "-x", str(pathlib.Path(__file__).with_name("dwarf_layout.py")),
                        str(DWARF_FIXTURE)], capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stdout.splitlines() if l.startswith("MAPVIZ-LAYOUT ")]
    assert len(lines) == 1, f"gdb printed no layout:\n{r.stdout}\n{r.stderr}"
    return json.loads(lines[0].split(" ", 1)[1])


def dump_section(tmp_path, name):
    out = tmp_path / "section.bin"
    subprocess.run(["objcopy", f"--dump-section={name}={out}", str(DWARF_FIXTURE), str(tmp_path / "copy")],
                   check=True, capture_output=True)
    return out.read_bytes()


def fields_by_name(struct_layout):
    return {f["name"]: f for f in struct_layout["fields"]}


def test_enums(layout):
    assert layout["enums"] == EXPECTED_ENUMS


def test_struct_hmap_has_gos_layout(layout):
    got = [(f["name"], f["offset"], f["type"]) for f in layout["structs"]["hmap"]["fields"]]
    assert got == EXPECTED_HMAP


@pytest.mark.parametrize("name", sorted(MAP_TYPES))
def test_bucket_struct(layout, name):
    _, _, key_cell, elem_cell, _ = MAP_TYPES[name]
    bucket = layout["structs"][name + "_bucket"]
    f = fields_by_name(bucket)
    assert [x["name"] for x in bucket["fields"]] == ["tophash", "keys", "elems", "overflow"]
    assert (f["tophash"]["offset"], f["tophash"]["element"], f["tophash"]["length"]) == (0, "uint8_t", 8)
    assert (f["keys"]["offset"], f["keys"]["length"], f["keys"]["element_real"]) == (8, 8, key_cell)
    assert f["elems"]["length"] == 8 and f["elems"]["element_real"] == elem_cell
    # Keys together, then elems together, then the overflow pointer.
    assert f["elems"]["offset"] == 8 + 8 * f["keys"]["element_size"]
    assert f["overflow"]["type"] == f"struct {name}_bucket *"
    # The typed map: struct hmap first, then the zero-size member tying NAME to its bucket.
    typed = layout["typed"][name]
    assert [(x["name"], x["offset"]) for x in typed["fields"]] == [("h", 0), ("bucket_layout", 56)]
    assert typed["fields"][1]["element"] == f"struct {name}_bucket *"
    assert typed["size"] == layout["structs"]["hmap"]["size"]


def decode_descriptors(layout, blob):
    """The hmap_types section, decoded with struct hmap_type's layout as DWARF gives it."""
    t = layout["structs"]["hmap_type"]
    fmt = {"uint32_t": "<I", "uint16_t": "<H", "uint8_t": "<B"}
    descriptors = []
    magic_offset = fields_by_name(t)["magic"]["offset"]
    for start in range(0, len(blob) - t["size"] + 1, 8):  # each descriptor is 8-aligned
        if struct.unpack_from("<I", blob, start + magic_offset)[0] != 0x70616D68:  # hmap_typeMagic
            continue
        d = {}
        for f in t["fields"]:
            o = start + f["offset"]
            if f["type"].startswith("char ["):
                d[f["name"]] = blob[o:o + f["length"]].split(b"\0")[0].decode()
            else:
                d[f["name"]] = struct.unpack_from(fmt[f["type"]], blob, o)[0]
        descriptors.append(d)
    return descriptors


def test_hmap_types_section_matches_dwarf(layout, tmp_path):
    descriptors = decode_descriptors(layout, dump_section(tmp_path, "hmap_types"))
    # Two translation units define each type: two identical copies of each descriptor.
    names = sorted(d["name"] for d in descriptors)
    assert names == sorted(list(MAP_TYPES) * 2)
    for name, (key_type, elem_type, _, _, flags) in MAP_TYPES.items():
        copies = [d for d in descriptors if d["name"] == name]
        assert copies[0] == copies[1]
        d = copies[0]
        f = fields_by_name(layout["structs"][name + "_bucket"])
        assert d["version"] == 1
        assert (d["key_type"], d["elem_type"], d["flags"]) == (key_type, elem_type, flags)
        assert d["hash_kind"] == (2 if name == "fixture_names" else 1)
        assert d["bucketsize"] == layout["structs"][name + "_bucket"]["size"]
        assert (d["tophash_offset"], d["keys_offset"], d["elems_offset"], d["overflow_offset"]) == (
            f["tophash"]["offset"], f["keys"]["offset"], f["elems"]["offset"], f["overflow"]["offset"])
        assert (d["keysize"], d["elemsize"]) == (f["keys"]["element_size"], f["elems"]["element_size"])


def test_live_maps_point_at_their_descriptors(layout):
    live = layout["live"]
    assert live["fixture_counts_global"]["count"] == 20
    assert live["fixture_names_global"]["count"] == 2
    for var, name in [("fixture_counts_global", "fixture_counts"), ("fixture_names_global", "fixture_names")]:
        assert live[var]["name"] == name
        assert live[var]["type_symbol"].startswith(f"{name}_hmap_type in section hmap_types")


def test_debug_gdb_scripts_names_mapviz(tmp_path):
    entry = dump_section(tmp_path, ".debug_gdb_scripts")
    assert entry[0] == 1  # a Python script file name follows
    assert entry.endswith(b"\0") and entry.count(b"\0") == 1
    assert entry[1:-1].decode().endswith("/gdb/mapviz.py")
