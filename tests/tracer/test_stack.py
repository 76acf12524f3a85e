"""-s backtraces: inline frames, the real call sites, names without symbol versions.

In tests/tracer/fixtures/values.c main calls the typed wrappers HMAP_DEFINE makes (static
inline points_map_put / points_map_delete) on lines marked CALL-PUT and CALL-DELETE; the
compiler inlines them into main. The stack must show the wrapper as an inlined frame at the
HMAP_DEFINE line, and main at the marked line, not at the macro's.
"""
import re

import pytest

from tracelib import FIXTURES, ROOT

VALUES = FIXTURES / "values"
SOURCE = ROOT / "tests" / "tracer" / "fixtures" / "values.c"
KEY = "0x03000000fdffffff"  # {3, -3} as bytes in memory order


def line_of(marker):
    lines = SOURCE.read_text().splitlines()
    found = [i + 1 for i, l in enumerate(lines) if marker in l]
    assert len(found) == 1, marker
    return found[0]


@pytest.mark.parametrize("mode,wrapper,marker", [
    ("slot", "points_map_put", "/* CALL-PUT */"),
    ("delete", "points_map_delete", "/* CALL-DELETE */"),
])
def test_inlined_wrapper_and_the_callers_line(trace, mode, wrapper, marker):
    t = trace(["-m", "points", "-k", KEY, "-e", mode, "-s"], [VALUES])
    assert t.rc == 0, t.stderr
    events = [e for e in t.of("write") if e["field"] in ("key", "elem", "tophash")]
    assert events
    call_line, define_line = line_of(marker), line_of("HMAP_DEFINE(points_map,")
    first = events[0]["stack"]
    names = [f["func"] for f in first]
    assert wrapper in names, names
    i = names.index(wrapper)
    w, caller = first[i], first[i + 1]
    assert w["inlined"] and w["file"].endswith("values.c") and w["line"] == define_line, w
    assert caller["func"] == "main" and not caller["inlined"], caller
    assert caller["line"] == call_line and caller["pc"] == w["pc"], (caller, call_line)
    for e in t.of("write"):
        assert e["stack"], e
        assert not any("@" in (f["func"] or "") for f in e["stack"]), e["stack"]
        assert "main" in [f["func"] for f in e["stack"]], e["stack"]


def test_text_stack_marks_inline_frames(trace):
    t = trace(["-m", "points", "-k", KEY, "-e", "delete", "-s"], [VALUES], fmt="text")
    assert t.rc == 0, t.stderr
    call = line_of("/* CALL-DELETE */")
    define = line_of("HMAP_DEFINE(points_map,")
    assert re.search(r"^ +#\d+ 0x[0-9a-f]+ points_map_delete \(inlined\)  "
                     rf"tests/tracer/fixtures/values\.c:{define}\n"
                     rf" +#\d+ 0x[0-9a-f]+ main\+0x[0-9a-f]+  tests/tracer/fixtures/values\.c:{call}$",
                     t.text, re.M), t.text
    assert "@@" not in t.text
    # The writing instruction's own inline frames come first, at its pc: the store that
    # marks the slot emptyOne is hmap.c's inline helper, inside hmap_delete.
    m = re.search(r"tophash 0x[0-9a-f]+ -> emptyOne .*\n +(0x[0-9a-f]+): .*\n +#0 (0x[0-9a-f]+) ",
                  t.text)
    assert m and m.group(1) == m.group(2), t.text
