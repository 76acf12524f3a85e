"""-k and -m given badly: exit status 2 and one line naming what was wrong and the key type."""
import subprocess

import pytest

from tracelib import EXAMPLES, FIXTURES, TRACER

VALUES = str(FIXTURES / "values")
DEMO = str(EXAMPLES / "delete_demo")

# Each map of the fixture values (counts: the demo's) and its key type as C spells it.
KEY_TYPES = {
    'points': (VALUES, 'struct point'),
    'segments': (VALUES, 'struct segment'),
    'temps': (VALUES, 'int32_t'),
    'counts': (DEMO, 'uint64_t'),
    'scales': (VALUES, 'double'),
    'words': (VALUES, 'const char *'),
    'tags': (VALUES, 'struct tag'),
    'letters': (VALUES, 'char'),
    'shades': (VALUES, 'enum color'),
    'flags': (VALUES, '_Bool'),
    'modes': (VALUES, 'struct mode'),
}

# map, -k, what the line says is wrong
CASES = [
    ('points', '{3}', 'struct point needs member y'),
    ('points', '{x=3,z=1}', 'struct point has no member z'),
    ('points', '{3,-3,4}', 'too many values: struct point has 2 members'),
    ('points', '{x=3,x=3}', 'member x given twice'),
    ('points', '{3,-3', 'missing }'),
    ('points', '{3,-3} ', 'trailing space'),
    ('points', '{3,04}', 'y: 04 has a leading zero: integers are decimal or 0x hex'),
    ('points', '{3,2147483648}',
     'y: 2147483648 is out of range for int32_t (-2147483648 to 2147483647)'),
    ('points', '3', 'give {...} or 8 hex bytes in memory order (0x...)'),
    ('points', '0x0300', 'give {...} or 8 hex bytes in memory order (0x...)'),
    ('segments', '{a={x=1,y=2},b={3}}', 'b: struct point needs member y'),
    ('temps', '042', '042 has a leading zero: integers are decimal or 0x hex'),
    ('temps', '2147483648', '2147483648 is out of range for int32_t (-2147483648 to 2147483647)'),
    ('temps', ' -1', 'leading space'),
    ('temps', '1.5', '1.5 is not an integer'),
    ('counts', '-1', '-1 is out of range for uint64_t (0 to 18446744073709551615)'),
    ('counts', ' -1', 'leading space'),
    ('counts', '1 ', 'trailing space'),
    ('counts', '0x10000000000000000',
     '0x10000000000000000 is out of range for uint64_t (0 to 18446744073709551615)'),
    ('scales', '1e999', '1e999 is out of range for double'),
    ('scales', '1e-999', '1e-999 is out of range for double'),
    ('scales', '0x1p3', '0x1p3 is not a decimal number (1.5, -0.0, 1e-9, inf, nan)'),
    ('words', '"alice', 'unterminated string literal'),
    ('words', r'"a\0b"', r'a \0 inside the string would end it'),
    ('words', r'"a\qb"', r'bad escape \q'),
    ('tags', '{"abcde",{1,2}}', 'name: string literal longer than 4 bytes'),
    ('letters', 'a', r"a is not a character literal ('a', '\n') or an integer"),
    ('letters', "'ab'", 'character literal longer than 1 byte'),
    ('letters', '128', '128 is out of range for char (-128 to 127)'),
    ('shades', 'PURPLE', 'PURPLE is not an enumerator of enum color'),
    ('flags', 'yes', 'yes is not a bool (true, false, 1, 0)'),
    ('modes', '{8,0,true,RED}', 'kind: 8 is out of range for a 3-bit field (0 to 7)'),
    ('modes', '{0,-17,true,RED}', 'delta: -17 is out of range for a 5-bit field (-16 to 15)'),
]


def run(args):
    return subprocess.run([str(TRACER)] + args, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("map_,key,what", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_bad_key_is_one_line_naming_the_key_type(map_, key, what):
    prog, key_type = KEY_TYPES[map_]
    p = run(["-m", map_, "-k", key, "--", prog])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.splitlines() == [f'mapviz-trace: bad key "{key}": {what} (key type {key_type})']
    assert p.stdout == ""  # the program did not run on


@pytest.mark.parametrize("addr", ["0xffffffffffffffffff", "0x", "0x-1", "0x 10", "0x10g"])
def test_bad_map_address(addr):
    p = run(["-m", addr, "-k", "1", "--", DEMO])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.splitlines() == [f"mapviz-trace: bad map address {addr}"]
