#!/usr/bin/env python3
"""make bench: run every benchmark under tests/bench/*/bench*.py in turn.

Each bench.py measures mapviz against its peers in the same run and prints
its own table of figures and ratios; this runner only orders them and reports
which ones failed to run.
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main():
    failed = []
    for bench in sorted(HERE.glob("*/bench*.py")):
        name = bench.parent.name + bench.stem[len("bench"):].replace("_", " ")
        print(f"== {name} ==", flush=True)
        rc = subprocess.call([sys.executable, str(bench)] + sys.argv[1:])
        if rc != 0:
            failed.append(name)
        print(flush=True)
    if failed:
        print("benchmarks that failed to run: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
