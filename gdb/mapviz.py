"""mapviz: see what an hmap (Go's map design in C) does in memory, from GDB.

    (gdb) source gdb/mapviz.py          # or let GDB auto-load it (.debug_gdb_scripts)
    (gdb) help mapviz

This file only puts its directory on sys.path and registers the package
mapviz_gdb (commands, pretty printer, parameters). Sourcing it again reloads
the package, so an edited extension can be tried without restarting GDB.
"""
import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

# Modules are reloaded after those they import: the model's layers bottom up, the model
# before the commands, each package after its modules.
_LAYERS = ("errors", "memory", "elf", "argsplit", "code", "model.view", "model.hash", "model.codec",
           "model.design", "model.source", "model")


def _reload_order(name):
    short = name[len("mapviz_gdb."):]
    rank = next((i for i, layer in enumerate(_LAYERS) if short.startswith(layer)), len(_LAYERS))
    return rank, name


if "mapviz_gdb" in sys.modules:
    for _name in sorted((n for n in sys.modules if n.startswith("mapviz_gdb.")), key=_reload_order):
        importlib.reload(sys.modules[_name])
    importlib.reload(sys.modules["mapviz_gdb"])

import mapviz_gdb  # noqa: E402

mapviz_gdb.register()
