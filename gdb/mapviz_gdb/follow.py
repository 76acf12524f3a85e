"""What the live commands (watch, trajectory) share: a key of a map followed while the
program runs, the map pinned at the address its expression had when the command began
(the expression may name another map, or nothing, later), the live-process check, and
their breakpoints' stop boundary."""
import gdb

from . import model
from .errors import MapvizError, one_line


def require_live_process(command):
    """Fail unless the program runs: a core file has no future writes."""
    inf = gdb.selected_inferior()
    if inf.pid == 0 or not inf.threads() or gdb.selected_thread() is None:
        raise MapvizError(f"{command} needs a live process")
    conn = getattr(inf, "connection", None)   # GDB 11+ names a core's connection
    if conn is not None and conn.type == "core":
        raise MapvizError(f"{command} needs a live process, not a core file")


class FollowedKey:
    """KEY of the map EXPR: pin() evaluates EXPR once and parses KEY by its key type;
    view() reads the pinned map again."""

    def __init__(self, expr, key_text):
        self.expr = expr
        self.key_text = key_text

    def pin(self):
        """The MapView now; sets source, design, map_addr, pinned and key."""
        try:
            value = gdb.parse_and_eval(self.expr)
        except gdb.error as e:
            raise MapvizError(str(e))
        view = model.map_view_of_value(value)
        self.source = view.source
        self.design = view.design
        self.map_addr = view.addr
        self.pinned = self.source.pinned(value, view.addr)
        self.key = view.key_codec.parse_key(view, self.key_text)
        return view

    def view(self):
        return self.source.map_view(self.pinned)


def delete_breakpoints(breakpoints):
    """Deletes those of the breakpoints GDB still has (a temporary one may be gone)."""
    for bp in breakpoints:
        if bp.is_valid():
            bp.delete()


class SilentStop(gdb.Breakpoint):
    """An internal breakpoint or watchpoint of a live command: GDB prints nothing when it
    stops, and stop() asks should_stop(). GDB calls stop() outside any command, so an error
    there is printed as one line (never a traceback) and the program stops when
    STOP_ON_ERROR says so (a stop whose breakpoint commands must run anyway)."""
    STOP_ON_ERROR = False

    def __init__(self, spec, *args, session=None, **kw):
        super().__init__(spec, *args, internal=True, **kw)
        self.silent = True
        self.session = session

    def stop(self):
        try:
            return self.should_stop()
        except Exception as exc:
            gdb.write(f"{one_line(exc)}\n")
            return self.STOP_ON_ERROR

    def should_stop(self):
        raise NotImplementedError
