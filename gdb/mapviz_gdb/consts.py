"""The design's constants, read from the program's DWARF enums (never restated here)."""
import gdb

from .errors import MapvizError

PREFIX = "hmap_"


def enum_values(type_name):
    """{display name: value} of a C enum, display names without the hmap_ prefix."""
    try:
        t = gdb.lookup_type(type_name)
    except gdb.error:
        raise MapvizError(f"no {type_name} in the program's debug info (is it linked with hmap, built with -g?)")
    return {f.name[len(PREFIX):] if f.name.startswith(PREFIX) else f.name: int(f.enumval) for f in t.fields()}


class Consts:
    """Slot states, flags and sizes of hmap's design, as this program was compiled."""

    def __init__(self):
        self.states = enum_values("enum hmap_tophash_state")
        self.flags = enum_values("enum hmap_flag")
        self.shape = enum_values("enum hmap_bucket_shape")
        self.hash_kinds = enum_values("enum hmap_hash_kind")
        self.type_flags = enum_values("enum hmap_type_flag")
        self.bucket_cnt = self.shape["bucketCnt"]
        self.min_top_hash = self.states["minTopHash"]
        self.empty_rest = self.states["emptyRest"]
        self.empty_one = self.states["emptyOne"]
        self.evacuated_x = self.states["evacuatedX"]
        self.evacuated_y = self.states["evacuatedY"]
        self.evacuated_empty = self.states["evacuatedEmpty"]
        self.load_factor = (self.shape["loadFactorNum"], self.shape["loadFactorDen"])
        # tophash value -> state name, for every value below minTopHash.
        self.state_name = {v: k for k, v in self.states.items() if k != "minTopHash"}

    def is_empty(self, top):
        """Go's isEmpty: an empty cell an insert may reuse."""
        return top <= self.empty_one

    def is_evacuated_bucket(self, top0):
        """Go's evacuated(b), from the bucket's first tophash byte."""
        return self.empty_one < top0 < self.min_top_hash

    def tophash_text(self, top):
        """'0xa3' for a live cell, 'emptyOne' etc. for a state."""
        name = self.state_name.get(top)
        return f"{top:#04x} {name}" if name else f"{top:#04x}"

    def flags_text(self, flags):
        names = [name for name, bit in sorted(self.flags.items(), key=lambda kv: kv[1]) if flags & bit]
        unknown = flags & ~sum(self.flags.values())
        if unknown:
            names.append(f"{unknown:#x}?")
        return "|".join(names) if names else "none"


_cache = {}


def consts():
    """The constants of the current program (cached until its objfiles change)."""
    key = gdb.current_progspace().filename
    c = _cache.get(key)
    if c is None:
        c = _cache[key] = Consts()
    return c


def forget():
    _cache.clear()
