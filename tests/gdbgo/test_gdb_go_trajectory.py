"""mapviz trajectory on a Go map (every installed release): the whole write trajectory of
runtime.mapdelete_fast64, key 42 of gdbwatch.go's counter, which holds 307 (100*3+7) then."""
import re

import pytest

from gotest import RELEASES, go_binary, run_gdb


@pytest.mark.parametrize("release", RELEASES)
def test_go_delete_trajectory(release):
    prog = go_binary(release, "gdbwatch")
    # (breakHere's breakpoint goes first: a goroutine preempted on it may hit it again.)
    out = run_gdb([prog], ["delete", "mapviz trajectory main.counter 42", "maint info breakpoints",
                           "show scheduler-locking", "mapviz slot main.counter 42"], stop="main.breakHere")[1:]
    # After the delete, the key's hash still names its bucket and tophash byte.
    head = re.match(r"key 42: hash 0x[0-9a-f]+, tophash (0x[0-9a-f]{2}), bucket (\d+) of", out[3])
    assert head and "absent" in out[3], out[3]
    top, bucket = head.groups()
    lines = [l for l in out[0].splitlines() if re.match(r"#\d+ ", l) and not l.startswith("#0 ")]
    # When the key's cell ends its chain's live cells (the map's seed decides), the delete
    # then walks back marking emptyRest: those writes come between the tophash's and count's.
    rest = [l for l in lines[3:-2] if re.search(r"  tophash 0x01 emptyOne -> 0x00 emptyRest  ", l)]
    assert all(re.match(rf"#\d+ delete  bucket {bucket} overflow \d+ slot \d  ", l) for l in rest), rest
    lines = lines[:3] + lines[3 + len(rest):]
    want = [("map", "flags none -> hashWriting"), ("", "elem 307 -> 0"),
            ("", f"tophash {top} -> 0x01 emptyOne"), ("map", "count 2001 -> 2000"),
            ("map", "flags hashWriting -> none")]
    assert len(lines) == len(want), out[0]
    assert lines[1].split("  ")[1] == lines[2].split("  ")[1], lines   # the key's own cell
    for line, (place, change) in zip(lines, want):
        assert f"  {change}  " in line and line.split("  ")[0].endswith(" delete"), line
        if place:
            assert line.split("  ")[1] == place, line
        else:
            assert re.fullmatch(rf"bucket {bucket} overflow \d+ slot \d", line.split("  ")[1]), line
        assert re.search(rf"/usr/lib/go-{release}/src/runtime/(map_fast64|memclr_amd64)\.\w+:\d+$", line), line
    assert "runtime.mapdelete_fast64 of key 42" in out[0] and "the delete returned" in out[0], out[0]
    assert re.search(r"^#0 +main\.main \(\) at .*gdbwatch\.go:\d+", out[0], re.M), out[0]
    assert "mapdelete" not in out[1] and '"replay"' in out[2], out[1:]


# deletes.go: one delete through each of the runtime's delete entry points (the key in a
# register, a string in two, a struct by pointer), in this order.
DELETES = [("small", "7", "runtime.mapdelete_fast32"), ("wide", "7", "runtime.mapdelete_fast64"),
           ("names", '"key-7"', "runtime.mapdelete_faststr"), ("points", "{7, -7}", "runtime.mapdelete")]


@pytest.mark.parametrize("release", RELEASES)
def test_each_delete_entry_point_and_its_key_argument(release):
    prog = go_binary(release, "deletes")
    commands = ["delete"]
    for name, key, _ in DELETES:
        commands += [f"mapviz trajectory main.{name} {key}", f"mapviz slot main.{name} {key}"]
    out = run_gdb([prog], commands + ["maint info breakpoints", "show scheduler-locking"],
                  stop="main.breakHere")[1:]
    for i, (name, key, entry) in enumerate(DELETES):
        text, slot = out[2 * i], out[2 * i + 1]
        assert f"trajectory: {entry} of key " in text and "the delete returned" in text, text
        head = re.match(r"key .*: hash 0x[0-9a-f]+, tophash (0x[0-9a-f]{2}), bucket (\d+) of", slot)
        assert head and "absent" in slot, slot
        top, bucket = head.groups()
        rows = [l.split("  ") for l in text.splitlines() if re.match(r"#\d+ ", l) and not l.startswith("#0 ")]
        assert [r[0].split(" ", 1)[1] for r in rows] == ["delete"] * len(rows), rows
        assert (rows[0][1], rows[0][2]) == ("map", "flags none -> hashWriting"), rows[0]
        assert (rows[-2][1], rows[-2][2]) == ("map", "count 20 -> 19"), rows[-2]
        assert (rows[-1][1], rows[-1][2]) == ("map", "flags hashWriting -> none"), rows[-1]
        cell = [r for r in rows[1:-2] if r[2] != "tophash 0x01 emptyOne -> 0x00 emptyRest"]   # see above
        assert cell[-1][2] == f"tophash {top} -> 0x01 emptyOne", cell
        assert re.fullmatch(rf"bucket {bucket} overflow \d+ slot \d", cell[-1][1]), cell[-1]
        # Before it, the key's cells are cleared (a string key's pointer too), all in its slot.
        assert cell[:-1] and all(r[1] == cell[-1][1] for r in cell[:-1]), cell
        assert all(re.fullmatch(r"(key|elem) \S+ -> (0|0x0)", r[2]) for r in cell[:-1]), cell
        assert ("key" in {r[2].split()[0] for r in cell[:-1]}) == (name == "names"), cell
    assert "mapdelete" not in out[-2] and '"replay"' in out[-1], out[-2:]
