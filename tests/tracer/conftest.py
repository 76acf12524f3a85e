"""Fixtures of the mapviz-trace tests; the helpers live in tracelib.py."""
import pytest

from tracelib import Hammer, run_trace


@pytest.fixture
def trace(tmp_path):
    """trace(args, program=None, env=None, fmt="json", ...) -> tracelib.Trace"""
    def go(*args, **kw):
        return run_trace(tmp_path, *args, **kw)
    return go


@pytest.fixture
def hammer():
    """hammer(threads=4) -> tracelib.Hammer, killed at the end of the test if still running."""
    started = []

    def go(threads=4):
        started.append(Hammer(threads))
        return started[-1]
    yield go
    for h in started:
        h.kill()
