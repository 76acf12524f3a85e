"""mapviz watch / unwatch: hardware watchpoints on one key's slot, decoded.

A watch arms GDB write watchpoints on the key's tophash byte, its key cell
and its elem cell (their first 8 bytes), and on the map's `buckets` field
(a change there means growth). Each write prints one line: field,
old -> new with the slot state's name, and the function and file:line that
wrote it. When evacuation marks the key's old cell evacuatedX/Y, the watch
stops to plant a breakpoint where evacuate returns, stops there to find the
key's new slot and move the watchpoints to it, and continues each time.

GDB decides before any Python code runs whether a write watchpoint
triggers, and it does not report a write that leaves the value unchanged;
mapviz-trace reports those too.
"""
import gdb

from . import layout as layouts
from . import memory
from .cells import codecs
from .cli import MapvizCommand, Parser
from .cmd_slot import cell_addresses, locate
from .errors import MapvizError, Unreadable, one_line
from .keys import parse_key
from .walk import insert_position

# x86-64 has four debug registers; each watches an aligned 1, 2, 4 or 8 bytes.
DEBUG_REGISTERS = 4
_UNSIGNED = {1: "unsigned char", 2: "unsigned short", 4: "unsigned int", 8: "unsigned long"}
# The map operations a write can happen in.
MAP_OPERATIONS = ("evacuate", "growWork", "hashGrow", "hmap_assign", "hmap_delete", "hmap_clear",
                  "hmap_make", "hmap_free")


def registers_needed(addr, length):
    """Debug registers to cover [addr, addr+length) with aligned 1/2/4/8-byte pieces (as GDB splits)."""
    n = 0
    while length > 0:
        size = next(s for s in (8, 4, 2, 1) if addr % s == 0 and s <= length)
        addr += size
        length -= size
        n += 1
    return n


def watch_length(cell_size):
    """Bytes watched of a cell: all of it up to 8, else the first 8."""
    return min(cell_size, 8)


class Region:
    def __init__(self, field, addr, length):
        self.field = field
        self.addr = addr
        self.length = length


class FieldWatchpoint(gdb.Breakpoint):
    """One watched region; stop() prints the decoded write and says whether to stop."""

    def __init__(self, session, region):
        ctype = _UNSIGNED.get(region.length)
        spec = f"*({ctype} *) {region.addr:#x}" if ctype else f"*(char (*)[{region.length}]) {region.addr:#x}"
        super().__init__(spec, gdb.BP_WATCHPOINT, gdb.WP_WRITE, internal=False)
        self.silent = True
        self.session = session
        self.region = region
        self.last = session.read(region)
        if self.type != gdb.BP_HARDWARE_WATCHPOINT:
            self.delete()
            raise MapvizError(f"GDB could not arm a hardware watchpoint on the {region.field} "
                              f"({region.addr:#x}); is can-use-hw-watchpoints 0?")
        # A stop asked for by stop() (a move) lets the key's new slot be found, then runs on.
        self.commands = "python import mapviz_gdb.cmd_watch as w; w.after_stop()\ncontinue"

    def stop(self):
        try:
            return self.session.on_write(self)
        except Exception as exc:  # never a traceback from inside a stop
            gdb.write(f"{one_line(exc)}\n")
            return False


class WatchSession:
    """The watch on one key of one map."""

    def __init__(self, expr, key_text):
        self.expr = expr
        self.key_text = key_text
        self.watchpoints = []
        self.seq = 0
        self.move_pending = False
        self.slot_desc = ""

    def read(self, region):
        try:
            return memory.read(region.addr, region.length)
        except Unreadable:
            return None

    def arm(self):
        ref = layouts.map_ref_of_expr(self.expr)
        self.ref = ref
        self.key = parse_key(ref, self.key_text)
        regions, self.slot_desc = self._regions(ref)
        self._check_budget(regions)
        try:
            for r in regions:
                self.watchpoints.append(FieldWatchpoint(self, r))
        except Exception:
            self.disarm()
            raise
        return self.slot_desc

    def _regions(self, ref):
        lay = ref.layout
        _, loc, marker = locate(ref, self.key)
        if loc is not None:
            t, k, e = cell_addresses(lay, loc)
            desc = (f"{'old bucket' if loc.in_old else 'bucket'} {loc.bucket_index} "
                    f"overflow {loc.bucket.depth} slot {loc.slot}")
        else:
            pos, marker2 = insert_position(ref, self.key.hash(ref))
            if pos is None or pos[2] is None:
                raise MapvizError(f"key {self.key.text} is absent and has no empty cell to watch "
                                  f"{marker or marker2 or '(its chain is full)'}")
            index, b, s = pos
            t, k, e = b.tophash_addr(lay, s), b.key_addr(lay, s), b.elem_addr(lay, s)
            desc = f"bucket {index} overflow {b.depth} slot {s} (absent: where an insert would put it)"
        buckets_field = ref.addr + layouts.struct_fields(gdb.lookup_type("struct hmap"))["buckets"][0]
        return [Region("tophash", t, 1), Region("key", k, watch_length(lay.key_cell)),
                Region("elem", e, watch_length(lay.elem_cell)), Region("buckets", buckets_field, 8)], desc

    def _check_budget(self, regions):
        needed = {r.field: registers_needed(r.addr, r.length) for r in regions}
        others = sum(1 for b in gdb.breakpoints()
                     if b.type in (gdb.BP_HARDWARE_WATCHPOINT, gdb.BP_READ_WATCHPOINT, gdb.BP_ACCESS_WATCHPOINT)
                     and b.enabled and not isinstance(b, FieldWatchpoint))
        total = sum(needed.values())
        if total + others > DEBUG_REGISTERS:
            parts = ", ".join(f"{f} {n}" for f, n in needed.items())
            used = f", and {others} used by other watchpoints" if others else ""
            raise MapvizError(f"watch needs {total} debug registers ({parts}) but x86-64 has "
                              f"{DEBUG_REGISTERS}{used}; delete other watchpoints")

    def disarm(self):
        for wp in self.watchpoints:
            if wp.is_valid():
                wp.delete()
        self.watchpoints = []

    def on_write(self, wp):
        c = self.ref.layout.consts
        new = self.read(wp.region)
        old, wp.last = wp.last, new
        self.seq += 1
        field = wp.region.field
        text = f"{_decode(self, field, old)} -> {_decode(self, field, new)}"
        gdb.write(f"watch #{self.seq} {field} {text}  {self.slot_desc}  {_location()}\n")
        if field == "tophash" and new and new[0] in (c.evacuated_x, c.evacuated_y):
            self.move_pending = True
            return True   # after_stop() runs with the inferior stopped and can move the watchpoints
        return False

    def follow(self):
        """The key's old cell was just marked evacuated: once evacuate has copied the
        entry (it returns), watch the key's new slot. Runs with the inferior stopped."""
        self.move_pending = False
        frame = _evacuate_frame()
        if frame is not None:
            MoveFinish(frame, self)   # its commands call rearm() after evacuate returns
        else:
            self.rearm()

    def rearm(self):
        # The cell just evacuated belongs to the old array now.
        before = self.slot_desc if self.slot_desc.startswith("old ") else "old " + self.slot_desc
        self.disarm()
        self.arm()
        t = self.watchpoints[0].region.addr
        gdb.write(f"watch: key {self.key.text} moved by evacuation: {before} -> {self.slot_desc} "
                  f"(tophash byte {t:#x})\n")


class MoveFinish(gdb.FinishBreakpoint):
    """Stops silently when evacuate returns, so the watch can move to the key's new slot."""

    def __init__(self, frame, session):
        super().__init__(frame, internal=True)
        self.silent = True
        self.session = session
        self.commands = "python import mapviz_gdb.cmd_watch as w; w.after_move()\ncontinue"

    def stop(self):
        return True

    def out_of_scope(self):
        pass


def _evacuate_frame():
    """The real (not inlined) frame of evacuate on the stack, or None. The write that
    marks a cell may happen in a helper inlined into evacuate, so look up the stack."""
    f = gdb.newest_frame()
    while f is not None:
        if f.name() == "evacuate" and f.type() != gdb.INLINE_FRAME:
            return f
        f = f.older()
    return None


def _decode(session, field, raw):
    if raw is None:
        return "<unreadable>"
    n = int.from_bytes(raw, "little")
    if field == "tophash":
        return session.ref.layout.consts.tophash_text(n)
    if field == "buckets":
        return f"{n:#x}"
    lay = session.ref.layout
    codec = codecs(lay)[0 if field == "key" else 1]
    cell_size = lay.key_cell if field == "key" else lay.elem_cell
    return codec.text(raw) if len(raw) == cell_size and not codec.is_string else f"{n:#x}"


def _location():
    """'in evacuate_k hmap/hmap.c:LINE (during hmap_assign)': the writing frame, and the map
    operation the program called when that is another function."""
    try:
        frame = gdb.newest_frame()
        sal = frame.find_sal()
        where = f"{sal.symtab.filename}:{sal.line}" if sal.symtab else f"{frame.pc():#x}"
        name = frame.name() or "??"
        op = None   # the outermost map operation on the stack: the one the user called
        f = frame
        while f is not None:
            if f.name() in MAP_OPERATIONS:
                op = f.name()
            f = f.older()
        return f"in {name} {where}" + (f" (during {op})" if op and op != name else "")
    except gdb.error:
        return ""


_session = None


def after_stop():
    """Runs as the watchpoints' commands: moves the watch when a move is pending."""
    try:
        if _session is not None and _session.move_pending:
            _session.follow()
    except Exception as exc:
        gdb.write(f"{one_line(exc)}\n")


def after_move():
    """Runs as MoveFinish's commands: evacuate has returned."""
    try:
        if _session is not None:
            _session.rearm()
    except Exception as exc:
        gdb.write(f"{one_line(exc)}\n")


class WatchCommand(MapvizCommand):
    NAME = "watch"
    SUMMARY = "Report every write to a key's slot (hardware watchpoints)."
    PARSER = Parser("watch", "Report every write to KEY's slot: hardware watchpoints on its tophash byte,\n"
                    "key cell and elem cell (first 8 bytes each) and on the map's buckets field.\n"
                    "Each write prints one line: field, old -> new (slot state names), function and\n"
                    "file:line. When growth evacuates the key, the watch moves to its new slot.\n"
                    "Needs a live process; mapviz unwatch removes the watchpoints.",
                    "GDB does not report a write that leaves the value unchanged (mapviz-trace does).\n"
                    "example: mapviz watch counts 42")
    PARSER.add_map_argument()
    PARSER.add_argument("key", metavar="KEY", help="the key, parsed as the map's key type")

    def run(self, args):
        global _session
        inf = gdb.selected_inferior()
        if inf.pid == 0 or not inf.threads() or gdb.selected_thread() is None:
            raise MapvizError("watch needs a live process")
        if _is_core():
            raise MapvizError("watch needs a live process, not a core file")
        if _session is not None:
            _session.disarm()
            _session = None
        session = WatchSession(args.expr, args.key)
        desc = session.arm()
        _session = session
        numbers = ", ".join(str(w.number) for w in session.watchpoints)
        return f"watching key {session.key.text}: {desc} (watchpoints {numbers})"


class UnwatchCommand(MapvizCommand):
    NAME = "unwatch"
    SUMMARY = "Remove the watchpoints of mapviz watch."
    PARSER = Parser("unwatch", "Remove the watchpoints of mapviz watch.")

    def run(self, args):
        global _session
        if _session is None:
            return "mapviz: nothing is watched"
        n = len(_session.watchpoints)
        _session.disarm()
        _session = None
        return f"removed {n} watchpoints"


def _is_core():
    """Whether the current inferior is a core file (GDB 11+ names its connection)."""
    conn = getattr(gdb.selected_inferior(), "connection", None)
    return conn is not None and conn.type == "core"
