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
        gdb.execute("show mapviz color", from_tty)
        gdb.execute("show mapviz max-buckets", from_tty)
        gdb.execute("show mapviz render-program", from_tty)


class ColorParameter(gdb.Parameter):
    """Color slot states in mapviz output: on, off, or auto (on when GDB's
    output is a terminal, GDB styling is enabled and NO_COLOR is not set)."""

    set_doc = "Set whether mapviz output uses colors."
    show_doc = "Show whether mapviz output uses colors."

    def __init__(self):
        super().__init__("mapviz color", gdb.COMMAND_DATA, gdb.PARAM_AUTO_BOOLEAN)
        self.value = None

    def get_show_string(self, svalue):
        return f"mapviz colors: {svalue} (now {'on' if color_enabled() else 'off'})"

    def get_set_string(self):
        return ""


class MaxBucketsParameter(gdb.Parameter):
    """How many buckets mapviz show and mapviz dot draw at most; 0 or unlimited: all
(as for GDB's own limits, such as set print elements)."""

    set_doc = "Set how many buckets mapviz show and dot draw at most."
    show_doc = "Show how many buckets mapviz show and dot draw at most."

    def __init__(self):
        super().__init__("mapviz max-buckets", gdb.COMMAND_DATA, gdb.PARAM_UINTEGER)   # 0 and "unlimited" mean no limit
        self.value = 64

    def get_show_string(self, svalue):
        if svalue == "unlimited":
            return "mapviz draws every bucket (max-buckets unlimited)"
        return f"mapviz draws at most {svalue} buckets"

    def get_set_string(self):
        return ""


# The render program's default: build/bin/mapviz-render of the tree this extension is in, or,
# when it is installed (PREFIX/share/mapviz/gdb), PREFIX/bin/mapviz-render.
TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_INSTALLED = os.path.basename(TREE) == "mapviz" and os.path.basename(os.path.dirname(TREE)) == "share"
DEFAULT_RENDER = (os.path.join(os.path.dirname(os.path.dirname(TREE)), "bin", "mapviz-render") if _INSTALLED
                  else os.path.join(TREE, "build", "bin", "mapviz-render"))


class RenderProgramParameter(gdb.Parameter):
    """The program mapviz replay --svg runs to draw a recording (mapviz-trace's SVG writer,
invoked as PROGRAM FILE.jsonl -o OUT.svg); by default build/bin/mapviz-render of the
mapviz tree this extension belongs to."""

    set_doc = "Set the program mapviz replay --svg draws with."
    show_doc = "Show the program mapviz replay --svg draws with."

    def __init__(self):
        super().__init__("mapviz render-program", gdb.COMMAND_DATA, gdb.PARAM_OPTIONAL_FILENAME)
        self.value = DEFAULT_RENDER

    def get_show_string(self, svalue):
        return f"mapviz replay --svg draws with {svalue or DEFAULT_RENDER}"

    def get_set_string(self):
        return ""


_params = {}


def render_program():
    p = _params.get("render_program")
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
    p = _params.get("max_buckets")
    v = p.value if p else 64
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
    for key, name in (("color", "mapviz color"), ("max_buckets", "mapviz max-buckets"),
                      ("render_program", "mapviz render-program")):
        try:
            old[key] = gdb.parameter(name)
        except (gdb.error, RuntimeError):
            pass
    SetMapviz()
    ShowMapviz()
    _params["color"] = ColorParameter()
    _params["max_buckets"] = MaxBucketsParameter()
    _params["render_program"] = RenderProgramParameter()
    for key, value in old.items():
        _params[key].value = value
