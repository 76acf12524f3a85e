"""mapviz slot: hash, tophash, bucket and the cell addresses the program itself reports;
where an absent key would go, from the cells the program reads (tests/gdb/reference.py)."""
import reference
from gdbtest import tophash


def first_line(key, h, a):
    """slot's first line: hash, tophash, bucket, and the old bucket while growing."""
    line = f"key {key}: hash {h:#018x}, tophash {tophash(h):#04x}, bucket {h & (a.n_new - 1)} of {a.n_new}"
    if a.growing():
        old = a.chain("old", h & (a.n_old - 1))
        line += (f"; old bucket {old.index} of {a.n_old} "
                 f"({'evacuated' if reference.evacuated(old) else 'not evacuated: the key is looked up there'})")
    return line


def expect_found(text, e, a):
    lines = text.splitlines()
    assert lines[0] == first_line(e.key, e.hash, a)
    assert lines[1] == reference.found_line(a, e.key, e.hash)
    assert lines[2].endswith(f"elem cell {e.elemcell:#x}"), lines[2]


def test_every_entry_is_found_where_the_program_finds_it(maps_run):
    maps_run(["print 1"])
    truth = maps_run.truth
    cmds, expected = [], []
    for name in ("u64s", "growing", "samesize"):
        for e in truth[name].entries:
            cmds.append(f"mapviz slot {name} {e.key}")
            expected.append((e, name))
    out = maps_run(cmds)
    for text, (e, name) in zip(out, expected):
        expect_found(text, e, maps_run.cells[name])


def test_absent_keys_say_where_they_would_go(maps_run):
    maps_run(["print 1"])
    t = maps_run.truth
    absent = t["u64s"].absent[:20] + t["growing"].absent[-3:]
    names = ["u64s"] * 20 + ["growing"] * 3
    out = maps_run([f"mapviz slot {n} {k}" for n, (k, _) in zip(names, absent)])
    would_go = []
    for text, name, (k, h) in zip(out, names, absent):
        a = maps_run.cells[name]
        lines = text.splitlines()
        assert lines[0] == first_line(k, h, a)
        assert lines[1] == "absent"
        assert lines[2] == reference.would_go_line(a, h), (name, k)
        would_go.append(lines[2])
    # The keys cover a tombstone, an emptyRest cell and an old bucket still to evacuate.
    for kind in ("(first empty cell, emptyOne)", "(first empty cell, emptyRest)", "an insert first evacuates"):
        assert any(kind in line for line in would_go), (kind, would_go)


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
