"""A Go release whose maps the tracer does not read is named in one line, exit status 2."""
import subprocess

import pytest

from tracego import BUILD_GO, TRACER

SWISS = BUILD_GO / "go1.24" / "trace_delete"


@pytest.mark.skipif(not SWISS.exists(), reason="Go 1.24 is not installed")
def test_go_1_24_swiss_maps_are_refused_in_one_line():
    p = subprocess.run([str(TRACER), "-m", "main.m", "-k", "42", "-e", "delete", "--", str(SWISS)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr == "mapviz-trace: Go 1.24 maps (swiss tables) are not supported yet\n"
    assert "before m" not in p.stdout  # killed at setup, before main ran
