#!/usr/bin/env python3
"""hmap against Go 1.19's runtime map and C++ std::unordered_map: N random u64
keys (the same keys for all three, see bench_keys.h), ns per insert / hit /
miss / delete, and bytes per entry, measured in one run.

Each program times every operation over the whole key set REPEATS times and
keeps its best; the three programs run in turn ROUNDS times and the best of
each is kept, so that a burst of load on the machine hurts all of them alike.
Bytes per entry: what the map holds from its allocator once the N keys are
in (hmap: a counting allocator through hmap_set_allocator; unordered_map: a
counting std::allocator; Go: runtime.MemStats.HeapAlloc growth, after a GC).

Target: hmap at most 0.8x Go's time and at most 1.0x unordered_map's on every
operation. The table says which ratios meet it.
"""
import argparse
import json
import pathlib
import subprocess
import sys

BUILD = pathlib.Path(__file__).resolve().parents[3] / "build" / "bench" / "hmap"
IMPLS = ["hmap", "go", "unordered_map"]
OPS = ["insert", "hit", "miss", "delete"]
TARGET = {"go": 0.8, "unordered_map": 1.0}


def run_one(impl, n, seed, repeats):
    exe = BUILD / f"bench_{impl}"
    if not exe.exists():
        sys.exit(f"bench.py: {exe} is not built (make bench builds it)")
    r = subprocess.run([str(exe), str(n), str(seed), str(repeats)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench.py: {exe.name} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of keys (default 1000000)")
    ap.add_argument("--seed", type=int, default=42, help="seed of the keys (default 42)")
    ap.add_argument("--repeats", type=int, default=5, help="runs per program per round (default 5)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the three programs (default 2)")
    args = ap.parse_args()

    best = {}
    for _ in range(args.rounds):
        for impl in IMPLS:
            res = run_one(impl, args.n, args.seed, args.repeats)
            if impl in best:
                for op in OPS:
                    best[impl][op] = min(best[impl][op], res[op])
            else:
                best[impl] = res
    checksums = {best[i]["checksum"] for i in IMPLS}
    if len(checksums) != 1 or any(best[i]["found_misses"] for i in IMPLS):
        sys.exit("bench.py: the programs disagree on what they found: " + json.dumps(best))

    print(f"hmap: {args.n} random u64 keys, ns per operation (best of {args.repeats} runs x "
          f"{args.rounds} rounds), bytes per entry held from the allocator")
    print(f"{'':12}{'hmap':>9}{'go':>9}{'unordered_map':>15}{'hmap/go':>10}{'hmap/unordered_map':>20}")
    missed = []
    for op in OPS + ["bytes_per_entry"]:
        h, g, u = (best[i][op] for i in IMPLS)
        row = f"{op.replace('_per_', '/'):12}{h:9.1f}{g:9.1f}{u:15.1f}{h / g:10.2f}{h / u:20.2f}"
        if op in OPS:
            for peer, limit in TARGET.items():
                if h / best[peer][op] > limit:
                    missed.append(f"{op} vs {peer} ({h / best[peer][op]:.2f} > {limit})")
        print(row)
    if missed:
        print("target (hmap <= 0.8x go, <= 1.0x unordered_map) missed: " + ", ".join(missed))
    else:
        print("target (hmap <= 0.8x go, <= 1.0x unordered_map) met on every operation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
