"""The hmap C unit tests (tests/hmap/hmap_test.c), each case in its own process:
plain with a random and a fixed hash seed, and under ASan + UBSan + LSan."""
import signal

import pytest

from hmap_binaries import HMAP_TEST, HMAP_TEST_ASAN, list_cases, run

# The cases, written here (not taken from the binary) so that a case dropped from
# hmap_test.c fails test_every_case_is_collected instead of shrinking the run.
CASES = ["model_u64", "model_kinds", "emptyrest_walk", "delete_clears_cells", "reseed_when_empty",
         "evacuation_snapshots", "same_size_grow", "hint", "string_keys", "struct_keys", "indirect", "clear",
         "iteration", "nil_map", "alloc_failure", "retired_memory"]
BUILDS = {"plain": HMAP_TEST, "asan": HMAP_TEST_ASAN}

# What Go's runtime says in each situation, as hmap says it.
DEATH_MESSAGES = {
    "nil_put": "fatal error: assignment to entry in nil map",
    "concurrent_writes": "fatal error: concurrent map writes (map counts at 0x",
    "concurrent_delete": "fatal error: concurrent map writes (map counts at 0x",
    "concurrent_read": "fatal error: concurrent map read and map write (map counts at 0x",
    "concurrent_iteration": "fatal error: concurrent map iteration and map write (map counts at 0x",
}


DEATH_CASES = sorted(DEATH_MESSAGES)


def test_every_case_is_collected():
    assert list_cases("--list") == CASES
    assert sorted(list_cases("--list-death")) == DEATH_CASES


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("build,seed", [("plain", None), ("plain", 1), ("asan", None)])
def test_case(build, seed, case):
    r = run([BUILDS[build], case], seed=seed)
    assert r.returncode == 0, f"{case} ({build}, HMAP_SEED={seed}) failed:\n{r.stderr[-4000:]}"
    assert f"PASS {case}" in r.stdout.splitlines()
    assert "runtime error" not in r.stderr  # UBSan
    assert "LeakSanitizer" not in r.stderr


@pytest.mark.parametrize("case", DEATH_CASES)
@pytest.mark.parametrize("build", ["plain", "asan"])
def test_death(build, case):
    r = run([BUILDS[build], "--death", case], timeout=60)
    assert r.returncode == -signal.SIGABRT, f"{case}: exit {r.returncode}, stderr:\n{r.stderr}"
    assert DEATH_MESSAGES[case] in r.stderr


def test_leak_sanitizer_is_on():
    """The sanitized build reports a map that is never freed; so its silence elsewhere means no leaks."""
    r = run([HMAP_TEST_ASAN, "--leak"], timeout=60)
    assert r.returncode != 0
    assert "LeakSanitizer: detected memory leaks" in r.stderr
    assert "hmap_make" in r.stderr


def test_bad_hmap_seed_is_said_and_seeds_are_random():
    r = run([HMAP_TEST, "reseed_when_empty"], seed="12abc")
    assert r.returncode == 0, r.stderr
    assert "hmap: HMAP_SEED=12abc is not a number; seeds are random\n" in r.stderr
    assert r.stderr.count("HMAP_SEED") == 1


def test_unknown_case_is_one_line_error():
    r = run([HMAP_TEST, "no_such_case"])
    assert r.returncode == 2
    assert r.stderr == 'hmap_test: no case "no_such_case" (see --list)\n'
