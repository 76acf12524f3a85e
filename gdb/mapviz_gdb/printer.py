"""The pretty printer: `print counts` -> counts_map of length 85 = {[1] = 1, ...}.

Live entries only (tophash >= minTopHash), each exactly once, also while the
map grows (walk.live_entries mirrors hmap's iterator). Children are produced
lazily, so `set print elements` bounds the work as well as the output.
"""
import gdb
import gdb.printing

from . import layout as layouts
from .cells import codecs
from .errors import MapvizError, one_line
from .walk import header_problems, live_entries


class MapPrinter:
    def __init__(self, value):
        self.value = value
        self.ref = None

    def to_string(self):
        try:
            self.ref = layouts.map_ref_of_value(self.value)
        except Exception as exc:  # a printer must never raise: show the problem inline
            return f"<{one_line(exc)}>"
        h = self.ref.header
        text = f"{self.ref.type_name} of length {h.count}"
        problems = header_problems(self.ref) + self.ref.layout.problems
        return text + "".join(" " + p for p in problems)

    def display_hint(self):
        return "map"

    def children(self):
        if self.ref is None:
            return
        key_codec, elem_codec = codecs(self.ref.layout)
        try:
            for kcell, ecell in live_entries(self.ref):
                if kcell is None:
                    # A problem in memory, shown where it was met: [<cycle: ...>] = <skipped>
                    yield "marker", ecell   # ecell is the marker text
                    yield "", "<skipped>"
                else:
                    yield "key", key_codec.for_gdb(kcell)
                    yield "elem", elem_codec.for_gdb(ecell)
        except Exception as exc:
            yield "error", f"<{one_line(exc)}>"
            yield "", "<skipped>"


class MapvizPrinters(gdb.printing.PrettyPrinter):
    """Finds hmap maps (and pointers to them) among the values GDB prints."""

    def __init__(self):
        super().__init__("mapviz")

    def __call__(self, value):
        if not self.enabled:
            return None
        try:
            code = value.type.code
            if code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_TYPEDEF):
                return None
            if layouts.recognize(value) is None:
                return None
            if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR and int(value) == 0:
                return None  # GDB's own (counts_map *) 0x0
        except (gdb.error, MapvizError):
            return None
        return MapPrinter(value)


def register():
    gdb.printing.register_pretty_printer(None, MapvizPrinters(), replace=True)
