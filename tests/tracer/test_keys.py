"""-k and -m given badly: exit status 2 and one line naming what was wrong and the key type."""
import subprocess

import pytest

from tracelib import EXAMPLES, FIXTURES, TRACER

VALUES = str(FIXTURES / "values")
DEMO = str(EXAMPLES / "delete_demo")

BAD = "mapviz-trace: bad key "
CASES = [
    ("points", "{3}", VALUES, 'bad key "{3}": struct point needs member y (key type struct point)'),
    ("points", "{x=3,z=1}", VALUES,
     'bad key "{x=3,z=1}": struct point has no member z (key type struct point)'),
    ("points", "{3,-3,4}", VALUES,
     'bad key "{3,-3,4}": too many values: struct point has 2 members (key type struct point)'),
    ("points", "{x=3,x=3}", VALUES,
     'bad key "{x=3,x=3}": member x given twice (key type struct point)'),
    ("points", "{3,-3", VALUES, 'bad key "{3,-3": missing } (key type struct point)'),
    ("points", "{3,-3} ", VALUES, 'bad key "{3,-3} ": trailing space (key type struct point)'),
    ("points", "{3,04}", VALUES,
     'bad key "{3,04}": y: 04 has a leading zero: integers are decimal or 0x hex '
     "(key type struct point)"),
    ("points", "{3,2147483648}", VALUES,
     'bad key "{3,2147483648}": y: 2147483648 is out of range for int32_t '
     "(-2147483648 to 2147483647) (key type struct point)"),
    ("points", "3", VALUES,
     'bad key "3": give {...} or 8 hex bytes in memory order (0x...) (key type struct point)'),
    ("points", "0x0300", VALUES,
     'bad key "0x0300": give {...} or 8 hex bytes in memory order (0x...) (key type struct point)'),
    ("segments", "{a={x=1,y=2},b={3}}", VALUES,
     'bad key "{a={x=1,y=2},b={3}}": b: struct point needs member y (key type struct segment)'),
    ("temps", "042", VALUES,
     'bad key "042": 042 has a leading zero: integers are decimal or 0x hex (key type int32_t)'),
    ("temps", "2147483648", VALUES,
     'bad key "2147483648": 2147483648 is out of range for int32_t (-2147483648 to 2147483647) '
     "(key type int32_t)"),
    ("temps", " -1", VALUES, 'bad key " -1": leading space (key type int32_t)'),
    ("temps", "1.5", VALUES, 'bad key "1.5": 1.5 is not an integer (key type int32_t)'),
    ("counts", "-1", DEMO,
     'bad key "-1": -1 is out of range for uint64_t (0 to 18446744073709551615) (key type uint64_t)'),
    ("counts", " -1", DEMO, 'bad key " -1": leading space (key type uint64_t)'),
    ("counts", "1 ", DEMO, 'bad key "1 ": trailing space (key type uint64_t)'),
    ("counts", "0x10000000000000000", DEMO,
     'bad key "0x10000000000000000": 0x10000000000000000 is out of range for uint64_t '
     "(0 to 18446744073709551615) (key type uint64_t)"),
    ("scales", "1e999", VALUES, 'bad key "1e999": 1e999 is out of range for double (key type double)'),
    ("scales", "1e-999", VALUES,
     'bad key "1e-999": 1e-999 is out of range for double (key type double)'),
    ("scales", "0x1p3", VALUES,
     'bad key "0x1p3": 0x1p3 is not a decimal number (1.5, -0.0, 1e-9, inf, nan) (key type double)'),
    ("words", '"alice', VALUES,
     'bad key ""alice": unterminated string literal (key type const char *)'),
    ("words", r'"a\0b"', VALUES,
     r'bad key ""a\0b"": a \0 inside the string would end it (key type const char *)'),
    ("words", r'"a\qb"', VALUES, r'bad key ""a\qb"": bad escape \q (key type const char *)'),
    ("tags", '{"abcde",{1,2}}', VALUES,
     'bad key "{"abcde",{1,2}}": name: string literal longer than 4 bytes (key type struct tag)'),
    ("letters", "a", VALUES,
     "bad key \"a\": a is not a character literal ('a', '\\n') or an integer (key type char)"),
    ("letters", "'ab'", VALUES,
     "bad key \"'ab'\": character literal longer than 1 byte (key type char)"),
    ("letters", "128", VALUES,
     'bad key "128": 128 is out of range for char (-128 to 127) (key type char)'),
    ("shades", "PURPLE", VALUES,
     'bad key "PURPLE": PURPLE is not an enumerator of enum color (key type enum color)'),
    ("flags", "yes", VALUES, 'bad key "yes": yes is not a bool (true, false, 1, 0) (key type _Bool)'),
]


def run(args):
    return subprocess.run([str(TRACER)] + args, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("map_,key,prog,line", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_bad_key_is_one_line_naming_the_key_type(map_, key, prog, line):
    p = run(["-m", map_, "-k", key, "--", prog])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.splitlines() == ["mapviz-trace: " + line]
    assert p.stdout == ""  # the program did not run on


@pytest.mark.parametrize("addr", ["0xffffffffffffffffff", "0x", "0x-1", "0x 10", "0x10g"])
def test_bad_map_address(addr):
    p = run(["-m", addr, "-k", "1", "--", DEMO])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.splitlines() == [f"mapviz-trace: bad map address {addr}"]
