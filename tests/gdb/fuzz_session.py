"""Run inside GDB (by test_fuzz.py), stopped in the maps fixture: corrupt, run every command, restore.

Each round writes random bytes (or a value chosen to hurt: 0, all ones, a
pointer back into the map, a large B) somewhere in a map's memory, runs every
mapviz command and the printer, checks the output, and restores the bytes.
It prints one line: FUZZ rounds=N commands=C errors=E markers=KIND:N,... problems=[...],
counting each inline marker by its own spelling (Graphviz labels are full of '<').
"""
import collections
import os
import random
import re
import time

import gdb

ROUNDS = int(os.environ.get("MAPVIZ_FUZZ_ROUNDS", "2000"))
MAX_OUTPUT = 400_000     # bytes of output one command may print
MAX_SECONDS = 10.0       # one command
inf = gdb.selected_inferior()
rng = random.Random(int(os.environ.get("MAPVIZ_FUZZ_SEED", "1")))


def addr_of(expr):
    return int(gdb.parse_and_eval(expr).cast(gdb.lookup_type("unsigned long")))


def regions(var):
    """(name, start, length) of the memory that makes up map `var`."""
    h = addr_of(var)
    out = [(f"&{var}", addr_of(f"&{var}"), 8), (f"{var} header", h, 56)]
    buckets, B = addr_of(f"{var}->h.buckets"), int(gdb.parse_and_eval(f"{var}->h.B"))
    size = int(gdb.parse_and_eval(f"sizeof(*{var}->bucket_layout[0])"))
    out.append((f"{var} buckets", buckets, size << B))
    old = addr_of(f"{var}->h.oldbuckets")
    if old:
        out.append((f"{var} oldbuckets", old, size << max(0, B - 1)))
    out.append((f"{var} descriptor", addr_of(f"{var}->h.type"), int(gdb.parse_and_eval("sizeof(struct hmap_type)"))))
    return out


def nasty_bytes(start, n, var_header):
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(n)
    if kind == 1:
        return b"\xff" * n
    if kind == 2 and n >= 8:   # a pointer into the map: cycles, self references
        return (var_header + rng.randrange(0, 4096, 8)).to_bytes(8, "little")[:n]
    if kind == 3:               # a tophash state or a small B
        return bytes([rng.randrange(0, 80)]) + bytes(rng.randrange(256) for _ in range(n - 1))
    return bytes(rng.randrange(256) for _ in range(n))


# The inline markers a command prints where memory is bad, by kind.
MARKERS = {
    "unreadable": re.compile(r"<unreadable (?:overflow |oldbuckets )?0x[0-9a-f]+>"),
    "cycle": re.compile(r"<cycle: overflow 0x[0-9a-f]+ already in chain>"),
    "badB": re.compile(r"<bad B=\d+(?: while growing)?>"),
    "tophash": re.compile(r"<tophash mismatch: key hashes to 0x[0-9a-f]{2}>"),
    "bucket": re.compile(r"<wrong bucket: key belongs in \d+>"),
    "count": re.compile(r"<count \d+ but \d+ live entries>"),
}
MAPS = {"u64s": "42", "growing": "1005", "names": "apple", "samesize": "5003"}
plans = {var: regions(var) for var in MAPS}
problems = []
markers = collections.Counter()
errors = 0
commands_run = 0
for round_ in range(ROUNDS):
    var = rng.choice(list(MAPS))
    name, start, length = rng.choice(plans[var])
    n = rng.choice([1, 1, 2, 4, 8, 8])
    off = rng.randrange(0, max(1, length - n + 1))
    data = None
    if name.endswith("buckets") and rng.randrange(8) == 0:
        # An overflow pointer back to its own bucket: a chain that never ends.
        size = int(gdb.parse_and_eval(f"sizeof(*{var}->bucket_layout[0])"))
        n, bucket = 8, rng.randrange(length // size)
        off = bucket * size + int(gdb.parse_and_eval(f"{var}->h.type->overflow_offset"))
        data = (start + bucket * size).to_bytes(8, "little")
    where = start + off
    saved = inf.read_memory(where, n).tobytes()
    inf.write_memory(where, data or nasty_bytes(where, n, plans[var][1][1]))
    try:
        for cmd in (f"mapviz show {var} --limit 8", f"mapviz show {var} --summary", f"mapviz slot {var} {MAPS[var]}",
                    f"mapviz dot {var} --limit 4", f"print *{var}", f"print {var}", "mapviz ls"):
            t0 = time.monotonic()
            try:
                out = gdb.execute(cmd, to_string=True)
            except gdb.error as e:
                out = str(e)
                errors += 1
                if not out.startswith("mapviz:") and not cmd.startswith("print"):
                    problems.append((round_, name, off, cmd, "error without mapviz: " + out[:200]))
            commands_run += 1
            took = time.monotonic() - t0
            for kind, pattern in MARKERS.items():
                markers[kind] += len(pattern.findall(out))
            if "internal error" in out:
                problems.append((round_, name, off, cmd, out[:300]))
            if "Traceback" in out or "Python Exception" in out:
                problems.append((round_, name, off, cmd, "traceback: " + out[:300]))
            if len(out) > MAX_OUTPUT:
                problems.append((round_, name, off, cmd, f"{len(out)} bytes of output"))
            if took > MAX_SECONDS:
                problems.append((round_, name, off, cmd, f"took {took:.1f}s"))
    finally:
        inf.write_memory(where, saved)
print(f"FUZZ rounds={ROUNDS} commands={commands_run} errors={errors} markers={','.join(f'{k}:{markers[k]}' for k in MARKERS)} problems={problems[:5]!r}")
