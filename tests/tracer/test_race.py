"""--reads: the race witness on hmap maps. fixtures/race.c runs a reader beside a
deleter of key 42, the reader going through the map's API (get) or through a pointer,
either racy or with both sides holding one mutex (locked). The writer is known from the
thread seen setting the map's hashWriting flag; a reader the map's own check stops at
entry has its race reported before the program's own death."""
import re
import signal
import subprocess

import pytest

from tracelib import FIXTURES, TRACER, run_trace, run_trace_beside

ARGS = ["-m", "racy", "-k", "42", "--reads"]
CHECK_MESSAGE = "fatal error: concurrent map read and map write"
# Rounds enough for the reader and the deleter to overlap untraced, where each takes
# nanoseconds; traced, the first overlap ends the program (the map's check).
UNTIL_THE_CHECK = "50000000"


def funcs(stack):
    return [f["func"] or "" for f in stack]


def has(stack, prefix):
    return any(f.startswith(prefix) for f in funcs(stack))


def deleter_tids(t):
    return {e["tid"] for e in t.events if e["type"] in ("read", "write") and e["op"] == "delete"}


def assert_other_is_the_deleter(t, race):
    """The writer side: the deleting thread, inside hmap_delete, named delete."""
    other = race["other"]
    assert other["tid"] != race["tid"], race
    assert deleter_tids(t) <= {other["tid"]}, race
    assert other["op"] == "delete", race
    assert has(other["stack"], "hmap_delete") and "deleter" in funcs(other["stack"]), race


@pytest.mark.parametrize("fixture", ["race", "race_shared"])
def test_a_reader_stopped_by_the_maps_check_has_its_race_reported_first(fixture):
    """The get of key 42 beside its delete: the reader is stopped at entry by hmap's own
    check (fatal, beside the program's own function of that name, in the program or in
    libhmap.so) before it touches the slot. Its race comes first, both stacks; then the
    program's message and abort, exit status as untraced; then the stream's exit event."""
    program = [FIXTURES / fixture, "get", "racy", UNTIL_THE_CHECK]
    untraced = subprocess.run([str(a) for a in program], capture_output=True, text=True,
                              timeout=60)
    assert untraced.returncode == -signal.SIGABRT and CHECK_MESSAGE in untraced.stderr
    t = run_trace_beside(ARGS, program)
    assert t.rc == 128 + signal.SIGABRT, t.text[-2000:]
    checks = [r for r in t.of("race") if r["field"] == "flags"]
    assert len(checks) == 1, t.of("race")
    race = checks[0]
    assert race["op"] == "access" and race["access"] == "read", race
    assert race["new_decoded"] == "hashWriting" and race["bucket"] is None, race
    assert race["func"].startswith("hmap_access") and race["file"] == "hmap/hmap.c", race
    assert re.search(r"\bfatal\(", open(FIXTURES.parents[2] / race["file"]).read().splitlines()[
        race["line"] - 1])  # the event's line is the check's call
    assert funcs(race["stack"])[0] == "fatal", race  # the reader, at the check
    assert has(race["stack"], "hmap_access") and "api_reader" in funcs(race["stack"]), race
    assert_other_is_the_deleter(t, race)
    for r in t.of("race"):  # races on the cells before it, if any: the same two threads
        assert r["tid"] == race["tid"] and r["other"]["tid"] == race["other"]["tid"], r
    assert t.at[t.events.index(race)] < t.own_at(CHECK_MESSAGE), t.text  # the race first
    assert t.text[t.at[-1]:].count("\n") == 1  # the exit event, last of all
    assert t.events[-1]["reason"] == "killed" and t.events[-1]["signal"] == signal.SIGABRT


def test_an_iteration_stopped_by_the_maps_check_races_with_the_deleter():
    """An iteration beside the deleter: its next step checks the flag and the map's own
    check stops it. Its race, named iterate, comes first, with the deleter's stack."""
    t = run_trace_beside(ARGS, [FIXTURES / "race", "iterate", "racy", UNTIL_THE_CHECK])
    assert t.rc == 128 + signal.SIGABRT, t.text[-2000:]
    checks = [r for r in t.of("race") if r["field"] == "flags"]
    assert len(checks) == 1, t.of("race")
    race = checks[0]
    assert race["op"] == "iterate" and race["access"] == "read", race
    assert "hashWriting" in race["new_decoded"].split("|"), race   # beside iterator bits
    assert funcs(race["stack"])[0] == "fatal" and "iterating_reader" in funcs(race["stack"]), race
    assert_other_is_the_deleter(t, race)
    message = "fatal error: concurrent map iteration and map write"
    assert t.at[t.events.index(race)] < t.own_at(message), t.text


def test_two_writers_the_one_the_check_stops_races_with_the_other():
    """A put of key 42 beside its delete: whichever enters second is stopped by the map's
    check ("concurrent map writes"); its race names its own operation, and under other the
    thread inside the other one, each with its stack."""
    t = run_trace_beside(ARGS, [FIXTURES / "race", "put", "racy", UNTIL_THE_CHECK])
    assert t.rc == 128 + signal.SIGABRT, t.text[-2000:]
    checks = [r for r in t.of("race") if r["field"] == "flags"]
    assert len(checks) == 1, t.of("race")
    race, other = checks[0], checks[0]["other"]
    sides = {"assign": "putter", "delete": "deleter"}
    assert {race["op"], other["op"]} == set(sides) and race["tid"] != other["tid"], race
    assert race["access"] == "read" and race["new_decoded"] == "hashWriting", race
    assert funcs(race["stack"])[0] == "fatal" and sides[race["op"]] in funcs(race["stack"]), race
    assert sides[other["op"]] in funcs(other["stack"]), race
    assert t.at[t.events.index(race)] < t.own_at("fatal error: concurrent map writes"), t.text


def test_a_pointer_reader_races_on_the_elem_cell(tmp_path):
    """The reader reads key 42's elem through a pointer taken once: no map function, no
    check. Each read while the deleter is inside its delete is a race, both stacks."""
    t = run_trace(tmp_path, ARGS, [FIXTURES / "race", "pointer", "racy", "2000"])
    assert t.rc == 0 and "reads 2000, deletes 2000" in t.stdout, t.stderr
    races = t.of("race")
    assert races
    for race in races:
        assert race["op"] == "foreign" and race["field"] == "elem" and race["access"] == "read"
        assert funcs(race["stack"])[:2] == ["read_cell", "pointer_reader"], race
        assert_other_is_the_deleter(t, race)
    reader = races[0]["tid"]
    assert not [e for e in t.of("write") if e["tid"] == reader]  # its reads stay reads


def test_a_pointer_reader_beside_puts_races_with_assign(tmp_path):
    """The same reader beside a writer putting key 42: the races are with assign."""
    t = run_trace(tmp_path, ARGS, [FIXTURES / "race", "pointer", "racy", "2000", "put"])
    assert t.rc == 0 and "reads 2000, puts 2000" in t.stdout, t.stderr
    races = t.of("race")
    assert races, "an unlocked reader of a slot being written was not reported"
    for race in races:
        assert race["func"] == "read_cell" and race["op"] == "foreign" and race["field"] == "elem"
        other = race["other"]
        assert other["op"] == "assign" and other["tid"] != race["tid"], race
        assert has(other["stack"], "hmap_assign") and "putter" in funcs(other["stack"]), race
    # A read that sees a put's change before the put's own trap is handled is still a read,
    # and the change is the put's, from the value before it: 7 -> 0, 0 -> 1, ...
    reader, putter = races[0]["tid"], races[0]["other"]["tid"]
    assert not [e for e in t.of("write") if e["tid"] == reader]
    elems = [(e["old_decoded"], e["new_decoded"]) for e in t.of("write")
             if e["field"] == "elem" and e["tid"] == putter]
    assert elems == [("7", "0")] + [(str(i - 1), str(i)) for i in range(1, 2000)]


def test_max_events_ends_a_racy_run_cleanly(tmp_path):
    """-n on a racy program: the tracer leaves at the Nth event, the program runs to its
    end untouched and its status is the tracer's."""
    t = run_trace(tmp_path, ARGS + ["-n", "40"], [FIXTURES / "race", "pointer", "racy", "2000"])
    assert t.rc == 0 and "reads 2000, deletes 2000" in t.stdout, t.stderr
    assert len([e for e in t.events if e["type"] in ("read", "write", "race")]) == 40
    assert t.events[-1]["reason"] == "detached" and t.events[-1]["status"] == 0


@pytest.mark.parametrize("reader,writer", [("get", "delete"), ("iterate", "delete"), ("put", "delete"),
                                           ("pointer", "delete"), ("pointer", "put")])
def test_the_locked_twin_has_no_race(tmp_path, reader, writer):
    """The same reader and writer, each holding the mutex: both threads' accesses of the
    slot are seen, the writer's inside its writes, and none is a race."""
    t = run_trace(tmp_path, ARGS, [FIXTURES / "race", reader, "locked", "1500", writer])
    assert t.rc == 0 and f"reads 1500, {writer}s 1500" in t.stdout, t.stderr
    assert t.of("race") == []
    main = t.events[0]["pid"]
    reader_op = {"get": "access", "iterate": "iterate", "put": "assign", "pointer": "foreign"}[reader]
    reads = [e for e in t.events if e["type"] in ("read", "write") and e["tid"] != main
             and e["op"] == reader_op]
    op = {"delete": "delete", "put": "assign"}[writer]
    writes = [e for e in t.events if e.get("op") == op and e["tid"] != main]
    assert len(reads) >= 1500 and len(writes) >= 1500
    assert {e["tid"] for e in reads}.isdisjoint({e["tid"] for e in writes})


def test_the_race_text_shows_both_stacks(tmp_path):
    """Text: the race line says who and what (the reader's access, the writer's op), then
    the reader's stack under its tid and op, then the writer's under its tid and op."""
    program = [str(a) for a in (FIXTURES / "race", "get", "racy", UNTIL_THE_CHECK)]
    p = subprocess.run([str(TRACER)] + ARGS + ["--"] + program, capture_output=True, text=True,
                       timeout=120)
    lines = p.stderr.splitlines()
    i = next(i for i, line in enumerate(lines) if " RACE " in line and " flags read " in line)
    m = re.match(r"^#\d+ tid (\d+) RACE    access map  flags read hashWriting   hmap_access\S*  "
                 r"hmap/hmap\.c:\d+  \(tid (\d+) is inside delete\)$", lines[i])
    assert m, lines[i]
    reader, writer = m.groups()
    assert re.match(r"^      0x[0-9a-f]+: call", lines[i + 1]), lines[i + 1]
    assert lines[i + 2] == f"      tid {reader} access:", lines[i:i + 4]
    assert re.match(r"^      #0 0x[0-9a-f]+ fatal\+0 ", lines[i + 3]), lines[i + 3]
    w = lines.index(f"      tid {writer} inside delete:", i)
    assert any("hmap_access" in line for line in lines[i + 3:w])
    frames = []
    for line in lines[w + 1:]:
        if not line.startswith("      #"):
            break
        frames.append(line)
    assert any(" hmap_delete+" in f for f in frames) and any(" deleter+" in f for f in frames)
    assert lines.index(next(x for x in lines if x.startswith(CHECK_MESSAGE))) > w
    assert re.match(r"^#\d+ tid \d+ exit    killed by signal 6$", lines[-1]), lines[-1]
    assert p.returncode == 134


def test_make_demo_ends_with_the_race_witness():
    """make demo's last part: examples/race_demo's reader and deleter, the race hmap's check
    ends the program with, both stacks, then the program's death; and nothing else."""
    p = subprocess.run(["sh", str(FIXTURES.parents[2] / "scripts" / "demo")], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    part = p.stdout[p.stdout.rindex("\n== 5. "):].splitlines()[1:]
    assert part[0].startswith("== 5. the race witness:"), part[:2]
    assert len(part) < 40, part  # short
    races = [i for i, line in enumerate(part) if " RACE " in line]
    last = races[-1]
    assert re.search(r" RACE    access map  flags read hashWriting .*\(tid \d+ is inside delete\)$",
                     part[last]), part[last]
    stack = "\n".join(part[last:])
    assert re.search(r" access:\n      #0 \S+ fatal\+0 ", stack) and " reader+" in stack
    assert re.search(r" inside delete:\n(      #.*\n)*.* hmap_delete\+", stack), stack
    assert part[-2].startswith(CHECK_MESSAGE), part[-3:]
    assert re.match(r"^#\d+ tid \d+ exit    killed by signal 6$", part[-1]), part[-1]
