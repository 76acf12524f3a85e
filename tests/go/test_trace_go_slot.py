"""mapviz-trace's slot mode on a Go map: key 42 followed through Go's growth (hashGrow writes
h.buckets, evacuate marks the old cells and copies the key into the new array), held against
the program's own record of where 42 lives (tests/go/fixtures/trace_grow.go)."""
import re

import pytest

from tracego import built_releases, fixture, run_trace

releases = pytest.mark.parametrize("release", built_releases())


def place(p):
    return (p["bucket"], p["overflow"], p["slot"], p["old_table"])


@releases
def test_key_followed_through_doublings(tmp_path, release):
    t = run_trace(tmp_path, ["-m", "main.m", "-k", "42"], [fixture(release, "trace_grow")])
    assert t.rc == 0, t.stderr
    at = {m.group(1): tuple(map(int, m.groups()[1:])) for m in re.finditer(
        r"^at (\w+) B=(\d+) bucket=(\d+) overflow=(\d+) slot=(\d+) tophash=(\d+)$", t.stdout, re.M)}
    doublings = [int(b) for b in re.findall(r"^grew B=(\d+)$", t.stdout, re.M)]
    assert len(doublings) >= 6, t.stdout
    moves = t.of("move")
    assert moves[0]["reason"] == "allocated"
    growth = [m for m in moves if m["reason"] == "growth"]
    evacuations = [m for m in moves if m["reason"] == "evacuate"]
    # Each doubling moves the buckets away (42 is then in the old array), and evacuation
    # brings 42 into the new one.
    assert len(growth) == len(doublings) == len(evacuations), [m["reason"] for m in moves]
    assert all(m["to"]["old_table"] for m in growth)
    assert all(m["from"]["old_table"] and not m["to"]["old_table"] for m in evacuations)
    # Where the trace last put 42 is where the program finds it at the end.
    _, bucket, overflow, slot, tophash = at["end"]
    assert place(moves[-1]["to"]) == (bucket, overflow, slot, False)
    writes = t.of("write")
    marks = [e for e in writes if e["op"] == "evacuate" and e["field"] == "tophash" and e["old_table"]]
    assert marks and all(e["decoded"] in ("evacuatedX", "evacuatedY") for e in marks)
    assert {e["func"] for e in marks} == {"runtime.evacuate_fast64"}
    arrivals = [e for e in writes if e["op"] == "evacuate" and e["field"] == "key"]
    assert arrivals and all(e["decoded"] == "42" for e in arrivals)
    last = [e for e in writes if e["field"] == "tophash" and not e["old_table"]][-1]
    assert int(last["new"], 16) == tophash
    buckets = [e for e in writes if e["field"] == "buckets"]
    assert {e["func"] for e in buckets[1:]} == {"runtime.hashGrow"}
