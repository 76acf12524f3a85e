"""A Go map whose memory is corrupted (written from GDB): inline markers, every command ends,
no traceback."""
from gotest import RELEASES, GoMapsRunner

import pytest

# Python run inside GDB: the header of main.X, its bucket array, a bucket's size.
HEADER = "import gdb; inf = gdb.selected_inferior(); h = int(gdb.parse_and_eval('main.{0}'))"
BUCKETS = HEADER + "; b = int.from_bytes(inf.read_memory(h + 16, 8).tobytes(), 'little')"


@pytest.mark.parametrize("release", RELEASES[:1])
def test_corrupted_go_maps_are_marked(release, tmp_path):
    run = GoMapsRunner(release, tmp_path)
    size = "gdb.parse_and_eval('main.names').type.strip_typedefs().target()['buckets'].type.target().sizeof"
    out = run([
        # B = 77 in a header
        "python " + HEADER.format("same") + "; inf.write_memory(h + 9, bytes([77]))",
        "mapviz show main.same", "print main.same", "mapviz slot main.same 5",
        # bucket 0's overflow pointer back to itself
        "python " + BUCKETS.format("names") + f"; n = {size}; inf.write_memory(b + n - 8, b.to_bytes(8, 'little'))",
        "mapviz show main.names --bucket 0", "mapviz slot main.names zzz",
        # every string key of bucket 0 of main.names 2^50 bytes long
        "python " + BUCKETS.format("names") + "; [inf.write_memory(b + 8 + 16 * s + 8, (1 << 50).to_bytes(8, 'little')) "
        "for s in range(8)]",
        "mapviz show main.names --bucket 0", "set print elements 4", "print main.names",
    ])
    assert "<bad B=77>" in out[1] and out[2].endswith("of length 13 <bad B=77> = {[<bad B=77>] = <skipped>}")
    assert out[3] == "key 5: <bad B=77>"
    assert "<cycle: overflow 0x" in out[5] and "already in chain>" in out[5]
    assert out[6].splitlines()[1].startswith("absent")
    assert "<bad string length 1125899906842624>" in out[8]
    assert out[10].startswith("$2 = map[string]int of length 152 = {[<bad string length 1125899906842624>] = ")
