"""mapviz-trace --reads on a Go program: the race witness on Go's own map.
tests/go/fixtures/trace_race.go has one goroutine delete key 42 of the package-level
map main.m in a loop (re-adding it now and then, the reader waiting meanwhile) and
another read m[42] in a loop, racy or each holding one mutex. Racy, Go's own check
(runtime.fatal, "concurrent map read and map write") stops the reader at the entry of
runtime.mapaccess1_fast64: its race comes first, both stacks, then Go's message and
exit status 2, then the stream's exit event."""
import subprocess

import pytest

from tracego import built_releases, fixture, run_trace
from tracelib import run_trace_beside

releases = pytest.mark.parametrize("release", built_releases())
ARGS = ["-m", "main.m", "-k", "42", "--reads"]
CHECK_MESSAGE = "fatal error: concurrent map read and map write"
# Rounds enough for the two goroutines to overlap untraced, where each round takes
# nanoseconds; traced, the first overlap ends the program (Go's check).
UNTIL_THE_CHECK = "50000000"


def funcs(stack):
    return [f["func"] or "" for f in stack]


def deleter_tids(t):
    return {e["tid"] for e in t.events if e["type"] in ("read", "write") and e["op"] == "delete"}


@releases
def test_a_reader_stopped_by_gos_check_has_its_race_reported_first(release):
    program = [fixture(release, "trace_race"), "racy", UNTIL_THE_CHECK]
    untraced = subprocess.run([str(a) for a in program], capture_output=True, text=True,
                              timeout=60)
    assert untraced.returncode == 2 and untraced.stderr.startswith(CHECK_MESSAGE + "\n")
    t = run_trace_beside(ARGS, program)
    assert t.rc == 2, t.text[-3000:]
    checks = [r for r in t.of("race") if r["field"] == "flags"]
    assert len(checks) == 1, t.of("race")
    race = checks[0]
    assert race["op"] == "access" and race["func"] == "runtime.mapaccess1_fast64", race
    assert race["new_decoded"] == "hashWriting", race
    reader = funcs(race["stack"])
    assert reader[:2] == ["runtime.fatal", "runtime.mapaccess1_fast64"], reader
    assert "main.reader" in reader, reader
    other = race["other"]
    assert other["tid"] != race["tid"] and other["op"] == "delete", race
    assert deleter_tids(t) <= {other["tid"]}, race  # the thread seen setting hashWriting
    writer = funcs(other["stack"])
    if any(f.startswith("runtime.map") for f in writer):
        # Inside its delete: the innermost map function is a mapdelete (a callee of it, such
        # as memclrNoHeapPointers clearing the elem, may be on top).
        assert next(f for f in writer if f.startswith("runtime.map")).startswith("runtime.mapdelete"), writer
        assert "main.deleter" in writer, writer
    else:
        # The deleting goroutine was on no thread (descheduled mid-delete, under load): the
        # thread seen setting the flag, named above, is in Go's scheduler.
        assert writer and all(f.startswith("runtime.") for f in writer), writer
    for r in t.of("race"):  # any race on the cells before it: the same two threads
        assert (r["tid"], r["other"]["tid"]) == (race["tid"], other["tid"]), r
    assert t.at[t.events.index(race)] < t.own_at(CHECK_MESSAGE), t.text  # the race first
    assert t.own.startswith(CHECK_MESSAGE + "\n"), t.own[:300]  # Go's message, whole
    assert t.text[t.at[-1]:].count("\n") == 1  # the exit event, last of all
    assert t.events[-1]["reason"] == "exited" and t.events[-1]["status"] == 2


@releases
def test_the_locked_twin_has_no_race(tmp_path, release):
    """Both goroutines on threads of their own, each holding the mutex: the reader's
    mapaccess1 and the deleter's mapdelete are both seen touching the slot, and no access
    is a race."""
    t = run_trace(tmp_path, ARGS, [fixture(release, "trace_race"), "locked", "1500"])
    assert t.rc == 0 and "deletes 1500" in t.stdout, t.stderr
    assert t.of("race") == []
    reads = [e for e in t.of("read") if e["op"] == "access" and e["func"].startswith(
        "runtime.mapaccess1")]
    deletes = [e for e in t.events if e.get("op") == "delete"]
    assert len(reads) >= 100 and len(deletes) >= 1500
    assert {e["tid"] for e in reads}.isdisjoint(deleter_tids(t))
