"""The `mapviz` prefix command and the argparse plumbing each subcommand uses.

A subcommand is a MapvizCommand subclass with a NAME, a PARSER (its usage is
its GDB help) and a run(args) method; run() raises MapvizError for the user
and returns the text to print. Errors are one line; `--help` prints usage.
"""
import argparse

import gdb

from .errors import MapvizError, command_boundary


class HelpShown(Exception):
    """argparse printed help (or usage) and wants to stop."""


class Parser(argparse.ArgumentParser):
    def __init__(self, name, description, epilog=None):
        super().__init__(prog=f"mapviz {name}", description=description, epilog=epilog,
                         formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)

    def error(self, message):
        usage = " ".join(self.format_usage().split())
        raise MapvizError(f"{message} ({usage})")

    def exit(self, status=0, message=None):
        if message:
            raise MapvizError(message.strip())
        raise HelpShown()

    def print_help(self, file=None):
        gdb.write(self.format_help())

    def add_map_argument(self):
        self.add_argument("expr", metavar="EXPR", help="the map: a map, a pointer to one, or a struct hmap")

    def add_limit_option(self):
        self.add_argument("--limit", type=integer, metavar="N",
                          help="at most N buckets (default: set mapviz max-buckets)")


def integer(text):
    """An argparse type: a non-negative integer in any C notation (12, 0x1c)."""
    try:
        n = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if n < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return n


class MapvizPrefix(gdb.Command):
    """Decode hmap maps (Go's map design in C) from memory, live or from a core.

Every command reads memory only and never calls a function in the program.
Keys and elems are shown by their C types, from the program's DWARF."""

    def __init__(self):
        super().__init__("mapviz", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, True)

    def invoke(self, arg, from_tty):
        gdb.execute("help mapviz", from_tty)


class MapvizCommand(gdb.Command):
    NAME = None
    SUMMARY = None   # one line for `help mapviz`
    PARSER = None

    def __init__(self):
        # GDB shows the first line in `help mapviz`, the whole text in `help mapviz NAME`.
        self.__doc__ = self.SUMMARY + "\n\n" + self.PARSER.format_help().rstrip()
        super().__init__("mapviz " + self.NAME, gdb.COMMAND_DATA)

    @command_boundary
    def invoke(self, arg, from_tty):
        try:
            args = self.PARSER.parse_args(gdb.string_to_argv(arg))
        except HelpShown:
            return
        self.dont_repeat()
        out = self.run(args)
        if out:
            gdb.write(out if out.endswith("\n") else out + "\n")

    def run(self, args):
        raise NotImplementedError

    def complete(self, text, word):
        """Options after a '-', else GDB's expression completion."""
        current = text.split()[-1] if text and not text[-1].isspace() else ""
        if current.startswith("-"):
            cut = len(current) - len(word or "")   # GDB replaces only `word`, which stops at '-'
            opts = [o for a in self.PARSER._actions for o in a.option_strings]
            return [o[cut:] for o in opts if o.startswith(current)]
        return gdb.COMPLETE_EXPRESSION


def register():
    MapvizPrefix()
