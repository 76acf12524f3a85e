"""mapviz replay FILE --svg OUT, end to end: GDB hands the recording to the real render program
(build/bin/mapviz-render), whose picture holds every event GDB kept."""
import json
import subprocess

from gdbtest import BUILD, run_gdb
from svgpicture import Picture, check_picture
from test_gdb_replay import record, replay


def test_replay_svg_draws_the_recording_with_mapviz_render(tmp_path):
    path, events = record(tmp_path, "walk")
    out = replay([f"mapviz replay {path} --svg {tmp_path}/all.svg",
                  f"mapviz replay {path} --field tophash --svg {tmp_path}/tophash.svg",
                  "show mapviz render-program"])
    assert out[0] == f"wrote {tmp_path}/all.svg" and out[1] == f"wrote {tmp_path}/tophash.svg", out
    assert out[2] == f"mapviz replay --svg draws with {BUILD}/bin/mapviz-render", out[2]
    check_picture(Picture(tmp_path / "all.svg"), events)
    # Only the events the filter kept: tophash writes, in tophash lanes; no exit event.
    kept = [events[0]] + [e for e in events[1:] if e.get("field") == "tophash"]
    assert len(kept) > 5, kept
    pic = Picture(tmp_path / "tophash.svg")
    check_picture(pic, kept)
    assert {lane["field"] for lane in pic.lanes.values()} == {"tophash"}
    assert "emptyRest" in [t for e in pic.events.values() for t in e["texts"]]


def test_replay_svg_that_cannot_be_written_is_one_line(tmp_path):
    path, _ = record(tmp_path, "single", key=5)
    out = replay([f"mapviz replay {path} --svg {tmp_path}/no/such/dir/x.svg"])
    assert out[0] == (f"mapviz: build/bin/mapviz-render failed: mapviz-render: {tmp_path}/no/such/dir/x.svg: "
                      "No such file or directory"), out[0]
    assert not (tmp_path / "no").exists()
    assert json.loads(path.read_text().splitlines()[0])["type"] == "meta"


def test_a_recording_with_notes_is_replayed_and_drawn(tmp_path):
    """JSON on standard error holds the tracer's notes as note events (with their message):
    replay shows them and --svg draws them."""
    prog = [str(BUILD / "tests" / "tracer" / "race"), "pointer", "racy", "3", "put"]
    done = subprocess.run([str(BUILD / "bin" / "mapviz-trace"), "--format", "json", "-m", "racy", "-k", "42",
                           "--reads", "--", *prog], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "err.jsonl"
    path.write_text(done.stderr)
    events = [json.loads(l) for l in done.stderr.splitlines()]
    notes = [e for e in events if e["type"] == "note"]
    assert notes, events
    out = run_gdb([prog[0]], [f"mapviz replay {path}", f"mapviz replay {path} --svg {tmp_path}/err.svg"], stop=None)
    assert f"#{notes[0]['seq']} tid {notes[0]['tid']} note  {notes[0]['message']}" in out[0].splitlines(), out[0]
    assert out[1] == f"wrote {tmp_path}/err.svg", out[1]
    check_picture(Picture(tmp_path / "err.svg"), events)
