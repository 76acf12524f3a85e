"""mapviz show: exact lines built from the fixture's ground truth.

Every cell, live or empty, is compared with the cells the program read through its own
bucket struct (tests/gdb/reference.py renders what show must print from them)."""
import re

import reference
from gdbtest import tophash

ELEMS_OFFSET, BUCKET_SIZE = 72, 144  # struct u64s_map_bucket, as the layout line says


def sections(text):
    """{(title, addr): [lines]} of show's output."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"((?:old )?bucket \d+(?: overflow \d+)?) (0x[0-9a-f]+)", line)
        if m:
            cur = out.setdefault((m.group(1), int(m.group(2), 16)), [])
        elif cur is not None and line.startswith("  "):
            cur.append(line)
    return out


def check_entries_in_place(text, truth, B, old_B=None):
    secs = sections(text)
    for e in truth.entries:
        (title, addr), = [(t, a) for (t, a) in secs if a <= e.elemcell < a + BUCKET_SIZE]
        slot = (e.elemcell - addr - ELEMS_OFFSET) // 8
        line = f"  [{slot}] {tophash(e.hash):#04x}  key {e.key}  elem {e.elem}"
        assert line in secs[(title, addr)], (title, line)
        index = int(title.split()[-3 if "overflow" in title else -1])
        mask = (1 << (old_B if title.startswith("old") else B)) - 1
        assert index == e.hash & mask


def test_header_and_every_slot_of_a_map_with_tombstones(maps_run):
    out = maps_run(["mapviz show u64s --limit 100"])
    t = maps_run.truth["u64s"]
    lines = out[0].splitlines()
    assert lines[0] == (f"u64s_map {t.addr:#x}: count 85, B 4 (16 buckets), load 5.31, hash0 0x1, "
                        f"flags iterator|oldIterator, noverflow {t.noverflow}")
    assert lines[1] == ("layout: key uint64_t (8 bytes), elem uint64_t (8 bytes); bucket 144 bytes: "
                        "tophash +0, keys +8, elems +72, overflow +136")
    assert lines[-1] == "count 85 agrees with the 85 live entries"
    check_entries_in_place(out[0], t, 4)
    assert lines[2:-1] == reference.show_body(maps_run.cells["u64s"])
    assert "  [3] 0x01 emptyOne" in lines and "  [6-7] 0x00 emptyRest" in lines
    assert len(sections(out[0])) == 16 + t.noverflow


def test_old_buckets_beside_new_ones_mid_growth(maps_run):
    out = maps_run(["mapviz show growing --limit 32", "mapviz show samesize --limit 16"])
    t, cells = maps_run.truth["growing"], maps_run.cells
    lines = out[0].splitlines()
    assert lines[1] == (f"growing (doubling): oldbuckets {cells['growing'].old_addr:#x}, 16 old buckets, "
                        f"nevacuate {cells['growing'].nevacuate} ({cells['growing'].nevacuate}/16 evacuated in order)")
    check_entries_in_place(out[0], t, 5, old_B=4)
    # Old bucket i just before new bucket i, each cell of both as the program reads it.
    assert lines[3:-1] == reference.show_body(cells["growing"])
    titles = [title for title, _ in sections(out[0])]
    assert titles[:4] == ["old bucket 0", "bucket 0", "old bucket 1", "bucket 1"]
    assert lines[-1] == "count 104 agrees with the 104 live entries"
    s = maps_run.truth["samesize"]
    lines = out[1].splitlines()
    assert lines[1].startswith("growing (same size)") and "flags iterator|oldIterator|sameSizeGrow" in lines[0]
    check_entries_in_place(out[1], s, 4, old_B=4)
    assert lines[3:-1] == reference.show_body(cells["samesize"])


def test_bucket_limit_and_summary_options(maps_run):
    out = maps_run(["mapviz show growing --bucket 21", "mapviz show u64s --limit 2",
                    "set mapviz max-buckets 3", "mapviz show u64s", "mapviz show u64s --summary"])
    titles = [t for t, _ in sections(out[0])]
    assert titles[0] == "old bucket 5" and "bucket 21" in titles
    assert all(t.startswith(("old bucket 5", "bucket 21")) for t in titles)
    assert out[1].splitlines()[-1] == "... 14 more buckets (mapviz show --limit N, or set mapviz max-buckets unlimited)"
    assert [t for t, _ in sections(out[3]) if "overflow" not in t] == ["bucket 0", "bucket 1", "bucket 2"]
    t = maps_run.truth["u64s"]
    assert out[4].splitlines()[2:] == reference.summary(maps_run.cells["u64s"], t.count, t.B)


def test_summary_figures_mid_growth(maps_run):
    names = ["u64s", "growing", "samesize"]
    out = maps_run([f"mapviz show {name} --summary" for name in names])
    for name, text in zip(names, out):
        t = maps_run.truth[name]
        lines = text.splitlines()
        assert lines[2 if name == "u64s" else 3:] == reference.summary(maps_run.cells[name], t.count, t.B), name


def test_other_key_types(maps_run):
    out = maps_run(["mapviz show names", "mapviz show bigs"])
    assert '  key "a somewhat longer key with spaces"  elem 8' in out[0]
    assert "key const char * (8 bytes, hashed as a string), elem int (4 bytes)" in out[0]
    assert "key struct big (136 bytes, indirect), elem struct big (136 bytes, indirect)" in out[1]
    assert re.search(r'key \{tag = "big-3", .*id = 3\}  elem \{tag = "big-3"', out[1])


def test_descriptor_is_cross_checked_against_dwarf(maps_run):
    # The descriptor the map points to says where keys are; DWARF's struct says too.
    out = maps_run(["set var u64s->h.type->keys_offset = 16", "mapviz show u64s --limit 1",
                    "set var u64s->h.type->keys_offset = 8", "set var u64s->h.type->magic = 7",
                    "mapviz show u64s --limit 1", "print *u64s"])
    assert out[1].splitlines()[2] == "descriptor keys_offset 16 disagrees with DWARF struct u64s_map_bucket: 8"
    assert re.fullmatch(r"<bad descriptor 0x[0-9a-f]+: magic 0x7>", out[4].splitlines()[2])
    # DWARF's layout is the one used: the slots still decode.
    assert "  key 16  elem 256" in out[4]
    assert re.match(r"\$1 = u64s_map of length 85 <bad descriptor 0x[0-9a-f]+: magic 0x7> = \{\[", out[5])
