"""The generic views of a map: all that commands and the printer see.

A source (source_hmap, source_go) finds a map in the program and returns a
MapView: the header's named fields, the design that knows the algorithm, the
key and elem codecs, and the hash. A design (design_classic; a swiss design
would be a new file) answers in these views only:

  enumerate   chains(view, indices) -> Chain, each Group's cells() -> Cell
  entries     live_entries(view) -> (key cell, elem cell) or (None, marker)
  locate      locate(view, key) -> Position: where the key lives or would go
  name        state_text(state), cell kinds, header_lines, layout_line, summary_lines
  watch       watch_regions(view, cells), growth_region(view), decode_field,
              still_the_keys(view, cells, key, ...) (following a key across growth)

A place is {table, group, probe, slot, old}: in the classic design the table
is always 0, the group is the bucket index, the probe the overflow depth, and
old says the cell lies in the old bucket array of a growing map.
"""
from .. import memory
from ..errors import MapvizError, Unreadable


class Header:
    """A map header's fields by name (count, B, ... in the design's own words)."""

    def __init__(self, addr, fields):
        self.addr = addr
        self.fields = fields
        for name, value in fields.items():
            setattr(self, name, value)


class Place:
    __slots__ = ("table", "group", "probe", "slot", "old")

    def __init__(self, group, probe, slot, old, table=0):
        self.table = table
        self.group = group
        self.probe = probe
        self.slot = slot
        self.old = old


class Cell:
    """One slot: its state byte and name, and its key and elem cells.

    kind: 'entry' (a live key), 'moved' (the key's stale bytes stay behind; moved_to
    says where it went) or 'empty' (named state, nothing to show: runs collapse).
    unreachable: a lookup stops before this cell (its design's end-of-chain mark)."""
    __slots__ = ("place", "state", "state_name", "kind", "addr", "key_cell", "elem_cell",
                 "moved_to", "unreachable", "counts")

    def __init__(self, place, state, state_name, kind, addr, key_cell, elem_cell, moved_to=None,
                 unreachable=False, counts=False):
        self.place = place
        self.state = state
        self.state_name = state_name   # None for a live cell
        self.kind = kind
        self.addr = addr               # (state byte, key cell, elem cell) addresses
        self.key_cell = key_cell
        self.elem_cell = elem_cell
        self.moved_to = moved_to
        self.unreachable = unreachable
        self.counts = counts           # one of the map's entries now (count agrees with these)


class Group:
    """Cells stored together (a bucket, a group): title, address, a note on its state."""
    __slots__ = ("title", "addr", "note", "first", "cells")

    def __init__(self, title, addr, note, first, cells):
        self.title = title
        self.addr = addr
        self.note = note
        self.first = first   # the first group of its chain (the array's own)
        self.cells = cells   # [Cell]


class Chain:
    """The groups a lookup may visit from one array index, in order, and a marker
    when it ended early or could not be read (no groups then)."""
    __slots__ = ("old", "index", "label", "groups", "end")

    def __init__(self, old, index, label, groups, end):
        self.old = old
        self.index = index
        self.label = label
        self.groups = groups
        self.end = end


class Position:
    """Where a key lives (found) or where an insert would put it.

    hash_text: the hash and how it picks a place ('hash 0x..., tophash 0xa3, bucket 5 of 8');
    place_text and cells (state byte, key cell, elem cell addresses) of the found cell or of
    the cell an insert would take (cells None when no cell can be named); would_go: the text
    of an absent key's destination; marker: a problem met on the way."""

    def __init__(self, hash_text, found, place_text=None, cells=None, elem_text=None, marker=None,
                 would_go=None, in_old=False):
        self.hash_text = hash_text
        self.found = found
        self.place_text = place_text
        self.cells = cells
        self.elem_text = elem_text
        self.marker = marker
        self.would_go = would_go
        self.in_old = in_old


class CellCodec:
    """What codecs share: one kind of cell (a map type's keys or its elems), which holds the
    value (direct) or a pointer to it (indirect: values over the design's size limit).

    A codec also has text(cell), for_gdb(cell, as_text) (what the printer yields, see
    codec_base), hash_input(cell), identity(cell) and parse_key(view, text) -> Key, each in
    its language's notation."""

    def __init__(self, value_type, indirect):
        self.type = value_type
        self.size = value_type.sizeof
        self.indirect = indirect

    def value_bytes(self, cell):
        """The value's own bytes: the cell, or what an indirect cell points to."""
        if not self.indirect:
            return cell[:self.size]
        return memory.read(memory.u64(cell), self.size)


class Key:
    """A key the user typed, parsed by the map's key codec.

    text: how to show it; identity: what equal keys share (compared with the key codec's
    identity of a cell); hash_input: what the source's hash takes (None: not recomputable)."""

    def __init__(self, text, identity, hash_input, reason=None):
        self.text = text
        self.identity = identity
        self.hash_input = hash_input
        self.reason = reason   # why hash_input is None


class DeleteCall:
    """How a delete entry point holds its arguments at its first instruction: the register
    with the map's address, and the key, as one of
      ("pointer", REG)        REG points to the key's value
      ("value", REG)          REG holds the key's bytes (a key of at most 8 bytes)
      ("string", PTR, LEN)    a Go string key: its data pointer and length
    (a source's data: the C ABI for hmap, Go's register ABI for Go)."""

    def __init__(self, map_register, key):
        self.map_register = map_register
        self.key = key

    def key_cell(self, view, register):
        """The bytes a key cell holding the argument key would have (register(name) -> int),
        for the key codec to compare; Unreadable when the key's memory is not there."""
        kind, regs = self.key[0], [register(r) for r in self.key[1:]]
        size = view.layout.key_cell
        if kind == "pointer":
            if view.key_codec.indirect:   # such a cell holds a pointer to the value itself
                return regs[0].to_bytes(8, "little")
            return memory.read(regs[0], size)
        raw = b"".join(r.to_bytes(8, "little") for r in regs)
        return raw[:size]


def op_of(source, function):
    """The map operation (source.OP_NAMES's words) function belongs to, or None: its own
    name's, or that of the name it varies (mapdelete_fast64, mapaccess2, hmap_assign.cold)."""
    if not function:
        return None
    names = source.OP_NAMES
    if function in names:
        return names[function]
    best = max((n for n in names if function.startswith(n) and function[len(n)] in "_.0123456789"),
               key=len, default=None)
    return names[best] if best else None


class CannotHash(Exception):
    """The map's hash cannot be recomputed for this key (a present key is found by scanning)."""


class MapView:
    """A map in memory as every command and the printer see it."""

    def __init__(self, source, design, header, layout, type_name, key_codec, elem_codec, hasher,
                 problems):
        self.source = source          # finds maps; names the program's map operations
        self.design = design          # the algorithm: cells, lookups, states, watch plans
        self.header = header          # Header
        self.layout = layout          # the design's description of this map type
        self.type_name = type_name
        self.key_codec = key_codec
        self.elem_codec = elem_codec
        self.hasher = hasher          # hasher(hash input) -> int; raises CannotHash
        self.problems = problems      # lines: what the source found wrong with the type

    @property
    def addr(self):
        return self.header.addr

    @property
    def count(self):
        return self.header.count

    def hash_key(self, key):
        if key.hash_input is None:
            raise CannotHash(key.reason or "the key's hash cannot be recomputed")
        return self.hasher(key.hash_input)

    def hash_cell(self, key_cell):
        """The hash of the key in a cell, or None when it cannot be computed or read."""
        try:
            data = self.key_codec.hash_input(key_cell)
            return None if data is None else self.hasher(data)
        except MapvizError as e:   # an unreadable string is no hash; a missing module is an error
            if isinstance(e, Unreadable):
                return None
            raise
        except Exception:   # a key the hash does not cover (CannotHash, a NaN)
            return None

    def matcher(self, key):
        """matches(key cell) -> bool: the comparison the map makes."""
        identity = self.key_codec.identity

        def matches(cell):
            try:
                return identity(cell) == key.identity
            except Exception:
                return False
        return matches
