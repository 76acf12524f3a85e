"""Whose a SIGTRAP is: a traced program gets exactly the SIGTRAPs it raised itself, under any
load and for any duration, and never one of the tracer's."""
import os
import re
import signal
import subprocess
import time

from tracelib import FIXTURES, Running, tracer_pid

# make stress runs the load test for 10 minutes.
STRESS_SECONDS = float(os.environ.get("MAPVIZ_STRESS_SECONDS", "60"))
OWN_TRAPS = FIXTURES / "own_traps"
WAYS = 6  # raise, kill, sigqueue, int3, int $3, int1: see fixtures/own_traps.c


def test_decision_case_by_case():
    """The decision itself (tracer/trap.c), including the empty debug status a hypervisor leaves
    behind: fixtures/trap_test.c."""
    p = subprocess.run([str(FIXTURES / "trap_test")], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout
    assert re.match(r"^ok (\d+)$", p.stdout) and int(p.stdout.split()[1]) > 1000, p.stdout


def test_launched_program_gets_exactly_its_own_traps(trace):
    """Each way a program raises SIGTRAP, between writes of the watched key (registers armed,
    hits taken): its handler counts every one, and no other."""
    t = trace(["-m", "m", "-k", "42"], [OWN_TRAPS, "100"])
    assert t.rc == 0, t.stderr
    assert f"traps {100 * WAYS} of {100 * WAYS}" in t.stdout, t.stdout
    elems = [e for e in t.of("write") if e["field"] == "elem"]
    assert len(elems) >= 100 * WAYS - 1, len(elems)  # the tracer saw the writes around them
    assert (t.events[-1]["reason"], t.events[-1]["status"]) == ("exited", 0)


def test_attached_program_gets_exactly_its_own_traps(tmp_path):
    prog = subprocess.Popen([str(OWN_TRAPS), "100", "wait"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert prog.stdout.readline() == "ready\n"
        tracer = Running(tmp_path, ["-m", "m", "-k", "42", "--format", "json",
                                    "-o", tmp_path / "ev.json", "-p", prog.pid])
        tracer.wait_err(r"armed on 1/1 threads")
        out, _ = prog.communicate(input="go\n", timeout=60)
        assert prog.returncode == 0 and f"traps {100 * WAYS} of {100 * WAYS}" in out, out
        rc, err = tracer.wait()
        assert rc == 0, err
        events = (tmp_path / "ev.json").read_text().splitlines()
        assert len(events) > 100 * WAYS and '"reason":"exited"' in events[-1], events[-1]
    finally:
        prog.kill()


def test_attached_under_load(tmp_path, hammer):
    """Four threads writing key 42 under a mutex, traced from outside for STRESS_SECONDS: the
    program lives on, every hit is the tracer's, and after the tracer leaves it exits 0 on its
    own. (A debug trap whose status the hypervisor lost was once passed on as the program's
    SIGTRAP and killed it after about a million hits.)"""
    h = hammer(4)
    tracer = Running(tmp_path, ["-m", "m", "-k", "42", "-o", "/dev/null", "-p", h.pid])
    tracer.wait_err(r"armed on 5/5 threads")
    start = time.time()
    while time.time() - start < STRESS_SECONDS:
        time.sleep(1)
        assert h.alive(), h.finish()
        assert tracer.proc.poll() is None, tracer.err()
    tracer.proc.send_signal(signal.SIGINT)
    rc, err = tracer.wait()
    elapsed = time.time() - start
    assert rc == 0, err
    hits = int(re.search(r"detached from pid \d+ after (\d+) watch hits", err).group(1))
    assert tracer_pid(h.pid) == 0
    status, writes, perr = h.finish()
    assert status == 0, (status, perr)
    assert hits > 1000 and writes >= hits, (hits, writes)
    empty = re.search(r"(\d+) debug traps came with an empty debug status: (\d+) were hits.*"
                      r"(\d+) hit nothing", err)
    print(f"\nstress: {elapsed:.0f} s attached under 4 writing threads: {hits} watch hits "
          f"({hits / elapsed:.0f}/s), {writes} writes by the program, "
          f"empty-status traps: {empty.group(0) if empty else 0}")
