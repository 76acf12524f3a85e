#!/usr/bin/env python3
"""make bench, the GDB part: mapviz's printer and `mapviz show` against GDB's floor and libstdc++.

Measured in one run, each figure the best of 5 rounds (3 for the cores) in which the
commands take turns:
  floor        a trivial printer yielding N integer pairs (GDB's children protocol, nothing else)
  text floor   the same printer yielding each integer as text (str): mapviz's print yields an
               integer key or elem as its text (GDB prints it as it is, asking no printer),
               so this is the protocol's own cost for the children mapviz yields
  print        `print *big` with mapviz's printer (live entries decoded from bulk reads)
  show         `mapviz show big` with every bucket (set mapviz max-buckets unlimited)
  unordered    `print *m` of a std::unordered_map<uint64_t, uint64_t> with libstdc++'s printer
at 30k entries live, then at 100k and 1M entries from core files (linear scaling:
microseconds per entry should stay flat). Targets: print <= 1.5x the text floor (the
protocol's cost for the children print yields), show <= 2x floor, unordered_map printer >= 4x
slower than mapviz's print. print / floor (GDB's value children) is shown beside.

Then a Go 1.19 program's 100k-entry map[int64]int64, live, in one GDB session where Go's own
runtime-gdb.py is auto-loaded beside mapviz (best of 2 rounds, Go's printer being slow):
  floor, text floor, print, show   as above (`print main.big`, `mapviz show main.big`)
  runtime-gdb.py       `print main.big` with mapviz's printer disabled (Go's prints it then)
Then Delve's `print main.big` of the same program stopped at the same breakpoint, with
`config max-array-values` raised so it prints all 100k entries (checked entry by entry),
best of 5 rounds in one Delve session. Each round is timed from sending the command to
reading back the map's closing line, so, as for GDB's commands (timed inside GDB, output
captured as text), Delve's start-up and the run to the breakpoint are not counted (delve.py).
Targets: print <= 1.5x the text floor, runtime-gdb.py >= 30x slower and Delve >= 2x slower
than mapviz's print.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from delve import delve_print, dlv_version

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = ROOT / "build" / "tests" / "bench" / "gdb"
SESSION = pathlib.Path(__file__).resolve().parent / "session.py"
MAPVIZ = ROOT / "gdb" / "mapviz.py"


def gdb(args, commands, core=None, timeout=1800, repeat=5, stop="break_here", iex=()):
    env = dict(os.environ, HMAP_SEED="1", BENCH_COMMANDS=json.dumps(commands), BENCH_REPEAT=str(repeat))
    ex = ["set pagination off", "set confirm off", f"source {MAPVIZ}"]
    if core is None:
        ex += [f"break {stop}", "run"]
    ex += [f"source {SESSION}"]
    argv = ["gdb", "-nx", "-batch"]   # auto-load stays on: libstdc++'s printers load that way
    for e in iex:
        argv += ["-iex", e]
    for e in ex:
        argv += ["-ex", e]
    argv += [str(args[0]), str(core)] if core else ["--args"] + [str(a) for a in args]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    out = proc.stdout + proc.stderr
    m = re.search(r"^BENCH (.*)$", out, re.M)
    if not m:
        sys.exit(f"bench: no result from gdb {' '.join(map(str, args))}:\n{out[-2000:]}")
    return json.loads(m.group(1))


def make_core(n, directory):
    core = pathlib.Path(directory) / f"bigmap-{n}.core"
    subprocess.run(["gdb", "-nx", "-batch", "-ex", "break break_here", "-ex", "run", "-ex", f"gcore {core}",
                    "--args", str(BUILD / "bigmap"), str(n)], capture_output=True,
                   env=dict(os.environ, HMAP_SEED="1"), check=True, timeout=600)
    return core


def text_floor(print_floor):
    """Commands that time print_floor with session.py's floor printer yielding text."""
    return ["python FloorPrinter.as_text = True", print_floor, "python FloorPrinter.as_text = False"]


MAP_COMMANDS = {"floor": "print floor_pairs", "text": text_floor("print floor_pairs"), "print": "print *big",
                "show": "mapviz show big"}
GO_ENTRIES = 100_000
GO_COMMANDS = {"floor": "print main.floor", "text": text_floor("print main.floor"), "print": "print main.big",
               "show": "mapviz show main.big",
               "runtime": ["disable pretty-printer global mapviz", "print main.big",
                           "enable pretty-printer global mapviz"]}
GO_RUNTIME = pathlib.Path("/usr/lib/go-1.19/src/runtime/runtime-gdb.py")


def go_row():
    """The Go case's figures, with runtime-gdb.py loaded (GDB checks the safe path resolved)."""
    safe = {str(GO_RUNTIME.parent), str(GO_RUNTIME.resolve().parent)}
    r = gdb([BUILD / "bigmap-go", GO_ENTRIES], GO_COMMANDS, repeat=2, stop="main.breakHere",
            iex=[f"add-auto-load-safe-path {p}" for p in sorted(safe)])
    for name in ("floor", "text", "print", "runtime"):
        if r[name]["entries"] != GO_ENTRIES:
            sys.exit(f"bench: Go {name} printed {r[name]['entries']} entries of {GO_ENTRIES}")
    return r


def main():
    for exe in ("bigmap", "umap"):
        if not (BUILD / exe).exists():
            sys.exit(f"bench: {BUILD / exe} is missing (make bench builds it)")
    rows = []
    live = gdb([BUILD / "bigmap", 30000], MAP_COMMANDS)
    umap = gdb([BUILD / "umap", 30000], {"unordered": "print *m", "floor": "print 0"})
    rows.append((30000, "live", live, umap["unordered"]))
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100_000, 1_000_000):
            core = make_core(n, tmp)
            rows.append((n, "core", gdb([BUILD / "bigmap"], MAP_COMMANDS, core=core, repeat=3), None))
            core.unlink()

    for n, where, r, unordered in rows:   # every printer printed every entry
        for name, got in [("floor", r["floor"]), ("text floor", r["text"]), ("print", r["print"])] + \
                ([("unordered", unordered)] if unordered else []):
            if got["entries"] != n:
                sys.exit(f"bench: {name} printed {got['entries']} entries of {n}")
        if r["show"]["bytes"] < 20 * n:
            sys.exit(f"bench: mapviz show printed only {r['show']['bytes']} bytes for {n} entries")
    print(f"{'entries':>9} {'from':>5} | {'floor s':>8} {'text fl.':>8} {'print s':>8} {'show s':>8} {'unord. s':>8} | "
          f"{'print/floor':>11} {'print/text':>10} {'show/floor':>10} {'unord/print':>11} | "
          f"{'us/entry print':>14} {'show':>6}")
    ok = True
    text_ratios = []   # print / text floor where the 1.5x target applies
    for n, where, r, unordered in rows:
        fl, tx, pr, sh = (r[k]["seconds"] for k in ("floor", "text", "print", "show"))
        un = f"{unordered['seconds']:8.3f}" if unordered else f"{'':>8}"
        ratio_un = f"{unordered['seconds'] / pr:10.2f}x" if unordered else f"{'':>11}"
        print(f"{n:>9} {where:>5} | {fl:8.3f} {tx:8.3f} {pr:8.3f} {sh:8.3f} {un} | {pr / fl:10.2f}x {pr / tx:9.2f}x "
              f"{sh / fl:9.2f}x {ratio_un} | {pr / n * 1e6:14.2f} {sh / n * 1e6:6.2f}")
        if n == 30000:
            ok &= sh / fl <= 2.0 and unordered["seconds"] / pr >= 4
        if n <= 100_000:
            ok &= pr / tx <= 1.5
            text_ratios.append(f"{pr / tx:.2f}x at {n // 1000}k")
    print(f"targets (print <= 1.5x text floor at 30k and 100k: {', '.join(text_ratios)}; show <= 2x floor and "
          f"unordered_map >= 4x print at 30k): {'met' if ok else 'NOT met'}")

    if not (BUILD / "bigmap-go").exists() or not GO_RUNTIME.exists():
        print("Go 1.19 case skipped: no Go 1.19 (make bench builds bigmap-go with /usr/lib/go-1.19)")
        return 0
    g = go_row()
    fl, tx, pr, sh, rt = (g[k]["seconds"] for k in ("floor", "text", "print", "show", "runtime"))
    print(f"\nGo 1.19 map[int64]int64, {GO_ENTRIES} entries live, runtime-gdb.py loaded too:")
    print(f"{'floor s':>8} {'text fl.':>8} {'print s':>8} {'show s':>8} {'runtime-gdb.py s':>16} | {'print/floor':>11} "
          f"{'print/text':>10} {'runtime-gdb.py/print':>20} | {'us/entry print':>14}")
    print(f"{fl:8.3f} {tx:8.3f} {pr:8.3f} {sh:8.3f} {rt:16.3f} | {pr / fl:10.2f}x {pr / tx:9.2f}x {rt / pr:19.1f}x | "
          f"{pr / GO_ENTRIES * 1e6:14.2f}")
    go_ok = pr / tx <= 1.5 and rt / pr >= 30
    version = dlv_version()
    if version is None:
        print("Delve case skipped: no dlv (make bench installs it with scripts/ensure-go delve)")
    else:
        try:
            dl = delve_print(BUILD / "bigmap-go", [GO_ENTRIES], "main.breakHere", "main.big", GO_ENTRIES,
                             check=lambda k, v: 0 <= k < GO_ENTRIES and v == 3 * k)
        except RuntimeError as exc:
            sys.exit(f"bench: {exc}")
        print(f"Delve {version} print s {dl:.3f} | Delve/print {dl / pr:.2f}x | us/entry Delve {dl / GO_ENTRIES * 1e6:.2f}")
        go_ok &= dl / pr >= 2
    print(f"Go targets (print <= 1.5x text floor: {pr / tx:.2f}x, runtime-gdb.py >= 30x print"
          f"{', Delve >= 2x print' if version else ''}): {'met' if go_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
