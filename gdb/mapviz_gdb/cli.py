"""The `mapviz` prefix command and the argparse plumbing each subcommand uses.

A subcommand is a MapvizCommand subclass with a PARSER (its prog, `mapviz NAME`,
names the command; its usage is its GDB help), a SUMMARY, a SHAPE (what its
positional text holds) and a run(args) method; run() raises MapvizError for the
user and returns the text to print. Errors are one line; `--help` prints usage.

Positional text (argsplit.CommandLine cuts the options off) by SHAPE:
  "none"         nothing
  "expr"         EXPR: all of it, as `print` takes its expression
  "expr rest"    EXPR REST, REST required (slot, watch: the KEY)
  "expr [file]"  EXPR [FILE] (dot)
  "files"        file names, split and unquoted as GDB splits arguments (replay);
                 every word, option values too, completes as a file name
For the last two, `EXPR -- REST` separates them explicitly; otherwise EXPR is
the shortest run of leading top-level words that GDB evaluates to a map, and
REST is what follows.
"""
import argparse
import os

import gdb

from . import model
from .argsplit import CommandLine
from .errors import MapvizError, command_boundary


# The epilog of the commands that take EXPR KEY.
KEY_RULES = """\
EXPR and KEY: EXPR is the shortest run of leading words that is a map; KEY is
the rest of the line. Write EXPR -- KEY to say where EXPR ends. Words are cut
at spaces outside (), [], {} and quotes.
KEY is read by the map's key type: an expression for integers, floats and
pointers (40 + 2); for a struct, a brace literal {1, -1} or {x = 1, y = -1}
(members not given and padding are zero) or an expression of the key's type;
for string keys, a quoted C literal "alice", or an expression yielding a
char * or char array (its bytes up to the NUL), or a bare word that names
nothing, taken as the string itself. A Go map's key is written the same way
in Go's terms: "alice" (or alice), {ID = 3, Name = "t3"} (also {ID: 3}),
true, 1.5; an interface key as 42 or "bob" (dynamic type int or string)."""


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
        self.add_argument("expr", metavar="EXPR", help="the map: a map, a pointer to one, or a struct hmap;\n"
                          "the rest of the line, as print takes it (options before it, or -- first)")

    def add_limit_option(self):
        self.add_argument("--limit", type=integer, metavar="N",
                          help="at most N buckets, 0 for all (default: set mapviz max-buckets)")


def integer(text):
    """An argparse type: a non-negative integer in any C notation (12, 0x1c)."""
    try:
        n = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if n < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return n


def file_completions(current, word):
    """File names that complete current (the FILE word typed so far), as GDB wants them:
    each the replacement of word, the part after GDB's last word-break character ('/').
    (gdb.COMPLETE_FILENAME would complete the whole argument text as one file name.)"""
    directory, base = os.path.split(current)
    path = os.path.expanduser(directory) or "."
    try:
        names = sorted(n for n in os.listdir(path) if n.startswith(base) and (base or not n.startswith(".")))
    except OSError:
        return []
    cut = len(current) - len(word or "")
    full = [os.path.join(directory, n) + ("/" if os.path.isdir(os.path.join(path, n)) else "") for n in names]
    return [f[cut:] for f in full]


class MapvizPrefix(gdb.Command):
    """Decode hash maps from memory, live or from a core: hmap maps (Go's map design in C)
and Go's own maps (Go 1.19 to 1.23).

Every command reads memory only and never calls a function in the program.
Keys and elems are shown by their types (C's or Go's), from the program's DWARF."""

    def __init__(self):
        super().__init__("mapviz", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, True)

    def invoke(self, arg, from_tty):
        # GDB calls the prefix itself for a word that names no subcommand.
        words = arg.split()
        if words:
            raise gdb.GdbError(f'mapviz: unknown subcommand "{words[0]}"; try "help mapviz"')
        gdb.execute("help mapviz", from_tty)


def split_map_expression(text, spans):
    """(EXPR, REST) of positional text whose top-level word spans are given: split at a
    `--` word, else after the shortest run of leading words GDB evaluates to a map
    (REST is then "" when only the whole text is one). MapvizError naming why no
    run is a map."""
    words = [text[s:e] for s, e in spans]
    if "--" in words:
        i = words.index("--")
        rest = text[spans[i + 1][0]:spans[-1][1]] if i + 1 < len(words) else ""
        return (text[spans[0][0]:spans[i - 1][1]] if i else ""), rest
    first_problem = None
    for n in range(1, len(spans) + 1):
        expr = text[spans[0][0]:spans[n - 1][1]]
        try:
            value = gdb.parse_and_eval(expr)
        except gdb.error as e:
            first_problem = first_problem or MapvizError(str(e))
            continue
        if model.recognize(value) is None:
            # A value, but not a map: the first such one is the better complaint.
            if first_problem is None or not isinstance(first_problem, NotAMap):
                first_problem = NotAMap(str(model.not_a_map(value)))
            continue
        return expr, (text[spans[n][0]:spans[-1][1]] if n < len(spans) else "")
    raise first_problem or MapvizError("missing map expression")


class NotAMap(MapvizError):
    """An expression that has a value, of a type that is not a map."""


class MapvizCommand(gdb.Command):
    SUMMARY = None   # one line for `help mapviz`
    PARSER = None
    SHAPE = "expr"   # see the module's docstring

    def __init__(self):
        # GDB shows the first line in `help mapviz`, the whole text in `help mapviz NAME`.
        self.__doc__ = self.SUMMARY + "\n\n" + self.PARSER.format_help().rstrip()
        super().__init__(self.PARSER.prog, gdb.COMMAND_DATA)

    @command_boundary
    def invoke(self, arg, from_tty):
        line = CommandLine(arg, self._option_takes_value)
        try:
            if "-h" in line.options or "--help" in line.options:
                self.PARSER.parse_args(["--help"])
            positionals = self._positionals(line)
            if positionals and self.SHAPE != "none":
                positionals = ["--"] + positionals   # an EXPR may start with '-'
            args = self.PARSER.parse_args(line.options + positionals)
        except HelpShown:
            return
        self.dont_repeat()
        out = self.run(args)
        if out:
            gdb.write(out if out.endswith("\n") else out + "\n")

    def run(self, args):
        raise NotImplementedError

    def _option_takes_value(self, word):
        action = self.PARSER._option_string_actions.get(word.split("=")[0])
        return None if action is None else action.nargs != 0

    def _positionals(self, line):
        """The positional arguments for argparse, by SHAPE."""
        spans, text = line.positional_spans, line.text
        if not spans:
            return []
        if self.SHAPE == "none":
            return [text[s:e] for s, e in spans]
        if self.SHAPE == "expr":
            return [line.positional_text]
        if self.SHAPE == "files":
            try:
                return gdb.string_to_argv(line.positional_text)
            except gdb.error as e:
                raise MapvizError(str(e))
        expr, rest = split_map_expression(text, spans)
        if self.SHAPE == "expr [file]" and rest:
            files = gdb.string_to_argv(rest)
            if len(files) != 1:
                raise MapvizError(f"one FILE after the map expression, not: {rest}")
            rest = files[0]
        return [expr] + ([rest] if rest else [])

    def complete(self, text, word):
        """Options after a '-'; a file name where SHAPE has FILE; else an expression."""
        current = text.split()[-1] if text and not text[-1].isspace() else ""
        if current.startswith("-"):
            cut = len(current) - len(word or "")   # GDB replaces only `word`, which stops at '-'
            opts = [o for a in self.PARSER._actions for o in a.option_strings]
            return [o[cut:] for o in opts if o.startswith(current)]
        if self.SHAPE == "files" or (self.SHAPE == "expr [file]" and
                                     self._map_before(text[:len(text) - len(current)])):
            return file_completions(current, word)
        return gdb.COMPLETE_EXPRESSION

    def _map_before(self, text):
        """Whether the positional text before the word being completed is a map expression."""
        line = CommandLine(text, self._option_takes_value)
        if not line.positional_spans:
            return False
        try:
            return model.recognize(gdb.parse_and_eval(line.positional_text)) is not None
        except gdb.error:
            return False


def register():
    MapvizPrefix()
