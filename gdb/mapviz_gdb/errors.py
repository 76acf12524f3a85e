"""Errors a user sees: one line starting "mapviz:", never a traceback."""
import functools

import gdb


class MapvizError(Exception):
    """A problem to report as one line (without the "mapviz: " prefix)."""


class Unreadable(MapvizError):
    """Memory at addr could not be read (a core without it, a wild pointer)."""

    def __init__(self, addr):
        super().__init__(f"cannot read memory at {addr:#x}")
        self.addr = addr

    @property
    def marker(self):
        return f"<unreadable {self.addr:#x}>"


# Words that keep their capital at the start of a message.
PROPER_NAMES = ("Go ",)


def one_line(exc):
    """The user-facing text of any exception, as one line."""
    text = str(exc).strip().splitlines()
    text = text[0] if text else type(exc).__name__
    text = text.rstrip(".")
    if isinstance(exc, (MapvizError, gdb.error)):
        # GDB's own messages start with a capital ("No symbol ..."); ours do not.
        if text[:1].isupper() and not text[1:2].isupper() and not text.startswith(PROPER_NAMES):
            text = text[0].lower() + text[1:]
        return "mapviz: " + text
    return f"mapviz: internal error: {type(exc).__name__}: {text}"


def command_boundary(invoke):
    """Wrap a gdb.Command.invoke so every failure becomes one gdb.GdbError line."""

    @functools.wraps(invoke)
    def wrapper(self, arg, from_tty):
        try:
            return invoke(self, arg, from_tty)
        except gdb.GdbError:
            raise
        except KeyboardInterrupt:
            raise gdb.GdbError("mapviz: interrupted")
        except Exception as exc:  # the boundary: nothing else may escape to the user
            raise gdb.GdbError(one_line(exc)) from None

    return wrapper
