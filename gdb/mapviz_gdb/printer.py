"""The pretty printer: `print counts` -> counts_map of length 85 = {[1] = 1, ...}.

Live entries only, each exactly once, also while the map grows (the design's
live_runs mirrors the map's own iterator). Children are produced lazily, a run of
buckets at a time, so `set print elements` bounds the work as well as the output.
to_string() and children() each read the map when first needed: GDB/MI front
ends (-var-create, -var-list-children) call children() without to_string().

Children are text or values (model/codec_base.py). GDB prints a value as text
(print, -stack-list-locals, a backtrace's arguments) by calling to_string() and
then children() of one printer object; a variable object never calls to_string()
of a printer with children. So children() yields text only after to_string() and
only when GDB would print the same text: no format letter (print/x), output-radix 10.
"""
import gdb
import gdb.printing

from . import elf, model
from .errors import MapvizError, one_line
from .model.codec_go import go_string_data, kind_of


class MapPrinter:
    def __init__(self, value):
        self.value = value
        self._ref = None
        self._problem = None
        self._printing_text = False   # to_string() was called: GDB is printing text

    def _map(self):
        """The MapView, read once; None (and the reason in _problem) when it cannot be read."""
        if self._ref is None and self._problem is None:
            try:
                self._ref = model.map_view_of_value(self.value)
            except Exception as exc:  # a printer must never raise: show the problem inline
                self._problem = f"<{one_line(exc)}>"
        return self._ref

    def to_string(self):
        self._printing_text = True
        ref = self._map()
        if ref is None:
            return self._problem
        text = f"{ref.type_name} of length {ref.count}"
        problems = ref.design.header_problems(ref) + ref.problems
        return text + "".join(" " + p for p in problems)

    def display_hint(self):
        return "map"

    def children(self):
        """Key, elem, key, elem...: GDB's 'map' hint pairs them. Value children have their own
        names ([0], [1], ...), as GDB/MI makes a variable object of each by name; text
        children, which GDB prints without their names, have none ("")."""
        ref = self._map()
        if ref is None:
            return
        as_text = self._printing_text and _text_prints_alike()
        keys, elems = ref.key_codec, ref.elem_codec
        names = _child_names
        n = 0
        try:
            # The design hands over runs of live entries decoded in bulk, so that a child
            # costs GDB's protocol and little else.
            for run in ref.design.live_runs(ref):
                if isinstance(run, str):
                    # A problem in memory, shown where it was met: [<cycle: ...>] = <skipped>
                    count, entries = 1, ((run, "<skipped>"),)
                else:
                    count = run.count()
                    entries = zip(keys.children(run.keys, run.key_cell, run.live, as_text),
                                  elems.children(run.elems, run.elem_cell, run.live, as_text))
                if as_text:
                    # GDB prints a map's children without their names: no name to look up.
                    for key, elem in entries:
                        yield "", key
                        yield "", elem
                    continue
                if n + 2 * count > len(names):
                    names.extend(f"[{i}]" for i in range(len(names), max(n + 2 * count, 2 * len(names)) + 64))
                for key, elem in entries:
                    yield names[n], key
                    yield names[n + 1], elem
                    n += 2
        except Exception as exc:
            yield f"[{n}]", f"<{one_line(exc)}>"
            yield f"[{n + 1}]", "<skipped>"


# "[0]", "[1]", ...: the children's names, made once for all maps.
_child_names = []


def _text_prints_alike():
    """Whether a cell's own text is what GDB prints for its value under the options of the
    print in progress: no format letter (print/x, -var-set-format), decimal output."""
    return "format" not in gdb.print_options() and gdb.parameter("output-radix") == 10


# No Go string is this long (GDB itself reads no more of one than `set print elements`).
_GO_STRING_LENGTH_LIMIT = 1 << 40


class GoStringPrinter:
    """A Go string as text ("alice"), not as its {str, len} header: so a Go map's string keys
    and elems, given to GDB/MI front ends as values of type string, show as strings, and so
    do the string fields of struct keys a front end expands."""

    def __init__(self, value):
        self.value = value

    def display_hint(self):
        return "string"

    def to_string(self):
        try:
            length = int(self.value["len"])
            if length == 0:
                return ""
            if not 0 < length < _GO_STRING_LENGTH_LIMIT:
                return f"<bad string length {length}>"
            return go_string_data(int(self.value["str"]), length)
        except gdb.error as exc:
            return f"<{one_line(exc)}>"


class MapvizPrinters(gdb.printing.PrettyPrinter):
    """Finds maps (hmap's and Go's, and pointers to them) among the values GDB prints."""

    def __init__(self):
        super().__init__("mapviz")
        # The value last found not to be a map. GDB asks this object twice about each value
        # of a Go program (it is in that objfile's list and in the global one), passing the
        # same gdb.Value object both times; the answer depends on the type alone.
        self._not_mine = None

    def __call__(self, value):
        if not self.enabled or value is self._not_mine:
            return None
        try:
            code = value.type.code
            if code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_TYPEDEF):
                if code == gdb.TYPE_CODE_STRUCT and value.type.name == "string" and kind_of(value.type) == "string":
                    return GoStringPrinter(value)
                if model.recognize(value) is not None:
                    if value.type.strip_typedefs().code != gdb.TYPE_CODE_PTR or int(value) != 0:
                        return MapPrinter(value)
                    return None   # GDB's own (counts_map *) 0x0
        except (gdb.error, MapvizError):
            return None
        self._not_mine = value
        return None


# The one printer object: registered globally, and first among the printers of each Go
# program (objfile printers come before global ones, and Go's runtime-gdb.py registers
# its own there), so `print m` is mapviz's with both loaded. Being one object, `disable
# pretty-printer global mapviz` switches it off everywhere, and Go's shows again.
_printer = None


def _is_go(objfile):
    return bool(objfile.filename) and elf.section_bytes(objfile.filename, ".go.buildinfo") is not None


# Value kinds no printer of Go's runtime-gdb.py prints (it prints strings, slices, maps,
# channels and interfaces): GDB asks every printer about every value it prints, each child
# of a map included, and Go's matchers answer each with a regular expression and an
# exception. Asked only about the other kinds, they print the same, 8x faster on a big map.
_SCALARS = (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_FLT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR,
            gdb.TYPE_CODE_ENUM)


class ScalarsSkipped:
    """A printer function of runtime-gdb.py, not asked about scalar values. It starts with the
    function's name and enabled flag (info/enable/disable pretty-printer see no change, and
    act on this object, the one in the list). Plain attributes, not properties: GDB reads
    `enabled` of every printer for every value it prints, a million times in a large map."""

    def __init__(self, function):
        self.function = function
        self.name = getattr(function, "name", function.__name__)
        self.enabled = getattr(function, "enabled", True)

    def __call__(self, value):
        if value.type.code in _SCALARS:
            return None
        return self.function(value)


def _is_runtime_gdb(printer):
    """Whether printer is one of the matcher functions of Go's runtime-gdb.py."""
    return "goobjfile" in getattr(printer, "__globals__", {})


def put_first(objfile):
    """Make mapviz's printer the first of a Go objfile's printers (and Go's own printers
    skip scalars, see ScalarsSkipped)."""
    if _printer is None or not objfile.is_valid() or not _is_go(objfile):
        return
    printers = [p for p in objfile.pretty_printers if getattr(p, "name", None) != "mapviz"]
    objfile.pretty_printers[:] = [_printer] + [ScalarsSkipped(p) if _is_runtime_gdb(p) else p
                                               for p in printers]


def on_new_objfile(event):
    put_first(event.new_objfile)


def register():
    global _printer
    _printer = MapvizPrinters()
    gdb.printing.register_pretty_printer(None, _printer, replace=True)
    for objfile in gdb.objfiles():
        put_first(objfile)
