"""scripts/ensure-go: quiet when the packages are there, one clear line otherwise."""
import os
import subprocess
import tempfile

import pytest

from gotruth import ROOT

SCRIPT = str(ROOT / "scripts" / "ensure-go")


def run(*args, user=None, env=None):
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if user else []
    return subprocess.run(prefix + ["sh", SCRIPT, *args], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **(env or {})))


def test_installed_releases_need_nothing_and_say_nothing():
    assert os.path.exists("/usr/lib/go-1.19/bin/go")  # make test installs it
    done = run("1.19")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_release_debian_does_not_ship_is_named():
    done = run("1.19", "1.20")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "mapviz: no Debian package known for '1.20' (want a Go release, 1.19 or 1.21 and later, or delve)"]


def test_without_root_the_apt_line_is_printed_and_nothing_changes():
    if os.path.exists("/usr/lib/go-1.24/bin/go"):
        release, wanted = "1.99", "golang-1.99-go/trixie-backports"  # surely not installed
    else:
        release, wanted = "1.24", "golang-1.24-go/trixie"
    before = sorted(os.listdir("/etc/apt/sources.list.d"))
    done = run("1.19", release, user="nobody")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mapviz: missing Go packages")
    assert lines[0].endswith("sudo apt-get install -y " + wanted)
    assert sorted(os.listdir("/etc/apt/sources.list.d")) == before


@pytest.fixture
def dpkg_with_delve():
    """dpkg_with_delve(VERSION or None): the environment under which dpkg's database holds
    that delve (a scratch database of that one package, readable by nobody)."""
    with tempfile.TemporaryDirectory() as admindir:
        os.chmod(admindir, 0o755)
        os.mkdir(os.path.join(admindir, "info"))
        os.mkdir(os.path.join(admindir, "updates"))

        def database(version):
            with open(os.path.join(admindir, "status"), "w") as f:
                if version:
                    f.write(f"Package: delve\nStatus: install ok installed\nVersion: {version}\n"
                            "Architecture: amd64\nMaintainer: nobody\nDescription: Go debugger\n\n")
            return {"DPKG_ADMINDIR": admindir}
        yield database


def test_delve_from_trixie_needs_nothing_and_says_nothing(dpkg_with_delve):
    done = run("delve", user="nobody", env=dpkg_with_delve("1.24.0-4+b4"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("installed", [None, "1.20.2-1+deb12u1"], ids=["absent", "bookworm's"])
def test_delve_absent_or_older_than_trixie_is_taken_from_trixie(dpkg_with_delve, installed):
    done = run("1.19", "delve", user="nobody", env=dpkg_with_delve(installed))
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mapviz: missing Go packages")
    assert lines[0].endswith("sudo apt-get install -y golang-1.19-go delve/trixie")
