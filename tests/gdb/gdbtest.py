"""Helpers of the GDB tests: run GDB in batch mode against the fixtures, read their ground truth.

Each test starts a fresh `gdb -nx -batch` (colors off). Commands are wrapped
in `echo @@BEGIN n` / `echo @@END n`, as Go's runtime-gdb test does, so a
test gets exactly the output of each command, errors included.
"""
import collections
import os
import pathlib
import re
import subprocess

import pytest

import reference

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
FIXTURES = BUILD / "tests" / "gdb"
MAPVIZ = ROOT / "gdb" / "mapviz.py"

Entry = collections.namedtuple("Entry", "key elem hash elemcell")
MapTruth = collections.namedtuple("MapTruth", "addr count B hash0 flags noverflow entries absent")


def fixture_path(name):
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run make {path.relative_to(ROOT)}")
    return path


def gdb_env(seed=1):
    env = dict(os.environ)
    env["HMAP_SEED"] = str(seed)
    env.pop("NO_COLOR", None)
    return env


def run_gdb(argv, commands, core=None, stop="break_here", source=True, timeout=120, seed=1, env=None,
            iex=("set auto-load python-scripts off",), python_errors_allowed=False):
    """The output of each command (a list of strings), GDB's stderr merged in order.
    iex: what GDB runs before loading the program (by default: no auto-loaded scripts);
    python_errors_allowed: another extension (Go's runtime-gdb.py) may fail in a print."""
    ex = ["set pagination off", "set width 0", "set height 0", "set confirm off"]
    if source:
        ex += [f"source {MAPVIZ}", "set mapviz color off"]
    if core is None and stop:
        ex += [f"break {stop}", "run"]
    for i, cmd in enumerate(commands):
        ex += [f"echo \\n@@BEGIN {i}\\n", cmd, f"echo \\n@@END {i}\\n"]
    args = ["gdb", "-nx", "-batch"]
    for e in iex:
        args += ["-iex", e]
    for e in ex:
        args += ["-ex", e]
    args += [str(argv[0]), str(core)] if core else ["--args"] + [str(a) for a in argv]
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          env=env or gdb_env(seed), cwd=ROOT)
    out = proc.stdout.decode("utf-8", "replace")
    blocks = []
    for i in range(len(commands)):
        m = re.search(rf"@@BEGIN {i}\n(.*?)\n?@@END {i}\n", out, re.S)
        assert m, f"no output block for {commands[i]!r} in:\n{out[-3000:]}"
        blocks.append(m.group(1).rstrip("\n"))
    assert "Traceback" not in out, out
    assert python_errors_allowed or "Python Exception" not in out, out
    return blocks


def read_truth(path):
    maps = {}
    for line in pathlib.Path(path).read_text().splitlines():
        f = line.split()
        if f[0] == "map":
            maps[f[1]] = MapTruth(int(f[2], 16), int(f[3]), int(f[4]), int(f[5], 16), int(f[6]), int(f[7]), [], [])
        elif f[0] == "entry":
            maps[f[1]].entries.append(Entry(int(f[2]), int(f[3]), int(f[4], 16), int(f[5], 16)))
        elif f[0] == "absent":
            maps[f[1]].absent.append((int(f[2]), int(f[3], 16)))
    return maps


def read_facts(path, words=None):
    """{word: [integers]} from a truth file's fact lines (a word, then integers in C notation);
    only the lines whose word is in words, when given (the others hold other records)."""
    facts = {}
    for line in pathlib.Path(path).read_text().splitlines():
        word, *numbers = line.split()
        if words is None or word in words:
            facts[word] = [int(x, 0) for x in numbers]
    return facts


class MapsRunner:
    """run(commands, **kw) against build/tests/gdb/maps; .truth (entries, hashes) and .cells
    ({name: reference.Arrays}, every cell as the program read it) are read after each run."""

    def __init__(self, tmp_path):
        self.truth_file = tmp_path / "truth"
        self.truth = None
        self.cells = None

    def __call__(self, commands, **kw):
        blocks = run_gdb([fixture_path("maps"), self.truth_file], commands, **kw)
        self.truth = read_truth(self.truth_file)
        self.cells = reference.read_arrays(self.truth_file)
        return blocks


def tophash(h, min_top_hash=5):
    top = h >> 56
    return top + min_top_hash if top < min_top_hash else top
