"""Go's map hash (Go 1.19 to 1.23, amd64), recomputed without running code in
the inferior.

A Go map hashes a key with its type's hasher seeded by the map's hash0
(`t.hasher(key, uintptr(h.hash0))`). The hashers bottom out in four runtime
functions whose result also depends on per-process random state:

- on CPUs with AES-NI (runtime.useAeshash set), `memhash`/`strhash` run
  aeshashbody and `memhash32`/`memhash64` a three-round AES scramble, all
  keyed by `runtime.aeskeysched` (128 random bytes);
- otherwise the wyhash-style fallback of runtime/hash64.go, keyed by
  `runtime.hashkey` (4 words). Go 1.23 changed it: where 1.19 to 1.22 mix in
  the constants m1..m4, 1.23 uses hashkey[1..3] (and no m1).

The seeds are read from the process or the core by the caller (`GoSeeds`).
Pure Python, importable without gdb.

Key types are described with the small vocabulary below (`Mem`, `String`,
`Float`, `Complex`, `Array`, `Struct`, `Interface`), from which `hash_value`
follows the compiler's own rules (cmd/compile/internal/types AlgType and
reflectdata genhash): plain memory of 4 or 8 bytes goes to memhash32 or
memhash64, other sizes to memhash; a struct with padding, blank fields, or
string/float/interface fields hashes runs of plain-memory fields with memhash
(always memhash, even for a 4- or 8-byte run) and the other fields with their
own hasher, chaining the result as the next seed; an array of such elements
hashes element by element.
"""
from collections import namedtuple

MASK64 = (1 << 64) - 1
BUCKET_CNT = 8          # slots per bucket
MIN_TOP_HASH = 5        # tophash of a live cell is at least this
AESKEYSCHED_SIZE = 128  # runtime.hashRandomBytes on 64-bit targets
HASHKEY_WORDS = 4


class GoHashError(Exception):
    """A key whose hash cannot be recomputed (NaN, interface keys, bad seeds)."""


# --- the AES round -----------------------------------------------------------

def _gf_mul(a, b):
    """Product in GF(2^8) modulo AES's polynomial x^8 + x^4 + x^3 + x + 1."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        a = ((a << 1) ^ (0x11B if a & 0x80 else 0)) & 0xFF
        b >>= 1
    return product


def _make_sbox():
    """AES's S-box: the multiplicative inverse, then the affine map with 0x63."""
    inverse = [0] * 256
    for a in range(1, 256):
        for b in range(1, 256):
            if _gf_mul(a, b) == 1:
                inverse[a] = b
                break
    sbox = []
    for x in inverse:
        s = x
        for shift in range(1, 5):
            s ^= ((x << shift) | (x >> (8 - shift))) & 0xFF
        sbox.append(s ^ 0x63)
    return sbox


def _make_round_tables(sbox):
    """T[r][x]: the column (rows 0..3 in bytes 0..3) that byte x of state row r
    contributes after SubBytes and MixColumns: MixColumns' matrix column r
    (2,1,1,3 rotated down r times) times S[x]."""
    t0 = [_gf_mul(s, 2) | s << 8 | s << 16 | _gf_mul(s, 3) << 24 for s in sbox]
    tables = [t0]
    for _ in range(3):
        prev = tables[-1]
        tables.append([((v << 8) | (v >> 24)) & 0xFFFFFFFF for v in prev])
    return tables


_T0, _T1, _T2, _T3 = _make_round_tables(_make_sbox())


def aesenc(state, round_key):
    """One AESENC: ShiftRows, SubBytes, MixColumns, then xor round_key.

    state and round_key are 128-bit integers holding the register's bytes
    little-endian (byte i = row i % 4 of column i // 4)."""
    s = state.to_bytes(16, "little")
    out = 0
    for c in range(4):
        # ShiftRows moves row r of column c + r into column c.
        col = (_T0[s[4 * c]] ^ _T1[s[4 * ((c + 1) % 4) + 1]]
               ^ _T2[s[4 * ((c + 2) % 4) + 2]] ^ _T3[s[4 * ((c + 3) % 4) + 3]])
        out |= col << (32 * c)
    return out ^ round_key


def _scramble(x, rounds=3):
    """AESENC X, X repeated: the register is its own round key."""
    for _ in range(rounds):
        x = aesenc(x, x)
    return x


# --- seeds -------------------------------------------------------------------

class GoSeeds:
    """The per-process hash state of one Go program.

    use_aes: runtime.useAeshash; aeskeysched: its 128 bytes; hashkey: the 4
    words of runtime.hashkey; release: the Go release as (major, minor)."""

    def __init__(self, use_aes, aeskeysched, hashkey, release):
        if use_aes and len(aeskeysched) != AESKEYSCHED_SIZE:
            raise GoHashError("runtime.aeskeysched is %d bytes, not %d"
                              % (len(aeskeysched), AESKEYSCHED_SIZE))
        if not use_aes and len(hashkey) != HASHKEY_WORDS:
            raise GoHashError("runtime.hashkey has %d words, not %d" % (len(hashkey), HASHKEY_WORDS))
        self.use_aes = bool(use_aes)
        self.release = tuple(release)
        self.key_blocks = [int.from_bytes(aeskeysched[i:i + 16], "little")
                           for i in range(0, len(aeskeysched), 16)] if use_aes else []
        hk = [k & MASK64 for k in hashkey]
        if self.release >= (1, 23):
            # the multipliers of runtime/hash64.go: hashkey[0] alone, then hashkey[1..3]
            self.fb_seed, self.fb_m2, self.fb_m3, self.fb_m4 = hk[0], hk[1], hk[2], hk[3]
        elif hk:
            self.fb_seed = hk[0] ^ 0xA0761D6478BD642F
            self.fb_m2, self.fb_m3, self.fb_m4 = 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3


# --- aeshash -----------------------------------------------------------------

def _block(data, off):
    return int.from_bytes(data[off:off + 16], "little")


def _aes_memhash(seeds, data, seed):
    """aeshashbody: memhash and strhash with AES-NI."""
    k = seeds.key_blocks
    n = len(data)
    # 64 bits of seed, then the length's low 16 bits four times.
    x1 = (seed & MASK64) | ((n & 0xFFFF) * 0x0001000100010001) << 64
    x0 = aesenc(x1 ^ k[0], x1 ^ k[0])
    if n == 0:
        return aesenc(x0, x0) & MASK64
    if n <= 16:
        # Shorter data is zero-padded to a block (the runtime masks the load).
        return _scramble(int.from_bytes(data.ljust(16, b"\0"), "little") ^ x0) & MASK64
    if n <= 32:
        s1 = x1 ^ k[1]
        s1 = aesenc(s1, s1)
        return (_scramble(_block(data, 0) ^ x0) ^ _scramble(_block(data, n - 16) ^ s1)) & MASK64
    # 3 (up to 64 bytes) or 7 more seeds, from the unscrambled one.
    lanes = 4 if n <= 64 else 8
    lane_seeds = [x0] + [aesenc(x1 ^ k[i], x1 ^ k[i]) for i in range(1, lanes)]
    if n <= 128:
        half = lanes // 2
        offsets = [16 * i for i in range(half)] + [n - 16 * (half - i) for i in range(half)]
        result = 0
        for s, off in zip(lane_seeds, offsets):
            result ^= _scramble(_block(data, off) ^ s)
        return result & MASK64
    # Over 128 bytes: start from the last 128 (possibly overlapping the
    # first blocks), then fold in each 128-byte block from the start.
    state = [_block(data, n - 128 + 16 * i) ^ s for i, s in enumerate(lane_seeds)]
    for base in range(0, ((n - 1) >> 7) * 128, 128):
        state = [aesenc(aesenc(x, x), _block(data, base + 16 * i)) for i, x in enumerate(state)]
    result = 0
    for x in state:
        result ^= _scramble(x)
    return result & MASK64


def _aes_memhash_word(seeds, word, width, seed):
    """memhash32/memhash64 with AES-NI: seed in the low 8 bytes, the key's 4
    or 8 bytes from byte 8, then three rounds keyed by aeskeysched."""
    k = seeds.key_blocks
    x = (seed & MASK64) | (word & ((1 << (8 * width)) - 1)) << 64
    for i in range(3):
        x = aesenc(x, k[i])
    return x & MASK64


# --- the fallback (runtime/hash64.go) -----------------------------------------

_M5 = 0x1D8E4E27C47D124F


def _mix(a, b):
    product = (a & MASK64) * (b & MASK64)
    return (product >> 64) ^ (product & MASK64)


def _r4(data, off):
    return int.from_bytes(data[off:off + 4], "little")


def _r8(data, off):
    return int.from_bytes(data[off:off + 8], "little")


def _fallback_memhash(seeds, data, seed):
    n = len(data)
    seed = (seed ^ seeds.fb_seed) & MASK64
    m2 = seeds.fb_m2
    if n == 0:
        return seed
    if n < 4:
        a = data[0] | data[n >> 1] << 8 | data[n - 1] << 16
        b = 0
    elif n == 4:
        a = b = _r4(data, 0)
    elif n < 8:
        a, b = _r4(data, 0), _r4(data, n - 4)
    elif n == 8:
        a = b = _r8(data, 0)
    elif n <= 16:
        a, b = _r8(data, 0), _r8(data, n - 8)
    else:
        p, left = 0, n
        if left > 48:
            seed1 = seed2 = seed
            while left > 48:
                seed = _mix(_r8(data, p) ^ m2, _r8(data, p + 8) ^ seed)
                seed1 = _mix(_r8(data, p + 16) ^ seeds.fb_m3, _r8(data, p + 24) ^ seed1)
                seed2 = _mix(_r8(data, p + 32) ^ seeds.fb_m4, _r8(data, p + 40) ^ seed2)
                p, left = p + 48, left - 48
            seed ^= seed1 ^ seed2
        while left > 16:
            seed = _mix(_r8(data, p) ^ m2, _r8(data, p + 8) ^ seed)
            p, left = p + 16, left - 16
        a, b = _r8(data, p + left - 16), _r8(data, p + left - 8)
    return _mix(_M5 ^ n, _mix(a ^ m2, b ^ seed))


def _fallback_memhash_word(seeds, word, width, seed):
    """memhash32Fallback/memhash64Fallback."""
    a = word & ((1 << (8 * width)) - 1)
    return _mix(_M5 ^ width, _mix(a ^ seeds.fb_m2, a ^ seed ^ seeds.fb_seed))


# --- the runtime's hash functions --------------------------------------------

def memhash(seeds, data, seed):
    """runtime.memhash(p, seed, len(data)); strhash is memhash of the string's bytes."""
    data = bytes(data)
    if seeds.use_aes:
        return _aes_memhash(seeds, data, seed)
    return _fallback_memhash(seeds, data, seed)


strhash = memhash


def memhash32(seeds, data, seed):
    word = int.from_bytes(bytes(data[:4]), "little")
    if seeds.use_aes:
        return _aes_memhash_word(seeds, word, 4, seed)
    return _fallback_memhash_word(seeds, word, 4, seed)


def memhash64(seeds, data, seed):
    word = int.from_bytes(bytes(data[:8]), "little")
    if seeds.use_aes:
        return _aes_memhash_word(seeds, word, 8, seed)
    return _fallback_memhash_word(seeds, word, 8, seed)


# runtime/alg.go's c0 and c1 for 64-bit targets: the hash of +0 and -0.
_C0 = 33054211828000289
_C1 = 23344194077549503


def _float_hash(seeds, data, seed):
    """f32hash/f64hash: one hash for both zeros, none to recompute for NaN."""
    value = int.from_bytes(data, "little")
    exponent_bits = 8 if len(data) == 4 else 11
    mantissa_bits = 8 * len(data) - 1 - exponent_bits
    exponent = (value >> mantissa_bits) & ((1 << exponent_bits) - 1)
    if value & ((1 << (8 * len(data) - 1)) - 1) == 0:
        return (_C1 * (_C0 ^ seed)) & MASK64
    if exponent == (1 << exponent_bits) - 1 and value & ((1 << mantissa_bits) - 1):
        raise GoHashError("a NaN key hashes to a random value: it cannot be placed")
    return memhash(seeds, data, seed)


# --- key types ---------------------------------------------------------------

# Plain memory compared bytewise: integers, bools, pointers, channels, uintptr.
Mem = namedtuple("Mem", "size")
String = namedtuple("String", "")
Float = namedtuple("Float", "size")        # 4 or 8
Complex = namedtuple("Complex", "size")    # 8 or 16
Interface = namedtuple("Interface", "empty")
Array = namedtuple("Array", "elem length")
Field = namedtuple("Field", "name offset type")
Struct = namedtuple("Struct", "size fields")


def size_of(t):
    if isinstance(t, (Mem, Float, Complex, Struct)):
        return t.size
    if isinstance(t, (String, Interface)):
        return 16
    if isinstance(t, Array):
        return size_of(t.elem) * t.length
    raise GoHashError("not a Go key type: %r" % (t,))


def _padded(t, i):
    """types.IsPaddedField: bytes follow field i before the next field (or the end)."""
    end = t.fields[i + 1].offset if i + 1 < len(t.fields) else t.size
    return t.fields[i].offset + size_of(t.fields[i].type) != end


def alg_kind(t):
    """types.AlgType: 'mem' for plain memory, 'special' for a generated hash,
    else the runtime hasher's kind ('string', 'float', 'complex', 'interface')."""
    if isinstance(t, Mem):
        return "mem"
    if isinstance(t, String):
        return "string"
    if isinstance(t, Float):
        return "float"
    if isinstance(t, Complex):
        return "complex"
    if isinstance(t, Interface):
        return "interface"
    if isinstance(t, Array):
        elem = alg_kind(t.elem)
        if elem == "mem" or t.length == 0:
            return "mem"
        return elem if t.length == 1 else "special"
    if isinstance(t, Struct):
        if len(t.fields) == 1 and t.fields[0].name != "_":
            return alg_kind(t.fields[0].type)
        for i, f in enumerate(t.fields):
            if alg_kind(f.type) != "mem" or f.name == "_" or _padded(t, i):
                return "special"
        return "mem"
    raise GoHashError("not a Go key type: %r" % (t,))


def _mem_runs(t):
    """The hashed pieces of a special struct, as genhash walks it: (offset,
    size) for a run of plain-memory fields (ending after a padded field, or
    before a blank or non-memory one), (offset, type) for any other field."""
    pieces, i = [], 0
    while i < len(t.fields):
        f = t.fields[i]
        if f.name == "_":
            i += 1
        elif alg_kind(f.type) != "mem":
            pieces.append((f.offset, f.type))
            i += 1
        else:
            j = i + 1
            while (j < len(t.fields) and not _padded(t, j - 1) and t.fields[j].name != "_"
                   and alg_kind(t.fields[j].type) == "mem"):
                j += 1
            last = t.fields[j - 1]
            pieces.append((f.offset, last.offset + size_of(last.type) - f.offset))
            i = j
    return pieces


def hash_memory(seeds, t, image, read_string, seed):
    """The hash of a key of type t whose memory is `image` (size_of(t) bytes).

    read_string(pointer, length) -> bytes reads a string's data (strings are
    {ptr, len} in memory); seed is the map's hash0 (or the running hash)."""
    kind = alg_kind(t)
    if kind == "mem":
        n = size_of(t)
        if n == 0:
            return seed
        if n == 4:
            return memhash32(seeds, image, seed)
        if n == 8:
            return memhash64(seeds, image, seed)
        return memhash(seeds, image[:n], seed)
    if kind == "string":
        ptr, length = _r8(image, 0), _r8(image, 8)
        return strhash(seeds, read_string(ptr, length) if length else b"", seed)
    if kind == "float":
        return _float_hash(seeds, bytes(image[:size_of(t)]), seed)
    if kind == "complex":
        half = size_of(t) // 2
        seed = _float_hash(seeds, bytes(image[:half]), seed)
        return _float_hash(seeds, bytes(image[half:2 * half]), seed)
    if kind == "interface":
        raise GoHashError("interface keys hash by their dynamic type: not recomputed")
    if isinstance(t, Array):
        # A one-element array takes its element's kind above; here, a loop.
        step = size_of(t.elem)
        for i in range(t.length):
            seed = hash_memory(seeds, t.elem, image[i * step:(i + 1) * step], read_string, seed)
        return seed
    for offset, piece in _mem_runs(t):
        if isinstance(piece, int):
            seed = memhash(seeds, image[offset:offset + piece], seed)
        else:
            seed = hash_memory(seeds, piece, image[offset:offset + size_of(piece)], read_string, seed)
    return seed


def hash_string(seeds, data, hash0):
    """The hash of a string key with the given bytes."""
    return strhash(seeds, data, hash0)


def tophash(hash_):
    """The byte a live cell's tophash holds: the hash's top byte, moved above
    the slot states (0..4) when it falls among them."""
    top = hash_ >> 56
    return top + MIN_TOP_HASH if top < MIN_TOP_HASH else top


def bucket_index(hash_, B):
    return hash_ & ((1 << B) - 1)
