"""Python's xxhash (what mapviz hashes keys with) agrees with the library's hmap_hash."""
import subprocess

import xxhash

from gdbtest import fixture_path


def test_xxhash_agrees_with_hmap_hash():
    out = subprocess.run([fixture_path("hashes")], capture_output=True, check=True).stdout.decode()
    lines = out.splitlines()
    assert len(lines) == 9000
    kinds = set()
    for line in lines:
        kind, seed, data, want = line.split()
        data = b"" if data == "-" else bytes.fromhex(data)
        assert xxhash.xxh3_64_intdigest(data, seed=int(seed)) == int(want, 16), line
        kinds.add(kind)
    assert kinds == {"u64", "bytes", "str"}
