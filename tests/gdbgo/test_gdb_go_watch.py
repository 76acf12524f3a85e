"""mapviz watch on a running Go program: key 42 followed through every doubling of the map,
its writes seen on every thread the runtime writes from, until its delete."""
import re

import pytest

from gotest import RELEASES, go_binary, run_gdb


@pytest.mark.parametrize("release", RELEASES)
def test_watch_follows_a_key_across_growth_on_every_thread(release):
    binary = go_binary(release, "gdbwatch")
    # breakHere's breakpoint goes first: a goroutine preempted (SIGURG) on it would hit it again.
    out = run_gdb([binary], ["mapviz watch main.counter 42", "delete 1", "break main.doneHere", "continue",
                             "mapviz unwatch"])
    out = out[:1] + out[2:]
    # (GDB may print the stop at breakHere late, when the main goroutine ran on another thread)
    assert re.search(r"^watch 1: key 42: bucket 0 overflow 0 slot 0 \(tophash 0x", out[0], re.M), out[0]
    lines = [l for l in out[2].splitlines() if not l.startswith("[")]   # GDB's thread notes
    growths = [i for i, l in enumerate(lines) if l.startswith("watch: key 42 moved by growth: ")]
    evacuations = [i for i, l in enumerate(lines) if l.startswith("watch: key 42 moved by evacuation: ")]
    # 1 entry to 2001: the map doubles from 1 bucket to 512, key 42 evacuated each time.
    assert len(growths) == len(evacuations) == 9, out[2]
    for g, e in zip(growths, evacuations):
        assert g < e
        assert re.search(r"buckets 0x[0-9a-f]+ -> 0x[0-9a-f]+ .* in runtime\.hashGrow .*"
                         r"\(during runtime\.mapassign_fast64\)", lines[g - 1]), lines[g - 1]
        assert re.search(r"tophash 0x[0-9a-f]{2} -> 0x0[23] evacuated[XY] .* in runtime\.evacuate_fast64 ",
                         lines[e - 1]), lines[e - 1]
        # the copy into the new cell: tophash, then the key, then the elem
        assert re.search(r"tophash 0x00 emptyRest -> 0x[0-9a-f]{2} .* in runtime\.evacuate_fast64 ", lines[e + 1])
        assert re.search(r"key 0 -> 42 .* in runtime\.evacuate_fast64 ", lines[e + 2]), lines[e + 2]
    # Each worker's write of key 42, from four threads (the program says which).
    tids = {}
    for step in range(4):
        value = 100 * step + 7
        assert any(re.search(rf"elem \d+ -> {value} .* in main\.main\.func1 .*gdbwatch\.go:\d+$", l)
                   for l in lines), (value, out[2])
        m = re.search(rf"^step {step} tid (\d+)$", out[2], re.M)
        tids[step] = m.group(1)
    assert len(set(tids.values())) == 4, tids
    # main's delete: the elem cleared, the tophash byte emptyOne, and emptyRest when the cells
    # after it are empty (where the key's slot is depends on the run's hash seed).
    writes = [l for l in lines if l.startswith("watch #")]
    i = next(i for i, l in enumerate(writes) if re.search(r"elem 307 -> 0 .*\(during runtime\.mapdelete_fast64\)$", l))
    assert re.search(r"tophash 0x[0-9a-f]{2} -> 0x01 emptyOne .* in runtime\.mapdelete_fast64 ", writes[i + 1])
    assert len(writes) == i + 2 or re.search(r"tophash 0x01 emptyOne -> 0x00 emptyRest .* in runtime\.mapdelete_fast64 ",
                                             writes[i + 2]), writes[i:]
    assert out[3] == "watch 1 removed (4 watchpoints)"
