"""The command line: an expression takes the rest of the line as `print` does (options
before it, after `--`, or as trailing long options); EXPR KEY split; struct and string key
literals; unknown subcommands; notes that do not stop a script; max-buckets 0; file name
completion for dot's FILE."""
import re

from gdbtest import MAPVIZ, ROOT, fixture_path, run_gdb

CAST = "(u64s_map *) (unsigned long) u64s"   # a map expression with spaces


def test_an_expression_takes_the_rest_of_the_line(maps_run):
    out = maps_run(["mapviz show u64s --limit 1", f"mapviz show {CAST} --limit 1",
                    f"mapviz show --limit 1 {CAST}", f"mapviz show --limit 1 -- {CAST}",
                    f"mapviz show --limit=1 {CAST}", "mapviz show --summary * & * u64s"])
    assert out[0].startswith("u64s_map 0x") and "\nbucket 0 0x" in out[0]
    assert out[1:5] == [out[0]] * 4
    assert "count 85 agrees with the 85 live entries" in out[5]


def test_slot_splits_expr_and_key(maps_run):
    out = maps_run(["mapviz slot u64s 43", "mapviz slot u64s 40 + 3", f"mapviz slot {CAST} 43",
                    f"mapviz slot {CAST} 40 + 3", "mapviz slot u64s -- 40 + 3", "mapviz slot -- u64s 43",
                    "mapviz slot u64s (40 + 3) * 1", "mapviz slot u64s", "mapviz slot nosuch 1",
                    "mapviz slot 1 + 1 2", "mapviz slot u64s --"])
    truth = maps_run.truth["u64s"]
    assert 43 in {e.key for e in truth.entries}
    assert out[0].startswith("key 43: hash ") and "\nfound: bucket " in out[0]
    assert out[1:7] == [out[0]] * 6
    assert out[7] == out[10] == "mapviz: the following arguments are required: KEY (usage: mapviz slot [-h] EXPR KEY)"
    assert out[8] == 'mapviz: no symbol "nosuch" in current context'
    assert out[9] == "mapviz: not a map: int (expected an hmap map, a Go map, or a pointer to one)"


def test_struct_keys_as_brace_literals(maps_run):
    out = maps_run(["mapviz slot points probe", "mapviz slot points {2,4}", "mapviz slot points {x=2, y = 4}",
                    "mapviz slot points {.y = 4, .x = 2}", "mapviz slot points { 1 + 1 , 2 * 2 }",
                    "mapviz slot points {-1, 1}", "mapviz slot points {x = -1, y = 1}", "mapviz slot points {2, 4, 5}",
                    "mapviz slot points {z = 1}", "mapviz slot points {2", 'mapviz slot bigs {"big-2", 2}',
                    'mapviz slot bigs {.id = 2, .tag = "big-2"}', 'mapviz slot bigs {"big-2", 3}',
                    "mapviz slot points -- {2, 4}"])
    assert out[0].startswith("key {x = 2, y = 4}: hash ") and "elem 12" in out[0]
    assert out[1:5] == [out[0]] * 4 and out[13] == out[0]
    assert out[5].startswith("key {x = -1, y = 1}: hash ") and ", elem 9\n" in out[5] and out[6] == out[5]
    assert out[7] == 'mapviz: key "{2, 4, 5}" does not parse as struct point: 3 values for the 2 members of struct point'
    assert out[8] == 'mapviz: key "{z = 1}" does not parse as struct point: struct point has no member z'
    assert out[9].startswith('mapviz: key "{2" does not parse as struct point: ')
    assert re.search(r"\nfound: bucket \d+ overflow \d+ slot \d+, elem \{tag = \"big-2\", .* id = 2\}\n", out[10]), out[10]
    assert out[11] == out[10]
    assert out[12].splitlines()[1] == "absent"


def test_string_keys(maps_run):
    out = maps_run(['mapviz slot names "apple"', "mapviz slot names apple", "mapviz slot names main::words[0]",
                    'mapviz slot names "app" "le"', 'mapviz slot names "a\\x70ple"', 'mapviz slot names "fig"',
                    "mapviz slot names 42", 'mapviz slot names "date"'])
    assert out[0].startswith('key "apple": hash ') and "\nfound: bucket " in out[0]
    assert out[1:5] == [out[0]] * 4
    assert out[5].startswith('key "fig": ') and "\nfound: " in out[5]
    assert out[6] == 'mapviz: key "42" does not parse as const char *: it is a int, not a char * or a string literal'
    assert out[7].splitlines()[1] == "absent"


def test_dot_expr_and_file(maps_run, tmp_path):
    a, b = tmp_path / "a.dot", tmp_path / "b c.dot"
    out = maps_run([f"mapviz dot u64s {a} --limit 2", f'mapviz dot --limit 2 {CAST} "{b}"', f"mapviz dot {CAST} x y"])
    assert out[:2] == [f"wrote {a}", f"wrote {b}"]
    assert a.read_text() == b.read_text() and a.read_text().startswith("digraph u64s_map {")
    assert out[2] == "mapviz: one FILE after the map expression, not: x y"


def test_dot_completes_file_names_for_file(maps_run, tmp_path):
    (tmp_path / "pictures").mkdir()
    (tmp_path / "picture.dot").write_text("")
    (tmp_path / "other").write_text("")
    out = maps_run([f"complete mapviz dot u64s {tmp_path}/pic", f"complete mapviz dot --limit 2 {CAST} {tmp_path}/o",
                    "complete mapviz dot u64", "complete mapviz slot u64s u64"])
    assert out[0].splitlines() == [f"mapviz dot u64s {tmp_path}/picture.dot", f"mapviz dot u64s {tmp_path}/pictures/"]
    assert out[1] == f"mapviz dot --limit 2 {CAST} {tmp_path}/other"
    assert "mapviz dot u64s" in out[2].splitlines()    # EXPR: symbols
    assert "mapviz slot u64s u64s" in out[3].splitlines()   # KEY: an expression too


def test_unknown_subcommand_is_an_error_and_unwatch_a_note(tmp_path):
    script = tmp_path / "script.gdb"
    script.write_text("mapviz unwatch\necho after-unwatch\\n\nmapviz frob 1 2\necho after-frob\\n\n")
    out = run_gdb([fixture_path("maps"), tmp_path / "truth"], ["mapviz frob", f"source {script}", "mapviz"])
    assert out[0] == 'mapviz: unknown subcommand "frob"; try "help mapviz"'
    assert out[1] == ('mapviz: nothing is watched\nafter-unwatch\n'
                      f'{script}:3: Error in sourced command file:\nmapviz: unknown subcommand "frob"; try "help mapviz"')
    assert "\nmapviz show -- " in out[2]   # the prefix alone still lists the subcommands


def test_max_buckets_zero_is_unlimited(maps_run):
    out = maps_run(["set mapviz max-buckets 0", "show mapviz max-buckets", "mapviz show u64s",
                    "set mapviz max-buckets unlimited", "show mapviz max-buckets", "mapviz dot u64s",
                    "set mapviz max-buckets 3", "show mapviz max-buckets", "mapviz show u64s", "mapviz show u64s --limit 0",
                    "set mapviz max-buckets 0", f"source {ROOT / 'gdb' / 'mapviz.py'}", "show mapviz max-buckets"])
    assert out[1] == out[4] == "mapviz draws every bucket (max-buckets unlimited)"
    assert "more buckets" not in out[2] and "\nbucket 15 0x" in out[2]
    assert "more buckets" not in out[5] and "b15_0 [label" in out[5]
    assert out[7] == "mapviz draws at most 3 buckets"
    assert "... 13 more buckets" in out[8]
    assert out[9] == out[2]                  # --limit 0: all, as the setting's 0
    assert out[12] == out[1]                 # sourcing the extension again keeps "unlimited"


def test_help_states_the_rules(maps_run):
    out = maps_run(["help mapviz slot", "help mapviz watch", "help mapviz dot", "help set mapviz max-buckets"])
    for text in out[:2]:
        assert "EXPR -- KEY" in text and "{x = 1, y = -1}" in text and '"alice"' in text and "char *" in text
    assert "EXPR -- FILE" in out[2]
    assert "0 or unlimited" in out[3]
    assert (ROOT / "gdb" / "README.md").read_text().count("EXPR -- KEY") >= 1


def test_sourcing_again_runs_the_new_code_everywhere(maps_run):
    """After `source mapviz.py` again, the model's sources are those of the reloaded modules
    (each module reloaded after those it imports), and the commands still work."""
    check = ("python import mapviz_gdb.model as m; "
             "print(m.SOURCES == (m.source_hmap.SOURCE, m.source_go.SOURCE), "
             "m.source_hmap.DESIGN is m.design_classic.DESIGN, m.source_hmap.MapView is m.view.MapView)")
    out = maps_run([f"source {MAPVIZ}", check, "print u64s->h.count"])
    assert out[1] == "True True True"
    key = maps_run.truth["u64s"].entries[0].key
    out = maps_run([f"source {MAPVIZ}", f"mapviz slot u64s {key}"])
    assert out[1].splitlines()[1].startswith("found: ")
