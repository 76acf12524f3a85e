"""scripts/ensure-go: quiet when the toolchains are there, one clear line otherwise."""
import os
import subprocess

from gotruth import ROOT

SCRIPT = str(ROOT / "scripts" / "ensure-go")


def run(*args, user=None):
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if user else []
    return subprocess.run(prefix + ["sh", SCRIPT, *args], capture_output=True, text=True, timeout=600)


def test_installed_releases_need_nothing_and_say_nothing():
    assert os.path.exists("/usr/lib/go-1.19/bin/go")  # make test installs it
    done = run("1.19")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_release_debian_does_not_ship_is_named():
    done = run("1.19", "1.20")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "mapviz: no Debian package known for Go release '1.20' (want 1.19, 1.21 or later)"]


def test_without_root_the_apt_line_is_printed_and_nothing_changes():
    if os.path.exists("/usr/lib/go-1.24/bin/go"):
        release, package = "1.99", "golang-1.99-go"  # surely not installed
    else:
        release, package = "1.24", "golang-1.24-go"
    before = sorted(os.listdir("/etc/apt/sources.list.d"))
    done = run("1.19", release, user="nobody")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mapviz: missing Go toolchains")
    assert lines[0].endswith("sudo apt-get install -y " + package)
    assert sorted(os.listdir("/etc/apt/sources.list.d")) == before
