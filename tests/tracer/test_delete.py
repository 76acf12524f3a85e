"""Delete trajectories (-e delete): the hardware mode held against the --step oracle."""
import os
import re

import pytest

from tracelib import EXAMPLES, FIXTURES, check_store_line, program_target, run_trace

SEED = {"HMAP_SEED": "7"}

# What the two modes must agree on, event by event. Addresses and pcs are comparable because
# both runs are made with address-space randomization off.
KEYS = ("type", "op", "field", "bucket", "overflow", "old_table", "slot", "addr", "size", "old",
        "new", "decoded", "pc", "insn", "func", "func_offset", "file", "line")


def trajectory(t):
    return [tuple(e.get(k) for k in KEYS) for e in t.events[1:] if e["type"] != "exit"]


def hw_and_step(trace, program, key, env=SEED):
    hw = trace(["-m", "chain", "-k", key, "-e", "delete"], program, env=env, norandom=True)
    step = trace(["-m", "chain", "-k", key, "-e", "delete", "--step"], program, env=env,
                 norandom=True)
    assert hw.rc == 0 and step.rc == 0, (hw.stderr, step.stderr)
    return hw, step


def test_delete_demo_trajectory_text(trace):
    """The demo: key 42 holds 42*42; 6 multiples of 7 are deleted before it, so count 94 -> 93."""
    t = trace(["-m", "counts", "-k", "42", "-e", "delete"], [EXAMPLES / "delete_demo"],
              env={"HMAP_SEED": "1"}, fmt="text")
    assert t.rc == 0, t.stderr
    lines = [l for l in t.text.splitlines() if l.startswith("#")]
    expect = [
        r"#1 tid \d+ delete +map  flags 0 -> hashWriting +hmap_delete\+0x[0-9a-f]+  hmap/hmap\.c:\d+$",
        r"#2 tid \d+ delete +bucket \d+ slot \d  elem 1764 -> 0 ",
        r"#3 tid \d+ delete +bucket \d+ slot \d  tophash 0x[0-9a-f]+ -> emptyOne +hmap_delete\+0x[0-9a-f]+  hmap/hmap\.c:\d+$",
        r"#4 tid \d+ delete +map  count 94 -> 93 +hmap_delete\+",
        r"#5 tid \d+ delete +map  flags hashWriting -> 0 +hmap_delete\+",
        r"#6 tid \d+ exit +status 0$",
    ]
    assert len(lines) == len(expect), t.text
    for line, pat in zip(lines, expect):
        assert re.search(pat, line), (pat, line)
    # The text names the same source lines as JSON would: each holds the store it reports.
    for line in lines[:-1]:
        op, field, func, file, lineno = re.fullmatch(
            r"#\d+ tid \d+ (\w+) +(?:map|bucket \d+ slot \d)  (\w+) .*   (\w+)\+0x[0-9a-f]+  (\S+):(\d+)", line).groups()
        check_store_line({"type": "write", "op": op, "field": field, "func": func, "file": file, "line": int(lineno)})
    # Each write names its instruction, disassembled.
    assert re.search(r"^ +0x[0-9a-f]+: movb \$1, \(", t.text, re.M), t.text
    assert "deleted 15 keys: len 85" in t.stdout


def test_emptyrest_walk_across_overflow_buckets_matches_step(trace):
    prog = [FIXTURES / "chain", "walk"]
    key = program_target(prog, {**os.environ, **SEED})
    hw, step = hw_and_step(trace, prog, key)
    assert trajectory(hw) == trajectory(step)
    writes = hw.of("write")
    rest = [(e["overflow"], e["slot"]) for e in writes if e["decoded"] == "emptyRest"]
    # Cell 5 of the fourth bucket back to the first cell of the third: 14 cells, two buckets.
    assert rest == [(3, s) for s in range(5, -1, -1)] + [(2, s) for s in range(7, -1, -1)]
    assert [e["field"] for e in writes] == ["flags", "elem", "tophash"] + ["tophash"] * 14 + [
        "count", "flags"]
    assert writes[2]["decoded"] == "emptyOne" and writes[2]["overflow"] == 3
    assert all(e["op"] == "delete" for e in writes)
    assert all(e["bucket"] == 0 for e in writes if e["field"] in ("tophash", "elem"))


def test_last_entry_reseeds_hash0_same_value_write_reported(trace):
    """count reaches 0, so hash0 is written; HMAP_SEED makes it the same value, still reported."""
    prog = [FIXTURES / "chain", "single"]
    hw, step = hw_and_step(trace, prog, "5")
    assert trajectory(hw) == trajectory(step)
    fields = [(e["field"], e["old"], e["new"]) for e in hw.of("write")]
    assert fields == [("flags", "0", "0x4"), ("elem", "0x37", "0"), ("tophash", fields[2][1], "0x1"),
                      ("tophash", "0x1", "0"), ("count", "0x1", "0"), ("hash0", "0x7", "0x7"),
                      ("flags", "0x4", "0")]


def test_delete_during_growth_follows_evacuation(trace):
    """The delete evacuates the key's old bucket first; the trajectory moves with the key."""
    prog = [FIXTURES / "chain", "grow"]
    key = program_target(prog, {**os.environ, **SEED})
    hw, step = hw_and_step(trace, prog, key)
    moves = hw.of("move")
    assert len(moves) == 1 and moves[0]["reason"] == "evacuate"
    assert moves[0]["from"]["old_table"] and not moves[0]["to"]["old_table"]
    new = moves[0]["to"]

    # The oracle sees the whole chain; the hardware sees its four regions. They must agree on
    # the header fields they share and on every write to the key's cells, old and new.
    def key_cells(t):
        out = []
        for e in t.of("write"):
            at_new = (e["bucket"], e["overflow"], e["slot"], e["old_table"]) == (
                new["bucket"], new["overflow"], new["slot"], False)
            if e["field"] in ("count", "flags", "hash0") or at_new or (
                    e["field"] == "tophash" and e["old_table"] and e["decoded"] in
                    ("evacuatedX", "evacuatedY") and e["slot"] == moves[0]["from"]["slot"] and
                    e["overflow"] == moves[0]["from"]["overflow"]):
                out.append(tuple(e.get(k) for k in KEYS))
        return out

    assert key_cells(hw) == key_cells(step)
    ops = [(e["op"], e["field"], e["decoded"]) for e in hw.of("write")]
    assert ("evacuate", "key", key) in ops
    assert ("delete", "tophash", "emptyOne") in ops
    # Evacuation copies the key and elem, then the delete clears the elem.
    elems = [e for e in hw.of("write") if e["field"] == "elem"]
    assert [e["op"] for e in elems] == ["evacuate", "delete"]
    assert elems[0]["decoded"] == str(int(key) * 10) and elems[1]["decoded"] == "0"


def test_shared_library_delete_matches_step(trace):
    """Symbols, lines and DWARF of the map code found in libhmap.so."""
    prog = [FIXTURES / "chain_shared", "walk"]
    key = program_target(prog, {**os.environ, **SEED})
    hw, step = hw_and_step(trace, prog, key)
    assert trajectory(hw) == trajectory(step)
    writes = hw.of("write")
    assert len(writes) == 19
    assert writes[2]["func"] == "hmap_delete" and writes[2]["file"] == "hmap/hmap.c"


def test_meta_layout_is_the_programs(trace):
    out = os.popen(f"{FIXTURES / 'chain'} layout").read()
    truth = dict(zip(out.split()[::2], map(int, out.split()[1::2])))
    t = trace(["-m", "chain", "-k", "5", "-e", "delete"], [FIXTURES / "chain", "single"], env=SEED)
    meta = t.events[0]
    for k, v in truth.items():
        assert meta["layout"][k] == v, k
    assert meta["layout"]["states"]["emptyOne"] == 1 and meta["map"] == "chain"
    assert meta["key"] == "5" and meta["mode"] == "delete"


@pytest.mark.parametrize("case,rc", [("exit 3", 3), ("kill", 143), ("signal", 0)])
def test_exit_status_and_signals_pass_through(trace, case, rc):
    t = trace(["-m", "chain", "-k", "42", "-e", "delete"], [FIXTURES / "chain"] + case.split())
    assert t.rc == rc, t.stderr
    assert "deletes of 42: 1" in t.stdout
    if case == "signal":
        assert "got SIGUSR1: 1" in t.stdout  # delivered to the program's handler
    end = t.of("exit")[0]
    assert (end["status"], end["signal"]) == ((None, 15) if case == "kill" else (rc, None))
    assert [e["decoded"] for e in t.of("write") if e["field"] == "tophash"] == ["emptyOne", "emptyRest"]


def test_max_events_detaches_and_the_program_finishes(trace):
    t = trace(["-m", "chain", "-k", "42", "-e", "delete", "-n", "3"], [FIXTURES / "chain", "loop", "20"])
    assert t.rc == 0, t.stderr
    assert [e["type"] for e in t.events] == ["meta", "write", "write", "write", "exit"]
    assert (t.events[-1]["reason"], t.events[-1]["status"]) == ("detached", 0)  # it then ended
    assert "deletes of 42: 20" in t.stdout


def test_stack_with_each_event(trace):
    t = trace(["-m", "counts", "-k", "42", "-e", "delete", "-s"], [EXAMPLES / "delete_demo"],
              env={"HMAP_SEED": "1"})
    assert t.rc == 0, t.stderr
    for e in t.of("write"):
        funcs = [f["func"] for f in e["stack"]]
        # The first frames are the writing instruction itself: the functions inlined there,
        # then the function holding it; the delete and main are callers.
        top = next(i for i, f in enumerate(e["stack"]) if not f["inlined"])
        assert all(f["pc"] == e["pc"] for f in e["stack"][:top + 1])
        assert funcs[top] == e["func"] and e["stack"][0]["line"] == e["line"], e["stack"]
        assert "hmap_delete" in funcs and "main" in funcs, funcs
        assert funcs.index("hmap_delete") < funcs.index("main")
    # Whatever helper clears the elem (inline code or the C library's memset), the delete
    # is the operation, found on the stack when the writer is not hmap_delete itself.
    elem = [e for e in t.of("write") if e["field"] == "elem"][0]
    funcs = [f["func"] for f in elem["stack"]]
    assert elem["op"] == "delete" and "hmap_delete" in funcs[:2], funcs


def test_forked_child_runs_free_of_breakpoints(trace):
    """A child forked while hmap_delete holds a breakpoint byte gets its own copy of the
    code: the byte is restored in the child, which deletes and exits normally."""
    t = trace(["-m", "chain", "-k", "42", "-e", "delete"], [FIXTURES / "chain", "fork"])
    assert t.rc == 0, t.stderr
    assert "child: exit 7" in t.stdout and "parent deleted 1" in t.stdout
    # Only the parent's delete is traced (the child is not).
    assert {e["tid"] for e in t.of("write")} == {t.events[0]["pid"]}
    assert [e["decoded"] for e in t.of("write") if e["field"] == "tophash"][0] == "emptyOne"


def test_string_keys(trace):
    """HMAP_DEFINE_STR: the key is matched by content (the program deletes through another
    pointer to "bob"), and delete clears the key cell, a pointer, before the elem."""
    prog = [FIXTURES / "strings"]
    hw = trace(["-m", "names", "-k", "bob", "-e", "delete"], prog, env=SEED, norandom=True)
    step = trace(["-m", "names", "-k", "bob", "-e", "delete", "--step"], prog, env=SEED,
                 norandom=True)
    assert hw.rc == 0 and step.rc == 0, (hw.stderr, step.stderr)
    assert trajectory(hw) == trajectory(step)
    assert [(e["field"], e["new"]) for e in hw.of("write")][1:4] == [
        ("key", "0"), ("elem", "0"), ("tophash", "0x1")]
    assert hw.events[0]["layout"]["key_type"] == "const char *"
    slot = trace(["-m", "names", "-k", "bob"], prog)
    ops = [(e["op"], e["field"]) for e in slot.of("write")]
    assert ops[-3:] == [("delete", "key"), ("delete", "elem"), ("delete", "tophash")]
    assert "deleted bob: 1, len 4" in slot.stdout


def test_deletes_from_several_threads(trace):
    """Three threads delete key 42 (and 43, which is not followed) in turn: each delete of 42
    is one trajectory, on the thread that made it; the others pass the breakpoints."""
    t = trace(["-m", "chain", "-k", "42", "-e", "delete"], [FIXTURES / "chain", "threads", "200"])
    assert t.rc == 0, t.stderr
    assert "deletes of 42: 600" in t.stdout
    empties = [e for e in t.of("write") if e["decoded"] == "emptyOne"]
    assert len(empties) == 600
    assert len({e["tid"] for e in empties}) == 3
    # Every trajectory is whole: hashWriting set, elem cleared, emptyOne, count--, cleared.
    fields = [e["field"] for e in t.of("write")]
    assert fields.count("count") == fields.count("elem") == 600
    assert fields.count("flags") == 1200  # hashWriting set and cleared, each delete


def test_step_asleep_in_a_system_call_ends_while_another_thread_is_stopped(tmp_path):
    """--step single-steps a delete into the map's free-like function, which sleeps in read(2)
    until another thread writes the pipe; that thread first stops at a delete of its own (a
    breakpoint kept for the loop while the step runs). The step must end (the sleeping thread
    interrupted, its read restarted), not wait for ever, and the program get no SIGTRAP."""
    t = run_trace(tmp_path, ["-e", "delete", "--step", "-m", "m", "-k", "42"],
                  [FIXTURES / "step_sleeps"], timeout=60)
    assert t.rc == 0, t.stderr
    assert t.stdout == "deleted 1 1\n"
    end = t.events[-1]
    assert (end["type"], end["reason"], end["status"]) == ("exit", "exited", 0), end
    assert any(e["type"] == "write" and e["op"] == "delete" for e in t.events), t.events
