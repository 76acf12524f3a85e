"""Each kind of corruption gives its inline marker and a finished output."""
import re


def test_cycle_in_an_overflow_chain(maps_run):
    # Bucket 0's overflow pointer points back at bucket 0.
    out = maps_run(["set var *(void **)((char *)u64s->h.buckets + 136) = u64s->h.buckets",
                    "mapviz show u64s --bucket 0", "mapviz show u64s --summary", "print *u64s",
                    "mapviz slot u64s 1000"])
    b0 = re.search(r"bucket 0 (0x[0-9a-f]+)", out[1]).group(1)
    assert out[1].splitlines()[-1] == f"  <cycle: overflow {b0} already in chain>"
    assert "<1 problems marked>" in out[2]
    assert re.search(r"\[<cycle: overflow 0x[0-9a-f]+ already in chain>\] = <skipped>, ", out[3])
    assert out[3].startswith("$1 = u64s_map of length 85 = {")


def test_absurd_B(maps_run):
    out = maps_run(["set var u64s->h.B = 77", "mapviz show u64s", "print *u64s", "mapviz slot u64s 1",
                    "mapviz dot u64s"])
    assert out[1].splitlines()[-1] == "<bad B=77>"
    assert out[2] == "$1 = u64s_map of length 85 <bad B=77> = {[<bad B=77>] = <skipped>}"
    assert out[3] == "key 1: <bad B=77>"
    assert "bad B=77" in out[4] and out[4].endswith("}")


def test_unreadable_buckets(maps_run):
    out = maps_run(["set var u64s->h.buckets = (void *) 0x10", "mapviz show u64s --limit 3",
                    "mapviz show u64s --summary", "print *u64s"])
    lines = out[1].splitlines()
    assert lines[2] == "bucket 0 <unreadable 0x10> (buckets 0-2)"
    assert "<count 85 but 0 live entries>" not in out[1]   # the walk was cut short: no verdict
    assert "<1 problems marked>" in out[2]
    assert out[3] == "$1 = u64s_map of length 85 = {[<unreadable 0x10>] = <skipped>}"


def test_garbage_tophash_and_count_mismatch(maps_run):
    # Slot 1 of bucket 0 holds key 16; give it another live tophash, and say count is 86.
    out = maps_run(["set var ((unsigned char *) u64s->h.buckets)[1] = 0x99", "set var u64s->h.count = 86",
                    "mapviz show u64s --limit 16", "print u64s"])
    assert "  [1] 0x99  key 16  elem 256  <tophash mismatch: key hashes to 0x48>" in out[2].splitlines()
    assert out[2].splitlines()[-1] == "<count 86 but 85 live entries>"
    assert out[3].startswith("$1 = u64s_map of length 86 = {")


def test_live_cell_after_emptyRest(maps_run):
    # emptyRest in slot 0 of bucket 0 hides the live cells after it from lookups.
    out = maps_run(["set var ((unsigned char *) u64s->h.buckets)[0] = 0", "mapviz show u64s --bucket 0",
                    "mapviz slot u64s 16"])
    assert "  [1] 0x48  key 16  elem 256  <live after emptyRest: lookups stop before it>" in out[1].splitlines()
    assert out[2].splitlines()[1] == "absent"


def test_null_map(maps_run):
    out = maps_run(["mapviz show nomap", "mapviz slot nomap 1", "mapviz dot nomap", "print nomap",
                    "print *(struct hmap *) 0"])
    assert out[:3] == ["mapviz: the map is NULL (u64s_map * 0x0)"] * 3
    assert out[3] == "$1 = (u64s_map *) 0x0"
    assert out[4] == "Cannot access memory at address 0x0"   # GDB's own, evaluating the *
