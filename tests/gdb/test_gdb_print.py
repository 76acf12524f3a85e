"""print: live entries only, each once, also mid-growth; the ways Go's printer is wrong."""
import re

import reference
from gdbtest import run_gdb, fixture_path

GROWTH_MAPS = ["u64s", "growing", "samesize"]


def pairs(text):
    """[(key, elem)] of `$1 = NAME of length N = {[k] = v, ...}` (integers)."""
    body = text.split("= {", 1)[1] if "= {" in text else ""
    return [(int(k), int(v)) for k, v in re.findall(r"\[(-?\d+)\] = (-?\d+)", body)]


def test_print_shows_every_live_entry_exactly_once(maps_run):
    out = maps_run(["set print elements unlimited"] + [f"print *{m}" for m in GROWTH_MAPS] + ["print u64s"])
    for name, text in zip(GROWTH_MAPS + ["u64s"], out[1:]):
        truth = maps_run.truth[name]
        assert re.match(rf"\$\d+ = u64s_map of length {truth.count} = \{{", text), text
        got = pairs(text)
        assert len(got) == len(set(got)) == truth.count, name
        assert sorted(got) == sorted((e.key, e.elem) for e in truth.entries), name


def test_deleted_entries_are_not_printed_though_their_keys_stay_in_memory(maps_run):
    # Go's printer treats any tophash != 0 as live: deleted (emptyOne) cells print as entries.
    # hmap clears only the elem of a deleted uint64_t key, so key 42 is still in a bucket.
    out = maps_run(["set print elements unlimited", "print *u64s", "print/x u64s->h.buckets",
                    "find /g u64s->h.buckets, +16*144, (unsigned long) 42", "mapviz show u64s --summary"])
    printed = {k for k, _ in pairs(out[1])}
    deleted = {k for k, _ in maps_run.truth["u64s"].absent if k < 100}
    assert 42 in deleted and not printed & deleted
    assert re.search(r"^0x[0-9a-f]+$", out[3], re.M), "key 42's bytes should remain in its emptyOne cell"
    t = maps_run.truth["u64s"]
    cells = reference.summary(maps_run.cells["u64s"], t.count, t.B)[0]
    assert out[4].splitlines()[2] == cells and cells.startswith("cells: 85 live, 11 emptyOne (tombstones), ")


def test_stale_cells_of_evacuated_buckets_are_not_printed_mid_growth(maps_run):
    # Go's printer decides evacuation by a pointer bit, so mid-growth it prints evacuated
    # cells (stale copies) as well as the moved entries: duplicates. Here the stale
    # cells exist (show lists them) and print has each key once.
    out = maps_run(["set print elements unlimited", "print *growing", "set mapviz max-buckets unlimited",
                    "mapviz show growing"])
    stale = {int(k) for k in re.findall(r"evacuated[XY]  stale key (\d+)", out[3])}
    printed = [k for k, _ in pairs(out[1])]
    deleted = {k for k, _ in maps_run.truth["growing"].absent}
    # Stale copies of live keys (duplicates for Go) and of keys deleted after their move.
    assert stale - deleted and stale - deleted <= set(printed)
    assert stale & deleted and not stale & deleted & set(printed)
    assert len(printed) == len(set(printed)) == maps_run.truth["growing"].count
    assert "(not evacuated)" in out[3] and "(evacuated)" in out[3]


def test_print_elements_limit_is_respected(maps_run):
    # GDB counts children, and a map entry is two (key, elem): 10 elements are 5 entries.
    out = maps_run(["set print elements 10", "print *u64s", "set print elements 200", "print *u64s"])
    assert len(pairs(out[1])) == 5 and out[1].endswith("...}")
    assert len(pairs(out[3])) == 85


def test_keys_of_other_types(maps_run):
    out = maps_run(["print *names", "print *points", "print bigs->h.count", "print *bigs"])
    names = dict((k, int(v)) for k, v in re.findall(r'\["((?:[^"\\]|\\.)*)"\] = (\d+)', out[0]))
    assert names == {"apple": 0, "banana": 1, "cherry": 2, "elderberry": 4, "fig": 5, "grape": 6, "": 7,
                     "a somewhat longer key with spaces": 8, 'quote\\"d': 9}
    assert out[0].startswith("$1 = names_map of length 9 = {")
    points = sorted((int(x), int(y), int(v)) for x, y, v in re.findall(r"\[\{x = (-?\d+), y = (\d+)\}\] = (\d+)", out[1]))
    assert points == [(x, x * x, x + 10) for x in range(-3, 4)]
    assert out[3].count("tag = \"big-") == 10 and out[3].startswith("$4 = bigs_map of length 5 = {")


def test_null_and_empty_maps(maps_run):
    # Go's printer throws on a map whose buckets are not allocated yet.
    out = maps_run(["print nomap", "print *empty", "print empty",
                    "python print(gdb.default_visualizer(gdb.parse_and_eval('*u64s')).display_hint())"])
    assert re.fullmatch(r"\$1 = \(u64s_map \*\) 0x0", out[0])
    assert re.fullmatch(r"\$2 = u64s_map of length 0", out[1])
    assert re.fullmatch(r"\$3 = u64s_map of length 0", out[2])
    assert out[3] == "map"


def test_map_arguments_print_in_backtraces():
    # A struct hmap * (the engine's view) prints by its descriptor's type name.
    out = run_gdb([fixture_path("maps"), "/dev/null"], ["print h", "print *h"], stop="hmap_delete")
    assert re.fullmatch(r"\$1 = u64s_map of length 100 = \{.*\}", out[0])
    assert out[0] == out[1].replace("$2", "$1")


def test_format_letters_and_output_radix_apply_to_keys_and_elems(maps_run):
    # Children are text only where GDB would print the same text: a format letter or
    # another output radix makes them values again, which GDB formats.
    out = maps_run(["set print elements unlimited", "print/x *u64s", "print/d *u64s", "set output-radix 16",
                    "print *u64s", "set output-radix 10", "print -elements 4 -- *u64s", "print *names"])
    truth = sorted((e.key, e.elem) for e in maps_run.truth["u64s"].entries)
    for text in (out[1], out[4]):
        hex_pairs = re.findall(r"\[(0x[0-9a-f]+)\] = (0x[0-9a-f]+)", text)
        assert sorted((int(k, 16), int(v, 16)) for k, v in hex_pairs) == truth, text[:200]
    assert sorted(pairs(out[2])) == truth and "0x" not in out[2]
    assert len(pairs(out[6])) == 2 and out[6].endswith("...}")
    assert '["banana"] = 1' in out[7]
