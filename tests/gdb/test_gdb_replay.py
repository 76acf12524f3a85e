"""mapviz replay: recordings made by mapviz-trace --format json, shown in GDB without a process."""
import json
import os
import re
import subprocess

import pytest

from gdbtest import BUILD, ROOT, fixture_path, gdb_env, run_gdb

TRACER = BUILD / "bin" / "mapviz-trace"
SEED = 7


def record(tmp_path, case, key=None, extra=()):
    """A JSON Lines recording of -e delete on the trajectory fixture (address-space
    randomization as the system has it: a PIE program's pcs are relocated)."""
    prog = [str(fixture_path("trajectory")), case]
    if key is None:
        key = subprocess.run(prog, capture_output=True, text=True, env=gdb_env(SEED)).stdout.split()[1]
    path = tmp_path / f"{case}.jsonl"
    done = subprocess.run([str(TRACER), "--format", "json", "-o", str(path), "-m", "chain", "-k", str(key),
                           "-e", "delete"] + list(extra) + ["--"] + prog,
                          capture_output=True, text=True, env=gdb_env(SEED), cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return path, [json.loads(l) for l in path.read_text().splitlines()]


def replay(commands):
    """GDB with the trajectory program loaded, and no process."""
    return run_gdb([fixture_path("trajectory")], commands, stop=None)


def tree_line(file, line):
    return (ROOT / file).read_text().splitlines()[line - 1].strip()


def test_each_event_decoded_with_its_source_line_from_the_loaded_program(tmp_path):
    path, events = record(tmp_path, "walk")
    out = replay([f"mapviz replay {path}", "info proc"])[0].splitlines()
    writes = [e for e in events if e["type"] == "write"]
    assert len(writes) == 19
    assert out[0].startswith(f"replay {path}: delete trajectory of key {events[0]['key']} of map chain"), out
    shown = [l for l in out[1:] if l.startswith("#")]
    assert len(shown) == len(events) - 1 and shown[-1].endswith("exit  status 0"), out
    for e in writes:
        i = out.index(next(l for l in out if l.startswith(f"#{e['seq']} ")))
        line = out[i]
        assert f" tid {e['tid']} delete  " in line, line
        assert f"  {e['field']} {e['old_decoded'] or e['old']} -> {e['new_decoded'] or e['new']}  " in line, line
        assert line.endswith(f"{e['func']}+{e['func_offset']:#x}  {e['file']}:{e['line']}"), line
        # The instruction's line, found in the loaded program by function and offset.
        assert out[i + 1] == "      " + tree_line(e["file"], e["line"]), out[i:i + 2]
    assert "tophash 0x" in "\n".join(out) and "-> emptyRest" in "\n".join(out)


def test_relocated_pcs_are_found_by_function_and_offset(tmp_path):
    """The recording's pcs are the process's (PIE, randomized); GDB's program is not loaded
    there, so only function + offset names the instruction in it."""
    if open("/proc/sys/kernel/randomize_va_space").read().strip() == "0":
        pytest.skip("address-space randomization is off on this machine")
    path, events = record(tmp_path, "walk")
    first = next(e for e in events if e["type"] == "write")
    out = replay([f"info symbol {first['pc']}", f"mapviz replay {path} --field flags"])
    assert out[0].startswith("No symbol matches"), out[0]
    assert "      h->flags ^= hashWriting;" in out[1].splitlines() or re.search(r"^      .*hashWriting", out[1], re.M), out[1]


def test_filters(tmp_path):
    path, events = record(tmp_path, "grow")
    tid = events[0]["pid"]
    out = replay([f"mapviz replay {path} --field tophash", f"mapviz replay {path} --op evacuate",
                  f"mapviz replay {path} --tid {tid + 1}", f"mapviz replay --op delete --field elem {path}",
                  f"mapviz replay {path}"])
    total = len(events) - 1
    def rows(text):
        return [l for l in text.splitlines() if l.startswith("#")]
    tophash = [e for e in events if e.get("field") == "tophash"]
    assert len(rows(out[0])) == len(tophash) and all("  tophash " in l for l in rows(out[0])), out[0]
    assert out[0].endswith(f"{len(tophash)} of {total} events shown")
    evac = [e for e in events if e.get("op") == "evacuate"]
    assert evac and len(rows(out[1])) == len(evac) and all(" evacuate  " in l for l in rows(out[1])), out[1]
    assert rows(out[2]) == [] and out[2].endswith(f"0 of {total} events shown"), out[2]
    assert len(rows(out[3])) == 1 and "  elem " in rows(out[3])[0] and " delete  " in rows(out[3])[0], out[3]
    # The move of the key by evacuation, and the exit, are events too.
    move = next(e for e in events if e["type"] == "move")
    assert any(re.search(rf"#{move['seq']} tid \d+ move  evacuate: old bucket 5 overflow \d+ slot \d -> "
                         r"bucket \d+ overflow \d+ slot \d$", l) for l in rows(out[4])), out[4]


def write_lines(tmp_path, name, lines):
    p = tmp_path / name
    p.write_text("".join(l + "\n" for l in lines))
    return p


def test_bad_files_are_one_line_with_the_line_number(tmp_path):
    path, _ = record(tmp_path, "single", key=5)
    good = path.read_text().splitlines()
    cases = {
        "notjson": (good[:2] + ["{not json"] + good[2:], "{p}:3: not JSON"),
        "nometa": (good[1:], "{p}:1: not a mapviz-trace recording (it starts with no meta line)"),
        "notype": (good[:1] + ['{"seq": 1}'], '{p}:2: not a mapviz-trace event (no "type")'),
        "badtype": (good[:1] + ['{"type": "frob"}'], '{p}:2: unknown event type "frob"'),
        "nofield": (good[:1] + ['{"type": "write", "op": "delete"}'], '{p}:2: write event without "field"'),
        "empty": ([], "{p}: empty (no meta line)"),
    }
    commands, want = [], []
    for name, (lines, error) in cases.items():
        p = write_lines(tmp_path, name + ".jsonl", lines)
        commands.append(f"mapviz replay {p}")
        want.append("mapviz: " + error.format(p=p))
    commands.append(f"mapviz replay {tmp_path}/missing.jsonl")
    want.append(f"mapviz: cannot read {tmp_path}/missing.jsonl: No such file or directory")
    commands.append("mapviz replay")
    want.append("mapviz: the following arguments are required: FILE")
    for got, expected in zip(replay(commands), want):
        assert got.startswith(expected) and len(got.splitlines()) == 1, (got, expected)


def test_notes_are_shown(tmp_path):
    path, _ = record(tmp_path, "single", key=5)
    lines = path.read_text().splitlines()
    lines.insert(2, json.dumps({"type": "note", "seq": 99, "t_ns": 1, "tid": 1, "message": "a note"}))
    p = write_lines(tmp_path, "note.jsonl", lines)
    out = replay([f"mapviz replay {p}"])[0]
    assert "#99 tid 1 note  a note" in out.splitlines(), out


def test_svg_without_the_render_program_is_one_line(tmp_path):
    path, _ = record(tmp_path, "single", key=5)
    out = replay([f"set mapviz render-program {tmp_path}/nothing", f"mapviz replay {path} --svg {tmp_path}/o.svg"])
    assert out[1] == f"mapviz: {tmp_path}/nothing not found", out[1]
    assert not (tmp_path / "o.svg").exists()


def test_svg_hands_the_kept_events_to_the_render_program(tmp_path):
    """A render program that writes what it was given: the file (filtered) and -o OUT."""
    path, events = record(tmp_path, "walk")
    render = tmp_path / "render"
    render.write_text('#!/bin/sh\n[ "$2" = -o ] || exit 3\ncp "$1" "$3"\n')
    render.chmod(0o755)
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'mapviz-render: cannot draw' >&2\nexit 2\n")
    failing.chmod(0o755)
    out = replay([f"set mapviz render-program {render}", f"mapviz replay {path} --svg {tmp_path}/all.svg",
                  f"mapviz replay {path} --field count --svg {tmp_path}/count.svg",
                  f"set mapviz render-program {failing}", f"mapviz replay {path} --svg {tmp_path}/x.svg",
                  "show mapviz render-program"])
    assert out[1] == f"wrote {tmp_path}/all.svg" and out[2] == f"wrote {tmp_path}/count.svg", out
    assert (tmp_path / "all.svg").read_text() == path.read_text()
    kept = [json.loads(l) for l in (tmp_path / "count.svg").read_text().splitlines()]
    assert [e["type"] for e in kept] == ["meta", "write"] and kept[1]["field"] == "count", kept
    assert out[4] == f"mapviz: {failing} failed: mapviz-render: cannot draw", out[4]
    assert out[5] == f"mapviz replay --svg draws with {failing}", out[5]


def test_help_and_file_completion(tmp_path):
    (tmp_path / "rec.jsonl").write_text("")
    out = replay(["help mapviz replay", f"complete mapviz replay {tmp_path}/re",
                  f"complete mapviz replay {tmp_path}/rec.jsonl --svg {tmp_path}/r", "complete mapviz replay --fi"])
    assert "usage: mapviz replay [-h] [--op OP] [--tid N] [--field F] [--svg OUT] FILE" in out[0], out[0]
    assert out[1] == f"mapviz replay {tmp_path}/rec.jsonl", out[1]
    assert out[2] == f"mapviz replay {tmp_path}/rec.jsonl --svg {tmp_path}/rec.jsonl", out[2]
    assert out[3] == "mapviz replay --field", out[3]


def test_a_race_is_shown_with_the_writer_and_both_stacks(tmp_path):
    """A recorded race (the race fixture's get beside its delete, stopped by the map's own
    check): the race line names the access and the thread inside the delete, and both
    recorded stacks follow it, the reader's first."""
    race_program = BUILD / "tests" / "tracer" / "race"
    path = tmp_path / "race.jsonl"
    done = subprocess.run([str(TRACER), "--format", "json", "-o", str(path), "-m", "racy", "-k", "42",
                           "--reads", "--", str(race_program), "get", "racy", "50000000"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 134, done.stderr
    events = [json.loads(l) for l in path.read_text().splitlines()]
    race = next(e for e in events if e["type"] == "race" and e["field"] == "flags")
    out = run_gdb([race_program], [f"mapviz replay {path} --field flags"], stop=None)[0].splitlines()
    i = out.index(next(l for l in out if l.startswith(f"#{race['seq']} ")))
    assert out[i].startswith(f"#{race['seq']} tid {race['tid']} race read access  map  flags "), out[i]
    assert out[i].endswith(f"(while tid {race['other']['tid']} is inside delete)"), out[i]
    block = out[i + 1:]
    reader = block.index(f"      tid {race['tid']} access:")
    writer = block.index(f"      tid {race['other']['tid']} inside delete:")
    assert reader < writer, block
    assert block[reader + 1].startswith("        fatal  hmap/hmap.c:"), block
    assert any(l.startswith("        api_reader  ") for l in block[reader:writer]), block
    assert any(l.startswith("        hmap_delete") for l in block[writer:]), block
    assert any(l.startswith("        deleter  ") for l in block[writer:]), block
