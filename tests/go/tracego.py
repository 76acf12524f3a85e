"""mapviz-trace on the Go fixtures (tests/go/fixtures/trace_*.go): running the
tracer and the program, and reading the ground truth the programs print.

The tracer side reuses tests/tracer/tracelib.py (every event is checked against
the stream's schema there).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tracer"))

from gotruth import BUILD_GO, built_releases, fixture  # noqa: E402,F401
from tracelib import TRACER, run_trace, wait_for_events  # noqa: E402,F401

# What hardware and --step trajectories must agree on, event by event. Code addresses
# compare (both runs are made with address-space randomization off); heap addresses, a live
# tophash byte and hash0 do not: Go seeds every map's hash at random in each run.
KEYS = ("type", "op", "field", "bucket", "overflow", "old_table", "slot", "size", "old", "new",
        "decoded", "pc", "insn", "func", "func_offset", "file", "line")


def _seeded(e, k):
    """e[k], or "live"/"seed" where the value depends on the run's hash seed."""
    v = e.get(k)
    if e.get("field") == "hash0" and k in ("old", "new"):
        return "seed"
    if e.get("field") == "tophash" and k in ("old", "new", "decoded"):
        return v if e.get("old_decoded" if k == "old" else "new_decoded") else "live"
    return v


def trajectory(t):
    return [tuple(_seeded(e, k) for k in KEYS) for e in t.events[1:]
            if e["type"] not in ("exit", "note")]


def truth_lines(stdout, word, name):
    """The program's own lines `WORD NAME k=v ...` for NAME, in order, as dicts of text."""
    return [dict(kv.split("=", 1) for kv in m.group(1).split())
            for m in re.finditer(rf"^{word} {re.escape(name)} (.*)$", stdout, re.M)]
