"""Colors per slot state (pwndbg-like), only when `set mapviz color` allows."""
from .params import color_enabled

_CODES = {
    "live": "32",        # green
    "emptyOne": "33",    # yellow: a tombstone
    "emptyRest": "2",    # dim
    "evacuatedX": "34",  # blue
    "evacuatedY": "35",  # magenta
    "evacuatedEmpty": "2;34",
    "marker": "1;31",    # bold red: corruption
    "title": "1",
    "addr": "36",
}


class Style:
    def __init__(self, enabled=None):
        self.enabled = color_enabled() if enabled is None else enabled

    def __call__(self, kind, text):
        code = _CODES.get(kind)
        if not self.enabled or not code:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"
