"""mapviz replay on recordings of Go programs (every installed release): mapviz-trace
--format json on the Go fixtures, shown in GDB with the Go binary loaded and no process.
Each event is shown as the tracer decoded it (Go's values and state names), with the
runtime's function names whole and the source line of its instruction found again in the
loaded binary, which must be the tracer's own file:line."""
import json
import pathlib
import re
import subprocess

import pytest

from gotest import RELEASES, ROOT, go_binary, run_gdb

TRACER = ROOT / "build" / "bin" / "mapviz-trace"


def record(tmp_path, release, fixture, args, program_args=()):
    """(recording path, its events) of mapviz-trace ARGS on the fixture of the release."""
    path = tmp_path / f"{fixture}-{len(list(tmp_path.iterdir()))}.jsonl"
    done = subprocess.run([str(TRACER), "--format", "json", "-o", str(path)] + list(args)
                          + ["--", str(go_binary(release, fixture))] + list(program_args),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert events[0]["type"] == "meta" and events[-1]["type"] == "exit", events
    return path, events


def replay(release, fixture, commands):
    """GDB with the fixture's binary loaded, no process started."""
    return run_gdb([go_binary(release, fixture)], commands, stop=None)


def place(e):
    if e.get("bucket") is None:
        return "map"
    old = "old bucket" if e.get("old_table") else "bucket"
    return f"{old} {e['bucket']} overflow {e['overflow']}" + (f" slot {e['slot']}" if e.get("slot") is not None else "")


def shown(e, which):
    decoded = e.get(f"{which}_decoded")
    return decoded if decoded not in (None, "") else e[which]


def write_row(e):
    """The row of a write or read as replay must show it: the recording's own values
    (decoded where the tracer decoded them), function and file:line."""
    label = e["op"] if e["type"] == "write" else f"{e['type']} {e['op']}"
    return (f"#{e['seq']} tid {e['tid']} {label}  {place(e)}  {e['field']} {shown(e, 'old')} -> "
            f"{shown(e, 'new')}  {e['func']}+{e['func_offset']:#x}  {e['file']}:{e['line']}")


def source_text(file, line):
    return pathlib.Path(file).read_text().splitlines()[line - 1].strip()


def rows(text):
    return [line for line in text.splitlines() if line.startswith("#")]


def check_every_event(text, events):
    """Every event is shown once, in order; each write or read with its decoded values and,
    on the next line, the text of the tracer's own file:line, which the loaded binary's
    line for func+offset agrees with (no note that it has it elsewhere)."""
    lines = text.splitlines()
    assert "the loaded program has it at" not in text, text
    assert [r.split()[0] for r in rows(text)] == [f"#{e['seq']}" for e in events[1:]], text
    for e in events[1:]:
        i = next(n for n, line in enumerate(lines) if line.startswith(f"#{e['seq']} "))
        if e["type"] in ("write", "read"):
            assert lines[i] == write_row(e), (lines[i], write_row(e))
            assert lines[i + 1] == "      " + source_text(e["file"], e["line"]), (lines[i:i + 2], e)
    assert lines[-1].endswith(" exit  status 0"), lines[-1]


# trace_delete.go's deletes, each through its own runtime entry point (the key in a register,
# a string key in two, a struct key by pointer).
DELETES = [("main.m", "42", "runtime.mapdelete_fast64", "count 1 -> 0"),
           ("main.s", "alice", "runtime.mapdelete_faststr", "count 101 -> 100"),
           ("main.p", "{1,-1}", "runtime.mapdelete", "count 100 -> 99")]


@pytest.mark.parametrize("release", RELEASES)
def test_delete_recordings_shown_event_by_event_with_the_binarys_lines(release, tmp_path):
    recordings = [record(tmp_path, release, "trace_delete", ["-m", m, "-k", k, "-e", "delete"])
                  for m, k, _, _ in DELETES]
    out = replay(release, "trace_delete", [f"mapviz replay {p}" for p, _ in recordings] + ["info proc"])
    assert out[-1] == "No current process: you must name one.", out[-1]
    binary = go_binary(release, "trace_delete")
    for text, (path, events), (m, k, entry, count) in zip(out, recordings, DELETES):
        assert text.splitlines()[0] == (f"replay {path}: delete trajectory of key {k} of map {m} in {binary} "
                                        f"(pid {events[0]['pid']}), {len(events) - 1} events"), text
        check_every_event(text, events)
        writes = [e for e in events if e["type"] == "write"]
        # Go's names whole, Go's sources, Go's states.
        assert {e["func"] for e in writes if e["field"] in ("tophash", "count", "flags")} == {entry}, writes
        assert all(e["file"].startswith(f"/usr/lib/go-{release}/src/runtime/") for e in writes), writes
        assert re.search(rf"^#\d+ tid \d+ delete  map  flags 0 -> hashWriting  {re.escape(entry)}\+0x", text, re.M)
        assert re.search(r"  tophash 0x[0-9a-f]+ -> emptyOne  ", text) and f"  {count}  {entry}+0x" in text, text
    m_text = out[0]
    # m's 42 is its last key: its elem cleared, then emptyRest back over slots 2, 1 and 0.
    assert "  bucket 0 overflow 0 slot 2  elem 420 -> 0  runtime.memclrNoHeapPointers+0x" in m_text, m_text
    assert [r.split("  ")[1] for r in rows(m_text) if "-> emptyRest" in r] == [
        f"bucket 0 overflow 0 slot {s}" for s in (2, 1, 0)], m_text
    assert "      h.flags ^= hashWriting" in m_text.splitlines() and "      h.count--" in m_text.splitlines()


@pytest.mark.parametrize("release", RELEASES)
def test_slot_recording_through_growth_and_its_filters(release, tmp_path):
    path, events = record(tmp_path, release, "trace_grow", ["-m", "main.m", "-k", "42"], ["300"])
    first_evacuation = next(e for e in events if e.get("op") == "evacuate")
    tid = first_evacuation["tid"]
    absent_tid = max(e["tid"] for e in events[1:]) + 1
    filters = {"--op evacuate": lambda e: e.get("op") == "evacuate",
               "--field key": lambda e: e.get("field") == "key",
               f"--tid {tid}": lambda e: e["tid"] == tid,
               f"--tid {absent_tid}": lambda e: False,
               "--op evacuate --field tophash": lambda e: e.get("op") == "evacuate" and e.get("field") == "tophash"}
    out = replay(release, "trace_grow", [f"mapviz replay {path}"] + [f"mapviz replay {f} {path}" for f in filters])
    check_every_event(out[0], events)
    total = len(events) - 1
    for text, (words, keep) in zip(out[1:], filters.items()):
        kept = [e for e in events[1:] if keep(e)]
        assert [r.split()[0] for r in rows(text)] == [f"#{e['seq']}" for e in kept], (words, text)
        summary = f"{len(kept)} of {total} events shown" if len(kept) != total else rows(text)[-1]
        assert text.splitlines()[-1] == summary, (words, text)
        for e in kept:
            if e["type"] == "write":
                assert write_row(e) in text.splitlines(), (words, e)
    # The key copied into the new array at each evacuation, decoded; the old cell marked.
    keys = rows(out[2])
    assert len(keys) >= 6 and all(re.search(r"  key 0 -> 42  runtime\.(mapassign|evacuate)_fast64\+0x", r)
                                  for r in keys), out[2]
    marks = [r for r in rows(out[5]) if "  old bucket " in r]
    assert marks and all(re.search(r"  tophash 0x[0-9a-f]+ -> evacuated[XY]  runtime\.evacuate_fast64\+0x", r)
                         for r in marks), out[5]
    growth = [r for r in rows(out[0]) if " move  growth: " in r]
    assert growth and all(re.search(r" move  growth: bucket \d+ overflow \d+ slot \d -> old bucket \d+ "
                                    r"overflow \d+ slot \d$", r) for r in growth), out[0]


@pytest.mark.parametrize("release", RELEASES)
def test_struct_key_in_gos_notation(release, tmp_path):
    """main.points of gdbmaps.go: map[main.point]uint32, point{X, Y int32}."""
    path, events = record(tmp_path, release, "gdbmaps", ["-m", "main.points", "-k", "{3,-3}"],
                          [tmp_path / "truth"])
    out = replay(release, "gdbmaps", [f"mapviz replay {path} --field key"])[0]
    keys = rows(out)
    # Each key write as recorded, in Go's notation (before the key arrives, another key may be
    # written into the cell it will take: the tracer reports that too); among them, the key's
    # own arrival.
    recorded = [e for e in events if e["type"] == "write" and e.get("field") == "key"]
    assert len(keys) == len(recorded), out
    for row, e in zip(keys, recorded):
        assert f"  key {e['old_decoded']} -> {e['new_decoded']}  runtime." in row, (row, e)
    assert any("  key {X = 0, Y = 0} -> {X = 3, Y = -3}  runtime." in r for r in keys), out
    assert out.splitlines()[0].startswith(f"replay {path}: slot trajectory of key {{3,-3}} of map main.points in ")


@pytest.mark.parametrize("release", RELEASES)
def test_lines_come_from_the_loaded_binary(release, tmp_path):
    """A trace_grow recording shown with trace_delete loaded: the runtime's functions are the
    same code in both, so their lines agree; main.main is another function there, and the
    row says where the loaded binary has that instruction."""
    path, events = record(tmp_path, release, "trace_grow", ["-m", "main.m", "-k", "42"], ["50"])
    loaded = go_binary(release, "trace_delete")
    text = replay(release, "trace_delete", [f"mapviz replay {path}"])[0]
    lines = text.splitlines()
    assert lines[1] == (f"note: recorded from {go_binary(release, 'trace_grow')}; GDB has {loaded} loaded "
                        f"(source lines are its)"), lines[1]
    fixture = str(ROOT / "tests/go/fixtures/trace_delete.go")
    mains = 0
    for e in events[1:]:
        if e["type"] != "write":
            continue
        i = lines.index(write_row(e))
        if e["func"].startswith("runtime."):
            assert lines[i + 1] == "      " + source_text(e["file"], e["line"]), lines[i:i + 2]
            continue
        mains += 1
        m = re.fullmatch(r"      (.*)    <the loaded program has it at (\S+):(\d+)>", lines[i + 1])
        assert m and m.group(2) == fixture, lines[i:i + 2]
        assert m.group(1) == source_text(fixture, int(m.group(3))), lines[i:i + 2]
    assert mains, text
