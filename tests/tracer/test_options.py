"""What mapviz-trace(1) promises of its command line: every long option means what its short
one does, every option that takes an argument says so when it is given none, and events go to
standard error unless -o says otherwise."""
import json
import os
import re
import subprocess
import time

import pytest

from tracelib import EXAMPLES, FIXTURES, ROOT, TRACER, check_event, program_target

DEMO = {"HMAP_SEED": "1"}
# What differs between two runs of the same program: the time, and the process and thread ids.
RUN_DEPENDENT = {"t_ns", "tid", "pid"}


def run(args, env, program):
    """mapviz-trace ARGS -- PROGRAM, with address randomization off (so runs compare)."""
    cmd = ["setarch", "x86_64", "-R", str(TRACER)] + args + ["--"] + [str(a) for a in program]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def events_of(text):
    """The JSON Lines in text (other lines, such as the program's own output, are skipped)."""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            ev = json.loads(line)
            check_event(ev)
            out.append({k: v for k, v in ev.items() if k not in RUN_DEPENDENT})
    return out


def same_events(tmp_path, short, long, program, env=DEMO):
    """Runs the two command lines, each writing JSON to its own file; their events must match."""
    got = []
    for i, args in enumerate((short, long)):
        out = tmp_path / f"events{i}.json"
        proc = run([a.replace("OUT", str(out)) for a in args], env, program)
        assert proc.returncode == 0, (args, proc.stderr)
        got.append(events_of(out.read_text()))
    assert got[0] and got[0] == got[1]
    return got[0]


def test_every_documented_option_is_tested_here():
    man = (ROOT / "tracer" / "mapviz-trace.1").read_text()
    documented = set(re.findall(r"\\-\\-([a-z][a-z-]+)", man))
    tested = {"map", "key", "events", "reads", "stack", "output", "format", "step", "max-events", "pid"}
    # Covered by their own tests: --help and --version (test_errors.py).
    assert documented - tested <= {"help", "version", "backend"}, documented - tested
    assert tested <= documented


def test_long_options_mean_the_short_ones(tmp_path):
    prog = [EXAMPLES / "delete_demo"]
    events = same_events(tmp_path, ["-m", "counts", "-k", "42", "-e", "delete", "-s", "-n", "4", "-o", "OUT",
                                    "--format", "json"],
                         ["--map", "counts", "--key", "42", "--events", "delete", "--stack", "--max-events", "4",
                          "--output", "OUT", "--format=json"], prog)
    assert events[0]["mode"] == "delete" and events[0]["key"] == "42"
    writes, end = events[1:-1], events[-1]
    assert end["type"] == "exit" and end["reason"] == "detached"
    assert len(writes) == 4 and all(e["stack"] for e in writes)        # -n 4, -s
    assert [e["field"] for e in writes] == ["flags", "elem", "tophash", "count"]


def test_long_reads_option(tmp_path):
    events = same_events(tmp_path, ["-m", "counts", "-k", "43", "-r", "-o", "OUT", "--format", "json"],
                         ["--map=counts", "--key=43", "--reads", "--output=OUT", "--format", "json"],
                         [EXAMPLES / "delete_demo"])
    assert any(e["type"] == "read" for e in events)


def test_step_option_single_steps_the_delete(tmp_path):
    """--step sees every write to the chain, the hardware only the key's cells and the header."""
    prog = [FIXTURES / "chain", "grow"]
    env = {"HMAP_SEED": "7"}
    key = program_target(prog, {**os.environ, **env})
    counts = []
    for extra in ([], ["--step"]):
        out = tmp_path / f"step{len(counts)}.json"
        proc = run(["--map", "chain", "--key", key, "--events", "delete", "--format", "json", "-o", str(out)]
                   + extra, env, prog)
        assert proc.returncode == 0, proc.stderr
        counts.append(len([e for e in events_of(out.read_text()) if e["type"] == "write"]))
    assert counts[1] > counts[0] > 0, counts


def test_events_go_to_standard_error_by_default():
    proc = run(["-m", "counts", "-k", "42", "-e", "delete", "--format", "json"], DEMO, [EXAMPLES / "delete_demo"])
    assert proc.returncode == 0, proc.stderr
    events = events_of(proc.stderr)
    assert events[0]["type"] == "meta" and events[-1]["type"] == "exit"
    assert [e["field"] for e in events if e["type"] == "write"] == ["flags", "elem", "tophash", "count", "flags"]
    # Standard output is the program's alone.
    assert not events_of(proc.stdout) and "deleted 15 keys: len 85" in proc.stdout


def test_long_pid_option(tmp_path):
    prog = subprocess.Popen([str(FIXTURES / "chain"), "loop", "300"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.2)
    out = tmp_path / "events.json"
    proc = subprocess.run([str(TRACER), "--pid", str(prog.pid), "--map", "chain", "--key", "42", "--events", "delete",
                           "--max-events", "3", "--format", "json", "--output", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    events = events_of(out.read_text())
    assert events[0]["type"] == "meta" and len(events) == 1 + 3 + 1 and events[-1]["type"] == "exit"
    stdout, _ = prog.communicate(timeout=60)
    assert prog.returncode == 0 and "deletes of 42: 300" in stdout


TAKING_ARGUMENT = ["-m", "--map", "-k", "--key", "-e", "--events", "-o", "--output", "--format",
                   "-n", "--max-events", "-p", "--pid"]


@pytest.mark.parametrize("option", TAKING_ARGUMENT)
def test_option_without_its_argument(option):
    p = subprocess.run([str(TRACER), option], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stderr
    assert p.stderr == f"mapviz-trace: option {option} needs an argument (try --help)\n"


def test_grouped_short_option_without_its_argument():
    p = subprocess.run([str(TRACER), "-rm"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and p.stderr == "mapviz-trace: option -m needs an argument (try --help)\n"
