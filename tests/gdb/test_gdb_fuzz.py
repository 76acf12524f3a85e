"""Corrupted memory: 2000 random corruptions of live maps, every command after each.

No command may hang (the session has a deadline, each command 10 s), print a
Python traceback or an internal error, fail with anything but a one-line "mapviz:" error, or print
more than 400 kB.
"""
import re

from gdbtest import fixture_path, run_gdb

HERE = __import__("pathlib").Path(__file__).resolve().parent


def test_thousand_corruptions(tmp_path):
    out = run_gdb([fixture_path("maps"), tmp_path / "truth"], [f"source {HERE / 'fuzz_session.py'}"],
                  timeout=300)
    m = re.search(r"FUZZ rounds=(\d+) commands=(\d+) errors=(\d+) markers=(\S+) problems=(.*)", out[0])
    assert m, out[0][-2000:]
    assert int(m.group(1)) >= 1000 and int(m.group(2)) == 7 * int(m.group(1))
    markers = {kind: int(n) for kind, n in (x.split(":") for x in m.group(4).split(","))}
    # Corruptions show up as inline markers, each spelled as mapviz spells it.
    for kind in ("unreadable", "cycle", "badB", "tophash", "bucket", "count"):
        assert markers[kind] > 0, (kind, markers)
    assert m.group(5) == "[]", m.group(5)
