"""Go's own signals reach a Go program traced by mapviz-trace (tests/go/fixtures/signals.go):
SIGURG, the runtime's asynchronous preemption, which alone lets a goroutine run beside one
spinning without calls on a single P; and SIGPROF, each sample of a runtime/pprof CPU profile.
The program's output traced is its output untraced."""
import subprocess

import pytest

from tracego import built_releases, fixture, run_trace

releases = pytest.mark.parametrize("release", built_releases())
EXPECTED = "preempted: the spinner was stopped\nprofile: has samples\n"


@releases
def test_sigurg_and_sigprof_reach_the_traced_program(tmp_path, release):
    program = fixture(release, "signals")
    untraced = subprocess.run([str(program)], capture_output=True, text=True, timeout=60)
    assert (untraced.returncode, untraced.stdout) == (0, EXPECTED), untraced.stderr
    t = run_trace(tmp_path, ["-m", "main.m", "-k", "42"], [program], timeout=60)
    assert t.rc == 0, t.stderr
    assert t.stdout == untraced.stdout
    # Traced all along: the writes of both phases were seen.
    assert len([e for e in t.of("write") if e["field"] == "elem"]) >= 20
    assert t.events[-1]["reason"] == "exited"
