"""Where the hmap test binaries are, and how to run them (shared by the test_*.py here)."""
import os
import pathlib
import subprocess

BUILD = pathlib.Path(__file__).resolve().parents[2] / "build" / "tests" / "hmap"
HMAP_TEST = BUILD / "hmap_test"
HMAP_TEST_ASAN = BUILD / "hmap_test_asan"
HMAP_FUZZ = BUILD / "hmap_fuzz"
DWARF_FIXTURE = BUILD / "dwarf_fixture"

SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def run(argv, seed=None, timeout=600):
    """Runs a test binary with sanitizer options, HMAP_SEED set or removed."""
    env = dict(os.environ, **SANITIZER_ENV)
    env.pop("HMAP_SEED", None)
    if seed is not None:
        env["HMAP_SEED"] = str(seed)
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env, timeout=timeout)


def list_cases(flag):
    out = subprocess.run([str(HMAP_TEST), flag], capture_output=True, text=True, check=True).stdout
    return out.split()
