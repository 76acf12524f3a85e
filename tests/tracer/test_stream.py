"""The event stream: JSON Lines only, even on standard error among the diagnostics (which are
note events there); it always ends with an exit event; -n counts writes, reads and races."""
import json
import signal
import subprocess
import time

from tracelib import EXAMPLES, FIXTURES, TRACER, Running, check_event

THREADS_DEMO = [str(EXAMPLES / "threads_demo"), "2", "200", "20"]


def json_lines(text):
    """Every line parsed and schema-checked; a plain-text line fails json.loads."""
    events = [json.loads(line) for line in text.splitlines()]
    for e in events:
        check_event(e)
    return events


def test_json_on_standard_error_launched():
    p = subprocess.run([str(TRACER), "--format", "json", "-m", "shared", "-k", "42", "--"]
                       + THREADS_DEMO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    events = json_lines(p.stderr)
    assert events[0]["type"] == "meta"
    notes = [e["message"] for e in events if e["type"] == "note"]
    assert "armed on 1/1 threads" in notes, notes
    assert [e["seq"] for e in events[1:]] == list(range(1, len(events)))  # notes are in sequence
    assert (events[-1]["type"], events[-1]["reason"], events[-1]["status"]) == ("exit", "exited", 0)


def test_json_on_standard_error_attached(tmp_path, hammer):
    h = hammer(2)
    tracer = Running(tmp_path, ["--format", "json", "-m", "m", "-k", "42", "-p", h.pid])
    tracer.wait_err(r'"armed on 3/3 threads"')
    time.sleep(0.2)
    tracer.proc.send_signal(signal.SIGINT)
    rc, err = tracer.wait()
    assert rc == 0, err
    events = json_lines(err)
    assert any(e["type"] == "note" and e["message"].startswith("Interrupt: detached from pid")
               for e in events), err[-500:]
    end = events[-1]
    assert (end["type"], end["reason"], end["status"], end["signal"]) == ("exit", "detached", None, None)
    assert h.finish()[0] == 0


def test_json_file_has_no_notes_and_they_stay_lines_on_stderr(tmp_path):
    out = tmp_path / "ev.json"
    p = subprocess.run([str(TRACER), "--format", "json", "-o", str(out), "-m", "shared", "-k", "42",
                        "--"] + THREADS_DEMO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "mapviz-trace: armed on 1/1 threads\n" in p.stderr
    events = json_lines(out.read_text())
    assert not [e for e in events if e["type"] == "note"]
    assert events[-1]["type"] == "exit"


def test_text_stream_ends_with_exit_after_max_events(tmp_path):
    out = tmp_path / "ev.txt"
    p = subprocess.run([str(TRACER), "-n", "3", "-o", str(out), "-m", "shared", "-k", "42", "--"]
                       + THREADS_DEMO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    last = out.read_text().splitlines()[-1]
    assert last.endswith("exit    detached from pid %s, which then ended: status 0"
                         % last.split()[2]), last


def test_max_events_counts_writes_not_moves(tmp_path):
    """A launched threads_demo starts with a synthetic move (nowhere) -> bucket 0 slot 0: -n 3
    stops after three writes all the same."""
    out = tmp_path / "ev.json"
    p = subprocess.run([str(TRACER), "--format", "json", "-n", "3", "-o", str(out), "-m", "shared",
                        "-k", "42", "--"] + THREADS_DEMO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    events = json_lines(out.read_text())
    types = [e["type"] for e in events]
    assert "move" in types and types.count("write") == 3, types
    assert types[-1] == "exit" and types[-2] == "write", types


def test_strings_are_escaped_as_json(tmp_path):
    """Quotes, backslashes and control characters in a string key survive the round trip."""
    key = 'a"b\\c\td\x01'
    p = subprocess.run([str(TRACER), "--format", "json", "-m", "names", "-k", key, "--",
                        str(FIXTURES / "strings")], capture_output=True, text=True, timeout=60)
    events = json_lines(p.stderr)
    assert events[0]["key"] == key, events[0]
