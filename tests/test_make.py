"""The top-level build on a machine whose libraries pkg-config cannot find (PKG_CONFIG_LIBDIR
pointed at an empty directory: pkg-config answers exactly as on a machine without the -dev
packages). Reading the makefiles must not run pkg-config: `make demo` and `make test` first
install what is missing (deps-test), and nothing alarming may be printed before that step."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

ALARMS = ("was not found", "No package", "not found", "***")


@pytest.fixture
def no_packages_env(tmp_path):
    empty = tmp_path / "no-pc-files"
    empty.mkdir()
    env = dict(os.environ, PKG_CONFIG_LIBDIR=str(empty), PKG_CONFIG_PATH="")
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    return env


def make(env, *args):
    """make in the tree, standard error merged into standard output in the order written."""
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)


@pytest.mark.parametrize("goal", ["deps", "deps-test"])
def test_deps_steps_print_nothing(no_packages_env, goal):
    """The packages are installed here, so the deps step itself is silent: anything printed
    came from reading the makefiles."""
    run = make(no_packages_env, "-s", goal)
    assert (run.returncode, run.stdout) == (0, "")


@pytest.mark.parametrize("goal", ["demo", "test"])
def test_nothing_alarming_before_the_deps_step(no_packages_env, tmp_path, goal):
    """make -n with an empty build directory prints every recipe, so the tracer's compile
    lines are expanded after the deps step; before it, nothing may complain."""
    run = make(no_packages_env, "-n", f"BUILD={tmp_path / 'build'}", goal)
    deps_step = run.stdout.find("scripts/ensure-deps")
    assert deps_step >= 0, run.stdout[:2000]
    before = run.stdout[:deps_step]
    assert not any(alarm in before for alarm in ALARMS), before


def test_missing_packages_are_one_line(no_packages_env, tmp_path):
    """Building the tracer without its packages fails with one line naming them, not
    pkg-config's paragraphs."""
    run = make(no_packages_env, "-n", f"BUILD={tmp_path / 'build'}", "all")
    assert run.returncode != 0
    complaints = [line for line in run.stdout.splitlines() if any(a in line for a in ALARMS)]
    assert len(complaints) == 1, complaints
    assert "mapviz: pkg-config finds no libdw libxxhash capstone json-c (make deps installs them)" in complaints[0]
