"""mapviz watch / unwatch: hardware watchpoints on one key's slot, decoded.

A watch arms GDB write watchpoints (internal ones: the watch has its own
stable number) on the regions the map's design plans for the key: its state
byte, its key cell and its elem cell (their first 8 bytes), and the header
field whose change is growth (`buckets` in the classic design). Each write
prints one line: field, old -> new with the slot state's
name, and the function and file:line of the writing instruction itself (a
watchpoint stops after it; see writer_location).

The key's place is looked up again, from memory, after every write to the
state byte, the key cell or the growth field, as mapviz-trace does: the key
moves at the moment it stops living in its cell (in the classic design, when
evacuation marks its old cell evacuatedX/Y: the new cell, still empty, is
where the copy goes), and growth turns its place into an old one. While a
key is half written (the design says so: still_the_keys), the watched cell
stays the key's. So no watchpoint is left on an old array when it is freed,
and the copies into the new cell are reported. A breakpoint on the source's
ending functions (hmap_clear, hmap_free) ends the watch when that map is
cleared or freed.

A stop() method must not add or delete breakpoints, so a move (or an end)
stops the program silently; the watchpoint's commands move the watchpoints
and continue, unless another breakpoint stopped the program at the same time.

GDB decides before any Python code runs whether a write watchpoint
triggers, and it does not report a write that leaves the value unchanged;
mapviz-trace reports those too.
"""
import bisect
import collections

import gdb

from . import memory
from .cli import KEY_RULES, MapvizCommand, Parser
from .follow import FollowedKey, SilentStop, delete_breakpoints, require_live_process
from .errors import MapvizError, Unreadable, one_line

# x86-64 has four debug registers; each watches an aligned 1, 2, 4 or 8 bytes.
DEBUG_REGISTERS = 4
_UNSIGNED = {1: "unsigned char", 2: "unsigned short", 4: "unsigned int", 8: "unsigned long"}
# Breakpoint commands of every stop mapviz asks for: act, then run on unless told not to.
_AFTER_STOP = ("python import mapviz_gdb.cmd_watch as w; w.after_stop()\n"
               "if $_mapviz_resume\ncontinue\nend")
_HW_WATCHPOINTS = (gdb.BP_HARDWARE_WATCHPOINT, gdb.BP_READ_WATCHPOINT, gdb.BP_ACCESS_WATCHPOINT)


def registers_needed(addr, length):
    """Debug registers to cover [addr, addr+length) with aligned 1/2/4/8-byte pieces (as GDB splits)."""
    n = 0
    while length > 0:
        size = next(s for s in (8, 4, 2, 1) if addr % s == 0 and s <= length)
        addr += size
        length -= size
        n += 1
    return n


# A watched region: the field's name, its address and length in bytes.
Region = collections.namedtuple("Region", "field addr length")
# Where the watch is: the key's cells (state byte, key, elem addresses), a description,
# whether the key is there (else the cells are where an insert would put it), and whether
# they are in the old array of a growing map.
Place = collections.namedtuple("Place", "cells desc present in_old")


class WatchStop(SilentStop):
    """A stop of the watch: its breakpoint commands run after_stop()."""

    def __init__(self, spec, *args, session, **kw):
        super().__init__(spec, *args, session=session, **kw)
        self.commands = _AFTER_STOP


class FieldWatchpoint(WatchStop):
    """One watched region; a write is printed decoded, and the program stops when the
    watch must move or end."""

    def __init__(self, session, region):
        ctype = _UNSIGNED.get(region.length)
        spec = f"*({ctype} *) {region.addr:#x}" if ctype else f"*(char (*)[{region.length}]) {region.addr:#x}"
        with memory.c_language():   # the spec is C, whatever the program's language (Go)
            super().__init__(spec, gdb.BP_WATCHPOINT, gdb.WP_WRITE, session=session)
        self.region = region
        self.last = session.read(region)
        if self.type != gdb.BP_HARDWARE_WATCHPOINT:
            self.delete()
            raise MapvizError(f"GDB could not arm a hardware watchpoint on the {region.field} "
                              f"({region.addr:#x}); is can-use-hw-watchpoints 0?")

    def should_stop(self):
        return self.session.on_write(self)


class MapEndBreakpoint(WatchStop):
    """At a function that ends a map (hmap_clear, hmap_free): stops when its argument is
    the watched map."""

    def __init__(self, session, function):
        super().__init__(function, session=session)
        self.function = function

    def should_stop(self):
        try:
            frame = gdb.newest_frame()
            what, argument = self.session.source.ENDINGS[self.function]
            if int(frame.read_var(argument)) != self.session.map_addr:
                return False
        except (gdb.error, ValueError):
            return False
        self.session.pending_end = f"the map was {what} ({self.function})"
        return True


class HeaderWritten(WatchStop):
    """Where the function that wrote the header's buckets field returns: look the key up
    again there; the stop (temporary) moves the watchpoints when the key moved, and is
    made even when the lookup fails (after_stop() must run).
    (Not a gdb.FinishBreakpoint: GDB 13 misses its stop when the caller is inlined.)"""
    STOP_ON_ERROR = True

    def __init__(self, frame, session):
        caller = frame.older()
        self.caller_sp = int(caller.read_register("sp"))
        super().__init__(f"*{caller.pc():#x}", session=session, temporary=True)

    def should_stop(self):
        if int(gdb.newest_frame().read_register("sp")) != self.caller_sp:
            return False   # another call of the function, deeper in the stack
        self.session.relocate(key_written=False)
        return True


class WatchSession(FollowedKey):
    """The watch on one key of one map."""

    def __init__(self, number, expr, key_text):
        super().__init__(expr, key_text)
        self.number = number
        self.watchpoints = []
        self.endings = []
        self.seq = 0
        self.place = None
        self.pending_place = None   # a Place to move to at the next after_stop()
        self.pending_end = None     # why the watch ends at the next after_stop()
        self.pending_finish = False # relocate when the function writing the header returns

    def read(self, region):
        try:
            return memory.read(region.addr, region.length)
        except Unreadable:
            return None

    def arm(self):
        view = self.pin()
        self.growth = Region(*self.design.growth_region(view))
        place = self.locate(view)
        if place.cells is None:
            raise MapvizError(f"key {self.key.text} is absent and has no empty cell to watch {place.desc}")
        regions = self._regions(place)
        self._check_budget(regions)
        self._arm_regions(regions)
        self.place = place
        for function in self.source.ENDINGS:
            try:
                self.endings.append(MapEndBreakpoint(self, function))
            except gdb.error:
                pass   # a program without that function cannot end the map that way
        return place.desc

    def locate(self, view):
        """The key's Place now: its cells, or where an insert would put it (reads memory only)."""
        pos = self.design.locate(view, self.key)
        if pos.found:
            return Place(pos.cells, pos.place_text, True, pos.in_old)
        if pos.cells is None:
            return Place(None, pos.marker or pos.place_text or pos.would_go, False, False)
        return Place(pos.cells, f"{pos.place_text} (absent: where an insert would put it)", False, False)

    def _regions(self, place):
        view = self.view()
        return [Region(*r) for r in self.design.watch_regions(view, place.cells)] + [self.growth]

    def _check_budget(self, regions):
        needed = {r.field: registers_needed(r.addr, r.length) for r in regions}
        others = sum(1 for b in gdb.breakpoints() if b.type in _HW_WATCHPOINTS and b.enabled)
        total = sum(needed.values())
        if total + others > DEBUG_REGISTERS:
            parts = ", ".join(f"{f} {n}" for f, n in needed.items())
            used = f", and {others} used by other watchpoints" if others else ""
            raise MapvizError(f"watch needs {total} debug registers ({parts}) but x86-64 has "
                              f"{DEBUG_REGISTERS}{used}; delete other watchpoints")

    def _arm_regions(self, regions):
        try:
            for r in regions:
                self.watchpoints.append(FieldWatchpoint(self, r))
        except Exception:
            self.disarm()
            raise

    def disarm(self):
        delete_breakpoints(self.watchpoints + self.endings)
        self.watchpoints = []
        self.endings = []

    # ---- a write (inside a stop(): read memory, print, decide) ----

    def on_write(self, wp):
        new = self.read(wp.region)
        old, wp.last = wp.last, new
        self.seq += 1
        field = wp.region.field
        text = f"{_decode(self, field, old)} -> {_decode(self, field, new)}"
        gdb.write(f"watch #{self.seq} {field} {text}  {self.place.desc}  "
                  f"{writer_location(self.source.OPERATIONS)}\n")
        if field == "elem":
            return False
        if field == self.growth.field and _writing_function() in self.source.HEADER_WRITERS:
            # The growth is writing buckets, oldbuckets, B and flags in some order: look
            # the key up again once that function returns (act() plants the breakpoint).
            self.pending_finish = True
            return True
        return self.relocate(key_written=field == "key")

    def relocate(self, key_written):
        """Looks the key up again; True (stop) when the watchpoints must move."""
        view = self.view()
        now = self.locate(view)
        if self._half_written(view, now, key_written):
            return False
        if now.cells == self.place.cells:
            if now.in_old != self.place.in_old:
                self._say_moved(self.place, now)
            self.place = now
            return False
        self.pending_place = now
        return True

    def _half_written(self, view, now, key_written):
        """Whether the watched cell, where the lookup does not find the key, is still the
        key's (the design says: arriving or leaving), unless the key cell was just written
        into a cell that was not the key's."""
        if now.present or self.place.cells is None:
            return False
        if not self.design.still_the_keys(view, self.place.cells, self.key):
            return False
        return not (key_written and not self.place.present)

    def _say_moved(self, before, after):
        reason = ("growth" if after.in_old and not before.in_old else
                  "evacuation" if before.in_old and not after.in_old else
                  "delete" if before.present and not after.present else
                  "insert" if after.present and not before.present else "relocation")
        where = f" ({self.design.STATE_FIELD} byte {after.cells[0]:#x})" if after.cells else ""
        gdb.write(f"watch: key {self.key.text} moved by {reason}: {before.desc} -> {after.desc}{where}\n")

    # ---- after a stop (breakpoint commands: breakpoints may change here) ----

    def act(self):
        if self.pending_end is not None:
            return self.end(self.pending_end)
        if self.pending_finish:
            self.pending_finish = False
            frame = gdb.newest_frame()
            while frame is not None and frame.type() == gdb.INLINE_FRAME:
                frame = frame.older()
            if frame is not None and frame.older() is not None:
                HeaderWritten(frame, self)
                return
            self.relocate(key_written=False)
        if self.pending_place is None:
            return
        now, self.pending_place = self.pending_place, None
        self._say_moved(self.place, now)
        endings = self.endings
        self.endings = []
        self.disarm()
        self.endings = endings
        self.place = now
        if now.cells is None:
            self._arm_regions([self.growth])
        else:
            self._arm_regions(self._regions(now))

    def end(self, why):
        global _session
        self.disarm()
        if _session is self:
            _session = None
        gdb.write(f"watch {self.number} ended: {why}; key {self.key.text} is no longer watched\n")


def _decode(session, field, raw):
    if raw is None:
        return "<unreadable>"
    return session.design.decode_field(session.view(), field, raw)


# ---- where a write was made ----

_instruction_starts = {}   # function entry -> sorted addresses of its instructions seen so far


def _function_entry(pc):
    """The entry address of the (not inlined) function holding pc, or None."""
    b = gdb.block_for_pc(pc)
    while b is not None and not (b.function is not None and b.superblock is not None and b.superblock.is_static):
        b = b.superblock
    if b is not None and b.start <= pc:
        return b.start
    try:   # no debug information: the ELF symbol ("memset + 32 in section .text")
        words = gdb.execute(f"info symbol {pc:#x}", to_string=True).split()
        if len(words) > 3 and words[1] == "+" and words[2].isdigit():
            return pc - int(words[2])
        if len(words) > 1 and words[1] == "in":
            return pc
    except gdb.error:
        pass
    return None


def writing_pc(frame):
    """The address of the instruction that made the write a watchpoint stopped after: the
    last instruction before the stop pc, found by disassembling from the function's entry."""
    pc = frame.pc()
    entry = _function_entry(pc)
    if entry is None or entry >= pc:
        return pc
    starts = _instruction_starts.setdefault(entry, [entry])
    if starts[-1] < pc:
        for insn in frame.architecture().disassemble(starts[-1], pc):
            if insn["addr"] > starts[-1]:
                starts.append(insn["addr"])
    i = bisect.bisect_left(starts, pc)
    return starts[i - 1] if i > 0 else pc


def _writing_function():
    """The name of the (not inlined) function the program is stopped in."""
    frame = gdb.newest_frame()
    while frame is not None and frame.type() == gdb.INLINE_FRAME:
        frame = frame.older()
    return frame.name() if frame is not None else None


def writer_location(operations):
    """'in delete_k hmap/hmap.c:1200 (during hmap_delete)': the function (inlined ones too) and
    line of the writing instruction, and the map operation the program called when that is
    another function."""
    try:
        frame = gdb.newest_frame()
        pc = writing_pc(frame)
        sal = gdb.find_pc_line(pc)
        where = f"{sal.symtab.filename}:{sal.line}" if sal.symtab and sal.line else f"{pc:#x}"
        b = gdb.block_for_pc(pc)
        while b is not None and b.function is None:
            b = b.superblock
        name = b.function.name if b is not None else (frame.name() or "??")
        op = None   # the outermost map operation on the stack: the one the user called
        f = frame
        while f is not None:
            if f.name() in operations:
                op = f.name()
            f = f.older()
        return f"in {name} {where}" + (f" (during {op})" if op and op != name else "")
    except (gdb.error, RuntimeError, ValueError):   # no frame, no symbols: the write still counts
        return ""


# ---- the one watch, and the stops it asks for ----

# Sourcing mapviz.py again re-runs this module in the same namespace: keep the watch.
_session = globals().get("_session")
_next_number = globals().get("_next_number", 1)
_stopped_by_others = False   # whether the last stop had a breakpoint that is not mapviz's


def _on_stop(event):
    global _stopped_by_others
    _stopped_by_others = any(not isinstance(b, WatchStop) for b in getattr(event, "breakpoints", ()))


def _on_exit(_event):
    if _session is not None:
        _session.end("the program exited")


def after_stop():
    """Runs as the commands of mapviz's watchpoints and breakpoints: moves or ends the
    watch when a stop() asked for it; $_mapviz_resume says whether to continue."""
    try:
        if _session is not None:
            _session.act()
    except Exception as exc:
        gdb.write(f"{one_line(exc)}\n")
    gdb.set_convenience_variable("_mapviz_resume", 0 if _stopped_by_others else 1)


def register_events():
    gdb.events.stop.connect(_on_stop)
    gdb.events.exited.connect(_on_exit)


class WatchCommand(MapvizCommand):
    SUMMARY = "Report every write to a key's slot (hardware watchpoints)."
    SHAPE = "expr rest"
    PARSER = Parser("watch", "Report every write to KEY's slot: hardware watchpoints on its tophash byte,\n"
                    "key cell and elem cell (first 8 bytes each) and on the map's buckets field.\n"
                    "Each write prints one line: field, old -> new (slot state names), and the\n"
                    "function and file:line of the instruction that wrote. The watch follows the\n"
                    "key when growth or evacuation moves it, and ends when the map is cleared or\n"
                    "freed. One watch at a time (it takes all four x86-64 debug registers); it has\n"
                    "a number that stays while it moves. Needs a live process; mapviz unwatch\n"
                    "removes it.",
                    KEY_RULES + "\n"
                    "GDB does not report a write that leaves the value unchanged (mapviz-trace does).\n"
                    "example: mapviz watch counts 42")
    PARSER.add_map_argument()
    PARSER.add_argument("key", metavar="KEY", help="the key, parsed as the map's key type")

    def run(self, args):
        global _session, _next_number
        require_live_process("watch")
        if _session is not None:
            s = _session
            raise MapvizError(f"watch {s.number} (key {s.key.text} of {s.expr}) is active: one watch at a "
                              f"time, as it uses every debug register; mapviz unwatch ends it")
        session = WatchSession(_next_number, args.expr, args.key)
        desc = session.arm()
        _next_number += 1
        _session = session
        cells = ", ".join(f"{w.region.field} {w.region.addr:#x}" for w in session.watchpoints)
        return f"watch {session.number}: key {session.key.text}: {desc} ({cells})"


class UnwatchCommand(MapvizCommand):
    SUMMARY = "Remove the watchpoints of mapviz watch."
    SHAPE = "none"
    PARSER = Parser("unwatch", "End the watch of mapviz watch and remove its watchpoints. With nothing\n"
                    "watched it says so (a note, not an error: a script goes on).")

    def run(self, args):
        global _session
        if _session is None:
            return "mapviz: nothing is watched"
        s, _session = _session, None
        n = len(s.watchpoints)
        s.disarm()
        return f"watch {s.number} removed ({n} watchpoints)"
