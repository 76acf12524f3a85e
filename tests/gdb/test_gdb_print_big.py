"""print of maps large enough for the walk's batches, chunks and overflow chains: every live
entry exactly once (also mid-doubling, old and new buckets spanning several chunks), the same
from a core file, and decoded in bulk (Python calls per entry, not per slot)."""
import re

from gdbtest import fixture_path, run_gdb

N = 100_000


def pairs(text):
    body = text.split("= {", 1)[1]
    return [(int(k), int(v)) for k, v in re.findall(r"\[(\d+)\] = (\d+)", body)]


def expected_big():
    return {(k, 3 * k) for k in range(N) if k % 7 != 3}


def run_bigmaps(tmp_path, commands, core=None):
    truth = tmp_path / "truth"
    out = run_gdb([fixture_path("bigmaps"), N, truth], ["set print elements unlimited"] + commands, core=core,
                  timeout=300)
    return out[1:], int(truth.read_text().split()[1]) if truth.exists() else None


def check_prints(big, halfway, m):
    got = pairs(big)
    assert big.startswith(f"$1 = big_map of length {len(expected_big())} = {{")
    assert len(got) == len(set(got)) and set(got) == expected_big()
    got = pairs(halfway)
    assert halfway.startswith(f"$2 = big_map of length {m} = {{")
    assert len(got) == m and set(got) == {(k, 3 * k) for k in range(m)}


def test_every_entry_once_in_large_and_half_evacuated_maps(tmp_path):
    out, m = run_bigmaps(tmp_path, ["print *big", "print *halfway", "print (int) halfway->h.B",
                                    "print halfway->h.nevacuate", "mapviz show halfway --summary",
                                    "print -elements 10 -- *big", f"gcore {tmp_path / 'core'}"])
    check_prints(out[0], out[1], m)
    # Really mid-doubling, old buckets evacuated and not: both kinds of chains were walked.
    assert out[2].endswith("= 14") and 0 < int(out[3].split()[-1]) < 1 << 13
    assert "growing (doubling)" in out[4]
    assert len(pairs(out[5])) == 5 and out[5].endswith("...}")
    # The same from the core file.
    core_out, _ = run_bigmaps(tmp_path, ["print *big", "print *halfway"], core=tmp_path / "core")
    assert core_out == out[:2]


# What print of big calls in mapviz's Python, per entry shown (the printer's own generator left
# out: GDB resumes it once per child). The walk decodes buckets in bulk: a call per
# overflow bucket at most, none per slot.
CALLS_PER_ENTRY = "python exec(%r)" % """
import cProfile, pstats
profile = cProfile.Profile()
profile.enable()
gdb.execute("print *big", to_string=True)
profile.disable()
calls = sum(s[1] for f, s in pstats.Stats(profile).stats.items()
            if "mapviz_gdb" in f[0] and f[2] != "children")
print(f"calls per entry {calls / int(gdb.parse_and_eval('big->h.count')):.3f}")
"""


def test_print_decodes_buckets_in_bulk(tmp_path):
    out, _ = run_bigmaps(tmp_path, [CALLS_PER_ENTRY])
    per_entry = float(re.search(r"calls per entry (\S+)", out[0]).group(1))
    assert per_entry < 0.5, out[0]
