"""Every way out leaves an attached program running as if never traced: any ending signal to
the tracer, and output that cannot be written (exit status 1, one line naming the file)."""
import signal
import subprocess
import time

import pytest

from tracelib import EXAMPLES, TRACER, Running, tracer_pid

# Every catchable signal whose default action would end the tracer (not its own faults).
ENDING = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGPIPE, signal.SIGALRM, signal.SIGTERM, signal.SIGSTKFLT, signal.SIGXCPU,
          signal.SIGXFSZ, signal.SIGVTALRM, signal.SIGPROF, signal.SIGIO, signal.SIGPWR,
          signal.SIGRTMIN, signal.SIGRTMAX]


def assert_left_running(h):
    """The program is untraced, alive, and ends with its own status 0 when told to."""
    assert tracer_pid(h.pid) == 0
    time.sleep(0.2)  # a register or int3 byte left behind would kill it with SIGTRAP by now
    assert h.alive()
    status, writes, err = h.finish()
    assert status == 0 and writes, (status, err)


@pytest.mark.parametrize("sig", ENDING, ids=[signal.Signals(s).name for s in ENDING])
def test_ending_signal_detaches_clean(tmp_path, hammer, sig):
    h = hammer(2)
    tracer = Running(tmp_path, ["-m", "m", "-k", "42", "-o", tmp_path / "ev.txt", "-p", h.pid])
    tracer.wait_err(r"armed on 3/3 threads")
    time.sleep(0.2)
    tracer.proc.send_signal(sig)
    rc, err = tracer.wait()
    assert rc == 0, err
    assert f"{signal.strsignal(sig)}: detached from pid {h.pid}" in err, err
    assert (tmp_path / "ev.txt").read_text().splitlines()[-1].endswith(f"exit    detached from pid {h.pid}")
    assert_left_running(h)


def test_output_to_a_full_device_launched(tmp_path):
    t = subprocess.run([str(TRACER),
                        "-m", "shared", "-k", "42", "-o", "/dev/full", "--",
                        str(EXAMPLES / "threads_demo"), "2", "300", "30"],
                       capture_output=True, text=True, timeout=60)
    assert t.returncode == 1, t.stderr
    lines = [l for l in t.stderr.splitlines() if "/dev/full" in l]
    assert lines == ["mapviz-trace: /dev/full: No space left on device"], t.stderr
    assert "writes to key 42: 600" in t.stdout  # the program ran to its end all the same


def test_output_to_a_full_device_attached(tmp_path, hammer):
    """Attached, the tracer notices at once (not at the end), detaches and leaves."""
    h = hammer(2)
    tracer = Running(tmp_path, ["-m", "m", "-k", "42", "-o", "/dev/full", "-p", h.pid])
    rc, err = tracer.wait(timeout=30)
    assert rc == 1, err
    assert "mapviz-trace: /dev/full: No space left on device\n" in err, err
    assert err.count("No space left") == 1, err
    assert_left_running(h)


def test_output_to_a_closed_pipe(tmp_path, hammer):
    """-o - into a pipe whose reader goes away early."""
    h = hammer(2)
    tracer = Running(tmp_path, ["-m", "m", "-k", "42", "-o", "-", "-p", h.pid],
                     stdout=subprocess.PIPE)
    tracer.proc.stdout.readline()  # the stream began
    tracer.proc.stdout.close()
    rc, err = tracer.wait(timeout=30)
    assert rc == 1, err
    assert "mapviz-trace: standard output: Broken pipe\n" in err, err
    assert_left_running(h)


def test_dash_means_standard_output(tmp_path):
    t = subprocess.run([str(TRACER), "--format", "json", "-o", "-",
                        "-m", "shared", "-k", "42", "--", str(EXAMPLES / "threads_demo"), "1", "20", "5"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert t.returncode == 0, t.stderr
    assert not (tmp_path / "-").exists()
    lines = [l for l in t.stdout.splitlines() if l.startswith("{")]
    assert '"type":"meta"' in lines[0] and '"type":"exit"' in lines[-1], t.stdout
