"""Post-mortem: from a core file every command but watch gives the live output, and the
slots it finds are where the program itself found its keys."""
import reference
from gdbtest import fixture_path, read_truth, run_gdb
from test_gdb_slot import expect_found

COMMANDS = ["print *u64s", "print *growing", "mapviz show growing --limit 6", "mapviz show u64s --summary",
            "mapviz slot growing 1005", "mapviz slot u64s 42", "mapviz slot names fig", "mapviz ls",
            "mapviz dot u64s --limit 2", "print *names"]


def test_core_file_gives_the_live_output(tmp_path):
    core = tmp_path / "maps.core"
    live = run_gdb([fixture_path("maps"), tmp_path / "truth"], [f"gcore {core}"] + COMMANDS)
    assert core.exists(), live[0]
    truth, cells = read_truth(tmp_path / "truth"), reference.read_arrays(tmp_path / "truth")
    slots = [(name, e) for name in ("u64s", "growing", "samesize") for e in truth[name].entries]
    post = run_gdb([fixture_path("maps")], COMMANDS + ["mapviz watch u64s 1"] +
                   [f"mapviz slot {name} {e.key}" for name, e in slots], core=core)
    for cmd, a, b in zip(COMMANDS, live[1:], post):
        assert a == b, cmd
    assert post[len(COMMANDS)] == "mapviz: watch needs a live process, not a core file"
    for text, (name, e) in zip(post[len(COMMANDS) + 1:], slots):
        expect_found(text, e, cells[name])
