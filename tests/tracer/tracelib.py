"""Running mapviz-trace on real processes, and the JSON Lines schema every test checks."""
import json
import os
import pathlib
import re
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"

TRACER = BUILD / "bin" / "mapviz-trace"
EXAMPLES = BUILD / "examples"
FIXTURES = BUILD / "tests" / "tracer"

HEX = re.compile(r"^0x[0-9a-f]+$|^0$")
FIELDS = {"tophash", "key", "elem", "overflow", "count", "flags", "B", "noverflow", "hash0",
          "buckets", "oldbuckets", "nevacuate"}
OPS = {"assign", "delete", "evacuate", "clear", "new", "free", "foreign", "access", "iterate"}


# What the source line of a write must mention, by the field written: the store itself
# (`bucket_tophash(b)[i] = emptyOne;`, `h->count--;`) or the copy helper that does it.
CELL_COPY = r"|\bmem(?:cpy|set|move)\("
STORE_SPELLING = {
    "tophash": r"tophash|\bth\[|\btop\b|empty(?:One|Rest)|evacuated" + CELL_COPY,
    "key": r"\bkey|\bk\b" + CELL_COPY,
    "elem": r"\belem|\bv\b|\bval" + CELL_COPY,
}
_source_lines = {}


def source_line(path, line):
    """Line `line` (1-based) of the source file `path`, relative to the tree."""
    full = ROOT / path
    if full not in _source_lines:
        _source_lines[full] = full.read_text().splitlines()
    return _source_lines[full][line - 1]


def check_store_line(ev):
    """The file:line a write made by the map code names holds that store: the line's
    text writes the field. (Lines in the C library's own sources are not in the tree.)"""
    if ev["type"] != "write" or not (ev["file"] or "").startswith("hmap/"):
        return
    assert isinstance(ev["line"], int), ev
    text = source_line(ev["file"], ev["line"])
    pattern = STORE_SPELLING.get(ev["field"], rf"\b{ev['field']}")
    assert re.search(pattern, text), (
        f"{ev['file']}:{ev['line']} is said to write {ev['field']} ({ev['op']} in {ev['func']}), "
        f"but reads: {text.strip()!r}")


def _is_int_or_none(v):
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def check_place(p, where):
    assert set(p) >= {"bucket", "overflow", "old_table", "slot"}, where
    assert _is_int_or_none(p["bucket"]) and _is_int_or_none(p["overflow"]), where
    assert _is_int_or_none(p["slot"]) and isinstance(p["old_table"], bool), where


def check_frame(f):
    assert set(f) == {"pc", "func", "file", "line", "inlined"}, f
    assert isinstance(f["inlined"], bool), f
    assert HEX.match(f["pc"]), f
    assert f["func"] is None or isinstance(f["func"], str)
    assert _is_int_or_none(f["line"])


def check_event(ev):
    """The schema of docs/tracer.md (the event stream): every key, with its type, per event type."""
    t = ev["type"]
    assert t in {"meta", "write", "read", "move", "race", "exit", "note"}, ev
    if t == "meta":
        assert ev["version"] == 1 and isinstance(ev["pid"], int), ev
        assert isinstance(ev["map"], str) and isinstance(ev["key"], str), ev
        assert isinstance(ev["program"], str), ev
        lay = ev["layout"]
        for k in ("bucketCnt", "bucketsize", "tophash_offset", "keys_offset", "elems_offset",
                  "overflow_offset", "keysize", "elemsize"):
            assert isinstance(lay[k], int), (k, lay)
        assert set(lay["header"]) >= {"count", "flags", "B", "hash0", "buckets", "oldbuckets",
                                      "nevacuate"}
        assert {"emptyRest", "emptyOne", "evacuatedX", "minTopHash"} <= set(lay["states"])
        return
    assert isinstance(ev["seq"], int) and isinstance(ev["t_ns"], int), ev
    assert isinstance(ev["tid"], int), ev
    if t in ("write", "read", "race"):
        for k in ("op", "field", "addr", "size", "old", "new", "old_decoded", "new_decoded",
                  "decoded", "pc", "insn", "func", "file", "line", "stack"):
            assert k in ev, (k, ev)
        assert ev["op"] in OPS, ev
        assert ev["field"] in FIELDS, ev
        check_place(ev, ev)
        assert HEX.match(ev["addr"]) and HEX.match(ev["old"]) and HEX.match(ev["new"]), ev
        assert HEX.match(ev["pc"]), ev
        assert ev["size"] in range(1, 9), ev
        for k in ("old_decoded", "new_decoded", "decoded"):
            assert ev[k] is None or isinstance(ev[k], str), ev
        assert ev["decoded"] == ev["new_decoded"], ev
        assert ev["insn"] is None or isinstance(ev["insn"], str), ev
        assert _is_int_or_none(ev["line"]), ev
        assert ev["stack"] is None or isinstance(ev["stack"], list), ev
        for f in ev["stack"] or []:
            check_frame(f)
        if ev["field"] in ("tophash", "key", "elem"):
            assert ev["bucket"] is not None and ev["slot"] is not None, ev
        if t == "race":
            assert isinstance(ev["other_tid"], int) and ev["other_tid"] != ev["tid"], ev
            for f in ev["other_stack"]:
                check_frame(f)
            assert ev["access"] in ("read", "write"), ev
            other = ev["other"]
            assert set(other) == {"tid", "op", "stack"}, ev
            assert other["tid"] == ev["other_tid"] and other["stack"] == ev["other_stack"], ev
            assert other["op"] is None or other["op"] in OPS, ev
    elif t == "move":
        assert isinstance(ev["reason"], str), ev
        for k in ("from", "to"):
            if ev[k] is not None:
                check_place(ev[k], ev)
        if ev["to"] is not None:
            assert isinstance(ev["to"]["present"], bool), ev
    elif t == "exit":
        assert ev["reason"] in {"exited", "killed", "detached"}, ev
        assert _is_int_or_none(ev["status"]) and _is_int_or_none(ev["signal"]), ev
        assert ev["status"] is None or ev["signal"] is None, ev
        if ev["reason"] == "exited":
            assert ev["status"] is not None, ev
        if ev["reason"] == "killed":
            assert ev["signal"] is not None, ev
    elif t == "note":
        assert isinstance(ev["message"], str) and ev["message"], ev


class Trace:
    def __init__(self, proc, events, text):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.events = events  # JSON Lines, parsed and schema-checked (json format only)
        self.text = text      # the event output (text format only)

    def of(self, t):
        return [e for e in self.events if e["type"] == t]


def parse_events(lines):
    """JSON Lines events, each schema-checked, and the stream as a whole."""
    events = []
    for line in lines:
        ev = json.loads(line)
        check_event(ev)
        check_store_line(ev)
        events.append(ev)
    if events:
        assert events[0]["type"] == "meta"
        assert all(e["type"] != "meta" for e in events[1:])
        seqs = [e["seq"] for e in events[1:]]
        assert seqs == list(range(1, len(seqs) + 1))
        assert events[-1]["type"] == "exit", events[-1]  # every stream ends with one
    return events


def run_trace(tmp_path, args, program=None, env=None, fmt="json", timeout=120, norandom=False):
    """Runs mapviz-trace with events written to a file; returns a Trace."""
    out = tmp_path / f"events{len(list(tmp_path.iterdir()))}.{fmt}"
    cmd = [str(TRACER), "--format", fmt, "-o", str(out)] + list(args)
    if program:
        cmd += ["--"] + [str(a) for a in program]
    if norandom:
        cmd = ["setarch", "x86_64", "-R"] + cmd
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
    data = out.read_text() if out.exists() else ""
    events = parse_events(data.splitlines()) if fmt == "json" else []
    return Trace(proc, events, data)


EVENT_LINE = re.compile(r'\{"type":"[a-z]+",[^\n]*\n')


def run_trace_beside(args, program, timeout=120):
    """Runs mapviz-trace with JSON events on standard error, where the program writes its own
    text too, and tells them apart (an event is one JSON line, written whole; the program's
    text may fall anywhere between two, even inside one of its own lines). A Trace whose
    events are the JSON lines, with `at` (where each starts in standard error), `own` (the
    program's text alone) and `own_at(s)` (where s of it starts in standard error)."""
    cmd = [str(TRACER), "--format", "json"] + list(args) + ["--"] + [str(a) for a in program]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    err = proc.stderr
    t = Trace(proc, [], err)
    lines, t.at, pieces, starts, pos = [], [], [], [], 0
    for m in EVENT_LINE.finditer(err):
        pieces.append(err[pos:m.start()])
        starts.append(pos)
        lines.append(m.group(0)[:-1])
        t.at.append(m.start())
        pos = m.end()
    pieces.append(err[pos:])
    starts.append(pos)
    t.own = "".join(pieces)
    t.events = parse_events(lines)

    def own_at(s):
        k = t.own.index(s)
        for piece, start in zip(pieces, starts):
            if k < len(piece):
                return start + k
            k -= len(piece)
        raise AssertionError(s)
    t.own_at = own_at
    return t


def wait_for_events(path, n, timeout=20):
    """Returns once the event file path holds more than n lines; fails after timeout s."""
    end = time.time() + timeout
    while time.time() < end:
        if path.exists() and path.read_text().count("\n") > n:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} events in {timeout}s")


def program_target(program, env):
    """The key a chain fixture will delete last ("target K" on its output)."""
    out = subprocess.run([str(a) for a in program], capture_output=True, text=True, env=env,
                         timeout=60).stdout
    return re.search(r"^target (\d+)$", out, re.M).group(1)


def tracer_pid(pid):
    """The TracerPid line of /proc/PID/status: 0 when nothing traces the process."""
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^TracerPid:\s+(\d+)$", status, re.M).group(1))


class Hammer:
    """The hammer fixture running: THREADS threads writing key 42 of map m until its standard
    input is closed (finish), then exiting 0 on its own."""

    def __init__(self, threads=4):
        self.proc = subprocess.Popen([str(FIXTURES / "hammer"), str(threads)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline() == "ready\n"
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def finish(self, timeout=60):
        """Tells it to stop; (exit status, its writes of key 42)."""
        out, err = self.proc.communicate(input="", timeout=timeout)
        m = re.search(r"^writes (\d+)$", out, re.M)
        return self.proc.returncode, int(m.group(1)) if m else None, err

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


class Running:
    """mapviz-trace started in the background; its standard error goes to a file."""

    def __init__(self, tmp_path, args, stdout=subprocess.DEVNULL, stdin=None):
        self.err_path = tmp_path / f"stderr{len(list(tmp_path.iterdir()))}"
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([str(TRACER)] + [str(a) for a in args], stdout=stdout,
                                         stdin=stdin, stderr=err, text=True)

    def err(self):
        return self.err_path.read_text()

    def wait_err(self, pattern, timeout=30):
        """Waits until standard error has a line matching pattern (a regex)."""
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.err(), re.M):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} on standard error: {self.err()}")

    def wait(self, timeout=60):
        """Its exit status and standard error."""
        self.proc.wait(timeout=timeout)
        return self.proc.returncode, self.err()
