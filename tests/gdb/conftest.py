"""The fixture the GDB tests share; the helpers are in gdbtest.py."""
import pytest

from gdbtest import MapsRunner


@pytest.fixture
def maps_run(tmp_path):
    """maps_run(commands) runs GDB on the maps fixture; maps_run.truth is its ground truth."""
    return MapsRunner(tmp_path)
