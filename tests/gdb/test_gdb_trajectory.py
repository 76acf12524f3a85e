"""mapviz trajectory: a delete's whole write trajectory in GDB, held against mapviz-trace's
--step oracle on the same program (both without address-space randomization, so pcs and
addresses agree)."""
import json
import os
import pathlib
import re
import signal
import subprocess

import pytest

from gdbtest import BUILD, MAPVIZ, ROOT, fixture_path, gdb_env, run_gdb

TRACER = BUILD / "bin" / "mapviz-trace"
SEED = 7
LINE = re.compile(r"#(\d+) (\S+)  (map|(?:old )?bucket \d+ overflow \d+(?: slot \d+)?)  (\w+) (.+?) -> (.+?)  "
                  r"(0x[0-9a-f]+) (\S+)\+(0x[0-9a-f]+)(?: \((\S+)\))?  (\S+):(\d+)$")


def gdb_writes(text):
    """(op, place, field, old, new, pc, func, offset, file, line) of each trajectory line."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") and not line.startswith("#0 "):
            m = LINE.fullmatch(line)
            assert m, line
            seq, op, place, field, old, new, pc, func, off, _inl, file, lno = m.groups()
            assert int(seq) == len(out) + 1, text
            out.append((op, place, field, old, new, int(pc, 16), func, int(off, 16), file, int(lno)))
    return out


def traced_writes(program, key, tmp_path, map_name="chain"):
    """The same tuples from mapviz-trace -e delete --step's JSON Lines, decoded as GDB shows them."""
    events_file = tmp_path / "events.jsonl"
    out = subprocess.run(["setarch", "x86_64", "-R", str(TRACER), "--format", "json", "-o", str(events_file),
                          "-m", map_name, "-k", str(key), "-e", "delete", "--step", "--"] + program,
                         capture_output=True, text=True, env=gdb_env(SEED), cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    events = [json.loads(l) for l in events_file.read_text().splitlines()]
    meta = events[0]["layout"]
    states = {v: k for k, v in meta["states"].items() if k != "minTopHash"}

    def shown(field, raw, size):
        n = int(raw, 16)
        if field == "tophash":
            return f"{n:#04x}" + (f" {states[n]}" if n in states else "")
        if field == "flags":
            return "|".join(k for k, bit in sorted(meta["flags"].items(), key=lambda kv: kv[1]) if n & bit) or "none"
        typed = field in ("key", "elem") and size == meta[f"{field}size"] and "*" not in meta[f"{field}_type"]
        if field in ("count", "B", "noverflow", "nevacuate") or typed:
            return str(n)   # a number; a string key's pointer is shown in hex
        return f"{n:#x}"

    rows = []
    for e in events:
        if e["type"] != "write":
            continue
        if e["bucket"] is None:
            place = "map"
        else:
            place = f"{'old bucket' if e['old_table'] else 'bucket'} {e['bucket']} overflow {e['overflow']}"
            place += f" slot {e['slot']}" if e["slot"] is not None else ""
        rows.append((e["op"], place, e["field"], shown(e["field"], e["old"], e["size"]),
                     shown(e["field"], e["new"], e["size"]), int(e["pc"], 16), e["func"], e["func_offset"],
                     e["file"], e["line"]))
    return rows


def trajectory_run(case, extra=()):
    prog = [str(fixture_path("trajectory")), case]
    out = run_gdb(prog, ["mapviz trajectory chain target", "maint info breakpoints",
                         "show scheduler-locking", "show suppress-cli-notifications"] + list(extra),
                  seed=SEED)
    return prog, out


def assert_nothing_left(out):
    """No breakpoint of mapviz's left (internal ones included); the settings as they were."""
    assert "in break_here" in out[1] and "hmap_delete" not in out[1], out[1]
    assert '"replay"' in out[2] and " off" in out[3], out[2:4]


@pytest.mark.parametrize("case", ["walk", "single", "grow"])
def test_trajectory_is_mapviz_trace_step_list(case, tmp_path):
    prog, out = trajectory_run(case)
    key = int(subprocess.run(prog, capture_output=True, text=True, env=gdb_env(SEED)).stdout.split()[1])
    mine = gdb_writes(out[0])
    assert mine == traced_writes(prog, key, tmp_path), out[0]
    assert "the delete returned" in out[0] and re.search(r"^#0 .* main .*trajectory\.c:\d+", out[0], re.M), out[0]
    assert_nothing_left(out)
    fields = [w[2] for w in mine]
    if case == "walk":   # the emptyRest walk back across two overflow buckets, all of it
        assert fields == ["flags", "elem", "tophash"] + ["tophash"] * 14 + ["count", "flags"], out[0]
        assert [w[1] for w in mine[3:17]] == [f"bucket 0 overflow 3 slot {s}" for s in range(5, -1, -1)] + [
            f"bucket 0 overflow 2 slot {s}" for s in range(7, -1, -1)]
        assert all(w[4] == "0x00 emptyRest" for w in mine[3:17])
    if case == "single":   # hash0 reseeded to the same value (HMAP_SEED): a write all the same
        assert ("hash0", "0x7", "0x7") in [(w[2], w[3], w[4]) for w in mine], out[0]
    if case == "grow":   # growth work inside the delete: evacuation's writes, then the delete's
        ops = [w[0] for w in mine]
        assert "evacuate" in ops and ops[-1] == "delete", out[0]
        assert any(w[1].startswith("old bucket 5") and w[4].endswith(("evacuatedX", "evacuatedY")) for w in mine)


def test_string_keys_matched_by_content(tmp_path):
    """A string map: the program deletes "bob" through another pointer to equal bytes; the key
    cell (a pointer) is cleared before the elem, as mapviz-trace --step sees it."""
    prog = [str(fixture_path("trajectory")), "strings"]
    out = run_gdb(prog, ['mapviz trajectory names "bob"', "maint info breakpoints"], seed=SEED)
    mine = gdb_writes(out[0])
    assert mine == traced_writes(prog, "bob", tmp_path, "names"), out[0]
    assert [(w[2], w[4]) for w in mine][1:4] == [("key", "0x0"), ("elem", "0"), ("tophash", "0x01 emptyOne")], mine
    assert "hmap_delete" not in out[1]


def test_only_the_keys_delete_is_followed():
    """walk deletes 13 other keys of the same chain first: their deletes pass through."""
    _, out = trajectory_run("walk", ["print chain->h.count"])
    assert "trajectory: hmap_delete of key " in out[0] and out[4].endswith("= 16"), out


def test_program_ending_before_the_delete_leaves_nothing_behind():
    _, out = trajectory_run("none")
    assert out[0].splitlines()[-1] == "trajectory: the program ended before a delete of key 5", out[0]
    assert "hmap_delete" not in out[1] and '"replay"' in out[2] and " off" in out[3], out


def test_interrupted_wait_leaves_nothing_behind_and_can_begin_again():
    """A SIGINT stops the program while the command waits for the delete (as Ctrl-C does)."""
    prog = [str(fixture_path("trajectory")), "interrupt"]
    out = run_gdb(prog, ["mapviz trajectory chain target", "maint info breakpoints", "show scheduler-locking",
                         "mapviz trajectory chain target"], seed=SEED)
    assert "SIGINT" in out[0] and out[0].endswith("trajectory: the program stopped before a delete of key 5"), out[0]
    assert "hmap_delete" not in out[1] and '"replay"' in out[2], out[1:3]
    assert re.search(r"^#3 delete  bucket 0 overflow 0 slot 0  tophash 0x[0-9a-f]{2} -> 0x01 emptyOne ", out[3], re.M), out[3]


def children_of(pid):
    """The pids whose parent is pid."""
    kids = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


# Who gets the SIGINT. A Ctrl-C reaches GDB ("gdb"): while Python runs it is a
# KeyboardInterrupt, while the program runs a stepi it stops the program with SIGINT, as
# a SIGINT sent to the program itself ("program") always does.
@pytest.mark.parametrize("target", ["gdb", "program"])
def test_ctrl_c_while_stepping_leaves_nothing_behind(target):
    """A SIGINT while GDB steps: the delete of "grow" evacuates first, some 4500 instructions
    (seconds), and the SIGINT comes at its fifth write."""
    args = ["gdb", "-nx", "-batch", "-iex", "set auto-load python-scripts off", "-ex", f"source {MAPVIZ}",
            "-ex", "break break_here", "-ex", "run", "-ex", "mapviz trajectory chain target",
            "-ex", "echo @@AFTER\\n", "-ex", "maint info breakpoints", "-ex", "show scheduler-locking",
            "-ex", "show suppress-cli-notifications", "--args", str(fixture_path("trajectory")), "grow"]
    gdb = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=gdb_env(SEED), cwd=ROOT,
                           text=True, bufsize=1)
    seen = []
    for line in gdb.stdout:
        seen.append(line)
        if line.startswith("#5 "):
            os.kill(gdb.pid if target == "gdb" else children_of(gdb.pid)[0], signal.SIGINT)
            break
    rest = gdb.stdout.read()
    assert gdb.wait(timeout=120) == 0
    before, after = rest.split("@@AFTER\n")
    assert "mapviz: interrupted" in before.splitlines() and "the delete returned" not in before, "".join(seen) + rest
    assert "Traceback" not in rest and "hmap_delete" not in after, after
    assert '"replay"' in after and "notifications is off" in after, after


def test_step_bound_says_so_and_leaves_nothing_behind():
    prog = [str(fixture_path("trajectory")), "walk"]
    out = run_gdb(prog, ["mapviz trajectory --max-steps 40 chain target", "maint info breakpoints",
                         "show scheduler-locking", "show suppress-cli-notifications"], seed=SEED)
    assert out[0].splitlines()[-1].startswith(
        "mapviz: trajectory: the delete did not return within 40 instructions"), out[0]
    assert_nothing_left(out)


@pytest.mark.parametrize("command,error", [
    ("mapviz trajectory chain", "mapviz: the following arguments are required: KEY"),
    ("mapviz trajectory answer 5", "mapviz: no symbol \"answer\" in current context"),
    ("mapviz trajectory chain {1", "mapviz: key"),
])
def test_errors_are_one_line(command, error):
    out = run_gdb([str(fixture_path("trajectory")), "single"], [command], seed=SEED)
    assert out[0].startswith(error) and len(out[0].splitlines()) == 1, out[0]


def test_needs_a_live_process():
    out = run_gdb([str(fixture_path("trajectory")), "single"], ["mapviz trajectory chain 5"], stop=None)
    assert out[0] == "mapviz: trajectory needs a live process", out[0]


def test_help_and_completion():
    out = run_gdb([str(fixture_path("trajectory")), "single"],
                  ["help mapviz", "help mapviz trajectory", "complete mapviz trajectory --max"], stop=None)
    assert "mapviz trajectory -- Show every write of the next delete of a key" in out[0], out[0]
    assert "usage: mapviz trajectory [-h] [--max-steps N] EXPR KEY" in out[1], out[1]
    assert out[2] == "mapviz trajectory --max-steps", out[2]
