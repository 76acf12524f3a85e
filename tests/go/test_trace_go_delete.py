"""mapviz-trace -e delete on Go programs: each delete's trajectory through
runtime.mapdelete_fast64, _faststr and the generic runtime.mapdelete, arguments
read under Go's register ABI, held against the program's own ground truth
(tests/go/fixtures/trace_delete.go) and against the --step oracle."""
import pytest

from tracego import built_releases, fixture, run_trace, trajectory, truth_lines

releases = pytest.mark.parametrize("release", built_releases())


def traced(tmp_path, release, var, key, step=False):
    args = ["-m", var, "-k", key, "-e", "delete"] + (["--step"] if step else [])
    t = run_trace(tmp_path, args, [fixture(release, "trace_delete")], norandom=True)
    assert t.rc == 0, t.stderr
    return t


def truth(t, var, key):
    """The program's view of the delete of key: (before, after)."""
    befores = truth_lines(t.stdout, "before", var)
    afters = truth_lines(t.stdout, "after", var)
    i = [b["key"] for b in befores].index(key)
    return befores[i], afters[i]


def cell(ev):
    return (ev["bucket"], ev["overflow"], ev["slot"])


def at(before):
    return (int(before["bucket"]), int(before["overflow"]), int(before["slot"]))


def tophash_writes(t):
    return [(cell(e), e["decoded"]) for e in t.of("write") if e["field"] == "tophash"]


@releases
def test_last_key_of_a_bucket_runs_emptyrest_back_and_reseeds(tmp_path, release):
    """m holds 1, 2, 42 in slots 0-2; 1 and 2 are deleted first (tombstones); 42's delete
    marks emptyOne, walks emptyRest back over slots 2, 1, 0, count 1 -> 0, a new hash0."""
    hw = traced(tmp_path, release, "main.m", "42")
    assert trajectory(hw) == trajectory(traced(tmp_path, release, "main.m", "42", step=True))
    before, after = truth(hw, "m", "42")
    assert at(before) == (0, 0, 2)
    writes = hw.of("write")
    assert writes and all(e["op"] == "delete" for e in writes)
    assert {e["func"] for e in writes if e["field"] in ("tophash", "count")} == {
        "runtime.mapdelete_fast64"}
    assert tophash_writes(hw) == [((0, 0, 2), "emptyOne")] + [
        ((0, 0, s), "emptyRest") for s in (2, 1, 0)]
    assert after["tophash"] == "0,0,0,0,0,0,0,0"  # the program sees what the trace says
    assert [(e["old_decoded"], e["new_decoded"]) for e in writes if e["field"] == "count"] == [
        ("1", "0")]
    assert [e["field"] for e in writes if e["field"] in ("hash0", "flags")] == [
        "flags", "hash0", "flags"]
    flags = [e["decoded"] for e in writes if e["field"] == "flags"]
    assert flags == ["hashWriting", "0"]
    # An int64 key holds no pointer: Go leaves its cell; the elem is cleared.
    assert not [e for e in writes if e["field"] == "key"]
    assert [e["new"] for e in writes if e["field"] == "elem"][-1] == "0"


@releases
def test_a_key_followed_by_live_ones_leaves_a_tombstone(tmp_path, release):
    hw = traced(tmp_path, release, "main.m", "1")
    assert trajectory(hw) == trajectory(traced(tmp_path, release, "main.m", "1", step=True))
    before, after = truth(hw, "m", "1")
    assert at(before) == (0, 0, 0)
    assert tophash_writes(hw) == [((0, 0, 0), "emptyOne")]
    assert after["tophash"].split(",")[0] == "1"


@releases
def test_emptyrest_walk_in_a_big_map(tmp_path, release):
    """big's chain of 42 is emptied first: the walk runs back to the bucket's first slot."""
    hw = traced(tmp_path, release, "main.big", "42")
    before, after = truth(hw, "big", "42")
    here = at(before)
    assert tophash_writes(hw) == [(here, "emptyOne")] + [
        ((here[0], here[1], s), "emptyRest") for s in range(here[2], -1, -1)]
    assert [(e["old_decoded"], e["new_decoded"]) for e in hw.of("write") if e["field"] == "count"] \
        == [(before["count"], after["count"])]


@releases
def test_faststr_delete_clears_the_string_key(tmp_path, release):
    hw = traced(tmp_path, release, "main.s", '"alice"')
    before, _ = truth(hw, "s", "alice")
    writes = hw.of("write")
    assert hw.events[0]["layout"]["keysize"] == 16
    assert {e["func"] for e in writes if e["field"] in ("tophash", "key")} == {
        "runtime.mapdelete_faststr"}
    key = [e for e in writes if e["field"] == "key"]
    assert key and cell(key[0]) == at(before) and key[0]["new"] == "0"  # the data pointer goes
    assert tophash_writes(hw)[0] == (at(before), "emptyOne")


@releases
def test_generic_delete_of_a_struct_key(tmp_path, release):
    """A 16-byte struct key goes to runtime.mapdelete, the key by pointer; -k in braces."""
    hw = traced(tmp_path, release, "main.p", "{1,-1}")
    before, _ = truth(hw, "p", "{1,-1}")
    assert hw.events[0]["key"] == "{1,-1}"
    assert {e["func"] for e in hw.of("write") if e["field"] == "tophash"} == {"runtime.mapdelete"}
    assert tophash_writes(hw)[0] == (at(before), "emptyOne")


@releases
def test_text_names_go_functions_whole(tmp_path, release):
    t = run_trace(tmp_path, ["-m", "main.m", "-k", "42", "-e", "delete"],
                  [fixture(release, "trace_delete")], fmt="text")
    assert t.rc == 0, t.stderr
    assert "(map[int64]int64, key int64, elem int64)" in t.text
    assert " runtime.mapdelete_fast64+0x" in t.text
    assert "/src/runtime/map_fast64.go:" in t.text, t.text


@releases
def test_hardware_trajectory_of_the_last_key_on_every_release(tmp_path, release):
    """The same delete as above, hardware only: emptyOne, emptyRest over slots 2, 1, 0."""
    hw = traced(tmp_path, release, "main.m", "42")
    assert tophash_writes(hw) == [((0, 0, 2), "emptyOne")] + [
        ((0, 0, s), "emptyRest") for s in (2, 1, 0)]
    assert truth(hw, "m", "42")[1]["tophash"] == "0,0,0,0,0,0,0,0"


def test_a_key_that_is_not_deleted_gives_no_trajectory(tmp_path):
    t = run_trace(tmp_path, ["-m", "main.m", "-k", "4242", "-e", "delete"],
                  [fixture("1.19", "trace_delete")])
    assert t.rc == 0, t.stderr
    assert not t.of("write")
