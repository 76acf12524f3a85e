"""mapviz for GDB: commands, a pretty printer and parameters for hash maps (hmap's, Go's).

The package model/ is the map model (sources, designs, hashes, codecs, and the
generic views the rest sees); beside it: memory (bulk reads), one cmd_* module
per command family, printer, cli/argsplit (command lines), params, style, elf, code
(functions and source lines as mapviz-trace names them).
"""
import gdb

from . import cli, model, params, printer
from . import cmd_dot, cmd_ls, cmd_replay, cmd_show, cmd_slot, cmd_trajectory, cmd_watch

COMMANDS = (cmd_show.ShowCommand, cmd_slot.SlotCommand, cmd_watch.WatchCommand,
            cmd_watch.UnwatchCommand, cmd_trajectory.TrajectoryCommand, cmd_replay.ReplayCommand,
            cmd_ls.LsCommand,
            cmd_dot.DotCommand)


def _forget_caches(_event=None):
    model.forget()


_connected = False


def register():
    global _connected
    cli.register()
    for cmd in COMMANDS:
        cmd()
    params.register()
    printer.register()
    if not _connected:
        gdb.events.new_objfile.connect(_forget_caches)
        gdb.events.new_objfile.connect(printer.on_new_objfile)
        gdb.events.clear_objfiles.connect(_forget_caches)
        cmd_watch.register_events()
        _connected = True
    _forget_caches()
