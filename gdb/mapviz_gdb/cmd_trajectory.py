"""mapviz trajectory: the whole write trajectory of the next delete of a key, live.

Breakpoints go on the first instruction of each of the source's delete entry points
(source.DELETE_CALLS: hmap_delete; Go's runtime.mapdelete and its fast variants), where
the arguments are still in their registers. Each hit reads the map and the key from them
(the source says which registers, and how the key is passed) and lets the program go on
unless it is a delete of KEY on the map EXPR named. That delete is single-stepped on its
own thread (scheduler-locking step: no other thread runs) until it returns: before each
instruction its memory operand is decoded (insn.py), after it the map's header and every
bucket of the key's chains (trajectory_blocks, read in bulk) are compared with the
snapshot before. Each write is printed as mapviz-trace -e delete --step records it: the
bytes the instruction names as written (so a write of an unchanged value is one) and
every field whose bytes changed, one line per field, with the instruction's own pc,
function and line.

Code may leave its thread inside the delete: a Go function's prologue calls morestack,
and the goroutine resumes, maybe on another thread and on a moved stack, at that call's
return address (source.THREAD_SWITCHES). There every thread runs until the same context
(source.CONTEXT_REGISTER, Go's g) reaches that address, and stepping goes on from there.

Whatever happens (the program stops elsewhere, exits, Ctrl-C, an error), the breakpoints
are deleted and scheduler-locking is set back before the command returns.
"""
import gdb

from . import insn, memory
from .cli import KEY_RULES, MapvizCommand, Parser, integer
from .code import code_location, function_address
from .follow import FollowedKey, SilentStop, delete_breakpoints, require_live_process
from .errors import MapvizError, Unreadable
from .model.view import op_of

MAX_STEPS = 200000   # instructions single-stepped in one delete before giving up


class DeleteEntry(SilentStop):
    """The first instruction of one delete entry point; it stops when this call deletes
    the followed key from the followed map."""

    def __init__(self, session, function, call, addr):
        super().__init__(f"*{addr:#x}", session=session)
        self.function = function
        self.call = call

    def should_stop(self):
        return self.session.is_the_delete(self)


class Resumed(SilentStop):
    """Where the followed code resumes after a thread switch: stops when the context
    register holds the followed context (another goroutine passes through)."""

    def __init__(self, addr, register, context):
        super().__init__(f"*{addr:#x}", temporary=False)
        self.register = register
        self.context = context
        self.reached = False

    def should_stop(self):
        try:
            if int(gdb.newest_frame().read_register(self.register)) & ((1 << 64) - 1) != self.context:
                return False
        except gdb.error:
            return False
        self.reached = True
        return True


class Write:
    """One write of the trajectory, as one line."""

    def __init__(self, seq, op, field, place_text, old, new, old_text, new_text, pc, insn_text, where):
        self.seq, self.op, self.field, self.place_text = seq, op, field, place_text
        self.old, self.new, self.old_text, self.new_text = old, new, old_text, new_text
        self.pc, self.insn, self.where = pc, insn_text, where

    def line(self):
        func, off, inlined, file, line = self.where
        name = f"{func}+{off:#x}" if func else f"{self.pc:#x}"
        inl = f" ({inlined})" if inlined else ""
        src = f"  {file}:{line}" if file else ""
        return (f"#{self.seq} {self.op or '?'}  {self.place_text}  {self.field} {self.old_text} -> "
                f"{self.new_text}  {self.pc:#x} {name}{inl}{src}")


class Trajectory(FollowedKey):
    """Following one key of one map to its next delete."""

    def __init__(self, expr, key_text, max_steps):
        super().__init__(expr, key_text)
        self.max_steps = max_steps
        self.breakpoints = []
        self.hit = None   # (DeleteEntry, sp, return address) of the delete to follow
        self.writes = []
        self.steps = 0    # instructions single-stepped

    def arm(self):
        view = self.pin()
        self.matches = view.matcher(self.key)
        for function, call in self.source.DELETE_CALLS.items():
            addr = function_address(function)
            if addr is not None:
                self.breakpoints.append(DeleteEntry(self, function, call, addr))
        if not self.breakpoints:
            names = ", ".join(self.source.DELETE_CALLS)
            raise MapvizError(f"no delete function in the program ({names})")

    def disarm(self):
        delete_breakpoints(self.breakpoints)
        self.breakpoints = []

    def is_the_delete(self, bp):
        frame = gdb.newest_frame()

        def register(name):
            return int(frame.read_register(name)) & ((1 << 64) - 1)

        if register(bp.call.map_register) != self.map_addr:
            return False
        view = self.view()
        try:
            cell = bp.call.key_cell(view, register)
        except Unreadable:
            return False
        if not self.matches(cell):
            return False
        sp = register("sp")
        self.hit = (bp, sp, memory.u64(memory.read(sp, 8)))
        return True

    # ---- the delete, one instruction at a time ----

    def step_through(self, stepping):
        """Single-steps the deleting thread to the delete's return; prints each write.
        A SIGINT stop (Ctrl-C) ends it as a KeyboardInterrupt does."""
        _, entry_sp, ret = self.hit
        thread = gdb.selected_thread()
        snapshot = {}   # block address -> (Block, bytes)
        self._add_blocks(snapshot)
        inf = gdb.selected_inferior()
        switches = {a: f for f in self.source.THREAD_SWITCHES if (a := function_address(f)) is not None}
        for steps in range(self.max_steps):
            frame = gdb.newest_frame()
            pc = frame.pc()
            text, written = insn.written_range(frame, _read_code)
            gdb.execute("stepi", to_string=True)
            if stepping.interrupted:
                raise KeyboardInterrupt
            self.steps = steps + 1
            if inf.pid == 0 or not thread.is_valid():
                return f"the program ended inside the delete, after {steps + 1} instructions"
            self._compare(snapshot, pc, text, written)
            self._add_blocks(snapshot)
            now = gdb.newest_frame()
            switch = switches.get(now.pc())
            if switch is not None:
                # The operation may go on on another thread: follow it there.
                moved = self._follow_switch(now, switch)
                if moved is None:
                    return f"the program stopped elsewhere while the delete waited in {switch}"
                thread, delta = moved
                entry_sp += delta
                gdb.write(f"trajectory: through {switch}: the delete goes on on thread {thread.num}"
                          + (f", its stack moved by {delta:+#x}" if delta else "") + "\n")
                now = gdb.newest_frame()
            if now.pc() == ret and int(now.read_register("sp")) > entry_sp:
                return None
        return (f"the delete did not return within {self.max_steps} instructions "
                f"(stopped there; mapviz trajectory --max-steps N for more)")

    def _follow_switch(self, frame, _function):
        """At the entry of one of the source's THREAD_SWITCHES (a call after which the running
        code may resume on another thread, at its return address: Go's morestack, when the
        goroutine is preempted or its stack grows): lets every thread run until the same
        context (source.CONTEXT_REGISTER: Go's g) reaches that address. (thread, how far the
        stack moved) or None when the program stopped for something else."""
        sp = int(frame.read_register("sp"))
        resume = memory.u64(memory.read(sp, 8))
        context = int(frame.read_register(self.source.CONTEXT_REGISTER))
        bp = Resumed(resume, self.source.CONTEXT_REGISTER, context)
        try:
            gdb.execute("continue", to_string=True)
        finally:
            delete_breakpoints([bp])
        if not bp.reached:
            return None
        now = int(gdb.newest_frame().read_register("sp"))
        return gdb.selected_thread(), now - (sp + 8)

    def _add_blocks(self, snapshot):
        try:
            view = self.view()
        except MapvizError:
            return
        for block in self.design.trajectory_blocks(view, self.key):
            if block.addr not in snapshot:
                try:
                    snapshot[block.addr] = (block, memory.read(block.addr, block.length))
                except Unreadable:
                    pass

    def _compare(self, snapshot, pc, text, written):
        changed_blocks = []
        for addr, (block, before) in snapshot.items():
            try:
                after = memory.read(addr, block.length)
            except Unreadable:
                continue
            touches = written and written[0] < addr + block.length and written[1] > addr
            if after != before or touches:
                changed_blocks.append((block, before, after))
                snapshot[addr] = (block, after)
        if not changed_blocks:
            return
        view = self.view()
        where = None
        for block, before, after in changed_blocks:
            touched = bytearray(block.length)
            for j in range(block.length):
                a = block.addr + j
                if written and written[0] <= a < written[1]:
                    touched[j] = 1
                elif before[j] != after[j]:
                    f = self.design.field_at(view, block, a)
                    if f is None:
                        touched[j] = 1
                        continue
                    for x in range(max(f.start, block.addr), min(f.start + f.size, block.addr + block.length)):
                        touched[x - block.addr] = 1
            j = 0
            while j < block.length:
                if not touched[j]:
                    j += 1
                    continue
                k = j
                while k < block.length and touched[k]:
                    k += 1
                if where is None:
                    where = code_location(pc)
                self._report(view, block, before, after, block.addr + j, block.addr + k, pc, text, where)
                j = k

    def _report(self, view, block, before, after, lo, hi, pc, text, where):
        """One Write per field in [lo, hi) (its first 8 bytes), as mapviz-trace's report_range."""
        a = lo
        while a < hi:
            f = self.design.field_at(view, block, a)
            if f is None:
                a += 1
                continue
            end = min(f.start + f.size, hi)
            start = max(a, f.start)
            n = min(end - start, 8)
            o, e = start - block.addr, start - block.addr + n
            whole = start == f.start and n == f.size
            op = op_of(self.source, where[2]) or op_of(self.source, where[0]) or self._op_on_stack()
            w = Write(len(self.writes) + 1, op, f.field, self.design.place_text(f.place),
                      int.from_bytes(before[o:e], "little"), int.from_bytes(after[o:e], "little"),
                      self.design.decode_write(view, f.field, before[o:e], whole),
                      self.design.decode_write(view, f.field, after[o:e], whole), pc, text, where)
            self.writes.append(w)
            gdb.write(w.line() + "\n")
            a = end

    def _op_on_stack(self):
        """The operation of the innermost map function on the stack (a helper such as memset
        writes for its caller)."""
        f = gdb.newest_frame()
        while f is not None:
            op = op_of(self.source, f.name())
            if op:
                return op
            f = f.older()
        return None


def _read_code(addr, n):
    """Up to n bytes of code at addr (fewer where the mapping ends)."""
    while n > 0:
        try:
            return memory.read(addr, n)
        except Unreadable:
            n //= 2
    raise MapvizError(f"cannot read the instruction at {addr:#x}")


class Stepping:
    """Meanwhile: `set scheduler-locking step` (stepi moves only the current thread) and
    `set suppress-cli-notifications on` (no stop location printed per instruction); and
    whether the program stopped for SIGINT. A Ctrl-C that reaches GDB while Python runs is
    a KeyboardInterrupt, but one that comes while the program runs a stepi stops the program
    with SIGINT and the stepi returns as if done: interrupted says so."""
    SETTINGS = (("scheduler-locking", "step"), ("suppress-cli-notifications", "on"))

    def __enter__(self):
        self.before = []
        self.interrupted = False
        for name, value in self.SETTINGS:
            old = gdb.parameter(name)
            self.before.append((name, {True: "on", False: "off"}.get(old, old)))
            gdb.execute(f"set {name} {value}", to_string=True)
        gdb.events.stop.connect(self._on_stop)
        return self

    def __exit__(self, *exc):
        gdb.events.stop.disconnect(self._on_stop)
        for name, value in self.before:
            gdb.execute(f"set {name} {value}", to_string=True)

    def _on_stop(self, event):
        if isinstance(event, gdb.SignalEvent) and event.stop_signal == "SIGINT":
            self.interrupted = True


class TrajectoryCommand(MapvizCommand):
    SUMMARY = "Show every write of the next delete of a key, single-stepped."
    SHAPE = "expr rest"
    PARSER = Parser("trajectory", "Run to the next delete of KEY from the map EXPR, single-step it on its own\n"
                    "thread to its return, and print every write it makes to the map's header and\n"
                    "to the key's chains (every state byte of every bucket of the chain, the key\n"
                    "and elem cells), in order: field, old -> new (state names), the writing\n"
                    "instruction's pc, function and source line. The list mapviz-trace -e delete\n"
                    "--step records for that delete. Stops where the delete returns. Other threads\n"
                    "do not run while it steps. Needs a live process.",
                    KEY_RULES + "\nexample: mapviz trajectory counts 42")
    PARSER.add_map_argument()
    PARSER.add_argument("key", metavar="KEY", help="the key, parsed as the map's key type")
    PARSER.add_argument("--max-steps", type=integer, default=MAX_STEPS, metavar="N",
                        help=f"instructions to single-step at most (default {MAX_STEPS})")

    def run(self, args):
        require_live_process("trajectory")
        inf = gdb.selected_inferior()
        t = Trajectory(args.expr, args.key, args.max_steps or MAX_STEPS)
        try:
            t.arm()
            names = ", ".join(bp.function for bp in t.breakpoints)
            gdb.write(f"trajectory: waiting for a delete of key {t.key.text} from {args.expr} (at {names})\n")
            gdb.execute("continue")
            t.disarm()
            if t.hit is None:
                if inf.pid == 0:
                    return f"trajectory: the program ended before a delete of key {t.key.text}"
                return f"trajectory: the program stopped before a delete of key {t.key.text}"
            bp = t.hit[0]
            gdb.write(f"trajectory: {bp.function} of key {t.key.text}, thread "
                      f"{gdb.selected_thread().num}\n")
            with Stepping() as stepping:
                ended = t.step_through(stepping)
        finally:
            t.disarm()
        if ended:
            raise MapvizError(f"trajectory: {ended} ({len(t.writes)} writes shown)")
        gdb.write(f"trajectory: {len(t.writes)} writes in {t.steps} instructions; the delete returned\n")
        gdb.execute("frame 0")
        return None
