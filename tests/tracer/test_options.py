"""Every option that takes an argument says so when it is given none, in either form."""
import subprocess

import pytest

from tracelib import TRACER

TAKING_ARGUMENT = ["-m", "--map", "-k", "--key", "-e", "--events", "-o", "--output", "--format",
                   "-n", "--max-events", "-p", "--pid"]


@pytest.mark.parametrize("option", TAKING_ARGUMENT)
def test_option_without_its_argument(option):
    p = subprocess.run([str(TRACER), option], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stderr
    assert p.stderr == f"mapviz-trace: option {option} needs an argument (try --help)\n"


def test_grouped_short_option_without_its_argument():
    p = subprocess.run([str(TRACER), "-rm"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and p.stderr == "mapviz-trace: option -m needs an argument (try --help)\n"
