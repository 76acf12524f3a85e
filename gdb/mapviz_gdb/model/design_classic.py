"""The classic design (Go's runtime/map.go, go1.19-go1.23, and hmap): buckets of 8
slots with a tophash byte each, overflow chains, and during growth an old bucket
array evacuated bucket by bucket into the new one.

This is the one file that speaks of tophash, buckets and overflow chains; it
answers the generic questions of view.py (cells, lookups, state names, watch
plans) in those terms. Its constants (slot states, flags, bucketCnt, the load
factor) come from the source, which reads them from the program's DWARF.

Every walk is bounded: B by MAX_B, a chain by a visited set and MAX_CHAIN,
and reads are bulk (a chunk of a bucket array per read, one read per
overflow bucket). Problems become markers ("<cycle>", "<unreadable 0x...>")
in the results, never exceptions, so callers always finish their output.

Two walks share these parts: chains() makes a Cell of every slot (show, dot), and
live_runs() hands over the live entries of up to BATCH_BUCKETS buckets at a time as
a Run, decoded from the buckets' bytes in bulk (print, whose cost is per entry).
"""
import bisect
import collections
import functools
import itertools
import struct
from dataclasses import dataclass

from .. import memory
from ..errors import MapvizError, Unreadable
from .view import Cell, Chain, Group, Header, Place, Position, record

MAX_B = 28            # 2^28 buckets (2^31 entries): beyond any map a debugger can read
MAX_CHAIN = 4096      # overflow buckets followed in one chain
CHUNK_BYTES = 1 << 20  # bucket array bytes per read
_U64 = struct.Struct("<Q")
BATCH_BUCKETS = 1024   # array indices per Run of live_runs (a `print` of a few elements reads no more)


@record
class Bucket:
    """One bucket's bytes. depth 0 is the array's bucket, 1.. its overflows."""
    addr: int
    raw: bytes
    depth: int

    def tophash(self, lay):
        off = lay.tophash_offset
        return self.raw[off:off + lay.consts.bucket_cnt]

    def overflow(self, lay):
        return _U64.unpack_from(self.raw, lay.overflow_offset)[0]

    def key_cell(self, lay, i):
        off = lay.keys_offset + i * lay.key_cell
        return self.raw[off:off + lay.key_cell]

    def elem_cell(self, lay, i):
        off = lay.elems_offset + i * lay.elem_cell
        return self.raw[off:off + lay.elem_cell]

    def key_addr(self, lay, i):
        return self.addr + lay.keys_offset + i * lay.key_cell

    def elem_addr(self, lay, i):
        return self.addr + lay.elems_offset + i * lay.elem_cell

    def tophash_addr(self, lay, i):
        return self.addr + lay.tophash_offset + i


class BucketArray:
    """2^B buckets at addr, read a chunk at a time.

    hmap allocates spare overflow buckets right after the 2^B buckets; an
    overflow pointer into that stretch is served from chunks too (they never
    span the boundary, so a failing spare stretch cannot hide the array).
    """

    def __init__(self, lay, addr, B):
        self.lay = lay
        self.addr = addr
        self.n = 1 << B
        self.extent = self.n + (self.n >> 4 if B >= 4 else 0)
        self.per_chunk = max(1, CHUNK_BYTES // lay.bucket_size)
        self._chunks = {}   # first index of a chunk -> bytes or Unreadable

    def _chunk_start(self, i):
        base = 0 if i < self.n else self.n
        return base + (i - base) // self.per_chunk * self.per_chunk

    def _chunk(self, first):
        got = self._chunks.get(first)
        if got is None:
            end = self.n if first < self.n else self.extent
            count = min(self.per_chunk, end - first)
            try:
                got = memory.read(self.addr + first * self.lay.bucket_size, count * self.lay.bucket_size)
            except Unreadable as e:
                got = e
            if len(self._chunks) >= 4:
                self._chunks.pop(next(iter(self._chunks)))
            self._chunks[first] = got
        return got

    def skip_unreadable(self, i):
        """The index where a walk resumes after bucket i was unreadable (its chunk failed)."""
        return self.chunk_end(i)

    def chunk_end(self, i):
        """The index after the last bucket of bucket i's chunk (i < n)."""
        return min(self.n, self._chunk_start(i) + self.per_chunk)

    def stretch(self, i, count):
        """The bytes of buckets i .. i+count-1, all in bucket i's chunk (i + count <= chunk_end(i));
        raises Unreadable (bucket i's address) when the chunk failed."""
        first = self._chunk_start(i)
        chunk = self._chunk(first)
        if isinstance(chunk, Unreadable):
            raise Unreadable(self.addr + i * self.lay.bucket_size)
        start = (i - first) * self.lay.bucket_size
        return chunk[start:start + count * self.lay.bucket_size]

    def bucket(self, i):
        """Bucket i of the array; raises Unreadable (for its whole chunk)."""
        return self.at(self.addr + i * self.lay.bucket_size, 0)

    def at(self, addr, depth):
        """The bucket at addr (depth: its place in its chain), from a chunk when it lies in the array."""
        size = self.lay.bucket_size
        off = addr - self.addr
        if 0 <= off < self.extent * size and off % size == 0:
            i = off // size
            first = self._chunk_start(i)
            chunk = self._chunk(first)
            if not isinstance(chunk, Unreadable):
                start = (i - first) * size
                return Bucket(addr, chunk[start:start + size], depth)
            if depth == 0:
                raise Unreadable(addr)
        return Bucket(addr, memory.read(addr, size), depth)


def chain(array, first):
    """(buckets of the chain starting at bucket first, end marker or None)."""
    lay = array.lay
    out = [first]
    seen = {first.addr}
    b = first
    while True:
        ovf = b.overflow(lay)
        if ovf == 0:
            return out, None
        if ovf in seen:
            return out, f"<cycle: overflow {ovf:#x} already in chain>"
        if len(out) > MAX_CHAIN:
            return out, f"<chain longer than {MAX_CHAIN} buckets, stopped>"
        try:
            b = array.at(ovf, len(out))
        except Unreadable as e:
            return out, f"<unreadable overflow {e.addr:#x}>"
        seen.add(ovf)
        out.append(b)


def header_problems(ref):
    """Markers for a header no walk can trust (then buckets are not walked)."""
    h = ref.header
    out = []
    if h.B > MAX_B:
        out.append(f"<bad B={h.B}>")
    if h.count < 0:
        out.append(f"<bad count={h.count}>")
    if h.buckets == 0 and h.count > 0:
        out.append(f"<buckets NULL but count {h.count}>")
    if h.oldbuckets and h.old_B() < 0:
        out.append(f"<bad B={h.B} while growing>")
    return out


def arrays(ref):
    """(new BucketArray or None, old BucketArray or None) of a map with a sane header."""
    h, lay = ref.header, ref.layout
    new = BucketArray(lay, h.buckets, h.B) if h.buckets else None
    old = BucketArray(lay, h.oldbuckets, h.old_B()) if h.oldbuckets else None
    return new, old


def tophash(hash_, c):
    """Go's tophash: the top 8 bits, moved above the slot states (c: the map's ClassicConsts)."""
    top = hash_ >> 56
    mth = c.min_top_hash
    return top + mth if top < mth else top


def bucket_mask(B):
    return (1 << B) - 1


def live_entries(ref):
    """Yield (key cell, elem cell) of every live entry exactly once, or (None, marker),
    in live_runs' order."""
    for run in live_runs(ref):
        if isinstance(run, str):
            yield None, run
        else:
            yield from run.entries()


class Run(collections.namedtuple("Run", "live keys elems key_cell elem_cell")):
    """The slots of consecutive buckets of a walk, decoded together: slot s (of bucket
    s // bucket_cnt in walk order) is an entry to show when live[s] is 1, and its key cell is
    keys[s * key_cell:(s + 1) * key_cell], its elem cell elems[...] likewise. Empty cells,
    moved ones and old keys that belong to another bucket have live[s] 0."""
    __slots__ = ()

    def count(self):
        return self.live.count(1)

    def entries(self):
        """(key cell, elem cell) of each live slot, in order."""
        kc, ec = self.key_cell, self.elem_cell
        for s in itertools.compress(range(len(self.live)), self.live):
            yield self.keys[s * kc:(s + 1) * kc], self.elems[s * ec:(s + 1) * ec]


class BucketColumns:
    """One field of many buckets at once: for bytes holding whole buckets end to end, the
    field's bytes of every bucket, concatenated (gather), by strided copies of machine words
    where the layout allows, a struct unpacking otherwise. Also the 256-entry tables that
    classify tophash bytes (bytes.translate)."""

    MAX_STRIDED_COPIES = 32   # per field; wider fields of odd sizes go through struct

    def __init__(self, size, c):
        self.size = size
        self.live_table = bytes(1 if b >= c.min_top_hash else 0 for b in range(256))
        # 1 for a bucket's first tophash byte when the bucket is evacuated
        self.evacuated_table = bytes(1 if c.is_evacuated_bucket(b) else 0 for b in range(256))

    def gather(self, blob, off, width):
        """The concatenation of blob[b*size + off : b*size + off + width] over blob's buckets b."""
        size = self.size
        unit = next(u for u in (8, 4, 2, 1) if size % u == 0 and off % u == 0 and width % u == 0)
        words = width // unit
        if words > self.MAX_STRIDED_COPIES:
            return b"".join(itertools.chain.from_iterable(_field_struct(size, off, width).iter_unpack(blob)))
        out = bytearray(len(blob) // size * width)
        fmt = _UNIT_FORMATS[unit]
        dst, src = memoryview(out).cast(fmt), memoryview(blob).cast(fmt)
        stride, first = size // unit, off // unit
        for w in range(words):
            dst[w::words] = src[first + w::stride]
        return out


_UNIT_FORMATS = {8: "Q", 4: "I", 2: "H", 1: "B"}


@functools.lru_cache(maxsize=64)
def _field_struct(size, off, width):
    return struct.Struct(f"{off}x{width}s{size - off - width}x")


@functools.lru_cache(maxsize=64)
def _columns(size, c):
    return BucketColumns(size, c)


def columns(lay):
    """The BucketColumns of a layout (one per bucket size and program's constants)."""
    return _columns(lay.bucket_size, lay.consts)


def live_runs(ref):
    """Yield every live entry exactly once as Runs (each of at most BATCH_BUCKETS array
    indices and their chains), and markers (str) where they were met.

    Mirrors an iterator started now (hmap_iternext): for each new bucket i, if
    its old bucket is not yet evacuated, walk the old chain, keeping only the
    keys that will move to i; otherwise walk new bucket i's chain.
    """
    for p in header_problems(ref):
        yield p
        return
    new, old = arrays(ref)
    if new is not None:
        yield from _LiveWalk(ref, new, old).runs()


class _LiveWalk:
    """live_runs' state: the arrays, and what was gathered for the runs of the current batch
    of array indices: whole buckets' bytes in walk order, and markers where they were met."""

    def __init__(self, ref, new, old):
        self.ref = ref
        self.lay = ref.layout
        self.cols = columns(ref.layout)
        self.new, self.old = new, old
        h = ref.header
        self.old_mask = bucket_mask(h.old_B()) if old else 0
        self.new_mask = bucket_mask(h.B)
        self.filter_old = old is not None and not h.same_size_grow()
        self.pieces = []    # bytes of whole buckets, and markers (str), in walk order
        self.buckets = 0    # how many buckets pieces hold
        self.filters = []   # (first bucket, buckets, i): old buckets whose keys count only at new index i

    def runs(self):
        i = 0
        while i < self.new.n:
            i = self.batch(i)
            yield from self.flush()

    def batch(self, i):
        """Gathers the chains of array indices i.. (as many as one batch takes); the index after them."""
        new, size = self.new, self.lay.bucket_size
        j = min(new.n, i + BATCH_BUCKETS, new.chunk_end(i))
        evacuated = None   # per index of [i, j): 1 when its old bucket is evacuated (None: no old array)
        if self.old is not None:
            oi = i & self.old_mask
            j = min(j, i + self.old.chunk_end(oi) - oi)   # old indices of [i, j) in one chunk
            try:
                old_raw = self.old.stretch(oi, j - i)
            except Unreadable as e:
                # Without the old array no entry of it can be shown: say so once, walk the new one.
                self.pieces.append(f"<unreadable oldbuckets {e.addr:#x}>")
                self.old = None
                return i
            evacuated = old_raw[self.lay.tophash_offset::size].translate(self.cols.evacuated_table)
        try:
            new_raw = new.stretch(i, j - i)
        except Unreadable as e:
            new_raw = e
        if evacuated is not None and 0 in evacuated:
            # Index by index: an old chain not evacuated yet, or the new one.
            for k in range(j - i):
                if not evacuated[k]:
                    self.add_chain(self.old, old_raw[k * size:(k + 1) * size], self.old.addr + (oi + k) * size,
                                   i + k if self.filter_old else None)
                elif isinstance(new_raw, Unreadable):
                    break   # the new bucket of i + k is needed: its chunk is marked and skipped
                else:
                    self.add_chain(new, new_raw[k * size:(k + 1) * size], new.addr + (i + k) * size)
            else:
                return j
            i += k
        if isinstance(new_raw, Unreadable):
            # Its whole chunk failed: one marker, the walk resumes after the chunk.
            self.pieces.append(Unreadable(new.addr + i * size).marker)
            return new.skip_unreadable(i)
        self.add_stretch(new_raw, i)
        return j

    def add_stretch(self, raw, i):
        """Buckets i.. of the new array (raw: their bytes), each followed by its overflow chain."""
        size, lay = self.lay.bucket_size, self.lay
        overflows = memoryview(self.cols.gather(raw, lay.overflow_offset, 8)).cast("Q")
        done = 0
        for k in itertools.compress(range(len(overflows)), overflows):
            if k > done:
                self.pieces.append(raw[done * size:k * size])
                self.buckets += k - done
            self.add_chain(self.new, raw[k * size:(k + 1) * size], self.new.addr + (i + k) * size)
            done = k + 1
        if done < len(overflows):
            self.pieces.append(raw[done * size:])
            self.buckets += len(overflows) - done

    def add_chain(self, array, raw, addr, only_index=None):
        """The chain of the bucket at addr (raw: its bytes), and its end marker if any;
        only_index: keep only the keys that move to that new index (an old chain of a
        doubling map)."""
        buckets, end = chain(array, Bucket(addr, raw, 0))
        if only_index is not None:
            self.filters.append((self.buckets, len(buckets), only_index))
        self.pieces += [b.raw for b in buckets]
        self.buckets += len(buckets)
        if end:
            self.pieces.append(end)

    def flush(self):
        """Yield what was gathered, in order: a Run of the buckets between markers, the
        markers; and start afresh."""
        pieces, filters = self.pieces, self.filters
        self.pieces, self.buckets, self.filters = [], 0, []
        segment, first = [], 0   # buckets' bytes since the last marker, the number of the first
        for piece in pieces + [None]:
            if isinstance(piece, bytes):
                segment.append(piece)
                continue
            if segment:
                blob = segment[0] if len(segment) == 1 else b"".join(segment)
                yield self.run(blob, [(b - first, n, i) for b, n, i in filters])
                first += len(blob) // self.lay.bucket_size
                segment = []
            if piece is not None:
                yield piece

    def run(self, blob, filters):
        """The Run of blob's buckets; filters as self.filters', numbered from blob's first bucket
        (those outside it are ignored)."""
        lay, cols = self.lay, self.cols
        cnt = lay.consts.bucket_cnt
        live = cols.gather(blob, lay.tophash_offset, cnt).translate(cols.live_table)
        keys = cols.gather(blob, lay.keys_offset, cnt * lay.key_cell)
        nbuckets = len(blob) // lay.bucket_size
        filters = [f for f in filters if 0 <= f[0] < nbuckets]
        if filters:
            live = self.keep_moving_here(live, keys, filters)
        return Run(live, keys, cols.gather(blob, lay.elems_offset, cnt * lay.elem_cell), lay.key_cell,
                   lay.elem_cell)

    def keep_moving_here(self, live, keys, filters):
        """live with the keys of the old buckets of filters cleared that do not move to their
        new index. A key whose hash cannot be recomputed is shown once, at the old index."""
        live = bytearray(live)
        cnt, kc = self.lay.consts.bucket_cnt, self.lay.key_cell
        for first, count, i in filters:
            for s in itertools.compress(range(first * cnt, (first + count) * cnt), live[first * cnt:]):
                hv = self.ref.hash_cell(keys[s * kc:(s + 1) * kc])
                if (hv & self.new_mask) != i if hv is not None else i != (i & self.old_mask):
                    live[s] = 0
        return live


@record
class Block:
    """A stretch of a map's memory: the header (place None) or one bucket (place: its
    group, overflow depth and table; slot None)."""
    addr: int
    length: int
    place: Place


@record
class FieldAt:
    """The field a byte belongs to: its name, where it starts, its size, its cell's place."""
    field: str
    start: int
    size: int
    place: Place


@record
class Location:
    """Where a key lives, or where a lookup for it ended."""
    bucket_index: int   # index in the array it was found in
    bucket: Bucket      # its depth is the overflow depth
    slot: int
    in_old: bool        # found in oldbuckets (not evacuated yet)


def find_key(ref, hash_, matches):
    """Go's lookup: (Location or None, marker or None). matches(key cell) -> bool.

    Starts at the new bucket, or the old one when it is not evacuated yet;
    walks the chain, comparing keys where the tophash matches, and stops at
    the first emptyRest.
    """
    lay, h = ref.layout, ref.header
    c = lay.consts
    problems = header_problems(ref)
    if problems:
        return None, problems[0]
    new, old = arrays(ref)
    if new is None:
        return None, None
    top = tophash(hash_, c)
    index, array, in_old = hash_ & bucket_mask(h.B), new, False
    try:
        if old is not None:
            oi = hash_ & bucket_mask(h.old_B())
            ob = old.bucket(oi)
            if not c.is_evacuated_bucket(ob.tophash(lay)[0]):
                index, array, in_old = oi, old, True
        first = array.bucket(index)
    except Unreadable as e:
        return None, e.marker
    buckets, end = chain(array, first)
    for b in buckets:
        th = b.tophash(lay)
        for s in range(c.bucket_cnt):
            if th[s] != top:
                if th[s] == c.empty_rest:
                    return None, None
                continue
            if matches(b.key_cell(lay, s)):
                return Location(index, b, s, in_old), None
    return None, end


def insert_position(ref, hash_):
    """Where an insert of an absent key would go without growth work:
    (bucket index, Bucket, slot) of the first empty cell of its new chain, slot None
    when the chain is full (a new overflow bucket), or None with a marker."""
    lay, h = ref.layout, ref.header
    c = lay.consts
    new, _ = arrays(ref)
    if new is None:
        return None, None
    index = hash_ & bucket_mask(h.B)
    try:
        buckets, end = chain(new, new.bucket(index))
    except Unreadable as e:
        return None, e.marker
    for b in buckets:
        th = b.tophash(lay)
        for s in range(c.bucket_cnt):
            if c.is_empty(th[s]):
                return (index, b, s), None
    return (index, buckets[-1], None), end


@record
class ChainView:
    """One chain as show and dot draw it: old (from oldbuckets) or new, its index,
    its buckets, and a marker when it ended early or could not be read."""
    old: bool
    index: int
    buckets: list   # [Bucket]; [] when the array bucket itself is unreadable
    end: str


def chains(ref, indices):
    """Yield a ChainView per new bucket index, each old bucket right before the
    new bucket of the same index (all old buckets once; with a single index, its own)."""
    h = ref.header
    new, old = arrays(ref)
    old_mask = bucket_mask(h.old_B()) if old else 0
    single = len(indices) == 1
    k = 0
    while k < len(indices):
        i = indices[k]
        if old is not None and (i <= old_mask or single):
            old_view = _chain_view(old, i & old_mask, True)
            if not old_view.buckets:
                old_view.end = f"<unreadable oldbuckets {old.addr:#x}>"
                old = None   # say it once; the new buckets are still worth walking
            yield old_view
        view = _chain_view(new, i, False)
        k += 1
        if not view.buckets and not single:
            # Its whole chunk failed: one marker for the stretch (old buckets in it included).
            resume = new.skip_unreadable(i)
            k = max(k, bisect.bisect_left(indices, resume))   # indices are ascending
            last = indices[k - 1]
            if last > i:
                view.end += f" (buckets {i}-{last})"
        yield view


def _chain_view(array, index, old):
    try:
        first = array.bucket(index)
    except Unreadable as e:
        return ChainView(old, index, [], e.marker)
    buckets, end = chain(array, first)
    return ChainView(old, index, buckets, end)


def scan_for_key(ref, matches):
    """A present key found without its hash (a key kind the hash does not cover): every
    live cell of the old chains not yet evacuated and of the new ones, compared.
    (Location or None, marker or None)."""
    lay = ref.layout
    c = lay.consts
    problems = header_problems(ref)
    if problems:
        return None, problems[0]
    new, old = arrays(ref)
    marker = None
    for array, in_old in ((old, True), (new, False)):
        if array is None:
            continue
        for i in range(array.n):
            try:
                first = array.bucket(i)
            except Unreadable as e:
                marker = marker or e.marker
                continue
            if in_old and c.is_evacuated_bucket(first.tophash(lay)[0]):
                continue
            buckets, end = chain(array, first)
            marker = marker or end
            for b in buckets:
                th = b.tophash(lay)
                for s in range(c.bucket_cnt):
                    if th[s] >= c.min_top_hash and matches(b.key_cell(lay, s)):
                        return Location(i, b, s, in_old), None
    return None, marker


# ---- the design's constants and types, as a source found them ----

# ClassicConsts attribute -> the Go name of the slot state it holds.
STATE_ATTRS = {"min_top_hash": "minTopHash", "empty_rest": "emptyRest", "empty_one": "emptyOne",
               "evacuated_x": "evacuatedX", "evacuated_y": "evacuatedY",
               "evacuated_empty": "evacuatedEmpty"}


@dataclass(eq=False)   # a record without slots: __post_init__ adds the state attributes
class ClassicConsts:
    """Slot states, header flags and sizes of the classic design, as the program was compiled.

    states: {emptyRest, emptyOne, evacuatedX, evacuatedY, evacuatedEmpty, minTopHash: value};
    flags: {iterator, oldIterator, hashWriting, sameSizeGrow: bit}; bucket_cnt; load_factor
    (numerator, denominator); max_key_size, max_elem_size (larger ones are stored by pointer).
    The states also stand as attributes (min_top_hash, empty_rest, ...) for the walks."""
    states: dict
    flags: dict
    bucket_cnt: int
    load_factor: tuple
    max_key_size: int
    max_elem_size: int

    def __post_init__(self):
        for attr, state in STATE_ATTRS.items():
            setattr(self, attr, self.states[state])
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


@record
class ClassicLayout:
    """One map type's bucket layout: offsets, cell sizes, key and elem types."""
    name: str               # the map type's name: counts_map, map[int64]int64
    key_type: object        # gdb.Type of KEY (what an indirect cell points to)
    elem_type: object       # gdb.Type of ELEM
    bucket_size: int
    tophash_offset: int
    keys_offset: int
    elems_offset: int
    overflow_offset: int
    key_cell: int           # bytes per key cell (a pointer's when indirect)
    elem_cell: int
    indirect_key: bool
    indirect_elem: bool
    consts: ClassicConsts


class ClassicHeader(Header):
    """struct hmap / runtime.hmap: count, flags, B, noverflow, hash0, buckets,
    oldbuckets, nevacuate (and hmap's type)."""

    FIELDS = ("count", "flags", "B", "noverflow", "hash0", "buckets", "oldbuckets", "nevacuate")

    def __init__(self, addr, fields, c, spans, size):
        super().__init__(addr, fields)
        self.consts = c
        self.spans = {name: spans[name] for name in self.FIELDS}   # name -> (offset, size)
        self.size = size                                           # the header's bytes
        self.buckets_offset = spans["buckets"][0]   # where growth writes the new array's address

    def growing(self):
        return self.oldbuckets != 0

    def same_size_grow(self):
        return bool(self.flags & self.consts.flags["sameSizeGrow"])

    def old_B(self):
        return self.B if self.same_size_grow() else self.B - 1


def decode_ints(raw, fields, names, signed=("count",)):
    """{name: int} of the named fields ({name: (offset, size)}) of a struct's bytes."""
    out = {}
    for name in names:
        off, size = fields[name]
        out[name] = int.from_bytes(raw[off:off + size], "little", signed=name in signed)
    return out


# ---- the design's answers to view.py's questions ----

# Colors of the slot states (ANSI for show, Graphviz fills for dot).
STATE_STYLES = {"live": "32", "emptyOne": "33", "emptyRest": "2", "evacuatedX": "34",
                "evacuatedY": "35", "evacuatedEmpty": "2;34"}
DOT_FILL = {"live": "palegreen", "emptyOne": "khaki", "emptyRest": "gray90", "evacuatedX": "lightblue",
            "evacuatedY": "plum", "evacuatedEmpty": "lightsteelblue"}


class ClassicDesign:
    NAME = "classic"
    STATE_FIELD = "tophash"       # what the state byte is called
    GROUP = "bucket"              # what the array holds
    GROWTH_FIELD = "buckets"      # the header field growth writes
    STATE_STYLES = STATE_STYLES
    DOT_FILL = DOT_FILL
    # dot's edge labels: to the array's first group, to an old array's, to the next in a chain
    LINKS = {"array": "buckets", "old": "oldbuckets", "next": "overflow"}

    # ---- the header ----

    def header_problems(self, view):
        return header_problems(view)

    def header_lines(self, view):
        """The header in a line, and a line on growth when the map grows."""
        c = view.layout.consts
        h = view.header
        n = 1 << h.B if h.B < 64 else 0
        load = h.count / n if n else 0.0
        lines = [f"{view.type_name} {h.addr:#x}: count {h.count}, B {h.B} ({n} buckets), load {load:.2f}, "
                 f"hash0 {h.hash0:#x}, flags {c.flags_text(h.flags)}, noverflow {h.noverflow}"]
        if h.growing():
            kind = "same size" if h.same_size_grow() else "doubling"
            nold = 1 << h.old_B() if 0 <= h.old_B() < 64 else 0
            lines.append(f"growing ({kind}): oldbuckets {h.oldbuckets:#x}, {nold} old buckets, "
                         f"nevacuate {h.nevacuate} ({h.nevacuate}/{nold} evacuated in order)")
        return lines

    def ls_state(self, view):
        return f"count {view.header.count}, B {view.header.B}"

    def layout_line(self, view, hashed_as):
        lay = view.layout
        k = f"key {lay.key_type} ({lay.key_type.sizeof} bytes{', indirect' if lay.indirect_key else ''}" \
            f"{hashed_as})"
        e = f"elem {lay.elem_type} ({lay.elem_type.sizeof} bytes{', indirect' if lay.indirect_elem else ''})"
        return (f"layout: {k}, {e}; bucket {lay.bucket_size} bytes: tophash +{lay.tophash_offset}, "
                f"keys +{lay.keys_offset}, elems +{lay.elems_offset}, overflow +{lay.overflow_offset}")

    def state_text(self, view, state):
        return view.layout.consts.tophash_text(state)

    def state_legend(self, view):
        """[(state name, what marks it)] of every state the design names, live first, then
        the slot states in the order of their values (each name a key of STATE_STYLES and
        DOT_FILL)."""
        c = view.layout.consts
        states = sorted((v, k) for k, v in c.states.items() if k != "minTopHash")
        return [("live", f"tophash >= {c.min_top_hash:#04x} (minTopHash)")] + [
            (name, f"tophash {value:#04x}") for value, name in states]

    # ---- enumerating ----

    def group_count(self, view):
        """How many array indices chains() takes (None: no array allocated yet)."""
        new, _ = arrays(view)
        return None if new is None else new.n

    def no_group_error(self, view, index):
        h = view.header
        return MapvizError(f"no bucket {index}: the map has {1 << h.B} buckets (B {h.B})")

    def chains(self, view, indices):
        """Chain per array index, each old chain right before the new one of its index."""
        h = view.header
        c = view.layout.consts
        newbit = 1 << h.old_B() if h.growing() and not h.same_size_grow() else 0
        for cv in chains(view, indices):
            label = f"{'old bucket' if cv.old else 'bucket'} {cv.index}"
            groups = []
            if cv.buckets:
                evacuated = c.is_evacuated_bucket(cv.buckets[0].tophash(view.layout)[0])
                entries_here = not (cv.old and evacuated)
                unreachable = [False]
                for b in cv.buckets:
                    note = ((" (evacuated)" if evacuated else " (not evacuated)")
                            if cv.old and b.depth == 0 else "")
                    title = label + (f" overflow {b.depth}" if b.depth else "")
                    groups.append(Group(title, b.addr, note, b.depth == 0,
                                        self._cells(view, cv, b, entries_here, newbit, unreachable)))
            yield Chain(cv.old, cv.index, label, groups, cv.end)

    def _cells(self, view, cv, b, entries_here, newbit, unreachable):
        lay = view.layout
        c = lay.consts
        th = b.tophash(lay)
        out = []
        for s in range(c.bucket_cnt):
            top = th[s]
            name = c.state_name.get(top)
            place = Place(cv.index, b.depth, s, cv.old)
            addrs = (b.tophash_addr(lay, s), b.key_addr(lay, s), b.elem_addr(lay, s))
            if name is None:
                out.append(Cell(place, top, None, "entry", addrs, b.key_cell(lay, s), b.elem_cell(lay, s),
                                unreachable=unreachable[0], counts=entries_here))
                continue
            if name == "emptyRest":
                unreachable[0] = True
            if name in ("evacuatedX", "evacuatedY"):
                # The entry moved; its bytes stay behind for old iterators.
                dest = cv.index + (newbit if name == "evacuatedY" else 0)
                out.append(Cell(place, top, name, "moved", addrs, b.key_cell(lay, s), None,
                                moved_to=f"bucket {dest}"))
            else:
                out.append(Cell(place, top, name, "empty", addrs, None, None))
        return out

    def cell_markers(self, view, cell):
        """Markers for a live cell that lookups could not find where it is."""
        out = []
        if cell.unreachable:
            out.append("<live after emptyRest: lookups stop before it>")
        hv = view.hash_cell(cell.key_cell)
        if hv is not None:
            c = view.layout.consts
            h = view.header
            if tophash(hv, c) != cell.state:
                out.append(f"<tophash mismatch: key hashes to {tophash(hv, c):#04x}>")
            mask = bucket_mask(h.old_B() if cell.place.old else h.B)
            if hv & mask != cell.place.group:
                out.append(f"<wrong bucket: key belongs in {hv & mask}>")
        return out

    def live_entries(self, view):
        return live_entries(view)

    def live_runs(self, view):
        """live_entries in bulk: Runs of live slots (live flags, key and elem cells end to end),
        or markers (str)."""
        return live_runs(view)

    def summary_lines(self, view, stats):
        c = view.layout.consts
        h = view.header
        st = stats.states
        cells = sum(st.values())
        occupancy = 100.0 * st["live"] / cells if cells else 0.0
        num, den = c.load_factor
        return [f"cells: {st['live']} live, {st['emptyOne']} emptyOne (tombstones), {st['emptyRest']} emptyRest, "
                f"{st['evacuatedX'] + st['evacuatedY']} evacuatedX/Y, {st['evacuatedEmpty']} evacuatedEmpty "
                f"in {stats.groups} buckets + {stats.later_groups} overflow",
                f"occupancy {occupancy:.1f}% of {cells} cells; load {h.count / (1 << h.B):.2f} per bucket "
                f"(growth above {num / den:.2f})",
                "chain lengths: " + ", ".join(f"{n} bucket{'s' if n > 1 else ''}: {k}"
                                              for n, k in sorted(stats.chain_lengths.items()))]

    # ---- a key ----

    def locate(self, view, key):
        """The Position of key: where it lives, or where an insert would put it."""
        c = view.layout.consts
        h, lay = view.header, view.layout
        problems = header_problems(view)
        if problems:   # no walk: the header says why (would_go None: nothing to say of an insert)
            return Position(" ".join(problems), False, place_text=" ".join(problems))
        try:
            hash_ = view.hash_key(key)
        except Exception as e:
            return self._locate_by_scan(view, key, str(e))
        loc, marker = find_key(view, hash_, view.matcher(key))
        index = hash_ & bucket_mask(h.B)
        head = f"hash {hash_:#018x}, tophash {tophash(hash_, c):#04x}, bucket {index} of {1 << h.B}"
        new, old = arrays(view)
        old_evacuated = True
        if old is not None:
            oi = hash_ & bucket_mask(h.old_B())
            try:
                old_evacuated = c.is_evacuated_bucket(old.bucket(oi).tophash(lay)[0])
                state = "evacuated" if old_evacuated else "not evacuated: the key is looked up there"
            except Exception:
                state = "<unreadable>"
            head += f"; old bucket {oi} of {old.n} ({state})"
        if loc is not None:
            return self._found(view, head, loc)
        pos = Position(head, False, marker=marker)
        if new is None:
            pos.would_go = "bucket 0 slot 0 (the first insert allocates the buckets)"
            return pos
        # The cells are those of the first empty cell of its new chain (what a watch arms),
        # also when growth work comes first and the text says so.
        self._insert_place(view, hash_, pos)
        num, den = c.load_factor
        if not h.growing() and h.count + 1 > c.bucket_cnt and h.count + 1 > num * ((1 << h.B) // den):
            pos.would_go = (f"an insert first starts a growth (count {h.count + 1} > "
                            f"{num / den:g} x {1 << h.B} buckets), then lands in bucket "
                            f"{hash_ & bucket_mask(h.B + 1)}")
        elif not old_evacuated:
            pos.would_go = (f"an insert first evacuates old bucket {hash_ & bucket_mask(h.old_B())}, "
                            f"then takes the first empty cell of bucket {index}")
        return pos

    def _found(self, view, head, loc):
        lay = view.layout
        b, s = loc.bucket, loc.slot
        where = "old bucket" if loc.in_old else "bucket"
        return Position(head, True, f"{where} {loc.bucket_index} overflow {b.depth} slot {s}",
                        (b.tophash_addr(lay, s), b.key_addr(lay, s), b.elem_addr(lay, s)),
                        view.elem_codec.text(b.elem_cell(lay, s)), in_old=loc.in_old)

    def _locate_by_scan(self, view, key, why):
        head = f"hash not recomputed ({why}); found by scanning"
        loc, marker = scan_for_key(view, view.matcher(key))
        if loc is not None:
            return self._found(view, head, loc)
        return Position(head, False, marker=marker,
                        would_go="cannot say where an insert would put it without the key's hash")

    def _insert_place(self, view, hash_, pos):
        """Fills pos.would_go and pos.cells with the first empty cell of the key's new chain."""
        lay = view.layout
        c = lay.consts
        found, marker = insert_position(view, hash_)
        if found is None:
            pos.would_go = marker or "unknown"
            return
        index, b, s = found
        if s is None:
            pos.would_go = (f"bucket {index}, a new overflow bucket after overflow {b.depth} (chain full)"
                            + (f" {marker}" if marker else ""))
            pos.place_text = "(its chain is full)"
            return
        state = c.state_name.get(b.tophash(lay)[s], "?")
        pos.would_go = (f"bucket {index} overflow {b.depth} slot {s} (first empty cell, {state}), "
                        f"tophash byte {b.tophash_addr(lay, s):#x}")
        pos.place_text = f"bucket {index} overflow {b.depth} slot {s}"
        pos.cells = (b.tophash_addr(lay, s), b.key_addr(lay, s), b.elem_addr(lay, s))

    # ---- watching a key ----

    def watch_regions(self, view, cells):
        """[(field, address, length)] to watch for the key's cells: the tophash byte and the
        first 8 bytes of its key and elem cells."""
        lay = view.layout
        t, k, e = cells
        return [("tophash", t, 1), ("key", k, min(lay.key_cell, 8)), ("elem", e, min(lay.elem_cell, 8))]

    def growth_region(self, view):
        """The header field whose write is growth (the key's bucket becomes an old one)."""
        return ("buckets", view.header.addr + view.header.buckets_offset, 8)

    def decode_field(self, view, field, raw):
        n = int.from_bytes(raw, "little")
        lay = view.layout
        if field == "tophash":
            return lay.consts.tophash_text(n)
        if field == "buckets":
            return f"{n:#x}"
        codec = view.key_codec if field == "key" else view.elem_codec
        cell_size = lay.key_cell if field == "key" else lay.elem_cell
        return codec.text(raw) if len(raw) == cell_size and not codec.is_string else f"{n:#x}"

    # ---- a delete's trajectory: the bytes it can write, named ----

    def trajectory_blocks(self, view, key):
        """[Block] of what a write of key's operation can touch: the header, and every
        bucket of the key's chains (its old chain first while growing, as the lookup
        sees them now). The caller asks again after each write: chains change."""
        h = view.header
        blocks = [Block(h.addr, h.size, None)]
        if header_problems(view):
            return blocks
        try:
            hash_ = view.hash_key(key)
        except Exception:
            return blocks   # without the hash no chain can be named: the header only
        new, old = arrays(view)
        for array, B, in_old in ((old, h.old_B() if old else 0, True), (new, h.B, False)):
            if array is None:
                continue
            index = hash_ & bucket_mask(B)
            try:
                buckets, _ = chain(array, array.bucket(index))
            except Unreadable:
                continue
            blocks += [Block(b.addr, view.layout.bucket_size, Place(index, b.depth, None, in_old))
                       for b in buckets]
        return blocks

    def field_at(self, view, block, addr):
        """The FieldAt of addr in block (a header field or a bucket's cell), or None
        for bytes no field names (padding, header fields the design does not name)."""
        off = addr - block.addr
        if block.place is None:
            for name, (start, size) in view.header.spans.items():
                if start <= off < start + size:
                    return FieldAt(name, block.addr + start, size, None)
            return None
        lay = view.layout
        p = block.place
        cnt = lay.consts.bucket_cnt
        for name, first, cell in (("tophash", lay.tophash_offset, 1), ("key", lay.keys_offset, lay.key_cell),
                                  ("elem", lay.elems_offset, lay.elem_cell)):
            if first <= off < first + cnt * cell:
                slot = (off - first) // cell
                return FieldAt(name, block.addr + first + slot * cell, cell,
                               Place(p.group, p.probe, slot, p.old))
        if lay.overflow_offset <= off < lay.overflow_offset + 8:
            return FieldAt("overflow", block.addr + lay.overflow_offset, 8, p)
        return None

    def place_text(self, place):
        """'bucket 0 overflow 3 slot 5', 'old bucket 2 overflow 0', or 'map' (the header)."""
        if place is None:
            return "map"
        text = f"{'old bucket' if place.old else 'bucket'} {place.group} overflow {place.probe}"
        return text if place.slot is None else f"{text} slot {place.slot}"

    def decode_write(self, view, field, raw, whole):
        """A written value by its field: state names, flag names, counts in decimal,
        keys and elems by their types when the whole cell was written, else hex."""
        n = int.from_bytes(raw, "little")
        c = view.layout.consts
        if field == "tophash":
            return c.tophash_text(n)
        if field == "flags":
            return c.flags_text(n)
        if field in ("count", "B", "noverflow", "nevacuate"):
            return str(n)
        if field in ("key", "elem") and whole:
            return self.decode_field(view, field, raw)
        return f"{n:#x}"

    def still_the_keys(self, view, cells, key):
        """Whether cells (where a lookup no longer finds key) still hold it half written:
        its tophash byte over a key cell of zeros (the key arriving or leaving)."""
        lay = view.layout
        t, k, _ = cells
        try:
            top = memory.read(t, 1)[0]
            cell = memory.read(k, min(lay.key_cell, 8))
            want = tophash(view.hash_key(key), lay.consts)
        except Exception:
            return False
        return top == want and not any(cell)


DESIGN = ClassicDesign()
