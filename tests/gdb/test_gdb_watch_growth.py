"""mapviz watch on a map that doubles five times past the watched key, then is freed
(tests/gdb/fixtures/growth.c): the watch moves when the key stops living in its cell,
never reports memory the map gave back, ends with the map, keeps one number, and names the
writing instruction's own line, the line mapviz-trace names for the same write."""
import json
import re
import subprocess

from gdbtest import BUILD, ROOT, fixture_path, gdb_env, read_facts, run_gdb

HIT = re.compile(r"watch #(\d+) (tophash|key|elem|buckets) (.*?) -> (.*?)  (.*?)  in (\S+) (\S+):(\d+)"
                 r"(?: \(during (\w+)\))?")
MAP_FUNCTION = re.compile(r"hmap_\w+|evacuate\w*|growWork|hashGrow|assign_k|delete_k|copy_value|clear_value"
                          r"|markEmptyRest|makeBucketArray")
COMMANDS = ["mapviz watch gm 42", "break grown", "break freed", "continue", "mapviz slot gm 42",
            "continue", "maint info breakpoints", "info watchpoints"]


def growth_session(tmp_path, commands=COMMANDS):
    truth = tmp_path / "truth"
    out = run_gdb([fixture_path("growth"), truth], commands)
    return out, read_facts(truth)


def hits(text):
    return [HIT.fullmatch(l) for l in text.splitlines() if l.startswith("watch #")]


def test_watch_follows_the_key_to_its_last_slot_and_ends_with_the_map(tmp_path):
    out, facts = growth_session(tmp_path)
    B, h, elemcell = facts["grown"]
    assert out[0].startswith("watch 1: key 42: bucket 0 overflow 0 slot 0 (tophash 0x")
    found = hits(out[3])
    assert all(found), out[3]
    assert len(found) >= 25
    for m in found:
        # Every write is made by the map, in hmap.c: none by malloc, free or tcache.
        assert MAP_FUNCTION.fullmatch(m.group(6)) and m.group(7) == "hmap/hmap.c", m.group(0)
    assert not re.search(r"malloc|free|tcache|_int_", out[3]), out[3]
    growths = re.findall(r"^watch: key 42 moved by growth: .*$", out[3], re.M)
    moves = re.findall(r"^watch: key 42 moved by evacuation: old bucket \d+ overflow 0 slot \d+ -> "
                       r"bucket (\d+) overflow (\d+) slot (\d+) .*\(tophash byte (0x[0-9a-f]+)\)$", out[3], re.M)
    assert len(growths) == B and len(moves) == B, out[3]   # B 0 -> 5: five doublings, each moved it
    # Its last slot, against the program's own truth and mapviz slot's independent lookup.
    bucket, overflow, slot, tophash_byte = moves[-1]
    assert int(bucket) == h & ((1 << B) - 1)
    final = out[4].splitlines()
    assert final[1] == f"found: bucket {bucket} overflow {overflow} slot {slot}, elem 4242"
    assert final[2].startswith(f"  tophash byte {tophash_byte}, ") and final[2].endswith(f"elem cell {elemcell:#x}")
    # The writes after the last move are the delete and the re-insert in that slot.
    last = [m for m in found if int(m.group(1)) > int(found[-1].group(1)) - 5]
    assert [m.group(2) for m in last][-4:] == ["elem", "tophash", "elem", "tophash"]
    assert all(m.group(5).startswith(f"bucket {bucket} overflow {overflow} slot {slot}") for m in last)
    # Freed: the watch ends, and nothing of it is left armed.
    assert re.match(r"watch 1 ended: the map was freed \(hmap_free\); key 42 is no longer watched\n\n"
                    r"Breakpoint 3, freed \(\)", out[5]), out[5]
    assert "watch #" not in out[5]
    assert "hw watchpoint" not in out[6] and "hmap_free" not in out[6] and "hmap_clear" not in out[6]
    assert out[7] == "No watchpoints."


def test_watchpoint_numbers_do_not_pile_up_as_the_watch_moves(tmp_path):
    out, _ = growth_session(tmp_path, ["mapviz watch gm 42", "break grown", "continue", "info watchpoints",
                                       "break freed", "maint info breakpoints", "mapviz unwatch",
                                       "maint info breakpoints"])
    assert out[2].count("moved by evacuation") == 5
    assert out[3] == "No watchpoints."   # mapviz's own are internal: the user's numbers stay free
    assert out[4].startswith("Breakpoint 3 at ")
    # After five moves, the four of the last slot only (the old ones are deleted), and the
    # two that end the watch.
    assert len(re.findall(r"^-\d+ +hw watchpoint ", out[5], re.M)) == 4
    assert len(re.findall(r"^-\d+ +breakpoint .* in hmap_(free|clear) ", out[5], re.M)) == 2
    assert out[6] == "watch 1 removed (4 watchpoints)"
    assert "hw watchpoint" not in out[7] and "hmap_free" not in out[7]


def test_a_breakpoint_of_the_user_where_the_watch_ends_still_stops(tmp_path):
    out, _ = growth_session(tmp_path, ["mapviz watch gm 42", "break grown", "continue", "break hmap_free",
                                       "continue", "bt 1"])
    assert re.match(r"\nBreakpoint 3, hmap_free \(h=.*\n.*\nwatch 1 ended: the map was freed \(hmap_free\); ", out[4]), out[4]
    assert out[5].startswith("#0  hmap_free ")


def _source_line(file, line):
    return (ROOT / file).read_text().splitlines()[line - 1]


def _writes_field(field, text):
    """Whether a line of hmap.c is a store into the field it is reported for."""
    stores = re.search(r"[^=!<>]=[^=]|memcpy|memset|memmove", text)
    target = {"tophash": r"\bth\[|tophash|\btop\b", "buckets": r"\bbuckets\b",
              "key": r"memcpy|memset|memmove|\bk\b", "elem": r"memcpy|memset|memmove|\be\b"}[field]
    return bool(stores and re.search(target, text))


def test_each_write_is_named_by_its_own_line_as_mapviz_trace_names_it(tmp_path):
    out, _ = growth_session(tmp_path, COMMANDS[:4])
    found = hits(out[3])
    assert all(found) and len(found) >= 25
    for m in found:
        file, line = m.group(7), int(m.group(8))
        assert _writes_field(m.group(2), _source_line(file, line)), (m.group(0), _source_line(file, line))
    # mapviz-trace, on the same binary with the same hash seed, from the program's start: the
    # writes GDB reports (it skips writes that change nothing) are the last of the tracer's.
    jsonl = tmp_path / "trace.jsonl"
    subprocess.run([BUILD / "bin" / "mapviz-trace", "-m", "gm", "-k", "42", "--format", "json", "-o", jsonl,
                    "--", fixture_path("growth"), tmp_path / "truth2"], env=gdb_env(), check=True,
                   timeout=120, stderr=subprocess.DEVNULL)
    events = [json.loads(l) for l in jsonl.read_text().splitlines()]
    traced = [(e["field"], e["file"], e["line"]) for e in events if e["type"] == "write" and e["old"] != e["new"]]
    watched = [(m.group(2), m.group(7), int(m.group(8))) for m in found]
    assert traced[-len(watched):] == watched


def test_one_watch_at_a_time_and_clear_ends_it(tmp_path):
    out, _ = growth_session(tmp_path, ["break filled", "continue", "mapviz watch cm 7",
                                       "mapviz watch (gm_map *) (unsigned long) cm 1 + 1", "break cleared",
                                       "continue", "info watchpoints", "mapviz watch (gm_map *) (unsigned long) cm 3 + 4",
                                       "continue"])
    assert re.fullmatch(r"watch 1: key 7: bucket 0 overflow 0 slot \d \(tophash 0x[0-9a-f]+, key 0x[0-9a-f]+, "
                        r"elem 0x[0-9a-f]+, buckets 0x[0-9a-f]+\)", out[2]), out[2]
    assert out[3] == ("mapviz: watch 1 (key 7 of cm) is active: one watch at a time, as it uses every debug "
                      "register; mapviz unwatch ends it")
    assert re.match(r"watch 1 ended: the map was cleared \(hmap_clear\); key 7 is no longer watched\n\n"
                    r"Breakpoint 3, cleared \(\)", out[5]), out[5]
    assert "watch #" not in out[5]   # clearing writes every cell: none of it is reported
    assert out[6] == "No watchpoints."
    # A new watch (an expression with spaces, a key expression with spaces) gets the next number.
    assert out[7].startswith("watch 2: key 7: bucket 0 overflow 0 slot 0 (absent: where an insert would put it)")
    found = hits(out[8])
    assert [m.group(2) for m in found] == ["key", "elem", "tophash"] and all(m.group(9) == "hmap_assign" for m in found)
    assert "watch 2 ended: the map was freed (hmap_free)" in out[8]
