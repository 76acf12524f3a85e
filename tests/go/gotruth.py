"""The Go truth programs (tests/go/fixtures/), run and read from outside.

Nothing of mapviz is used here: the placements come from the program itself,
the hash seeds from its memory (/proc/PID/mem at the addresses of the ELF
symbols, which Go binaries keep), found with binutils' nm.
"""
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BUILD_GO = ROOT / "build" / "tests" / "go"
# Releases whose maps have the classic bucket design.
CLASSIC_RELEASES = ["1.19", "1.20", "1.21", "1.22", "1.23"]
SEED_SYMBOLS = {"runtime.aeskeysched": 128, "runtime.hashkey": 32, "runtime.useAeshash": 1}


def wanted_releases():
    """Releases that must be tested: 1.19 always, and those MAPVIZ_GO names."""
    wanted = ["1.19"] + os.environ.get("MAPVIZ_GO", "").split()
    return sorted(set(wanted), key=lambda r: int(r.split(".")[1]))


def built_releases():
    """Every release a truth program was built with, the wanted ones
    included even when missing (so that their test fails, not skips)."""
    built = [r for r in CLASSIC_RELEASES if (BUILD_GO / ("go" + r) / "truth").exists()]
    return sorted(set(built) | set(wanted_releases()), key=lambda r: int(r.split(".")[1]))


def fixture(release, name="truth"):
    path = BUILD_GO / ("go" + release) / name
    assert path.exists(), "%s was not built: is Go %s installed? (make test installs it)" % (path, release)
    return path


def symbol_addresses(binary):
    out = subprocess.run(["nm", "-S", str(binary)], check=True, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] in SEED_SYMBOLS:
            found[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return found


class Truth:
    """One run: maps[name] = {'hash0', 'B', 'count', 'keys': [(key, bucket, tophash)]};
    seeds[symbol] = its bytes, read while the program waited."""

    def __init__(self, maps, seeds):
        self.maps = maps
        self.seeds = seeds

    def hashkey_words(self):
        raw = self.seeds["runtime.hashkey"]
        return [int.from_bytes(raw[i:i + 8], "little") for i in range(0, 32, 8)]


def run_truth(binary, extra_env=None):
    env = dict(os.environ)
    env.update(extra_env or {})
    symbols = symbol_addresses(binary)
    assert set(symbols) == set(SEED_SYMBOLS), "symbols missing in %s: %s" % (binary, symbols)
    for name, (_, size) in symbols.items():
        assert size == SEED_SYMBOLS[name], "%s is %d bytes in %s" % (name, size, binary)
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    maps, current = {}, None
    try:
        for raw in proc.stdout:
            line = raw.decode().rstrip("\n")
            if line == "ready":
                break
            if line.startswith("map "):
                _, name, *fields = line.split()
                values = dict(f.split("=") for f in fields)
                current = maps[name] = {"hash0": int(values["hash0"], 16), "B": int(values["B"]),
                                        "count": int(values["count"]), "keys": []}
            else:
                key, bucket, top = line.rsplit(" ", 2)
                current["keys"].append((key, int(bucket), int(top)))
        else:
            raise AssertionError("%s ended before printing 'ready' (status %s)" % (binary, proc.wait()))
        seeds = {}
        with open("/proc/%d/mem" % proc.pid, "rb") as mem:
            for name, (addr, size) in symbols.items():
                mem.seek(addr)
                seeds[name] = mem.read(size)
    finally:
        proc.stdin.close()
        proc.stdout.close()
        status = proc.wait(timeout=30)
    assert status == 0, "%s exited with %d" % (binary, status)
    return Truth(maps, seeds)

