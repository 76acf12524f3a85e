"""The DR7/DR6 encoding, unit-tested in C without ptrace (fixtures/dr7_test.c)."""
import subprocess

from tracelib import FIXTURES


def test_dr7_encode_decode():
    p = subprocess.run([str(FIXTURES / "dr7_test")], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout
    assert p.stdout.startswith("ok ") and int(p.stdout.split()[1]) >= 25, p.stdout
