"""Runs inside GDB for bench.py: time the printers and mapviz show, print one JSON line.

The floor is GDB's own children protocol at its cheapest: a printer for
struct floor_pairs that yields n integer pairs and does nothing else. GDB makes
a value of each child and asks every pretty printer about it. The text floor is
the same printer yielding each integer as text (str(i)), which GDB writes out as
it is: the protocol's cost for text children, as mapviz's print yields integers.
"""
import json
import os
import time

import gdb

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


class FloorPrinter:
    as_text = False   # `python FloorPrinter.as_text = True`: the text floor

    def __init__(self, value):
        self.n = int(value["n"])

    def to_string(self):
        return f"floor of length {self.n}"

    def display_hint(self):
        return "map"

    def children(self):
        if FloorPrinter.as_text:
            for i in range(self.n):
                yield "", str(i)
                yield "", str(i * 3)
            return
        for i in range(self.n):
            yield "", i
            yield "", i * 3


def floor_lookup(value):
    t = value.type.strip_typedefs()
    floor = t.code == gdb.TYPE_CODE_STRUCT and t.tag in ("floor_pairs", "main.floor_pairs")   # C, Go
    return FloorPrinter(value) if floor else None


gdb.pretty_printers.append(floor_lookup)
gdb.execute("set print elements unlimited")
gdb.execute("set print repeats unlimited")
gdb.execute("set mapviz max-buckets unlimited")


def measure(commands):
    """Best of REPEAT wall-clock seconds per command, its output size and `[k] = v` count.
    Commands take turns, round after round, so a busy machine slows all of them alike.
    A command may be a list: setup commands, the one timed, then commands that undo the setup."""
    results = {name: {"seconds": float("inf"), "bytes": 0, "entries": 0} for name in commands}
    for _ in range(REPEAT):
        for name, cmd in commands.items():
            before, cmd, after = ([], cmd, []) if isinstance(cmd, str) else (cmd[:-2], cmd[-2], cmd[-1:])
            for c in before:
                gdb.execute(c, to_string=True)
            t0 = time.perf_counter()
            out = gdb.execute(cmd, to_string=True)
            took = time.perf_counter() - t0
            for c in after:
                gdb.execute(c, to_string=True)
            r = results[name]
            r["seconds"] = min(r["seconds"], took)
            r["bytes"], r["entries"] = len(out), out.count("] = ")
    return results


print("BENCH " + json.dumps(measure(json.loads(os.environ["BENCH_COMMANDS"]))))
