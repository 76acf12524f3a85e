"""mapviz ls: the map types and the global map variables of the program, from every source."""
import gdb

from . import model
from .cli import MapvizCommand, Parser
from .errors import MapvizError


def render_ls():
    found = [r for r in (s.ls() for s in model.SOURCES) if r is not None]
    if not found:
        raise MapvizError("no hmap types in this program (no struct hmap_type in its debug info) "
                          "and no Go maps")
    types = [line for lines, _ in found for line in lines]
    globals_ = [g for _, gs in found for g in gs]
    lines = [f"map types ({len(types)}):"] + ["  " + t for t in types]
    lines.append(f"map variables ({len(globals_)}):")
    live = gdb.selected_inferior().pid != 0
    for name, type_text, sym in globals_:
        state = ""
        if live:
            try:
                view = model.map_view_of_value(sym.value())
                state = "  " + view.design.ls_state(view)
            except Exception as exc:  # a NULL or unreadable map is still listed
                state = "  " + str(exc).splitlines()[0]
        lines.append(f"  {name}: {type_text}{state}")
    return lines


class LsCommand(MapvizCommand):
    SHAPE = "none"
    SUMMARY = "List the map types and the map variables of the program."
    PARSER = Parser("ls", "List the map types of the program (hmap's, read from the hmap_types section\n"
                    "of each loaded file; a Go program's, from its DWARF) and the global and\n"
                    "static variables that are maps (with their count and B when a process or\n"
                    "core is there).")

    def run(self, args):
        return "\n".join(render_ls())
