"""Pictures of trajectories: mapviz-trace --format svg (live) and mapviz-render (a JSON Lines
recording), one SVG writer. Each picture is parsed as XML and every event of the JSON stream
is looked for in it; the live picture and the rendered one of the same events are the same."""
import json
import os
import subprocess

import pytest

from svgpicture import Picture, check_picture
from tracelib import BUILD, EXAMPLES, FIXTURES, run_trace

RENDER = BUILD / "bin" / "mapviz-render"
DELETE_DEMO = (["-m", "counts", "-k", "42", "-e", "delete"], [EXAMPLES / "delete_demo"], {"HMAP_SEED": "1"})
CHAIN_WALK = (["-m", "chain", "-k", None, "-e", "delete"], [FIXTURES / "chain", "walk"], {"HMAP_SEED": "7"})
GROWTH = (["-m", "growth", "-k", "42"], [EXAMPLES / "growth_demo"], {"HMAP_SEED": "3"})
# 100 rounds of the race fixture's pointer reader beside puts (about 600 events): its reads
# inside the writer's puts are races (with fewer rounds the writer may be done before the
# reader starts).
RACE = (["-m", "racy", "-k", "42", "--reads"], [FIXTURES / "race", "pointer", "racy", "100", "put"], {})


def render(recording, out, *extra):
    return subprocess.run([str(RENDER), str(recording), "-o", str(out), *extra], capture_output=True,
                          text=True, timeout=60)


def chain_walk_key():
    out = subprocess.run([str(a) for a in CHAIN_WALK[1]], capture_output=True, text=True,
                         env={**os.environ, **CHAIN_WALK[2]}, timeout=60).stdout
    return next(l.split()[1] for l in out.splitlines() if l.startswith("target "))


def case_args(case):
    args, program, env = case
    if None in args:
        args = [chain_walk_key() if a is None else a for a in args]
    return args, program, env


def live_and_rendered(tmp_path, case):
    """The same run twice, with address-space randomization off (so the same addresses):
    drawn live, and recorded as JSON Lines then drawn by mapviz-render."""
    args, program, env = case_args(case)
    live = run_trace(tmp_path, args, program, env=env, fmt="svg", norandom=True)
    assert live.rc == 0, live.stderr
    recorded = run_trace(tmp_path, args, program, env=env, fmt="json", norandom=True)
    assert recorded.rc == 0, recorded.stderr
    (tmp_path / "rec.jsonl").write_text("".join(json.dumps(e) + "\n" for e in recorded.events))
    (tmp_path / "live.svg").write_text(live.text)
    done = render(tmp_path / "rec.jsonl", tmp_path / "rendered.svg")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return Picture(tmp_path / "live.svg"), Picture(tmp_path / "rendered.svg"), recorded.events


@pytest.mark.parametrize("case", [DELETE_DEMO, CHAIN_WALK, GROWTH], ids=["delete_demo", "chain_walk", "growth"])
def test_live_and_rendered_pictures_hold_every_event(tmp_path, case):
    live, rendered, events = live_and_rendered(tmp_path, case)
    check_picture(rendered, events)
    live_meta = dict(events[0], pid=live_tid(live, events, {"tid": events[0]["pid"]}))
    check_picture(live, [live_meta] + [dict(e, tid=live_tid(live, events, e)) for e in events[1:]])
    assert live.canonical() == rendered.canonical()


def live_tid(live, events, e):
    """The live run's tid of the thread that made event e in the recorded run (threads by
    order of appearance; the runs are the same program, its threads in the same order)."""
    recorded_order = list(dict.fromkeys(ev["tid"] for ev in events[1:]))
    return list(live.threads)[recorded_order.index(e["tid"])]


def test_delete_demo_picture_names_its_cells_and_states(tmp_path):
    """The demo's trajectory: flags, elem, tophash, count, flags; the tophash cell says
    emptyOne in the model's words, the header lanes come first."""
    _, pic, events = live_and_rendered(tmp_path, DELETE_DEMO)
    fields = [pic.lanes[pic.events[e["seq"]]["lane"]]["field"] for e in events[1:] if e["type"] == "write"]
    assert fields == ["flags", "elem", "tophash", "count", "flags"], fields
    order = [lane["field"] for lane in pic.lanes.values()]
    assert order[:2] == ["flags", "count"] and set(order[2:]) == {"elem", "tophash"}, order
    tophash = next(e for e in events if e.get("field") == "tophash")
    assert pic.events[tophash["seq"]]["texts"][2:] == ["emptyOne", f"was {tophash['old']}"]
    assert any(l["label"][1].startswith("bucket ") for l in pic.lanes.values() if l["field"] == "tophash")
    assert pic.title[0] == "Delete trajectories of key 42 of map counts (counts_map, key uint64_t, elem uint64_t)"


def test_growth_moves_are_drawn_and_a_cell_seen_old_says_so(tmp_path):
    _, pic, events = live_and_rendered(tmp_path, GROWTH)
    moves = [e for e in events if e["type"] == "move"]
    assert {"growth", "evacuate"} <= {m["reason"] for m in moves}, moves
    # The cell key 42 had before the first growth is the old array's afterwards: its lane says so.
    first = next(e for e in events if e.get("field") == "tophash")
    lane = pic.lanes[pic.events[first["seq"]]["lane"]]
    assert lane["label"][1] == f"bucket {first['bucket']} slot {first['slot']}, then old", lane
    assert "evacuatedX" in [t for e in pic.events.values() for t in e["texts"]] or \
        "evacuatedY" in [t for e in pic.events.values() for t in e["texts"]]


def write_recording(path, events):
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


def race_legend(pic):
    return [l for l in pic.legend if l.startswith("#") and " while tid " in l]


def test_race_is_marked_with_the_other_thread(tmp_path):
    """The race fixture's reader reads key 42's elem through a pointer while the writer is
    inside a put: each race event's cell is marked, says the read and the writing thread with
    its operation (assign), and the legend lists the races."""
    args, program, env = RACE
    t = run_trace(tmp_path, args, program, env=env)
    assert t.rc == 0, t.stderr
    races = t.of("race")
    assert races, "the race fixture gave no race event"
    write_recording(tmp_path / "race.jsonl", t.events)
    done = render(tmp_path / "race.jsonl", tmp_path / "race.svg")
    assert done.returncode == 0, done.stderr
    pic = Picture(tmp_path / "race.svg")
    check_picture(pic, t.events)
    first, writer = races[0], races[0]["other"]["tid"]
    assert pic.events[first["seq"]]["texts"][1:] == ["RACE read", first["new_decoded"], f"while tid {writer}",
                                                    "inside assign"]
    listed = race_legend(pic)
    assert listed[0].startswith(f"#{first['seq']}: tid {first['tid']} read elem (bucket "), listed
    assert f" in read_cell tests/tracer/fixtures/race.c:{first['line']} while tid {writer} was inside assign, in " \
        in listed[0], listed[0]
    # The writer's color is the legend's, even when it has no event of its own.
    assert writer in pic.threads


def test_the_race_the_maps_check_stops_is_drawn(tmp_path):
    """An API reader beside a deleter, stopped by the map's own check: the picture has the
    check's race (a read of flags, hashWriting, while the deleter is inside delete) in the
    flags lane, and the program's death after it."""
    t = run_trace(tmp_path, ["-m", "racy", "-k", "42", "--reads"],
                  [FIXTURES / "race", "get", "racy", "50000000"])
    assert t.rc == 134, t.stderr
    write_recording(tmp_path / "check.jsonl", t.events)
    done = render(tmp_path / "check.jsonl", tmp_path / "check.svg")
    assert done.returncode == 0, done.stderr
    pic = Picture(tmp_path / "check.svg")
    check_picture(pic, t.events)
    check = next(r for r in t.of("race") if r["field"] == "flags")
    drawn = pic.events[check["seq"]]
    assert pic.lanes[drawn["lane"]]["field"] == "flags"
    assert drawn["texts"][1:] == ["RACE read", "hashWriting", f"while tid {check['other']['tid']}", "inside delete"]
    assert drawn["title"].startswith(f"#{check['seq']} tid {check['tid']} RACE read access: flags of map header")
    assert any(l.startswith(f"#{check['seq']}: tid {check['tid']} read flags (map header) in hmap_access")
               and f"was inside delete, in " in l for l in race_legend(pic)), pic.legend
    assert pic.title[1].endswith("; killed with signal 6"), pic.title


def test_race_fields_of_this_and_earlier_recordings_are_read(tmp_path):
    """A race's other thread is read from "other" {tid, op, stack}; a recording made before
    it (other_tid and other_stack, no access) is drawn too, saying only what it knows."""
    args, program, env = RACE
    t = run_trace(tmp_path, args, program, env=env)
    assert t.rc == 0 and t.of("race"), t.stderr
    write_recording(tmp_path / "full.jsonl", t.events)
    renamed = [{k: v for k, v in e.items() if k not in ("other_tid", "other_stack")} for e in t.events]
    write_recording(tmp_path / "other.jsonl", renamed)
    earlier = [{k: v for k, v in e.items() if k not in ("other", "access")} for e in t.events]
    write_recording(tmp_path / "earlier.jsonl", earlier)
    for name in ("full", "other", "earlier"):
        done = render(tmp_path / f"{name}.jsonl", tmp_path / f"{name}.svg")
        assert done.returncode == 0 and done.stderr == "", (name, done.stderr)
    full = (tmp_path / "full.svg").read_text()
    assert (tmp_path / "other.svg").read_text() == full
    pic = Picture(tmp_path / "earlier.svg")
    check_picture(pic, earlier)
    race = earlier[1:][[e["type"] for e in earlier[1:]].index("race")]
    assert pic.events[race["seq"]]["texts"][1] == "RACE"
    assert pic.events[race["seq"]]["texts"][4] == "inside a write"
    assert race_legend(pic)[0].startswith(f"#{race['seq']}: tid {race['tid']} touched elem"), pic.legend


def test_notes_of_a_json_stream_on_standard_error_are_drawn(tmp_path):
    """JSON on standard error carries the tracer's notes as note events: drawn in the bottom
    lane like moves and the exit."""
    args, program, env = RACE
    p = subprocess.run([str(BUILD / "bin" / "mapviz-trace"), "--format", "json", *args, "--",
                        str(program[0]), "pointer", "racy", "5", "put"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    (tmp_path / "err.jsonl").write_text(p.stderr)
    events = [json.loads(l) for l in p.stderr.splitlines()]
    assert any(e["type"] == "note" for e in events), events
    assert render(tmp_path / "err.jsonl", tmp_path / "err.svg").returncode == 0
    check_picture(Picture(tmp_path / "err.svg"), events)


def test_strings_with_markup_and_control_characters_are_escaped(tmp_path):
    """A C-string key with quotes, a backslash, '<', '&', a control character and a byte that
    is not UTF-8: the picture is still XML, and says the key ('?' for what XML cannot hold)."""
    key = os.fsdecode(b'a"b\\c<&>\x01\xff')
    t = run_trace(tmp_path, ["-m", "names", "-k", key], [FIXTURES / "strings"], fmt="svg")
    assert t.rc == 0, t.stderr
    (tmp_path / "s.svg").write_text(t.text)
    pic = Picture(tmp_path / "s.svg")
    assert pic.title[0].startswith('Following key a"b\\c<&>?? of map names'), pic.title


def test_a_long_trajectory_wraps_into_bands(tmp_path):
    """Hundreds of events: bands of at most 14 columns, so the width stays that of 14."""
    t = run_trace(tmp_path, *RACE[:2])
    assert t.rc == 0, t.stderr
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(e) + "\n" for e in t.events))
    assert render(tmp_path / "r.jsonl", tmp_path / "r.svg").returncode == 0
    pic = Picture(tmp_path / "r.svg")
    check_picture(pic, t.events)
    assert len(pic.events) >= 200 and pic.width < 1700, (len(pic.events), pic.width)
    bands = {g.get("data-band") for g in pic.root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-band")}
    assert len(bands) == -(-len(pic.events) // 14), len(bands)


def test_svg_to_a_full_device_is_an_error(tmp_path):
    """The picture is written at the end; that it could not be is one line and status 1."""
    args, program, env = DELETE_DEMO
    p = subprocess.run([str(BUILD / "bin" / "mapviz-trace"), "--format", "svg", "-o", "/dev/full", *args,
                        "--", *map(str, program)], capture_output=True, text=True, env={**os.environ, **env},
                       timeout=60)
    assert p.returncode == 1, p.stderr
    assert [l for l in p.stderr.splitlines() if "/dev/full" in l] == \
        ["mapviz-trace: /dev/full: No space left on device"], p.stderr


def recording(tmp_path):
    args, program, env = DELETE_DEMO
    t = run_trace(tmp_path, args, program, env=env)
    assert t.rc == 0, t.stderr
    return [json.dumps(e) for e in t.events]


def race_line(good, **fields):
    """A race event made of the recording's first write, with fields of its own."""
    write = next(json.loads(l) for l in good if json.loads(l)["type"] == "write")
    race = {"type": "race", "access": "read", "other": {"tid": 1, "op": "delete", "stack": []}}
    return json.dumps({**write, **race, **fields})


def test_render_bad_input_is_one_line_and_leaves_no_picture(tmp_path):
    good = recording(tmp_path)
    cases = {
        "notjson": (good[:2] + ["{not json"] + good[2:], "{p}:3: not JSON"),
        "truncated": (good[:3] + [good[3][:40]], "{p}:4: not JSON (the line ends inside a value)"),
        "nometa": (good[1:], "{p}:1: not a mapviz-trace recording (it starts with no meta line)"),
        "notype": (good[:1] + ['{"seq": 1}'], '{p}:2: not a mapviz-trace event (no "type")'),
        "badtype": (good[:1] + ['{"type": "frob", "seq": 1, "tid": 1}'], '{p}:2: unknown event type "frob"'),
        "nofield": (good[:1] + ['{"type": "write", "seq": 1, "tid": 1, "op": "delete"}'],
                    '{p}:2: write without "field"'),
        "badop": (good[:1] + ['{"type": "write", "seq": 1, "tid": 1, "op": "frob", "field": "key"}'],
                  '{p}:2: write: unknown op "frob"'),
        "badhex": (good[:1] + [json.dumps(dict(json.loads(good[1]), addr="zz"))], '{p}:2: write: "addr" is not hex: zz'),
        "badaccess": (good[:2] + [race_line(good, access="peek")],
                      '{p}:3: race: "access" is neither read nor write: peek'),
        "noothertid": (good[:2] + [race_line(good, other={"op": "delete", "stack": []})],
                       '{p}:3: race: other without "tid"'),
        "badotherop": (good[:2] + [race_line(good, other={"tid": 1, "op": "frob", "stack": []})],
                       '{p}:3: race: other: unknown op "frob"'),
        "afterexit": (good + [good[1]], f"{{p}}:{len(good) + 1}: write event after the exit event"),
        "noevents": (good[:1], "{p}:1: no events after the meta line"),
        "empty": ([], "{p}: empty (no meta line)"),
    }
    for name, (lines, error) in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(l + "\n" for l in lines))
        out = tmp_path / f"{name}.svg"
        done = render(path, out)
        assert done.returncode == 2, (name, done.stderr)
        assert done.stderr.startswith("mapviz-render: " + error.format(p=path)), (name, done.stderr)
        assert len(done.stderr.splitlines()) == 1 and done.stdout == "", (name, done.stderr)
        assert not out.exists(), name
    missing = render(tmp_path / "missing.jsonl", tmp_path / "m.svg")
    assert (missing.returncode, missing.stderr) == \
        (2, f"mapviz-render: {tmp_path}/missing.jsonl: No such file or directory\n")
    unreadable = render(tmp_path, tmp_path / "d.svg")
    assert (unreadable.returncode, unreadable.stderr) == (2, f"mapviz-render: {tmp_path}: Is a directory\n")
    assert not (tmp_path / "m.svg").exists() and not (tmp_path / "d.svg").exists()
    usage = subprocess.run([str(RENDER)], capture_output=True, text=True)
    assert (usage.returncode, usage.stderr) == (2, "mapviz-render: no recording: give FILE.jsonl (try --help)\n")


def test_render_output_that_cannot_be_written(tmp_path):
    rec = tmp_path / "rec.jsonl"
    rec.write_text("".join(l + "\n" for l in recording(tmp_path)))
    full = render(rec, "/dev/full")
    assert (full.returncode, full.stderr) == (1, "mapviz-render: /dev/full: No space left on device\n")
    nodir = render(rec, tmp_path / "no" / "x.svg")
    assert (nodir.returncode, nodir.stderr) == (2, f"mapviz-render: {tmp_path}/no/x.svg: No such file or directory\n")
    # Standard input to standard output.
    piped = subprocess.run([str(RENDER), "-"], stdin=open(rec), capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stdout.startswith("<?xml"), piped.stderr
    assert piped.stdout == render(rec, "-").stdout


def test_a_filtered_recording_without_exit_is_drawn(tmp_path):
    """What mapviz replay --field F --svg hands over: the meta and some events, no exit."""
    lines = recording(tmp_path)
    kept = [lines[0]] + [l for l in lines[1:] if json.loads(l).get("field") == "count"]
    path = tmp_path / "count.jsonl"
    path.write_text("".join(l + "\n" for l in kept))
    assert render(path, tmp_path / "count.svg").returncode == 0
    pic = Picture(tmp_path / "count.svg")
    check_picture(pic, [json.loads(l) for l in kept])
    assert [l["field"] for l in pic.lanes.values()] == ["count"]
    assert pic.title[1].endswith("; no exit event"), pic.title
