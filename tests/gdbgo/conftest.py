"""Fixtures of the Go tests of the GDB extension; helpers in gotest.py."""
import pytest

from gotest import RELEASES, GoMapsRunner


@pytest.fixture(params=RELEASES)
def go_run(request, tmp_path):
    """go_run(commands) runs GDB on the Go maps fixture of one Go release; go_run.truth."""
    return GoMapsRunner(request.param, tmp_path)
