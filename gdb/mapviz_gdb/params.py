"""`set mapviz color on|off|auto`, `set mapviz max-buckets N|unlimited` and
`set mapviz render-program PATH`."""
import os

import gdb


class SetMapviz(gdb.Command):
    """Settings of the mapviz commands."""

    def __init__(self):
        super().__init__("set mapviz", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class ShowMapviz(gdb.Command):
    """Show the settings of the mapviz commands."""

    def __init__(self):
        super().__init__("show mapviz", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)

    def invoke(self, arg, from_tty):
        for parameter in PARAMETERS:
            gdb.execute(f"show mapviz {parameter.setting}", from_tty)


class MapvizParameter(gdb.Parameter):
    """One `set mapviz SETTING` / `show mapviz SETTING`. A subclass names its setting, its
    GDB parameter kind and default value, says what it sets (`what`, which makes the set
    and show docs) and words the show line in get_show_string; setting it prints nothing."""

    def __init_subclass__(cls):
        super().__init_subclass__()
        cls.set_doc = f"Set {cls.what}."
        cls.show_doc = f"Show {cls.what}."

    def __init__(self):
        super().__init__("mapviz " + self.setting, gdb.COMMAND_DATA, self.kind)
        self.value = self.default

    def get_set_string(self):
        return ""


class ColorParameter(MapvizParameter):
    """Color slot states in mapviz output: on, off, or auto (on when GDB's
    output is a terminal, GDB styling is enabled and NO_COLOR is not set)."""

    setting, kind, default = "color", gdb.PARAM_AUTO_BOOLEAN, None
    what = "whether mapviz output uses colors"

    def get_show_string(self, svalue):
        return f"mapviz colors: {svalue} (now {'on' if color_enabled() else 'off'})"


DEFAULT_MAX_BUCKETS = 64


class MaxBucketsParameter(MapvizParameter):
    """How many buckets mapviz show and mapviz dot draw at most; 0 or unlimited: all
(as for GDB's own limits, such as set print elements)."""

    # PARAM_UINTEGER: 0 and "unlimited" mean no limit (the value is None then)
    setting, kind, default = "max-buckets", gdb.PARAM_UINTEGER, DEFAULT_MAX_BUCKETS
    what = "how many buckets mapviz show and dot draw at most"

    def get_show_string(self, svalue):
        if svalue == "unlimited":
            return "mapviz draws every bucket (max-buckets unlimited)"
        return f"mapviz draws at most {svalue} buckets"


# The render program's default: build/bin/mapviz-render of the tree this extension is in, or,
# when it is installed (PREFIX/share/mapviz/gdb), PREFIX/bin/mapviz-render.
TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_INSTALLED = os.path.basename(TREE) == "mapviz" and os.path.basename(os.path.dirname(TREE)) == "share"
DEFAULT_RENDER = (os.path.join(os.path.dirname(os.path.dirname(TREE)), "bin", "mapviz-render") if _INSTALLED
                  else os.path.join(TREE, "build", "bin", "mapviz-render"))


class RenderProgramParameter(MapvizParameter):
    """The program mapviz replay --svg runs to draw a recording (mapviz-trace's SVG writer,
invoked as PROGRAM FILE.jsonl -o OUT.svg); by default build/bin/mapviz-render of the
mapviz tree this extension belongs to."""

    setting, kind, default = "render-program", gdb.PARAM_OPTIONAL_FILENAME, DEFAULT_RENDER
    what = "the program mapviz replay --svg draws with"

    def get_show_string(self, svalue):
        return f"mapviz replay --svg draws with {svalue or DEFAULT_RENDER}"


PARAMETERS = (ColorParameter, MaxBucketsParameter, RenderProgramParameter)

_params = {}   # setting -> its MapvizParameter, once registered


def render_program():
    p = _params.get("render-program")
    return os.path.expanduser(p.value) if p is not None and p.value else DEFAULT_RENDER


def shown_path(path):
    """A path as messages show it: relative to the mapviz tree when inside it."""
    full = os.path.abspath(path)
    return os.path.relpath(full, TREE) if full.startswith(TREE + os.sep) else path


def color_enabled():
    p = _params.get("color")
    setting = p.value if p else None
    if setting is not None:
        return bool(setting)
    if "NO_COLOR" in os.environ or not os.isatty(1):
        return False
    try:
        return bool(gdb.parameter("style enabled"))
    except gdb.error:
        return True


def max_buckets():
    """The limit, or None for unlimited."""
    p = _params.get("max-buckets")
    v = p.value if p else DEFAULT_MAX_BUCKETS
    return None if not v else v   # PARAM_UINTEGER gives None for 0 and unlimited


def bucket_limit(option):
    """The limit of a --limit N option (0: none, as for GDB's limits), else max-buckets's."""
    if option is None:
        return max_buckets()
    return option or None


def register():
    # Keep the user's settings when the extension is sourced again (the module is new
    # then); read them before the prefix commands are made again, which drops them.
    old = {}
    for parameter in PARAMETERS:
        try:
            old[parameter.setting] = gdb.parameter("mapviz " + parameter.setting)
        except (gdb.error, RuntimeError):
            pass
    SetMapviz()
    ShowMapviz()
    for parameter in PARAMETERS:
        _params[parameter.setting] = parameter()
    for setting, value in old.items():
        _params[setting].value = value
