"""mapviz replay: a trajectory recorded with `mapviz-trace --format json`, event by event.

A recording is JSON Lines: a `meta` line (program, map, key, mode, the map type's layout
with its state and flag names), then events (`write`, `read`, `race`, `move`, `note`), and
an `exit` event last. Each event is shown decoded as the recording decoded it
(old_decoded, new_decoded: typed values and state names), and a write, read or race with
the source line of its instruction, from the program GDB has loaded: the recording's pc
may be relocated (a PIE program, a shared library), so the instruction is found again as
its function's entry in the loaded program plus the recorded func_offset; where the
loaded program does not have that function, the recorded file:line is listed from the
sources GDB knows. No process is needed: the program's file is enough.

--svg OUT hands the recording (only the events the filters keep) to the render program
(`set mapviz render-program`), the one SVG writer of mapviz-trace.
"""
import json
import os
import subprocess
import tempfile

import gdb

from . import memory, params
from .cli import MapvizCommand, Parser
from .code import function_address
from .errors import MapvizError

EVENT_TYPES = ("write", "read", "race", "move", "note", "exit")
# What an event of each type must carry to be shown.
REQUIRED = {"write": ("op", "field"), "read": ("op", "field"), "race": ("op", "field"),
            "move": ("reason",), "note": ("message",), "exit": ()}


class Recording:
    """A recording read and checked line by line: meta, events (each with its line number)."""

    def __init__(self, path):
        self.path = path
        try:
            with open(os.path.expanduser(path), encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise MapvizError(f"cannot read {path}: {e.strerror}")
        if not lines:
            raise MapvizError(f"{path}: empty (no meta line)")
        self.meta = None
        self.events = []
        for number, text in enumerate(lines, 1):
            if not text.strip():
                continue
            try:
                event = json.loads(text)
            except ValueError:
                raise MapvizError(f"{path}:{number}: not JSON")
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                raise MapvizError(f'{path}:{number}: not a mapviz-trace event (no "type")')
            if self.meta is None:
                if event["type"] != "meta":
                    raise MapvizError(f"{path}:{number}: not a mapviz-trace recording (it starts with "
                                      f"no meta line)")
                self.meta = event
                continue
            kind = event["type"]
            if kind not in EVENT_TYPES:
                raise MapvizError(f'{path}:{number}: unknown event type "{kind}"')
            missing = [k for k in REQUIRED[kind] if k not in event]
            if missing:
                raise MapvizError(f'{path}:{number}: {kind} event without "{missing[0]}"')
            self.events.append((number, event))
        if self.meta is None:
            raise MapvizError(f"{path}: no meta line")


class SourceLines:
    """The source line of a recorded instruction, from the program GDB has loaded."""

    def __init__(self):
        self._entries = {}   # function -> entry address in the loaded program, or None
        self._files = {}     # full path -> lines

    def text(self, event):
        """(line text or None, 'file:line' where the loaded program disagrees, or None)."""
        func, off = event.get("func"), event.get("func_offset")
        if func and isinstance(off, int):
            if func not in self._entries:
                self._entries[func] = _entry_of(func)
            entry = self._entries[func]
            if entry is not None:
                sal = gdb.find_pc_line(entry + off)
                if sal.symtab is not None and sal.line:
                    text = self._line(sal.symtab.fullname(), sal.line)
                    here = f"{sal.symtab.filename}:{sal.line}"
                    recorded = f"{event.get('file')}:{event.get('line')}"
                    return text, (here if event.get("file") and here != recorded else None)
        if event.get("file") and isinstance(event.get("line"), int):
            return self._listed(event["file"], event["line"]), None
        return None, None

    def _line(self, path, number):
        if path not in self._files:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    self._files[path] = f.read().splitlines()
            except OSError:
                self._files[path] = []
        lines = self._files[path]
        return lines[number - 1].strip() if 0 < number <= len(lines) else None

    def _listed(self, file, number):
        """The line as GDB's `list` finds it (the program's sources, by their DWARF names)."""
        try:
            out = gdb.execute(f"list {file}:{number},{number}", to_string=True)
        except gdb.error:
            return None
        first = out.splitlines()[0] if out else ""
        head, _, text = first.partition("\t")
        return text.strip() if head.strip() == str(number) else None


def _entry_of(func):
    try:
        with memory.c_language():
            return function_address(func)
    except gdb.error:
        return None


def _place(p):
    if not p or p.get("bucket") is None:
        return "map" if p is not None else "(nowhere)"
    text = f"{'old bucket' if p.get('old_table') else 'bucket'} {p['bucket']} overflow {p.get('overflow')}"
    return text + (f" slot {p['slot']}" if p.get("slot") is not None else "")


def _value(event, which):
    """A recorded value as mapviz-trace's text shows it: decoded (a value, a state or flag
    name) when the recording decoded it, else its raw hex."""
    decoded = event.get(f"{which}_decoded")
    return str(decoded) if decoded not in (None, "") else str(event.get(which))


def event_lines(event, sources):
    """The lines of one event: the event, and the source line of its instruction."""
    kind = event["type"]
    head = f"#{event.get('seq', '?')} tid {event.get('tid', '?')}"
    if kind == "note":
        return [f"{head} note  {event['message']}"]
    if kind == "exit":
        if event.get("signal") is not None:
            how = f"killed by signal {event['signal']}"
        else:
            how = f"status {event.get('status')}"
        reason = event.get("reason")
        return [f"{head} exit  {how}" + (f" ({reason})" if reason and reason != "exited" else "")]
    if kind == "move":
        return [f"{head} move  {event['reason']}: {_place(event.get('from'))} -> {_place(event.get('to'))}"]
    func = event.get("func")
    where = f"{func}+{event.get('func_offset', 0):#x}" if func else str(event.get("pc", "?"))
    loc = f"{event.get('file')}:{event.get('line')}" if event.get("file") else ""
    label = event["op"] if kind == "write" else f"{kind} {event['op']}"
    if kind == "race" and event.get("access") in ("read", "write"):
        label = f"race {event['access']} {event['op']}"
    line = (f"{head} {label}  {_place(event)}  {event['field']} {_value(event, 'old')} -> "
            f"{_value(event, 'new')}  {where}  {loc}").rstrip()
    other = _other(event) if kind == "race" else None
    if other is not None:
        line += f"  (while tid {other['tid']} is inside {other['op']})"
    out = [line]
    text, here = sources.text(event)
    if text is not None:
        out.append(f"      {text}" + (f"    <the loaded program has it at {here}>" if here else ""))
    # Stacks recorded (-s, and always on a race) follow, the accessing thread's first.
    if event.get("stack"):
        out += _stack_lines(f"tid {event.get('tid', '?')} {'access' if other else 'stack'}",
                            event["stack"])
    if other is not None and other["stack"]:
        out += _stack_lines(f"tid {other['tid']} inside {other['op']}", other["stack"])
    return out


def _other(race):
    """The thread inside a write during a race: {tid, op, stack}; older recordings carry
    only other_tid and other_stack."""
    other = race.get("other")
    if isinstance(other, dict) and other.get("tid") is not None:
        return {"tid": other["tid"], "op": other.get("op") or "a write",
                "stack": other.get("stack") or []}
    if race.get("other_tid") is not None:
        return {"tid": race["other_tid"], "op": "a write", "stack": race.get("other_stack") or []}
    return None


def _stack_lines(title, frames):
    """A recorded stack as lines under its title: one frame each, innermost first."""
    out = [f"      {title}:"]
    for frame in frames if isinstance(frames, list) else []:
        if not isinstance(frame, dict):
            continue
        loc = f"  {frame['file']}:{frame.get('line')}" if frame.get("file") else ""
        inlined = " (inlined)" if frame.get("inlined") else ""
        out.append(f"        {frame.get('func') or frame.get('pc', '?')}{inlined}{loc}")
    return out


def matches(event, args):
    """Whether the event passes the --op, --tid and --field filters."""
    if args.op is not None and event.get("op") != args.op:
        return False
    if args.tid is not None and event.get("tid") != args.tid:
        return False
    if args.field is not None and event.get("field") != args.field:
        return False
    return True


def _render(recording, kept, out_path):
    """Runs the render program on the recording (a filtered copy when filters drop events)."""
    program = params.render_program()
    if not os.path.isfile(program) or not os.access(program, os.X_OK):
        raise MapvizError(f"{params.shown_path(program)} not found")
    source = recording.path
    copy = None
    if len(kept) != len(recording.events):
        copy = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
        with copy:
            for _, e in [(0, recording.meta)] + kept:
                copy.write(json.dumps(e) + "\n")
        source = copy.name
    try:
        done = subprocess.run([program, source, "-o", out_path], capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise MapvizError(f"cannot run {params.shown_path(program)}: {e.strerror}")
    finally:
        if copy is not None:
            os.unlink(copy.name)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise MapvizError(f"{params.shown_path(program)} failed: {why}")
    return f"wrote {out_path}"


class ReplayCommand(MapvizCommand):
    SUMMARY = "Show a trajectory recorded with mapviz-trace --format json, event by event."
    SHAPE = "files"
    PARSER = Parser("replay", "Show a recording of mapviz-trace --format json (JSON Lines) event by event:\n"
                    "each write, read or race decoded as recorded (values, state names), with the\n"
                    "source line of its instruction from the program GDB has loaded (found again\n"
                    "by function and offset, so a relocated program still matches); moves, notes\n"
                    "and the program's exit. Works without a process: gdb PROGRAM is enough.",
                    "--svg OUT draws the events (those the filters keep) with the render program\n"
                    "(set mapviz render-program PATH).\n"
                    "example: mapviz replay /tmp/delete.jsonl --field tophash")
    PARSER.add_argument("file", metavar="FILE", help="the recording (JSON Lines)")
    PARSER.add_argument("--op", metavar="OP", help="only events of this operation (delete, assign, evacuate...)")
    PARSER.add_argument("--tid", type=int, metavar="N", help="only events of this thread")
    PARSER.add_argument("--field", metavar="F", help="only events of this field (tophash, key, elem, count...)")
    PARSER.add_argument("--svg", metavar="OUT", help="draw the events into the SVG file OUT")

    def run(self, args):
        recording = Recording(args.file)
        kept = [(n, e) for n, e in recording.events if matches(e, args)]
        if args.svg:
            return _render(recording, kept, args.svg)
        m = recording.meta
        out = [f"replay {args.file}: {m.get('mode', '?')} trajectory of key {m.get('key')} of map "
               f"{m.get('map')} in {m.get('program')} (pid {m.get('pid')}), {len(recording.events)} events"]
        loaded = gdb.current_progspace().filename
        if loaded and m.get("program") and os.path.basename(loaded) != os.path.basename(str(m["program"])):
            out.append(f"note: recorded from {m['program']}; GDB has {loaded} loaded (source lines are its)")
        sources = SourceLines()
        for _, event in kept:
            out += event_lines(event, sources)
        if len(kept) != len(recording.events):
            out.append(f"{len(kept)} of {len(recording.events)} events shown")
        return "\n".join(out)
