"""mapviz on Go maps (Go 1.19-1.23): print, show, slot, dot, ls, live and from a core, held
against what the Go program itself wrote (its shadow maps and the cells it read with unsafe)."""
import re

import pytest

from gotest import go_binary, printed_map, run_gdb, toolchain_version, read_truth

INT_MAPS = ("dels", "grow", "same", "sameDone", "counter")
OTHER_MAPS = ("names", "points", "tags", "ptrs", "floats")


def test_print_shows_every_live_entry_once(go_run):
    maps = INT_MAPS + OTHER_MAPS
    out = go_run(["set print elements unlimited"] + [f"print main.{m}" for m in maps] +
                 ["print main.empty", "print main.nilmap"])
    t = go_run.truth
    assert t["grow"].growing and t["same"].growing and not t["sameDone"].growing
    assert t["same"].flags & 8, "same: caught during a same-size growth"
    for name, text in zip(maps, out[1:]):
        type_text, length, entries = printed_map(text)
        assert length == t[name].count == len(t[name].entries), name
        assert entries == t[name].entries, name
    assert out[-2].endswith("map[int64]int64 of length 0")
    assert out[-1].endswith("(map[int64]int64) 0x0")


def parse_show(text):
    """{(array, bucket, depth, slot): (tophash, state name or None, key text or None, elem or None)}
    and the count line of a `mapviz show` of a map."""
    cells, where = {}, None
    for line in text.splitlines():
        m = re.match(r"(old )?bucket (\d+)(?: overflow (\d+))? 0x[0-9a-f]+", line)
        if m:
            where = ("old" if m.group(1) else "new", int(m.group(2)), int(m.group(3) or 0))
            continue
        m = re.match(r"  \[(\d+)(?:-(\d+))?\] (0x[0-9a-f]{2})(?: (\w+))?(.*)\Z", line)
        if not m:
            continue
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        rest = m.group(5)
        key = elem = None
        live = re.match(r"  key (.*)  elem (.*)\Z", rest)
        stale = re.match(r"  stale key (.*) -> bucket (\d+)\Z", rest)
        if live:
            key, elem = live.groups()
        elif stale:
            key, elem = stale.group(1), "-> " + stale.group(2)
        for s in range(first, last + 1):
            cells[where + (s,)] = (int(m.group(3), 16), m.group(4), key, elem)
    return cells


STATE = {0: "emptyRest", 1: "emptyOne", 2: "evacuatedX", 3: "evacuatedY", 4: "evacuatedEmpty"}


@pytest.mark.parametrize("name", INT_MAPS)
def test_show_every_cell_as_the_program_read_it(go_run, name):
    out = go_run(["set mapviz max-buckets unlimited", f"mapviz show main.{name}"])
    m = go_run.truth[name]
    shown = parse_show(out[1])
    want = {}
    old_B = m.B if m.flags & 8 else m.B - 1
    for c in m.cells:
        if c.tophash >= 5:
            want[(c.array, c.bucket, c.depth, c.slot)] = (c.tophash, None, str(c.key), str(c.elem))
        elif c.tophash in (2, 3):   # evacuated: its key went to bucket i (X) or i + 2^oldB (Y)
            dest = c.bucket + (1 << old_B if c.tophash == 3 else 0)
            want[(c.array, c.bucket, c.depth, c.slot)] = (c.tophash, STATE[c.tophash], str(c.key), f"-> {dest}")
            assert any(n.array == "new" and n.bucket == dest and n.key == c.key and n.tophash >= 5
                       for n in m.cells), f"key {c.key} is not in new bucket {dest}"
        else:
            want[(c.array, c.bucket, c.depth, c.slot)] = (c.tophash, STATE[c.tophash], None, None)
    assert shown == want
    assert f"count {m.count} agrees with the {m.count} live entries" in out[1]
    head = out[1].splitlines()[0]
    assert head.startswith("map[int64]int64 0x") and f"count {m.count}, B {m.B} " in head
    assert f"hash0 {m.hash0:#x}" in head and f"noverflow {m.noverflow}" in head
    if m.growing:
        kind = "same size" if m.flags & 8 else "doubling"
        assert f"growing ({kind}):" in out[1] and f"nevacuate {m.nevacuate} " in out[1]


def live_cell(m, key):
    """The one cell holding key live (old while its old bucket is not evacuated, else new)."""
    found = [c for c in m.cells if c.key == key and c.tophash >= 5]
    assert len(found) == 1, (key, found)
    return found[0]


def test_slot_finds_every_key_where_the_program_says(go_run):
    """Go's hash recomputed from aeskeysched (or the fallback): each key's tophash and place.
    (same's keys depend on the run's hash seed: every candidate is asked for.)"""
    keys = {"grow": [11 * i for i in range(1, 106)], "same": list(range(1, 400)),
            "dels": list(range(0, 3000, 37))}
    commands = [f"mapviz slot main.{name} {k}" for name, ks in keys.items() for k in ks]
    out = go_run(commands + ["mapviz slot main.dels 123456789"])
    t = go_run.truth
    i = 0
    seen = 0
    for name, ks in keys.items():
        m = t[name]
        for k in ks:
            lines = out[i].splitlines()
            i += 1
            if str(k) not in m.entries:
                assert lines[1] == "absent" and lines[2].startswith("would go: "), out[i - 1]
                continue
            c = live_cell(m, k)
            assert f"tophash {c.tophash:#04x}," in lines[0], out[i - 1]
            where = "old bucket" if c.array == "old" else "bucket"
            assert lines[1] == f"found: {where} {c.bucket} overflow {c.depth} slot {c.slot}, elem {c.elem}", out[i - 1]
            seen += 1
    assert seen == len(t["grow"].entries) + len(t["same"].entries) + sum(1 for k in keys["dels"] if k % 3)
    assert out[-1].splitlines()[1:] and out[-1].splitlines()[1] == "absent"


def test_slot_of_string_struct_float_and_interface_keys(go_run):
    out = go_run(['mapviz slot main.names "alice"', 'mapviz slot main.names ""', "mapviz slot main.names key-4",
                  "mapviz slot main.names key-5", "mapviz slot main.points {1, -1}",
                  "mapviz slot main.points {X = 3, Y: -3}", 'mapviz slot main.tags {ID = 3, Name = "t3"}',
                  'mapviz slot main.tags {3, "t4"}', "mapviz slot main.floats 1.5", "mapviz slot main.floats -0.0",
                  "mapviz slot main.ifaces 42", 'mapviz slot main.ifaces "bob"', "mapviz slot main.ifaces 43",
                  "mapviz slot main.points 7", "mapviz slot main.arrays {-3, 4}", "mapviz slot main.arrays {4, -3}",
                  "print main.arrays"])
    found = [o.splitlines()[1] if len(o.splitlines()) > 1 else o for o in out]
    assert found[0].endswith(", elem 1") and found[0].startswith("found: ")
    assert found[1].endswith(", elem -1") and found[1].startswith("found: ")
    assert found[2] == "absent"   # deleted
    assert found[3].endswith(", elem 5")
    assert found[4].endswith(", elem 101")
    assert found[5].endswith(", elem 103")
    assert found[6].endswith(", elem 9")
    assert found[7] == "absent"
    assert found[8].endswith(", elem true")
    assert found[9].endswith(", elem true")   # -0 is the key 0
    assert out[10].startswith("key (int) 42: hash not recomputed (an interface key hashes by its "
                              "dynamic type); found by scanning")
    assert found[10].endswith(', elem "int"')
    assert found[11].endswith(', elem "string"')
    assert out[12].splitlines()[1:] == ["absent", "would go: cannot say where an insert would put it "
                                                  "without the key's hash"]
    assert out[13].startswith('mapviz: key "7" does not parse as main.point')
    assert out[14].startswith("key {-3, 4}: hash 0x") and found[14].endswith(', elem "minus three four"')
    assert found[15] == "absent"
    assert printed_map(out[16])[2] == {"{1, 2}": '"one two"', "{-3, 4}": '"minus three four"', "{0, 0}": '"zeros"'}


def test_show_of_string_struct_pointer_and_indirect_maps(go_run):
    out = go_run(["mapviz show main.names --summary", "mapviz show main.tags",
                  "mapviz show main.ptrs --bucket 0", "mapviz show main.big", "mapviz show main.ifaces",
                  "mapviz show main.empty", "mapviz show main.nilmap"])
    t = go_run.truth
    assert f"count {t['names'].count} agrees with the {t['names'].count} live entries" in out[0]
    assert "emptyOne (tombstones)" in out[0]
    assert re.search(r'  \[\d\] 0x[0-9a-f]{2}  key \{ID = \d+, Name = "t\d+"\}  elem \d+', out[1]), out[1]
    for line in out[2].splitlines():
        m = re.match(r"  \[\d\] 0x[0-9a-f]{2}  key (\d+)  elem (0x[0-9a-f]+)\Z", line)
        if m:
            assert t["ptrs"].entries[m.group(1)] == m.group(2)
    assert "elem [200]uint8 (200 bytes, indirect)" in out[3]
    assert "count 5 agrees with the 5 live entries" in out[3]
    assert "key (int) 42  elem \"int\"" in out[4] and 'key (string) "bob"  elem "string"' in out[4]
    assert "key (int64) 7  elem \"int64\"" in out[4]
    assert out[5].endswith("no buckets (an empty map allocates them on the first insert)")
    assert out[6] == "mapviz: the map is nil (map[int64]int64)"


def test_dot_and_ls(go_run, tmp_path):
    dot = tmp_path / "same.dot"
    out = go_run([f"mapviz dot main.same {dot}", "mapviz ls"])
    text = dot.read_text()
    assert text.startswith('digraph "map[int64]int64" {')
    assert 'header -> old0_0 [label="oldbuckets" style="dashed"];' in text
    t = go_run.truth
    lines = out[1].splitlines()
    assert "  map[int64]int64: key int64 (8 bytes), elem int64 (8 bytes), bucket 144 bytes  [go" in out[1]
    for name in INT_MAPS:
        assert f"  main.{name}: map[int64]int64  count {t[name].count}, B {t[name].B}" in lines
    assert "  main.nilmap: map[int64]int64  mapviz: the map is nil (map[int64]int64)" not in lines
    assert "  main.nilmap: map[int64]int64  the map is nil (map[int64]int64)" in lines


def test_a_core_shows_what_the_process_showed(go_run, tmp_path):
    core = tmp_path / "gdbmaps.core"
    commands = ["set print elements unlimited", "print main.dels", "print main.same", "print main.tags",
                "mapviz slot main.grow 209", "mapviz show main.same --summary"]
    live = go_run([f"gcore {core}"] + commands)
    truth = go_run.truth
    from_core = run_gdb([go_run.binary], commands, core=core)
    assert from_core == live[1:]
    assert printed_map(from_core[1])[2] == truth["dels"].entries
    assert "found: " in from_core[4]


def test_the_go_release_comes_from_the_build_information(go_run):
    out = go_run(["python import mapviz_gdb.model.source_go as g; print(g.SOURCE.release())"])
    version = toolchain_version(go_run.release)
    assert out[0] == f"(({version[2:].split('.')[0]}, {int(version.split('.')[1])}), '{version}')"


def test_a_map_read_without_a_process_says_so():
    binary = go_binary("1.19", "gdbmaps")
    out = run_gdb([binary], ["mapviz show 'main.dels'", "print 'main.dels'"], stop=None)
    assert out[0] == "mapviz: no process and no core file (run the program or load a core)"
    assert out[1] == "$1 = (map[int64]int64) 0x0"   # the executable's own zero: GDB's printing


def test_read_truth_of_a_fresh_run(tmp_path):
    """The fixture's own checks: the states the tests need happened on this release."""
    binary = go_binary("1.19", "gdbmaps")
    run_gdb([binary, tmp_path / "t"], ["print 1"])
    t = read_truth(tmp_path / "t")
    assert t["dels"].count == 2000 and t["grow"].growing and t["same"].growing


SWISS = ["1.24", "1.25", "1.26"]


@pytest.mark.parametrize("release", SWISS)
def test_a_swiss_table_release_is_refused_in_one_line(release):
    binary = go_binary(release, "gdbwatch")
    out = run_gdb([binary], ["print main.counter", "mapviz show main.counter", "mapviz slot main.counter 42",
                             "mapviz watch main.counter 42", "mapviz ls"])
    message = f"mapviz: Go {release} maps (swiss tables) are not supported yet"
    assert out[0] == f"$1 = <{message}>"
    assert out[1:4] == [message] * 3
    assert f"  main.counter: map[int64]int64  Go {release} maps (swiss tables) are not supported yet" in out[4]
