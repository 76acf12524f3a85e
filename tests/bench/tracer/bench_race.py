#!/usr/bin/env python3
"""The race witness (mapviz-trace --reads), measured in one run.

tests/bench/tracer/reads times its own loop (loop_ns), so the tracer's start-up
is not counted:
  get N      N gets of key 42, a hot key: each reads its tophash byte (twice)
             and key cell, hits all. Events and hits per second, against the ptrace
             floor (floor.c on tests/bench/tracer/hits, the least any ptrace
             tracer does per hit).
  race N     a thread reading key 42's elem through a pointer N times beside a
             thread deleting key 42: events and races per second (each race
             holds every thread and unwinds two stacks).
  others N   N puts of other keys: key 42's cells are untouched, but each put
             sets and clears the map's hashWriting flag, which the witness
             watches (two stops per write operation of the map). ns per put
             with --reads, against the same traced without --reads (nothing
             hit) and untraced.
Each figure is the best of REPEAT runs, the commands taking turns. Figures are
printed, never asserted.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = ROOT / "build"
READS = BUILD / "tests" / "bench" / "tracer" / "reads"
HITS = BUILD / "tests" / "bench" / "tracer" / "hits"
FLOOR = BUILD / "tests" / "bench" / "tracer" / "floor"
TRACER = BUILD / "bin" / "mapviz-trace"
REPEAT = 3


def run(cmd):
    """(loop seconds, events by type) of one run."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as out:
        full = [str(c).replace("{out}", out.name) for c in cmd]
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(full)} failed ({p.returncode}): {p.stderr.strip()}")
        counts = {}
        for t in re.findall(r'^\{"type":"([a-z]+)"', out.read(), re.M):
            counts[t] = counts.get(t, 0) + 1
    return int(re.search(r"^loop_ns (\d+)$", p.stdout, re.M).group(1)) / 1e9, counts, p


def best(cmds):
    """Each command's best run (fastest loop): name -> (seconds, counts, process)."""
    runs = {name: [] for name in cmds}
    for _ in range(REPEAT):
        for name, cmd in cmds.items():
            runs[name].append(run(cmd))
    return {name: min(r, key=lambda x: x[0]) for name, r in runs.items()}


def main():
    for f in (READS, HITS, FLOOR, TRACER):
        if not f.exists():
            sys.exit(f"bench: {f} is missing: run make bench")
    trace = [TRACER, "-m", "reads", "-k", "42", "--format", "json", "-o", "{out}"]
    n, q = 10000, 2000000  # (q untraced or not hit: enough to time it)
    b = best({
        "get": trace + ["--reads", "--", READS, "get", n],
        "race": trace + ["--reads", "--", READS, "race", n],
        "others": trace + ["--reads", "--", READS, "others", n],
        "others_plain": trace + ["--", READS, "others", q],
        "untraced": [READS, "others", q],
    })
    floor_s = min(run([FLOOR, HITS, "hits", n])[0] for _ in range(REPEAT))
    floor = n / floor_s

    def counted(name):
        c = b[name][1]
        return sum(c.get(t, 0) for t in ("read", "write", "race"))

    get_s, race_s = b["get"][0], b["race"][0]
    get_events, race_events = counted("get"), counted("race")
    races = b["race"][1].get("race", 0)
    put = {"others": b["others"][0] / n, "others_plain": b["others_plain"][0] / q,
           "untraced": b["untraced"][0] / q}
    rows = [
        ("events/s: --reads, gets of a hot key", f"{get_events / get_s:,.0f}",
         f"{get_events / get_s / floor:.2f}x floor hits/s", f"({get_events} events)"),
        ("gets/s: --reads, hot key", f"{n / get_s:,.0f}", "",
         f"({get_events / n:.0f} hits each)"),
        ("events/s: --reads, reader beside deleter", f"{race_events / race_s:,.0f}",
         f"{race_events / race_s / floor:.2f}x floor hits/s", f"({race_events} events)"),
        ("races/s: the same", f"{races / race_s:,.0f}", "", f"({races} races)"),
        ("hits/s: ptrace floor", f"{floor:,.0f}", "1.00x floor", ""),
        ("ns/put, other keys: --reads", f"{put['others'] * 1e9:,.0f}",
         f"{put['others'] / put['untraced']:.0f}x untraced", "2 stops per put (the flag)"),
        ("ns/put, other keys: traced, no --reads", f"{put['others_plain'] * 1e9:,.1f}",
         f"{put['others_plain'] / put['untraced']:.3f}x untraced", "nothing hit"),
        ("ns/put, other keys: untraced", f"{put['untraced'] * 1e9:,.1f}", "1.000x", ""),
    ]
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"{'what':<{w[0]}}  {'figure':>{w[1]}}  {'ratio':<{w[2]}}  note")
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")


if __name__ == "__main__":
    main()
