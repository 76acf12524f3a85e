"""Bad input: exit status 2 and one line on standard error naming the problem."""
import os
import re
import subprocess
import time

import pytest

from tracelib import EXAMPLES, FIXTURES, TRACER

DEMO = str(EXAMPLES / "delete_demo")
CHAIN = str(FIXTURES / "chain")

CASES = [
    (["-m", "nosuch", "-k", "1", "--", DEMO], r"^mapviz-trace: no such map: no global variable nosuch"),
    (["-m", "answer", "-k", "1", "--", CHAIN], r"^mapviz-trace: answer is not a map \(its type is int\)$"),
    (["-m", "break_here", "-k", "1", "--", DEMO], r"^mapviz-trace: break_here is not a map"),
    (["-m", "counts", "-k", "abc", "--", DEMO],
     r'^mapviz-trace: bad key "abc": abc is not an integer \(key type uint64_t\)$'),
    (["-m", "counts", "-k", "-1", "--", DEMO], r'^mapviz-trace: bad key "-1"'),
    (["-m", "counts", "-k", "18446744073709551616", "--", DEMO], r'^mapviz-trace: bad key'),
    (["-m", "chain", "-k", "1", "--", str(FIXTURES / "chain_stripped")],
     r"^mapviz-trace: .*chain_stripped has no DWARF debug info \(stripped binary\?\)"),
    (["-m", "counts", "-k", "1", "-p", "999999"], r"^mapviz-trace: no such process: pid 999999$"),
    (["-m", "colors", "-k", "0x010002000300", "--", str(FIXTURES / "odd_cells")],
     r"^mapviz-trace: following key .* needs 6 watch regions \(tophash 1, key cell 2, elem cell 2, "
     r"buckets pointer 1\); x86-64 has 4 debug registers$"),
    (["-m", "counts", "-k", "1", "--", "/nonexistent/prog"],
     r"^mapviz-trace: cannot run /nonexistent/prog: No such file or directory$"),
    (["-m", "counts", "--", DEMO], r"^mapviz-trace: no key: give -k KEY"),
    (["-k", "1", "--", DEMO], r"^mapviz-trace: no map: give -m NAME"),
    (["-m", "counts", "-k", "1"], r"^mapviz-trace: no program"),
    (["-m", "counts", "-k", "1", "-e", "insert", "--", DEMO], r"^mapviz-trace: bad --events insert"),
    (["-m", "counts", "-k", "1", "--format", "xml", "--", DEMO], r"^mapviz-trace: bad --format xml"),
    (["-m", "counts", "-k", "1", "--step", "--", DEMO], r"^mapviz-trace: --step works with -e delete"),
    (["-m", "counts", "-k", "1", "-n", "0", "--", DEMO], r"^mapviz-trace: bad --max-events 0"),
    (["-m", "counts", "-k", "1", "--bogus", "--", DEMO], r"^mapviz-trace: unknown option --bogus"),
    (["-m", "0x10", "-k", "1", "--", DEMO], r"^mapviz-trace: 0x10 is not a map: cannot read a map header at 0x10$"),
]


@pytest.mark.parametrize("args,pattern", CASES, ids=[" ".join(c[0][:4]) for c in CASES])
def test_bad_input(args, pattern):
    p = subprocess.run([str(TRACER)] + args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert p.stdout == ""  # the program did not run (or was killed before main)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the tracer as nobody")
def test_permission_denied_attaching_to_another_users_process():
    victim = subprocess.Popen([CHAIN, "loop", "300"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.1)
    p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        str(TRACER), "-m", "chain", "-k", "42", "-p", str(victim.pid)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert p.stderr == f"mapviz-trace: ptrace seize pid {victim.pid}: Operation not permitted\n"
    out, _ = victim.communicate(timeout=60)
    assert victim.returncode == 0 and "deletes of 42: 300" in out


def test_help_and_version():
    p = subprocess.run([str(TRACER), "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "-e, --events WHAT" in p.stdout and "--step" in p.stdout
    p = subprocess.run([str(TRACER), "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("mapviz-trace ")
