"""Slot mode: a key followed for its whole life, across growth and threads."""
import re

import pytest

from tracelib import EXAMPLES, FIXTURES


def test_key_followed_through_doublings_and_same_size_growth(trace):
    t = trace(["-m", "growth", "-k", "42"], [EXAMPLES / "growth_demo"], env={"HMAP_SEED": "3"})
    assert t.rc == 0, t.stderr
    m = re.search(r"(\d+) doublings, (\d+) same-size growth", t.stdout)
    doublings, same = int(m.group(1)), int(m.group(2))
    assert doublings >= 2 and same == 1, t.stdout

    # Each growth starts with hashGrow writing the buckets pointer.
    grows = [e for e in t.of("write") if e["field"] == "buckets" and e["op"] == "evacuate"]
    assert len(grows) == doublings + same
    assert all(e["func"] == "hashGrow" for e in grows)

    # After each growth the key is in the old table, then evacuation moves it to the new one.
    moves = t.of("move")
    reasons = [mv["reason"] for mv in moves]
    assert reasons.count("growth") == doublings + same
    assert reasons.count("evacuate") == doublings + same
    for mv in moves:
        if mv["reason"] == "growth":
            assert mv["to"]["old_table"] and mv["to"]["present"]
        if mv["reason"] == "evacuate":
            assert mv["from"]["old_table"] and not mv["to"]["old_table"]

    # Evacuation marks the old cell and copies the key and its elem into the new cell.
    marks = [e for e in t.of("write") if e["field"] == "tophash" and e["old_table"]]
    assert len(marks) == doublings + same
    assert {e["decoded"] for e in marks} <= {"evacuatedX", "evacuatedY"}
    assert all(e["op"] == "evacuate" and e["func"] == "evacuate" for e in marks)
    copies = [e for e in t.of("write") if e["op"] == "evacuate" and e["field"] in ("key", "elem")]
    assert [e["decoded"] for e in copies] == ["42", "4200"] * (doublings + same)

    # Where the trace says the key ends up is where the program finds it.
    b, o, s = map(int, re.search(r"key 42: bucket (\d+) overflow (\d+) slot (\d+)", t.stdout).groups())
    last = [mv for mv in moves if mv["reason"] != "freed"][-1]["to"]
    assert (last["bucket"], last["overflow"], last["slot"], last["old_table"]) == (b, o, s, False)
    assert moves[-1]["reason"] == "freed"


def test_four_threads_every_write_seen(trace):
    t = trace(["-m", "shared", "-k", "42"], [EXAMPLES / "threads_demo", "4", "1500"])
    assert t.rc == 0, t.stderr
    total = int(re.search(r"writes to key 42: (\d+)", t.stdout).group(1))
    assert total == 6000
    puts = [e for e in t.of("write") if e["field"] == "elem" and e["op"] == "assign"]
    assert len(puts) == total
    assert len({e["tid"] for e in puts}) == 4  # the four writers; main only creates the map
    # The values written are the writers' own: thread id * 1e6 + iteration.
    assert all(int(e["decoded"]) // 1000000 in (1, 2, 3, 4) for e in puts)
    assert re.search(r"armed on 1/1 threads", t.stderr)


def test_reads_reported_with_the_reading_operation(trace):
    """delete_demo looks key 43 up once after its deletes: with -r that read is reported."""
    t = trace(["-m", "counts", "-k", "43", "-r"], [EXAMPLES / "delete_demo"], env={"HMAP_SEED": "1"})
    assert t.rc == 0, t.stderr
    reads = t.of("read")
    assert any(e["op"] == "access" and e["func"] == "hmap_access" and e["field"] == "key"
               for e in reads), reads
    # A read changes nothing.
    assert all(e["old"] == e["new"] for e in reads)


def test_absent_key_watches_where_it_will_land(trace):
    """Key 5 is put into an empty map: the tracer watches the cell it lands in."""
    t = trace(["-m", "chain", "-k", "5"], [FIXTURES / "chain", "single"], env={"HMAP_SEED": "7"})
    assert t.rc == 0, t.stderr
    w = [(e["op"], e["field"], e["decoded"]) for e in t.of("write")]
    assert ("assign", "key", "5") in w and ("assign", "elem", "55") in w
    assert ("delete", "tophash", "emptyOne") in w


def test_text_format(trace):
    t = trace(["-m", "growth", "-k", "42"], [EXAMPLES / "growth_demo"], env={"HMAP_SEED": "3"},
              fmt="text")
    assert t.rc == 0
    assert re.search(r"^#\d+ tid \d+ move +bucket \d+ slot \d -> old bucket \d+ slot \d  \(growth\)$",
                     t.text, re.M), t.text
    assert re.search(r"^#\d+ tid \d+ evacuate old bucket \d+ slot \d  tophash 0x[0-9a-f]+ -> "
                     r"evacuated[XY] +evacuate\+0x[0-9a-f]+  hmap/hmap\.c:\d+$", t.text, re.M)


def test_write_from_outside_the_library_is_foreign(trace):
    t = trace(["-m", "chain", "-k", "42"], [FIXTURES / "chain", "foreign"])
    assert t.rc == 0 and "chain[42] = 4242" in t.stdout and "chain[42] = 4343" in t.stdout, t.stderr
    elem = [e for e in t.of("write") if e["field"] == "elem"]
    assert [(e["op"], e["decoded"]) for e in elem] == [
        ("assign", "1"), ("foreign", "4242"), ("foreign", "4343")]
    assert elem[1]["func"] == "main" and elem[1]["file"].endswith("chain.c")
    # No symbol covers the third writer: it is still named, decoded from its CFI range's start.
    assert elem[2]["func"] is None and elem[2]["insn"] == "movq %rax, (%rdi)", elem[2]


def test_programs_own_sigtrap_after_watch_hits_is_delivered(trace):
    """The debug status still names the last hit when the program raises SIGTRAP itself:
    that SIGTRAP is the program's, and reaches its handler."""
    t = trace(["-m", "chain", "-k", "42"], [FIXTURES / "chain", "sigtrap"])
    assert t.rc == 0, t.stderr
    assert "got SIGTRAP: 1" in t.stdout
    elems = [e["decoded"] for e in t.of("write") if e["field"] == "elem"]
    assert elems == ["0", "1", "2", "3"]


@pytest.mark.parametrize("how", ["assign", "evacuate"])
def test_absent_key_not_confused_with_a_lookalike(trace, how):
    """A key with 42's tophash byte lands in the very cell 42 would take, put there (assign
    writes key, elem, then tophash) or moved there by evacuation (tophash first), the latter
    after 42's bucket filled up (nothing to watch but the chain until evacuation marks it).
    The tracer must not take that key for 42, and must see 42 arrive elsewhere."""
    for seed in ("1", "2", "3"):
        t = trace(["-m", "chain", "-k", "42"], [FIXTURES / "chain", "sametop", how],
                  env={"HMAP_SEED": seed})
        assert t.rc == 0, t.stderr
        assert "chain[42] = 4247" in t.stdout
        writes = [(e["op"], e["field"], e["decoded"]) for e in t.of("write")
                  if e["field"] in ("key", "elem") and e["op"] == "assign"]
        assert ("assign", "key", "42") in writes
        elems = [d for op, f, d in writes if f == "elem" and d and d.startswith("424")]
        assert elems == [str(4242 + i) for i in range(6)], (seed, writes)
