"""Keys and elems shown as the program's types, and -k given in the key type's notation.

Each case follows one key of a map of tests/tracer/fixtures/values.c, the key written in
each notation the tracer accepts, and checks the event lines show the values decoded.
"""
import re

import pytest

from tracelib import FIXTURES

VALUES = FIXTURES / "values"
CELL = r"#\d+ tid \d+ (assign|delete) +bucket \d+ slot \d  "

# map, the notations of one key, the event lines (after the place) each trace must show
CASES = [
    ("points", ["{3,-3}", "{x=3,y=-3}", "{x = 3, y = -3}", "{.x = 3, .y = -3}", "{y=-3,x=3}",
                "0x03000000fdffffff", "03 00 00 00 fd ff ff ff"],
     ["key {x = 0, y = 0} -> {x = 3, y = -3}", "elem 0 -> 1.5", "elem 1.5 -> 0.1",
      "elem 0.1 -> 0"]),
    ("temps", ["-40", "-0x28"],
     ["key 0 -> -40", "elem RED -> GREEN", "elem GREEN -> 5"]),
    ("scales", ["-0.0", "-0", "-0e0"], ["key 0 -> -0", "elem 0 -> 0.1", "elem 0.1 -> 0"]),
    ("scales", ["inf"], ["key 0 -> inf", "elem 0 -> -1e-09"]),
    ("words", ["alice", '"alice"', r'"\141lice"'],
     ['key 0x0 -> "alice"', "elem {x = 0, y = 0} -> {x = 1, y = 2}", 'key "alice" -> 0x0']),
    ("words", [r'"tab\there \"q\""', 'tab\there "q"'],
     [r'key 0x0 -> "tab\there \"q\""', "elem {x = 0, y = 0} -> {x = 3, y = 4}"]),
    # 16 bytes: the watch covers the first 8, so the rest is shown as not known
    ("segments", ["{{1,2},{3,-4}}", "{a = {x = 1, y = 2}, b = {x = 3, y = -4}}",
                  "{a={1,2},b={.x=3,.y=-4}}", "0x01000000020000000300000004000000"],
     ["key {a = {x = 0, y = 0}, ...} -> {a = {x = 1, y = 2}, ...}", "elem false -> true"]),
    ("tags", ['{"ab",{1,-2}}', '{name = "ab", v = {1, -2}}', "{{'a','b',0,0},{0x1,-0x2}}"],
     ['key {name = "", v = {0, 0}} -> {name = "ab", v = {1, -2}}',
      "elem {u = 0, f = 0} -> {u = 1069547520, f = 1.5}"]),
    ("letters", ["'a'", "97", "0x61"], [r"key 0 '\000' -> 97 'a'", "elem 0 -> 42"]),
    ("letters", [r"'\n'", "10"], [r"key 0 '\000' -> 10 '\n'", "elem 0 -> 18446744073709551615"]),
    ("refs", ["42"], ["key 0 -> 42", "elem 0x0 -> 0x7", "elem 0x7"]),
    ("shades", ["BLUE", "7"], ["key RED -> BLUE", "elem 0 -> -5", "elem -5 -> 0"]),
    ("flags", ["true", "1"], ["key false -> true", "elem 0 -> 65535"]),
    ("modes", ["{5,-3,true,BLUE}", "{kind = 5, delta = -3, on = true, shade = BLUE}"],
     ["key {kind = 0, delta = 0, on = false, shade = RED} -> "
      "{kind = 5, delta = -3, on = true, shade = BLUE}",
      "elem {kind = 0, delta = 0, on = false, shade = RED} -> "
      "{kind = 5, delta = -3, on = true, shade = BLUE}"]),
]

IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def event_lines(text):
    return [re.sub(r"^" + CELL, "", l) for l in text.splitlines() if re.match(CELL, l)]


@pytest.mark.parametrize("map_,keys,expect", CASES, ids=IDS)
def test_key_in_each_notation_decoded_in_events(trace, map_, keys, expect):
    for key in keys:
        t = trace(["-m", map_, "-k", key], [VALUES], fmt="text")
        assert t.rc == 0, (key, t.stderr)
        lines = event_lines(t.text)
        for want in expect:
            assert any(l.startswith(want) for l in lines), (key, want, lines)


def test_json_keeps_raw_hex_beside_the_decoded_values(trace):
    t = trace(["-m", "points", "-k", "{3,-3}"], [VALUES])
    assert t.rc == 0, t.stderr
    meta = t.events[0]
    assert (meta["layout"]["key_type"], meta["layout"]["elem_type"]) == ("struct point", "double")
    cells = [(e["field"], e["old"], e["new"], e["old_decoded"], e["new_decoded"])
             for e in t.of("write") if e["field"] in ("key", "elem")]
    assert cells == [
        ("key", "0", "0xfffffffd00000003", "{x = 0, y = 0}", "{x = 3, y = -3}"),
        ("elem", "0", "0x3ff8000000000000", "0", "1.5"),
        ("elem", "0x3ff8000000000000", "0x3fb999999999999a", "1.5", "0.1"),
        ("elem", "0x3fb999999999999a", "0", "0.1", "0"),
    ]
    # Slot states keep their names; a live tophash byte is a hash byte, shown raw.
    tophash = [(e["old_decoded"], e["new_decoded"]) for e in t.of("write") if e["field"] == "tophash"]
    assert tophash[0][0] == "emptyRest" and tophash[0][1] is None
    assert (None, "emptyOne") in tophash


def test_string_key_read_from_the_program_bounded(trace):
    """A string key is shown as the text its pointer points to, escaped as C writes it."""
    t = trace(["-m", "words", "-k", "tab\there \"q\""], [VALUES])
    assert t.rc == 0, t.stderr
    keys = [e["new_decoded"] for e in t.of("write") if e["field"] == "key"]
    assert r'"tab\there \"q\""' in keys, keys
    assert t.events[0]["layout"]["key_type"] == "const char *"


def test_long_string_key_shown_bounded(trace):
    t = trace(["-m", "words", "-k", "w" * 250], [VALUES])
    assert t.rc == 0, t.stderr
    keys = [e["new_decoded"] for e in t.of("write") if e["field"] == "key"]
    assert '"' + "w" * 200 + '"...' in keys, keys


def test_a_key_of_zeros_with_the_keys_tophash_is_another_key(trace):
    """scales gets -0.0, then 0.0 (eight zero bytes), then inf, all in its one bucket. Under a
    hash seed where 0.0's tophash byte is inf's, the cell 0.0 fills still is not inf's: the
    watch must move on to the next cell and see inf written there."""
    import struct
    import xxhash

    def top(key, seed):
        t = xxhash.xxh3_64_intdigest(struct.pack("<d", key), seed) >> 56
        return t + 5 if t < 5 else t

    seed = next(s for s in range(1, 1 << 20) if top(float("inf"), s) == top(0.0, s))
    t = trace(["-m", "scales", "-k", "inf"], [VALUES], fmt="text", env={"HMAP_SEED": str(seed)})
    assert t.rc == 0, t.stderr
    lines = event_lines(t.text)
    assert "key 0 -> inf" in [l.split("   ")[0] for l in lines], (seed, lines)
