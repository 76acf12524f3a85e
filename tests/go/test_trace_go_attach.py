"""mapviz-trace -p on a running Go server (tests/go/fixtures/server.go): goroutines on several
Ms writing key 42 under a mutex, Ms parked in futex sleep, SIGURG preemption of a tight loop,
and threads created and ended all the time, while the tracer seizes them. The tracer records
the writes to 42, detaches (SIGINT, or -n reached), and the program runs on untraced and
ends with status 0 when told to."""
import json
import pathlib
import re
import signal
import subprocess
import time

import pytest

from tracego import TRACER, built_releases, fixture, wait_for_events

releases = pytest.mark.parametrize("release", built_releases())


class Server:
    """The server fixture running until its standard input is closed."""

    def __init__(self, release):
        self.proc = subprocess.Popen([str(fixture(release, "server"))], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline() == "ready\n"
        self.pid = self.proc.pid
        self.tracers = []

    def threads(self):
        """{tid: (state letter, TracerPid)} of every thread (ones ending meanwhile left out)."""
        found = {}
        for task in pathlib.Path(f"/proc/{self.pid}/task").iterdir():
            try:
                status = (task / "status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            state = re.search(r"^State:\s+(\S)", status, re.M).group(1)
            found[int(task.name)] = (state, int(re.search(r"^TracerPid:\s+(\d+)$", status, re.M).group(1)))
        return found

    def finish(self):
        """Closes its input: (exit status, its own count of writes to 42, stderr)."""
        out, err = self.proc.communicate(timeout=60)
        m = re.search(r"^writes to 42: (\d+)$", out, re.M)
        return self.proc.returncode, int(m.group(1)) if m else None, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def server():
    """Starts servers; they and any tracer attached to them are killed when the test ends."""
    made = []

    def start(release):
        made.append(Server(release))
        return made[-1]
    yield start
    for s in made:
        for tracer in s.tracers:
            if tracer.poll() is None:
                tracer.kill()  # a tracer that hung: the test has failed already
                tracer.communicate()
        s.kill()


def left_untraced(srv):
    """Every thread of the server has no tracer, and none stays stopped."""
    threads = srv.threads()
    assert threads and all(tracer == 0 for _, tracer in threads.values()), threads
    time.sleep(0.3)
    threads = srv.threads()
    assert srv.proc.poll() is None, "the program ended after the tracer left"
    assert all(state not in "tT" for state, _ in threads.values()), threads


def writes_to_42(path):
    """The writes of the stream (the program's stores into 42's elem, and the runtime's if
    the map grew meanwhile); the stream ends with the detach."""
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert events[0]["type"] == "meta" and events[-1]["type"] == "exit", events[-1]
    assert events[-1]["reason"] == "detached", events[-1]
    assert events[1]["type"] == "move" and events[1]["to"]["present"], events[1]
    writes = [e for e in events if e["type"] == "write"]
    stores = [e for e in writes if e["op"] == "foreign"]
    assert stores and {(e["field"], e["func"]) for e in stores} == {("elem", "main.main.func1")}
    return writes


def trace(srv, tmp_path, *extra):
    out = tmp_path / "events.json"
    cmd = [str(TRACER), "--format", "json", "-o", str(out), "-p", str(srv.pid), "-m", "main.m",
           "-k", "42", *extra]
    srv.tracers.append(subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True))
    return srv.tracers[-1], out


@releases
def test_sigint_detaches_from_a_go_server(tmp_path, server, release):
    srv = server(release)
    tracer, out = trace(srv, tmp_path)
    wait_for_events(out, 30, timeout=30)  # attached to every thread, armed, and seeing writes
    tracer.send_signal(signal.SIGINT)
    _, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    assert re.search(r"^mapviz-trace: armed on (\d+)/\1 threads$", err, re.M), err
    assert "Interrupt: detached from pid" in err, err
    left_untraced(srv)
    writes = writes_to_42(out)
    rc, count, perr = srv.finish()
    assert rc == 0, perr
    assert count > len(writes)


@releases
def test_max_events_detaches_from_a_go_server(tmp_path, server, release):
    srv = server(release)
    tracer, out = trace(srv, tmp_path, "-n", "100")
    _, err = tracer.communicate(timeout=60)
    assert tracer.returncode == 0, err
    assert "-n reached: detached from pid" in err, err
    left_untraced(srv)
    assert len(writes_to_42(out)) == 100
    rc, count, perr = srv.finish()
    assert rc == 0 and count > 100, (rc, perr)
