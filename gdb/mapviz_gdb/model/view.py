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
from dataclasses import dataclass

from .. import memory
from ..errors import MapvizError, Unreadable


def record(cls):
    """cls as a plain record: __init__ takes the annotated fields in order (those with
    defaults last), instances have slots and a repr; equality stays identity, as for any
    object (records are never compared by value)."""
    return dataclass(slots=True, eq=False)(cls)


class Header:
    """A map header's fields by name (count, B, ... in the design's own words)."""

    def __init__(self, addr, fields):
        self.addr = addr
        self.fields = fields
        for name, value in fields.items():
            setattr(self, name, value)


@record
class Place:
    """A cell's place (see above); slot None for a whole group."""
    group: int
    probe: int
    slot: int
    old: bool
    table: int = 0


@record
class Cell:
    """One slot: its state byte and name, and its key and elem cells.

    kind: 'entry' (a live key), 'moved' (the key's stale bytes stay behind; moved_to
    says where it went) or 'empty' (named state, nothing to show: runs collapse).
    unreachable: a lookup stops before this cell (its design's end-of-chain mark)."""
    place: Place
    state: int
    state_name: str     # None for a live cell
    kind: str
    addr: tuple         # (state byte, key cell, elem cell) addresses
    key_cell: bytes
    elem_cell: bytes
    moved_to: str = None
    unreachable: bool = False
    counts: bool = False   # one of the map's entries now (count agrees with these)


@record
class Group:
    """Cells stored together (a bucket, a group): title, address, a note on its state."""
    title: str
    addr: int
    note: str
    first: bool    # the first group of its chain (the array's own)
    cells: list    # [Cell]


@record
class Chain:
    """The groups a lookup may visit from one array index, in order, and a marker
    when it ended early or could not be read (no groups then)."""
    old: bool
    index: int
    label: str
    groups: list   # [Group]
    end: str


@record
class Position:
    """Where a key lives (found) or where an insert would put it.

    hash_text: the hash and how it picks a place ('hash 0x..., tophash 0xa3, bucket 5 of 8');
    place_text and cells (state byte, key cell, elem cell addresses) of the found cell or of
    the cell an insert would take (cells None when no cell can be named); would_go: the text
    of an absent key's destination; marker: a problem met on the way."""
    hash_text: str
    found: bool
    place_text: str = None
    cells: tuple = None
    elem_text: str = None
    marker: str = None
    would_go: str = None
    in_old: bool = False


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


@record
class Key:
    """A key the user typed, parsed by the map's key codec.

    text: how to show it; identity: what equal keys share (compared with the key codec's
    identity of a cell); hash_input: what the source's hash takes (None: not recomputable)."""
    text: str
    identity: object
    hash_input: bytes
    reason: str = None   # why hash_input is None


@record
class DeleteCall:
    """How a delete entry point holds its arguments at its first instruction: the register
    with the map's address, and the key, as one of
      ("pointer", REG)        REG points to the key's value
      ("value", REG)          REG holds the key's bytes (a key of at most 8 bytes)
      ("string", PTR, LEN)    a Go string key: its data pointer and length
    (a source's data: the C ABI for hmap, Go's register ABI for Go)."""
    map_register: str
    key: tuple

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


@record
class MapView:
    """A map in memory as every command and the printer see it."""
    source: object        # finds maps; names the program's map operations
    design: object        # the algorithm: cells, lookups, states, watch plans
    header: Header
    layout: object        # the design's description of this map type
    type_name: str
    key_codec: CellCodec
    elem_codec: CellCodec
    hasher: object        # hasher(hash input) -> int; raises CannotHash
    problems: list        # lines: what the source found wrong with the type

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
