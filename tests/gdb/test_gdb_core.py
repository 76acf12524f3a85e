"""Post-mortem: every command but watch gives the same output from a core file."""
from gdbtest import fixture_path, run_gdb

COMMANDS = ["print *u64s", "print *growing", "mapviz show growing --limit 6", "mapviz show u64s --summary",
            "mapviz slot growing 1005", "mapviz slot u64s 42", "mapviz slot names fig", "mapviz ls",
            "mapviz dot u64s --limit 2", "print *names"]


def test_core_file_gives_the_live_output(tmp_path):
    core = tmp_path / "maps.core"
    live = run_gdb([fixture_path("maps"), tmp_path / "truth"], [f"gcore {core}"] + COMMANDS)
    assert core.exists(), live[0]
    post = run_gdb([fixture_path("maps")], COMMANDS + ["mapviz watch u64s 1", "info target"], core=core)
    for cmd, a, b in zip(COMMANDS, live[1:], post):
        assert a == b, cmd
    assert post[len(COMMANDS)] == "mapviz: watch needs a live process, not a core file"
