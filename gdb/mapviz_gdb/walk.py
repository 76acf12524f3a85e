"""Walking a map's memory: bucket arrays, overflow chains, live entries, a key's slot.

Every walk is bounded: B by MAX_B, a chain by a visited set and MAX_CHAIN,
and reads are bulk (a chunk of a bucket array per read, one read per
overflow bucket). Problems become markers ("<cycle>", "<unreadable 0x...>")
in the results, never exceptions, so callers always finish their output.
"""
import bisect

from . import memory
from .cells import codecs
from .errors import Unreadable
from .hashing import bucket_mask, hash_bytes, tophash

MAX_B = 28            # 2^28 buckets (2^31 entries): beyond any map a debugger can read
MAX_CHAIN = 4096      # overflow buckets followed in one chain
CHUNK_BYTES = 1 << 20  # bucket array bytes per read


class Bucket:
    """One bucket's bytes. depth 0 is the array's bucket, 1.. its overflows."""
    __slots__ = ("addr", "raw", "depth")

    def __init__(self, addr, raw, depth):
        self.addr = addr
        self.raw = raw
        self.depth = depth

    def tophash(self, lay):
        off = lay.tophash_offset
        return self.raw[off:off + lay.consts.bucket_cnt]

    def overflow(self, lay):
        return memory.u64(self.raw, lay.overflow_offset)

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
        return min(self.n, self._chunk_start(i) + self.per_chunk)

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


def key_hash(ref, codec, cell):
    """The hash of the key in cell, or None when its bytes cannot be read whole."""
    try:
        data = codec.hash_input(cell)
    except Unreadable:
        return None
    return None if data is None else hash_bytes(data, ref.header.hash0)


def live_entries(ref):
    """Yield (key cell, elem cell) of every live entry exactly once, or (None, marker).

    Mirrors an iterator started now (hmap_iternext): for each new bucket i, if
    its old bucket is not yet evacuated, walk the old chain, keeping only the
    keys that will move to i; otherwise walk new bucket i's chain.
    """
    lay = ref.layout
    c = lay.consts
    h = ref.header
    for p in header_problems(ref):
        yield None, p
        return
    new, old = arrays(ref)
    if new is None:
        return
    kcodec = codecs(lay)[0]
    mth = c.min_top_hash
    cnt = c.bucket_cnt
    old_mask = bucket_mask(h.old_B()) if old else 0
    filter_old = old is not None and not h.same_size_grow()
    new_mask = bucket_mask(h.B)
    i = 0
    while i < new.n:
        array, check, first = new, False, None
        if old is not None:
            try:
                ob = old.bucket(i & old_mask)
            except Unreadable as e:
                # Without the old array no entry of it can be shown: say so once, walk the new one.
                yield None, f"<unreadable oldbuckets {e.addr:#x}>"
                old = None
                continue
            if not c.is_evacuated_bucket(ob.tophash(lay)[0]):
                array, first, check = old, ob, filter_old
        if first is None:
            try:
                first = new.bucket(i)
            except Unreadable as e:
                yield None, e.marker
                i = new.skip_unreadable(i)
                continue
        buckets, end = chain(array, first)
        for b in buckets:
            th = b.tophash(lay)
            for s in range(cnt):
                if th[s] < mth:
                    continue
                kcell = b.key_cell(lay, s)
                if check:
                    hv = key_hash(ref, kcodec, kcell)
                    if hv is None or (hv & new_mask) != i:
                        continue
                yield kcell, b.elem_cell(lay, s)
        if end:
            yield None, end
        i += 1


class Location:
    """Where a key lives, or where a lookup for it ended."""

    def __init__(self, bucket_index, bucket, slot, in_old):
        self.bucket_index = bucket_index  # index in the array it was found in
        self.bucket = bucket              # Bucket (its depth is the overflow depth)
        self.slot = slot
        self.in_old = in_old              # found in oldbuckets (not evacuated yet)


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


class ChainView:
    """One chain as show and dot draw it: old (from oldbuckets) or new, its index,
    its buckets, and a marker when it ended early or could not be read."""
    __slots__ = ("old", "index", "buckets", "end")

    def __init__(self, old, index, buckets, end):
        self.old = old
        self.index = index
        self.buckets = buckets   # [] when the array bucket itself is unreadable
        self.end = end


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
