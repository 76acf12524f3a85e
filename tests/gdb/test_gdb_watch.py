"""mapviz watch: decoded writes to one key's slot, across a delete, a re-insert and growth."""
import re

import reference
from gdbtest import fixture_path, read_facts, run_gdb, tophash

def in_op(op):
    """The writing function and line: the map operation itself, or a function inside it."""
    return rf"  in (?:{op} hmap/hmap\.c:\d+|\S+ \S+:\d+ \(during {op}\))"


def watch_session(tmp_path, commands):
    truth = tmp_path / "truth"
    out = run_gdb([fixture_path("watch"), truth], commands)
    facts = read_facts(truth, ("before", "after", "absent"))
    facts["cells"] = reference.read_arrays(truth)["m"]
    return out, facts


def test_watch_reports_each_write_and_follows_the_key_across_growth(tmp_path):
    out, facts = watch_session(tmp_path, ["mapviz watch m 3", "break grown", "break done", "continue",
                                          "continue", "mapviz unwatch", "continue"])
    h, elemcell = facts["before"]
    top = tophash(h)
    armed = out[0].splitlines()
    # One line: the watch's number, the slot, and the four watched addresses; the elem cell is
    # the address the program's own w_map_get returned.
    assert len(armed) == 1
    assert re.fullmatch(rf"watch 1: key 3: bucket {h & 1} overflow 0 slot \d \(tophash 0x[0-9a-f]+, key 0x[0-9a-f]+, "
                        rf"elem {elemcell:#x}, buckets 0x[0-9a-f]+\)", armed[0])
    slot = armed[0].split(" (tophash")[0].split(": ")[2]
    absent = slot + r" \(absent: where an insert would put it\)"
    lines = [l for l in out[3].splitlines() if l.startswith("watch")]
    B, h2, _ = facts["after"]
    assert h2 == h
    new_slot = rf"bucket {h & ((1 << B) - 1)} overflow 0 slot \d"
    expected = [
        rf"watch #1 elem 3 -> 333  {slot}{in_op('hmap_assign')}",
        rf"watch #2 elem 333 -> 0  {slot}{in_op('hmap_delete')}",
        rf"watch #3 tophash {top:#04x} -> 0x01 emptyOne  {slot}{in_op('hmap_delete')}",
        rf"watch #4 elem 0 -> 3  {absent}{in_op('hmap_assign')}",
        rf"watch #5 tophash 0x01 emptyOne -> {top:#04x}  {absent}{in_op('hmap_assign')}",
        rf"watch #6 buckets 0x[0-9a-f]+ -> 0x[0-9a-f]+  {slot}  in hashGrow hmap/hmap.c:\d+ \(during hmap_assign\)",
        rf"watch: key 3 moved by growth: {slot} -> old {slot} \(tophash byte 0x[0-9a-f]+\)",
        rf"watch #7 tophash {top:#04x} -> 0x02 evacuatedX  old {slot}  in evacuate\S* hmap/hmap.c:\d+ \(during hmap_assign\)",
        # The key leaves its old cell at that write: the watch moves to the new cell, still
        # empty, and reports the copy into it.
        rf"watch: key 3 moved by evacuation: old {slot} -> {new_slot} \(absent: where an insert would put it\) "
        rf"\(tophash byte 0x[0-9a-f]+\)",
        rf"watch #8 tophash 0x00 emptyRest -> {top:#04x}  {new_slot} \(absent: where an insert would put it\)"
        rf"  in evacuate\S* hmap/hmap.c:\d+ \(during hmap_assign\)",
        rf"watch #9 key 0 -> 3  {new_slot} \(absent: where an insert would put it\){in_op('hmap_assign')}",
        rf"watch #10 elem 0 -> 3  {new_slot}{in_op('hmap_assign')}",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)
    new_slot = lines[-1].split("  ")[1]
    after = [l for l in out[4].splitlines() if l.startswith("watch")]
    assert re.fullmatch(rf"watch #11 elem 3 -> 0  {new_slot}{in_op('hmap_delete')}", after[0])
    assert re.fullmatch(rf"watch #12 tophash {top:#04x} -> 0x01 emptyOne  {new_slot}{in_op('hmap_delete')}", after[1])
    assert out[5] == "watch 1 removed (4 watchpoints)"
    assert "watch #" not in out[6]


def test_watch_checks_the_debug_register_budget(tmp_path):
    out, _ = watch_session(tmp_path, ["watch other_watched", "mapviz watch m 3", "info watchpoints"])
    assert out[1] == ("mapviz: watch needs 4 debug registers (tophash 1, key 1, elem 1, buckets 1) but x86-64 "
                      "has 4, and 1 used by other watchpoints; delete other watchpoints")
    assert len([l for l in out[2].splitlines() if "watchpoint" in l]) == 1


def test_watch_of_an_absent_key_watches_where_it_would_go(tmp_path):
    out, facts = watch_session(tmp_path, ["mapviz watch m 77", "mapviz unwatch", "mapviz unwatch"])
    key, h = facts["absent"]
    index, bucket, cell = reference.first_empty(facts["cells"], h)
    assert key == 77 and cell is not None
    assert out[0].splitlines()[-1].startswith(f"watch 1: key 77: bucket {index} overflow {bucket.depth} slot {cell.slot} "
                                              f"(absent: where an insert would put it)")
    assert out[1] == "watch 1 removed (4 watchpoints)"
    assert out[2] == "mapviz: nothing is watched"


def test_debug_registers_per_region(maps_run):
    # GDB splits a watched region into aligned 8/4/2/1-byte pieces, one debug register each.
    out = maps_run(["python import mapviz_gdb.cmd_watch as w; "
                    "print([w.registers_needed(a, n) for a, n in ((0x1000, 8), (0x1004, 8), (0x1001, 1), "
                    "(0x1003, 8), (0x1008, 4), (0x1006, 4))])"])
    assert out[0] == "[1, 2, 1, 4, 1, 2]"
