"""A short libFuzzer run of tests/hmap/hmap_fuzz.c (make fuzz runs it longer)."""
from hmap_binaries import HMAP_FUZZ, run

FUZZ_SECONDS = 15


def test_fuzz_short_run(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    r = run([HMAP_FUZZ, f"-max_total_time={FUZZ_SECONDS}", "-print_final_stats=1",
             f"-artifact_prefix={tmp_path}/", corpus], timeout=FUZZ_SECONDS + 120)
    assert r.returncode == 0, r.stderr[-4000:]
    stats = dict(line.rsplit(":", 1) for line in r.stderr.splitlines() if line.startswith("stat::"))
    executed = int(stats["stat::number_of_executed_units"])
    assert executed > 10000, f"only {executed} inputs run"
    assert int(stats["stat::new_units_added"]) > 10  # it explored, not just replayed nothing
    assert not list(tmp_path.glob("crash-*"))
