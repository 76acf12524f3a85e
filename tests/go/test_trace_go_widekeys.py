"""mapviz-trace on Go maps whose keys are wider than the 128 bytes Go keeps in a bucket's cell
(tests/go/fixtures/widekeys.go): the cell holds a pointer to the key, which the tracer follows
to compare, hash and parse the key as its own type; a key wider than the tracer's 256-byte
key buffer is refused in one line."""
import pytest

from tracego import built_releases, fixture, run_trace

releases = pytest.mark.parametrize("release", built_releases())
WIDE_42 = "{42,{%s}}" % ",".join(["0"] * 24)     # main.wide: 200 bytes
ARRAY_42 = "{42,%s}" % ",".join(["0"] * 31)       # [32]int64: 256 bytes


def traced(tmp_path, release, args):
    t = run_trace(tmp_path, args, [fixture(release, "widekeys")])
    assert t.rc == 0, t.stderr
    assert "len w=49 a=49" in t.stdout
    return t


@releases
def test_delete_of_a_200_byte_struct_key(tmp_path, release):
    t = traced(tmp_path, release, ["-m", "main.w", "-k", WIDE_42, "-e", "delete"])
    meta = t.events[0]
    assert (meta["layout"]["key_type"], meta["layout"]["keysize"]) == ("main.wide", 8)  # a pointer
    writes = [(e["field"], e["old_decoded"], e["new_decoded"]) for e in t.of("write")]
    key = [w for w in writes if w[0] == "key"]
    assert len(key) == 1 and key[0][1] != "0x0" and key[0][2] == "0x0"  # Go drops the pointer
    assert ("elem", "109", "0") in writes
    assert [w[2] for w in writes if w[0] == "tophash"][0] == "emptyOne"
    assert ("count", "50", "49") in writes
    assert {e["func"] for e in t.of("write") if e["field"] == "tophash"} == {"runtime.mapdelete"}


@releases
def test_a_256_byte_array_key_followed_from_its_arrival(tmp_path, release):
    """Slot mode: 42's cells are found through the pointers in the key cells; once 42 is in
    its place (its put of 42, unless growth moved it later), each of the program's ten assigns
    and the delete's clear of the elem."""
    t = traced(tmp_path, release, ["-m", "main.a", "-k", ARRAY_42])
    last_move = max(i for i, e in enumerate(t.events) if e["type"] == "move")
    after = [e for e in t.events[last_move:] if e["type"] == "write" and e["field"] == "elem"]
    values = [e["decoded"] for e in after if e["func"] == "main.main"]
    assert values[-10:] == [str(100 + i) for i in range(10)] and values[:-10] in ([], ["42"]), values
    assert [(e["op"], e["old_decoded"], e["decoded"]) for e in after if e["op"] == "delete"] == [
        ("delete", "109", "0")]


def test_a_key_over_256_bytes_is_refused_in_one_line(tmp_path):
    key = "{42,{%s}}" % ",".join(["0"] * 39)
    t = run_trace(tmp_path, ["-m", "main.huge", "-k", key], [fixture("1.19", "widekeys")])
    assert t.rc == 2
    assert t.stderr == (f'mapviz-trace: bad key "{key}": the type is 320 bytes, more than 256 '
                        "(key type main.hugeKey)\n")
