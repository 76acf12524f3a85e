"""mapviz beside Go's own runtime-gdb.py (auto-loaded from $GOROOT/src/runtime, as the binary's
.debug_gdb_scripts names it): mapviz prints first, `disable pretty-printer global mapviz` shows
Go's printer, and the cases where Go's printer is wrong and mapviz right are pinned here."""
import re

import pytest

from gotest import RELEASES, GoMapsRunner, printed_map


@pytest.fixture(params=RELEASES)
def both(request, tmp_path):
    run = GoMapsRunner(request.param, tmp_path)

    def with_runtime_gdb(commands):
        return run(commands, runtime_gdb=run.release, python_errors_allowed=True)
    with_runtime_gdb.run = run
    return with_runtime_gdb


def pairs(text):
    """The [key] = elem pairs of a printed map, as text, duplicates kept."""
    body = text.split(" = {", 1)[1] if " = {" in text else ""
    return re.findall(r"\[([^\]]*)\] = ([^,}]*)", body)


def test_both_loaded_print_is_mapviz_and_disable_switches(both):
    out = both(["info auto-load python-scripts", "set print elements unlimited", "print main.dels",
                "disable pretty-printer global mapviz", "print main.dels", "print main.grow", "print main.same",
                "print main.names", "enable pretty-printer global mapviz", "print main.dels", "print main.grow",
                "print main.names"])
    t = both.run.truth
    assert re.search(r"^Yes\s+/usr/lib/go-1\.\d+/src/runtime/runtime-gdb\.py", out[0], re.M), out[0]

    # mapviz's: live entries, each once, also mid-growth and on a map that was ranged over.
    for text, name in ((out[2], "dels"), (out[9], "dels"), (out[10], "grow"), (out[11], "names")):
        _, length, entries = printed_map(text)
        assert length == t[name].count and entries == t[name].entries, name

    # Go's: deleted cells printed as live entries (it takes any tophash != 0 as live) ...
    go_dels = pairs(out[4])
    deleted = [k for k, _ in go_dels if int(k) % 3 == 0]
    assert len(go_dels) > t["dels"].count and deleted, out[4][:300]
    # ... a map mid-growth from its old buckets only (evacuated ones included, it decides
    # evacuation by a bit no pointer has): stale entries, and the keys inserted since missed ...
    for text, name in ((out[5], "grow"), (out[6], "same")):
        go_pairs = pairs(text)
        assert set(t[name].entries) - set(k for k, _ in go_pairs), name
    # ... and the emptyRest cells of same's evacuated overflow buckets (evacuatedEmpty) as [0] = 0.
    assert ("0", "0") in pairs(out[6])
    # ... and no entry at all once the map was ranged over: it reads the iterator flag as
    # "keys are indirect" and dereferences an integer.
    assert t["names"].flags & 1
    assert "Python Exception" in out[7] and not pairs(out[7]), out[7]
