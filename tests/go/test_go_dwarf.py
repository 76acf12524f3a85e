"""What GDB reads from a Go binary's own DWARF, on every Go release built:
the facts a Go map source is built on (names as the Go linker writes them)."""
import subprocess

import pytest

from gotruth import built_releases, fixture

# Go's slot states and flags, as runtime/map.go defines them in 1.19 to 1.23.
CONSTANTS = {"emptyRest": 0, "emptyOne": 1, "evacuatedX": 2, "evacuatedY": 3,
             "evacuatedEmpty": 4, "minTopHash": 5, "hashWriting": 4, "sameSizeGrow": 8}


def gdb(binary, *commands):
    args = ["gdb", "-nx", "-batch", "-iex", "set auto-load no"]
    for c in commands:
        args += ["-ex", "echo BEGIN\\n", "-ex", c, "-ex", "echo END\\n"]
    out = subprocess.run(args + [str(binary)], capture_output=True, text=True, timeout=120).stdout
    blocks = [b.split("END\n")[0].strip() for b in out.split("BEGIN\n")[1:]]
    assert len(blocks) == len(commands), out
    return blocks


@pytest.mark.parametrize("release", built_releases())
def test_debug_info_is_compressed_as_go_writes_it(release):
    sections = subprocess.run(["readelf", "-SW", str(fixture(release))], capture_output=True,
                              text=True, check=True).stdout
    info = [line for line in sections.splitlines() if " .debug_info " in line]
    assert len(info) == 1 and " C " in info[0], info


@pytest.mark.parametrize("release", built_releases())
def test_gdb_reads_the_map_types_and_constants(release):
    names = list(CONSTANTS)
    whatis, header, bucket, hmap, keysched, *constants = gdb(
        fixture(release), "whatis 'main.m'", "ptype 'main.m'", "ptype *'main.m'.buckets",
        "ptype 'runtime.hmap'", "whatis 'runtime.aeskeysched'",
        *["print 'runtime.%s'" % n for n in names])
    assert whatis == "type = map[int64]int32"
    # the map variable is a pointer to the synthesized header type
    assert header.startswith("type = struct hash<int64, int32> {") and header.endswith("} *")
    assert "bucket<int64, int32> *buckets;" in header and "uint32 hash0;" in header
    assert bucket.splitlines()[1:5] == ["    [8]uint8 tophash;", "    []key<int64> keys;",
                                        "    []val<int32> values;",
                                        "    bucket<int64, int32> *overflow;"]
    assert "void *buckets;" in hmap
    assert keysched == "type = [128]uint8"
    for name, printed in zip(names, constants):
        assert printed.split("= ")[-1] == str(CONSTANTS[name]), (name, printed)
