"""Fixtures of the mapviz-trace tests; the helpers live in tracelib.py."""
import pytest

from tracelib import run_trace


@pytest.fixture
def trace(tmp_path):
    """trace(args, program=None, env=None, fmt="json", ...) -> tracelib.Trace"""
    def go(*args, **kw):
        return run_trace(tmp_path, *args, **kw)
    return go
