"""Delve's `print` of a Go map, timed the way session.py times GDB's: the command alone.

One Delve session (`dlv exec`, its terminal reading commands from a pipe) is stopped at
the program's breakpoint with `config max-array-values` raised past the map's length (Delve
loads 64 map entries by default; this limit is the one that bounds maps too). Each round
sends `print EXPR` and times it until the closing `]` of the map has been read back, so
Delve's start-up, the run to the breakpoint and the prompt are not counted, as GDB's are
not; like GDB's printers timed with `to_string=True`, Delve formats every entry as text. The
output is read in large chunks so the reader costs little beside Delve. Rounds take the best
time; every round's output is checked entry by entry against the program's own rule.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

ENTRY = re.compile(rb"^\t(-?\d+): (-?\d+), $", re.M)
READY = b'"mapviz-bench-ready"\n'   # the init file's last command echoes this
END = b"\n]\n"                      # a map printed by Delve ends with `]` on its own line


def dlv_version():
    """Delve's release (`1.24.0`), or None when dlv is not installed."""
    if not shutil.which("dlv"):
        return None
    out = subprocess.run(["dlv", "version"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"^Version: (\S+)", out, re.M)
    return m.group(1) if m else "unknown"


def _read_until(fd, marker, deadline):
    """Bytes read from fd up to and including the first `marker`, or an error past deadline."""
    buf = bytearray()
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise RuntimeError(f"dlv ended before printing {marker!r}: ...{bytes(buf[-500:])!r}")
        start = max(0, len(buf) - len(marker))
        buf += chunk
        if buf.find(marker, start) >= 0:
            return bytes(buf)
        if time.monotonic() > deadline:
            raise RuntimeError(f"dlv printed no {marker!r} in time: ...{bytes(buf[-500:])!r}")


def delve_print(prog, args, stop, expr, entries, check, rounds=5, timeout=600):
    """Best wall-clock seconds of Delve's `print EXPR` over `rounds`, a map of `entries`
    entries whose every (key, elem) must satisfy check(key, elem)."""
    with tempfile.TemporaryDirectory() as home:
        init = os.path.join(home, "init")
        with open(init, "w") as f:
            f.write(f"break {stop}\ncontinue\nconfig max-array-values {entries + 1}\n"
                    f"print {READY.decode().strip()}\n")
        argv = ["dlv", "exec", str(prog), "--check-go-version=false",
                "--allow-non-terminal-interactive=true", "--init", init, "--", *map(str, args)]
        # A scratch XDG_CONFIG_HOME: no user's Delve configuration changes what is measured.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=home, env=dict(os.environ, XDG_CONFIG_HOME=home))
        try:
            fd = proc.stdout.fileno()
            deadline = time.monotonic() + timeout
            _read_until(fd, READY, deadline)
            best = float("inf")
            for _ in range(rounds):
                t0 = time.perf_counter()
                proc.stdin.write(f"print {expr}\n".encode())
                proc.stdin.flush()
                out = _read_until(fd, END, deadline)
                best = min(best, time.perf_counter() - t0)
                pairs = [(int(k), int(v)) for k, v in ENTRY.findall(out)]
                keys = {k for k, _ in pairs}
                if len(pairs) != entries or len(keys) != entries or not all(check(k, v) for k, v in pairs):
                    raise RuntimeError(f"Delve printed {len(pairs)} entries ({len(keys)} keys) of {entries}, "
                                       f"or a wrong one: ...{out[-300:]!r}")
            return best
        finally:
            proc.stdin.close()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
