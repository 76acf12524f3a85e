"""Helpers of the Go tests of the GDB extension: the fixtures per Go release, their truth,
GDB runs (as tests/gdb/gdbtest.py does, with Go's own runtime-gdb.py when asked)."""
import collections
import os
import pathlib
import re
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "gdb"))
import gdbtest  # noqa: E402
from gdbtest import MAPVIZ, ROOT, gdb_env  # noqa: E402, F401 (for the Go tests)

BUILD = ROOT / "build" / "tests" / "go"   # tests/go/go.mk builds each fixture per release
# Go 1.19 is always there (make test installs it); the others are tested when installed.
RELEASES = ["1.19", "1.21", "1.22", "1.23"]

GoMap = collections.namedtuple("GoMap", "name count B flags hash0 noverflow growing nevacuate entries cells")
# One slot of a map[int64]int64 as the program read it: array is "old" or "new".
GoCell = collections.namedtuple("GoCell", "array bucket depth slot tophash key elem")


def go_binary(release, name):
    path = BUILD / f"go{release}" / name
    if not path.exists():
        if release == "1.19" or pathlib.Path(f"/usr/lib/go-{release}/bin/go").exists():
            pytest.fail(f"{path} is missing: run make {path.relative_to(ROOT)}")
        pytest.skip(f"Go {release} is not installed (/usr/lib/go-{release})")
    return path


def goroot_paths(release):
    """Where runtime-gdb.py is, as the binary names it and really (GDB checks both resolved)."""
    script = pathlib.Path(f"/usr/lib/go-{release}/src/runtime/runtime-gdb.py")
    return [str(script.parent), str(script.resolve().parent)]


def run_gdb(argv, commands, core=None, stop="main.breakHere", runtime_gdb=None, timeout=300,
            python_errors_allowed=False):
    """The output of each command, as gdbtest.run_gdb; runtime_gdb=RELEASE lets GDB auto-load
    that release's runtime-gdb.py (named by the binary's .debug_gdb_scripts)."""
    iex = ["set auto-load python-scripts off"]
    if runtime_gdb:
        iex = [f"add-auto-load-safe-path {path}" for path in goroot_paths(runtime_gdb)]
    return gdbtest.run_gdb(argv, commands, core=core, stop=stop, timeout=timeout, iex=iex,
                           python_errors_allowed=python_errors_allowed)


def read_truth(path):
    maps = {}
    for line in pathlib.Path(path).read_text().splitlines():
        kind, rest = line.split(" ", 1)
        if kind == "map":
            f = rest.split()
            if f[1] == "nil":
                maps[f[0]] = None
                continue
            maps[f[0]] = GoMap(f[0], int(f[1]), int(f[2]), int(f[3]), int(f[4], 16), int(f[5]),
                               f[6] == "1", int(f[7]), {}, [])
        elif kind == "entry":
            name, kv = rest.split(" ", 1)
            k, v = kv.split("\t")
            maps[name].entries[k] = v
        elif kind == "cell":
            f = rest.split()
            maps[f[0]].cells.append(GoCell(f[1], *map(int, f[2:])))
    return maps


def split_entries(body):
    """{key text: elem text} of a printed map's `{[k] = v, ...}` body."""
    out, depth, quote, start, i = [], 0, False, 0, 0
    while i < len(body):
        ch = body[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(body[start:i].strip())
            start = i + 1
        i += 1
    if body[start:].strip():
        out.append(body[start:].strip())
    entries = {}
    for item in out:
        m = re.match(r"\[(.*)\] = (.*)\Z", item, re.S)
        assert m, item
        assert m.group(1) not in entries, f"key {m.group(1)} printed twice"
        entries[m.group(1)] = m.group(2)
    return entries


def printed_map(text):
    """(type text, length or None, {key: elem}) of a `print` of a map."""
    m = re.match(r"\$\d+ = (\S+?)(?: of length (\d+))? = \{(.*)\}\Z", text, re.S)
    assert m, text
    return m.group(1), int(m.group(2)) if m.group(2) else None, split_entries(m.group(3))


class GoMapsRunner:
    """run(commands, **kw) on build/tests/gdbgo/goR/gdbmaps; .truth after each run."""

    def __init__(self, release, tmp_path):
        self.release = release
        self.binary = go_binary(release, "gdbmaps")
        self.truth_file = tmp_path / "truth"
        self.truth = None

    def __call__(self, commands, **kw):
        blocks = run_gdb([self.binary, self.truth_file], commands, **kw)
        self.truth = read_truth(self.truth_file)
        return blocks


def toolchain_version(release):
    out = subprocess.run([f"/usr/lib/go-{release}/bin/go", "version"], capture_output=True, text=True,
                         env=dict(os.environ, GOTOOLCHAIN="local")).stdout
    return out.split()[2]
