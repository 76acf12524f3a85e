"""The map's hash, computed in Python exactly as hmap computes it in C.

hmap hashes a key with XXH3-64 seeded with the map's hash0, over the key's
bytes (sizeof KEY), or over a string key's bytes without its NUL.
"""
from ..errors import MapvizError

try:
    import xxhash
except ImportError:  # reported when a command needs it, not at load time
    xxhash = None


def hash_bytes(data, hash0):
    if xxhash is None:
        raise MapvizError("Python's xxhash module is missing (apt-get install python3-xxhash)")
    return xxhash.xxh3_64_intdigest(data, seed=hash0)
