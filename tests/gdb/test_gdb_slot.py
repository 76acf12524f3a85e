"""mapviz slot: hash, tophash, bucket and the cell addresses the program itself reports."""
import re

from gdbtest import tophash


def expect_found(text, e, B):
    lines = text.splitlines()
    assert lines[0].startswith(f"key {e.key}: hash {e.hash:#018x}, tophash {tophash(e.hash):#04x}, "
                               f"bucket {e.hash & ((1 << B) - 1)} of {1 << B}"), lines[0]
    assert re.fullmatch(rf"found: (old )?bucket \d+ overflow \d+ slot \d, elem {e.elem}", lines[1]), lines[1]
    assert lines[2].endswith(f"elem cell {e.elemcell:#x}"), lines[2]


def test_every_entry_is_found_where_the_program_finds_it(maps_run):
    maps_run(["print 1"])
    truth = maps_run.truth
    cmds, expected = [], []
    for name in ("u64s", "growing", "samesize"):
        for e in truth[name].entries:
            cmds.append(f"mapviz slot {name} {e.key}")
            expected.append((e, truth[name].B))
    out = maps_run(cmds)
    for text, (e, B) in zip(out, expected):
        expect_found(text, e, B)


def test_absent_keys_say_where_they_would_go(maps_run):
    maps_run(["print 1"])
    t = maps_run.truth
    absent = t["u64s"].absent[:20] + t["growing"].absent[-3:]
    names = ["u64s"] * 20 + ["growing"] * 3
    out = maps_run([f"mapviz slot {n} {k}" for n, (k, _) in zip(names, absent)])
    for text, (k, h) in zip(out, absent):
        lines = text.splitlines()
        assert lines[0].startswith(f"key {k}: hash {h:#018x}, tophash {tophash(h):#04x}, bucket ")
        assert lines[1] == "absent"
        assert lines[2].startswith("would go: ")
    growing = out[-1].splitlines()
    assert "old bucket" in growing[0]


def test_keys_of_other_types(maps_run):
    out = maps_run(["mapviz slot names apple", "mapviz slot names date", "mapviz slot points probe",
                    "mapviz slot points missing", 'mapviz slot names "a somewhat longer key with spaces"',
                    "mapviz slot bigs probe"])
    assert out[0].startswith('key "apple": hash 0x') and "\nfound: bucket " in out[0]
    assert out[1].splitlines()[1] == "absent"
    assert out[2].startswith("key {x = 2, y = 4}: hash") and "elem 12" in out[2]
    assert out[3].splitlines()[1] == "absent"
    assert "\nfound: " in out[4]
    assert out[5] == 'mapviz: key "probe" does not parse as struct big: it is a struct point'
