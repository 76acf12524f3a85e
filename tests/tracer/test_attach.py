"""-p: attach to a live process, and leave it running as if never traced."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from tracelib import EXAMPLES, FIXTURES, TRACER, run_trace, wait_for_events


def start(argv):
    return subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.parametrize("mode,sig", [("slot", signal.SIGINT), ("delete", signal.SIGINT),
                                      ("delete", signal.SIGTERM), ("slot", signal.SIGHUP)])
def test_signal_detaches_and_the_process_finishes(tmp_path, mode, sig):
    """SIGINT, SIGTERM and SIGHUP detach the tracer; a leftover debug register or int3 byte
    would kill the program with SIGTRAP, and a tracer dead without detaching would leave it stopped."""
    if mode == "slot":
        prog = start([EXAMPLES / "threads_demo", "4", "1500", "300"])
        args = ["-m", "shared", "-k", "42"]
    else:
        prog = start([FIXTURES / "chain", "loop", "1500"])
        args = ["-m", "chain", "-k", "42", "-e", "delete"]
    time.sleep(0.2)
    out = tmp_path / "events.json"
    tracer = subprocess.Popen([str(TRACER), "--format", "json", "-o", str(out), "-p",
                               str(prog.pid)] + args, stderr=subprocess.PIPE, text=True)
    wait_for_events(out, 20)  # attached, armed, and seeing writes
    tracer.send_signal(sig)
    _, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    stdout, stderr = prog.communicate(timeout=60)
    assert prog.returncode == 0, (prog.returncode, stderr)
    if mode == "slot":
        assert re.search(r"armed on 5/5 threads", err), err  # main + 4 writers
        assert "writes to key 42: 6000" in stdout
    else:
        assert "deletes of 42: 1500" in stdout
    # Nothing of the tracer is left in the process's threads.
    events = [l for l in out.read_text().splitlines()]
    assert '"type":"meta"' in events[0] and len(events) > 20


def test_max_events_on_attached_process(tmp_path):
    prog = start([EXAMPLES / "threads_demo", "2", "2000", "200"])
    time.sleep(0.2)
    t = run_trace(tmp_path, ["-m", "shared", "-k", "42", "-n", "50", "-p", str(prog.pid)])
    assert t.rc == 0, t.stderr
    counted = [e for e in t.events if e["type"] in ("write", "read", "race")]
    assert len(counted) == 50, t.events  # moves are not counted
    end = t.events[-1]
    assert (end["type"], end["reason"], end["status"], end["signal"]) == ("exit", "detached", None, None)
    stdout, _ = prog.communicate(timeout=60)
    assert prog.returncode == 0 and "writes to key 42: 4000" in stdout


def test_setup_error_leaves_attached_process_untouched(tmp_path):
    prog = start([FIXTURES / "chain", "loop", "500"])
    time.sleep(0.2)
    t = run_trace(tmp_path, ["-m", "nosuch", "-k", "42", "-p", str(prog.pid)])
    assert t.rc == 2 and t.stderr == "mapviz-trace: no such map: no global variable nosuch in the program's DWARF\n"
    stdout, _ = prog.communicate(timeout=60)
    assert prog.returncode == 0 and "deletes of 42: 500" in stdout


def test_map_given_by_address_uses_its_type_descriptor(tmp_path):
    """-m 0x...: no variable, so the layout comes from the descriptor the map points to."""
    prog = start([FIXTURES / "chain", "loop", "600"])
    addr = prog.stdout.readline().split()[1]  # "map 0x..."
    t = run_trace(tmp_path, ["-m", addr, "-k", "42", "-e", "delete", "-n", "12", "-p", str(prog.pid)])
    assert t.rc == 0, t.stderr
    meta = t.events[0]
    assert meta["map"] == addr and meta["layout"]["type"] == "chain_map"
    assert meta["layout"]["key_type"] == "uint64_t"
    writes = t.of("write")
    assert len(writes) == 12 and {e["op"] for e in writes} == {"delete"}
    assert "emptyOne" in [e["decoded"] for e in writes]
    stdout, _ = prog.communicate(timeout=60)
    assert prog.returncode == 0 and "deletes of 42: 600" in stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_running_a_program_is_passed_on(tmp_path, sig):
    """Under `mapviz-trace -- PROGRAM`, SIGINT or SIGTERM to the tracer: it detaches clean and
    passes the signal on to the program it started (as strace does); the program's end is the
    tracer's exit status and the stream's last event."""
    out = tmp_path / "events.json"
    tracer = subprocess.Popen([str(TRACER), "--format", "json", "-o", str(out), "-m", "shared",
                               "-k", "42", "--", str(EXAMPLES / "threads_demo"), "3", "100000", "300"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_events(out, 20)
    tracer.send_signal(sig)
    stdout, err = tracer.communicate(timeout=60)
    assert tracer.returncode == 128 + sig, err  # killed by the signal passed on, not by SIGTRAP
    assert "writes to key 42" not in stdout
    assert f"{signal.strsignal(sig)}: detached from pid" in err, err
    end = json.loads(out.read_text().splitlines()[-1])
    assert (end["type"], end["reason"], end["signal"]) == ("exit", "detached", sig), end


def test_second_signal_reaches_a_program_that_ignores_the_first(tmp_path):
    """A launched program that survives the first signal passed on (it ignores SIGINT): a
    second one to the tracer, while it waits for the program, is passed on too."""
    out = tmp_path / "events.txt"
    tracer = subprocess.Popen([str(TRACER), "-o", str(out), "-m", "m", "-k", "42", "--",
                               str(FIXTURES / "hammer"), "4", str(int(signal.SIGINT))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    assert tracer.stdout.readline() == "ready\n"
    wait_for_events(out, 5)
    tracer.send_signal(signal.SIGINT)  # detaches; the program ignores it and runs on
    time.sleep(0.5)
    assert tracer.poll() is None
    tracer.send_signal(signal.SIGTERM)  # passed on as well: ends it
    _, err = tracer.communicate(timeout=60)
    assert tracer.returncode == 128 + signal.SIGTERM, err
    last = out.read_text().splitlines()[-1]
    assert last.startswith("#") and "exit    detached from pid" in last, last
    assert last.endswith("which then ended: killed by signal 15"), last


def test_ctrl_c_reaches_a_launched_program_once(tmp_path):
    """Ctrl-C on a terminal signals the tracer and the program it started alike (one process
    group): the tracer detaches and does not pass on a second SIGINT of its own."""
    import pty
    out = tmp_path / "events.txt"
    pid, master = pty.fork()
    if pid == 0:
        os.execv(str(TRACER), [str(TRACER), "-o", str(out), "-m", "m", "-k", "42", "--",
                               str(FIXTURES / "interrupts")])
    seen = b""
    while b"ready" not in seen:
        seen += os.read(master, 4096)
    wait_for_events(out, 5)
    os.write(master, b"\x03")  # the terminal's interrupt character
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: everything on it was read
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, text)
    assert "interrupts 1\r\n" in text, text
    assert "Interrupt: detached from pid" in text, text


def launched_child(tracer):
    end = time.time() + 20
    while time.time() < end:
        children = open(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError("the tracer started no program")


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


@pytest.mark.parametrize("mode", ["slot", "delete"])
def test_signal_while_the_leader_is_a_zombie_ends_the_tracer(tmp_path, mode):
    """The program's main thread has exited alone (a zombie whose exit is reported only after
    the other threads'), another thread still writes the key: SIGTERM to the tracer detaches
    it without waiting on the zombie, passes the signal on, and ends with the program."""
    out = tmp_path / "events.json"
    tracer = subprocess.Popen([str(TRACER), "--format", "json", "-o", str(out), "-e", mode,
                               "-m", "m", "-k", "42", "--", str(FIXTURES / "leader_exits"), "30"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        child = launched_child(tracer)
        if mode == "slot":
            wait_for_events(out, 20)  # (delete mode has none to report: no deletes)
        end = time.time() + 20
        while proc_state(child) != "Z" and time.time() < end:
            time.sleep(0.05)
        assert proc_state(child) == "Z"
        tracer.send_signal(signal.SIGTERM)
        _, err = tracer.communicate(timeout=20)
    finally:
        tracer.kill()
    assert tracer.returncode == 128 + signal.SIGTERM, err
    assert "Terminated: detached from pid" in err, err
    end = json.loads(out.read_text().splitlines()[-1])
    assert (end["type"], end["reason"], end["signal"]) == ("exit", "detached", signal.SIGTERM), end


def test_leader_exiting_first_ends_with_the_programs_status(tmp_path):
    """The main thread exits alone and the other thread ends the process later: every write
    of the other thread is seen and the stream ends with the process's own exit status."""
    t = run_trace(tmp_path, ["-m", "m", "-k", "42"], [FIXTURES / "leader_exits", "0.3"],
                  timeout=60)
    assert t.rc == 3, t.stderr
    assert t.events[-1]["type"] == "exit" and t.events[-1]["status"] == 3, t.events[-1]
    assert len([e for e in t.events if e["type"] == "write"]) > 10


def test_attach_to_a_process_whose_main_thread_has_exited_is_refused_in_one_line(tmp_path):
    """-p on a process whose main thread has already exited alone (a zombie until the
    others are reaped): one line says why it cannot be traced, and the program, untouched,
    runs on to its own end."""
    prog = subprocess.Popen([str(FIXTURES / "leader_exits"), "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        end = time.time() + 20
        while proc_state(prog.pid) != "Z" and time.time() < end:
            time.sleep(0.02)
        assert proc_state(prog.pid) == "Z"
        done = subprocess.run([str(TRACER), "-m", "m", "-k", "42", "-p", str(prog.pid)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode != 0
        assert done.stderr == (f"mapviz-trace: pid {prog.pid}: its main thread has exited (the "
                               "process lives on in its other threads); attaching to such a "
                               "process is not supported\n"), done.stderr
        prog.wait(timeout=30)
    finally:
        prog.kill()
    assert prog.returncode == 3
