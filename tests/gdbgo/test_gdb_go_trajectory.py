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
