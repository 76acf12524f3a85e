"""Errors are one line starting with "mapviz:"; usage and help come from argparse."""
from gdbtest import fixture_path, run_gdb


def test_error_lines(maps_run):
    out = maps_run(["mapviz show cnts", "mapviz show 1+1", "mapviz slot u64s foo", "mapviz slot u64s -1",
                    "mapviz slot u64s 1.5", "mapviz show nomap", "mapviz show u64s --bucket 99",
                    "mapviz show", "mapviz show u64s --frobnicate", "mapviz dot u64s /nonexistent/dir/x.dot"])
    assert out == [
        'mapviz: no symbol "cnts" in current context',
        "mapviz: not a map: int (expected an hmap map, a Go map, or a pointer to one)",
        'mapviz: key "foo" does not parse as uint64_t: No symbol "foo" in current context',
        'mapviz: key "-1" does not parse as uint64_t: -1 is out of range',
        'mapviz: key "1.5" does not parse as uint64_t: it is a double',
        "mapviz: the map is NULL (u64s_map * 0x0)",
        "mapviz: no bucket 99: the map has 16 buckets (B 4)",
        "mapviz: the following arguments are required: EXPR (usage: mapviz show [-h] [--bucket N] [--limit N] [--summary] EXPR)",
        "mapviz: unrecognized arguments: --frobnicate (usage: mapviz show [-h] [--bucket N] [--limit N] [--summary] EXPR)",
        "mapviz: cannot write /nonexistent/dir/x.dot: No such file or directory",
    ]


def test_no_process_and_no_core():
    out = run_gdb([fixture_path("maps")], ["mapviz show u64s", "mapviz slot u64s 1", "mapviz watch u64s 1",
                                          "print u64s"], stop=None)
    assert out[:3] == ["mapviz: no process and no core file (run the program or load a core)"] * 2 + \
        ["mapviz: watch needs a live process"]
    assert out[3] == "$1 = (u64s_map *) 0x0"


def test_help_and_usage(maps_run):
    out = maps_run(["help mapviz", "mapviz show --help", "help mapviz slot", "mapviz"])
    for name in ("show", "slot", "watch", "unwatch", "ls", "dot"):
        assert f"\nmapviz {name} -- " in out[0]
    assert out[1].startswith("usage: mapviz show [-h] [--bucket N] [--limit N] [--summary] EXPR\n")
    assert "--summary   occupancy, chain-length histogram, tombstones, load" in out[1]
    assert "usage: mapviz slot [-h] EXPR KEY" in out[2]
    assert out[3] == out[0]
