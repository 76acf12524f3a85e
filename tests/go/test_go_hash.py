"""Go's map hash, recomputed in Python (gdb/mapviz_gdb/model/hash_go.py) and in C
(tracer/hash_go.c), held against the Go runtime's own placements.

For every Go release built (1.19 always, those in MAPVIZ_GO too), the truth
program prints where the runtime put thousands of keys of each kind; the
seeds come from its memory. Both hash paths are tested on this machine: the
AES one as the runtime picks it, and the fallback by running the program
with GODEBUG=cpu.aes=off, which makes the runtime's CPU detection report no
AES, so it keys runtime/hash64.go's hash with runtime.hashkey instead.
"""
import subprocess

import pytest

from gotruth import BUILD_GO, built_releases, fixture, run_truth
from keykinds import KEY_TYPES, hash_go, key_image, string_reader

PATHS = {"aes": {}, "fallback": {"GODEBUG": "cpu.aes=off"}}
MIN_KEYS_PER_KIND = 2000


def cpu_has_aes():
    with open("/proc/cpuinfo") as f:
        return any(line.startswith("flags") and " aes " in line + " " for line in f)


_truths = {}


def truth(release, path):
    """One run of the release's truth program per path, shared by the tests."""
    if path == "aes" and not cpu_has_aes():
        pytest.skip("this CPU has no AES instructions: Go uses only its fallback hash")
    if (release, path) not in _truths:
        _truths[release, path] = run_truth(fixture(release), PATHS[path])
    return _truths[release, path]


def seeds_of(t, release):
    return hash_go.GoSeeds(t.seeds["runtime.useAeshash"] != b"\0", t.seeds["runtime.aeskeysched"],
                           t.hashkey_words(), tuple(int(x) for x in release.split(".")))


def misplaced(mp, hashes):
    """Keys whose hash does not name the runtime's bucket and tophash."""
    return [(key[:64], bucket, top, hex(h)) for (key, bucket, top), h in zip(mp["keys"], hashes)
            if hash_go.bucket_index(h, mp["B"]) != bucket or hash_go.tophash(h) != top]


def python_hashes(seeds, kind, mp):
    hashes = []
    for key, _, _ in mp["keys"]:
        image, strings = key_image(kind, key)
        hashes.append(hash_go.hash_memory(seeds, KEY_TYPES[kind], image, string_reader(strings),
                                          mp["hash0"]))
    return hashes


releases = pytest.mark.parametrize("release", built_releases())
paths = pytest.mark.parametrize("path", sorted(PATHS))
kinds = pytest.mark.parametrize("kind", sorted(KEY_TYPES))


def truth_map(release, path, kind):
    t = truth(release, path)
    return t, t.maps[kind]


@releases
@paths
def test_runtime_takes_the_expected_hash_path(release, path):
    t = truth(release, path)
    assert t.seeds["runtime.useAeshash"] == (b"\x01" if path == "aes" else b"\x00")
    used = t.seeds["runtime.aeskeysched"] if path == "aes" else t.seeds["runtime.hashkey"]
    assert used.count(0) < len(used) // 2, "the seeds read look uninitialised"
    for name, mp in t.maps.items():
        assert len(mp["keys"]) == mp["count"] >= MIN_KEYS_PER_KIND, name
    assert set(t.maps) == set(KEY_TYPES)


@releases
@paths
@kinds
def test_python_hash_places_every_key(release, path, kind):
    t, mp = truth_map(release, path, kind)
    assert misplaced(mp, python_hashes(seeds_of(t, release), kind, mp)) == []


def type_spec(t):
    """The test binary's notation for a key type (see tests/go/hash_go_test.c)."""
    if isinstance(t, hash_go.Mem):
        return "m%d" % t.size
    if isinstance(t, hash_go.String):
        return "s"
    if isinstance(t, hash_go.Float):
        return "f%d" % t.size
    if isinstance(t, hash_go.Complex):
        return "c%d" % t.size
    if isinstance(t, hash_go.Array):
        return "a%d:%s" % (t.length, type_spec(t.elem))
    fields = ",".join("%s%d=%s" % ("_" if f.name == "_" else "", f.offset, type_spec(f.type))
                      for f in t.fields)
    return "t%d(%s)" % (t.size, fields)


def c_hashes(t, release, kind, mp):
    """(AES-NI hash or None, software-round hash) for each key, from the C code."""
    seeds = t.seeds
    lines = ["seeds %d %s %s %s" % (seeds["runtime.useAeshash"][0], release.split(".")[1],
                                    seeds["runtime.aeskeysched"].hex(),
                                    " ".join("%x" % w for w in t.hashkey_words())),
             "type " + type_spec(KEY_TYPES[kind])]
    for key, _, _ in mp["keys"]:
        image, strings = key_image(kind, key)
        lines.append(" ".join(["key", "%x" % mp["hash0"], image.hex()]
                              + [s.hex() or "-" for s in strings]))
    out = subprocess.run([str(BUILD_GO / "hash_go_test")], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(mp["keys"]), out[:3]
    pairs = [line.split() for line in out]
    return [None if ni == "-" else int(ni, 16) for ni, _ in pairs], [int(sw, 16) for _, sw in pairs]


@releases
@paths
@kinds
def test_c_hash_places_every_key(release, path, kind):
    t, mp = truth_map(release, path, kind)
    with_ni, with_software_round = c_hashes(t, release, kind, mp)
    assert misplaced(mp, with_software_round) == []
    if cpu_has_aes():
        assert misplaced(mp, with_ni) == []
    # the same 64-bit hash as Python's, not only the same bucket and tophash
    assert with_software_round == python_hashes(seeds_of(t, release), kind, mp)


def test_every_wanted_release_is_built():
    for release in built_releases():
        assert fixture(release).exists()


# --- what cannot be recomputed, and the compiler's rules for key types ---------

SEEDS = hash_go.GoSeeds(True, bytes(range(128)), [1, 3, 5, 7], (1, 19))


def test_nan_and_interface_keys_are_refused():
    nan = (0x7FF8000000000001).to_bytes(8, "little")
    with pytest.raises(hash_go.GoHashError, match="NaN"):
        hash_go.hash_memory(SEEDS, hash_go.Float(8), nan, None, 0)
    with pytest.raises(hash_go.GoHashError, match="interface"):
        hash_go.hash_memory(SEEDS, hash_go.Interface(True), bytes(16), None, 0)


def test_both_zeros_hash_alike_and_infinity_is_not_nan():
    zero, minus_zero = bytes(8), (1 << 63).to_bytes(8, "little")
    f64 = hash_go.Float(8)
    assert hash_go.hash_memory(SEEDS, f64, zero, None, 9) == hash_go.hash_memory(SEEDS, f64, minus_zero, None, 9)
    inf = (0x7FF0000000000000).to_bytes(8, "little")
    assert hash_go.hash_memory(SEEDS, f64, inf, None, 9) == hash_go.memhash(SEEDS, inf, 9)


def test_struct_hashes_follow_the_compiler():
    m4, m8 = hash_go.Mem(4), hash_go.Mem(8)
    F = hash_go.Field
    packed = hash_go.Struct(8, [F("x", 0, m4), F("y", 4, m4)])
    padded = hash_go.Struct(16, [F("a", 0, m4), F("b", 8, m8)])
    blank = hash_go.Struct(8, [F("x", 0, m4), F("_", 4, m4)])
    one_field = hash_go.Struct(8, [F("v", 0, m8)])
    image = bytes(range(16))
    # no padding, plain memory: one memhash64 over all 8 bytes
    assert hash_go.hash_memory(SEEDS, packed, image[:8], None, 5) == hash_go.memhash64(SEEDS, image, 5)
    # padding: memhash (not memhash32/64) over each run, chained
    h = hash_go.memhash(SEEDS, image[8:16], hash_go.memhash(SEEDS, image[:4], 5))
    assert hash_go.hash_memory(SEEDS, padded, image, None, 5) == h
    # a blank field is not hashed
    assert hash_go.hash_memory(SEEDS, blank, image[:8], None, 5) == hash_go.memhash(SEEDS, image[:4], 5)
    assert hash_go.alg_kind(one_field) == "mem"


def test_c_refuses_what_cannot_be_placed():
    seeds = "seeds 1 19 %s 1 3 5 7" % bytes(range(128)).hex()
    nan = (0x7FF8000000000001).to_bytes(8, "little").hex()
    lines = [seeds, "type f8", "key 0 " + nan, "type i", "key 0 " + "00" * 16,
             "type s", "key 0 %s%s" % ((7).to_bytes(8, "little").hex(), (3).to_bytes(8, "little").hex())]
    out = subprocess.run([str(BUILD_GO / "hash_go_test")], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["error a NaN key hashes to a random value: it cannot be placed",
                   "error interface keys hash by their dynamic type: not recomputed",
                   "error a string in the key could not be read"]
