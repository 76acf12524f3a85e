"""Colors (pwndbg-like), only when `set mapviz color` allows: the kinds of text every
command has, and the slot states each design colors its own way."""
from .params import color_enabled

_CODES = {
    "marker": "1;31",    # bold red: corruption
    "title": "1",
    "addr": "36",
}


class Style:
    def __init__(self, enabled=None):
        self.enabled = color_enabled() if enabled is None else enabled

    def __call__(self, kind, text, palette=None):
        """text in the color of kind (from palette, the design's state colors, when given)."""
        code = (palette or _CODES).get(kind)
        if not self.enabled or not code:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"
