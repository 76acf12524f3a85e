"""make install PREFIX= DESTDIR= after a plain make: every installed file names the PREFIX it
was given (hmap.pc, the library's .debug_gdb_scripts entry), twice in a row with two PREFIXes;
a program builds from the installed hmap.pc alone and runs; the installed GDB extension and
tracer work on it; the man page renders; make uninstall removes every file install put."""
import os
import pathlib
import shlex
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

FIRST_PREFIX = "/opt/mv-first"
PREFIX = "/opt/mv"
USER_PROGRAM = ROOT / "tests" / "hmap" / "install_user.c"


def make_env():
    """The environment of a make run by hand: nothing inherited from a make running the tests."""
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PREFIX", "DESTDIR"):
        env.pop(name, None)
    return env


def make(*args):
    run = subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=ROOT, env=make_env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def installed(destdir, prefix, path):
    return pathlib.Path(f"{destdir}{prefix}") / path


def installed_files(destdir):
    return sorted(str(p.relative_to(destdir)) for p in pathlib.Path(destdir).rglob("*")
                  if p.is_file() or p.is_symlink())


@pytest.fixture(scope="module")
def installs(tmp_path_factory):
    """A plain make, then two installs in a row with different PREFIXes: {prefix: DESTDIR}."""
    make("all")
    roots = {}
    for prefix in (FIRST_PREFIX, PREFIX):
        destdir = tmp_path_factory.mktemp("destdir")
        make("install", f"PREFIX={prefix}", f"DESTDIR={destdir}")
        roots[prefix] = destdir
    return roots


def gdb_scripts_section(path, tmp_path):
    """The raw .debug_gdb_scripts bytes of a shared library, or of an archive's one object."""
    if path.suffix == ".a":
        members = subprocess.run(["ar", "t", str(path)], capture_output=True, text=True,
                                 check=True).stdout.split()
        assert members == ["hmap.o"]
        obj = tmp_path / "hmap.o"
        obj.write_bytes(subprocess.run(["ar", "p", str(path), "hmap.o"], capture_output=True,
                                       check=True).stdout)
        path = obj
    out = tmp_path / "section"
    subprocess.run(["objcopy", f"--dump-section=.debug_gdb_scripts={out}", str(path),
                    str(tmp_path / "copy")], check=True)
    return out.read_bytes()


@pytest.mark.parametrize("prefix", [FIRST_PREFIX, PREFIX])
def test_pc_file_says_the_prefix_given(installs, prefix):
    pc = installed(installs[prefix], prefix, "lib/pkgconfig/hmap.pc").read_text()
    assert pc.splitlines()[0] == f"prefix={prefix}"


@pytest.mark.parametrize("library", ["lib/libhmap.so.1", "lib/libhmap.a"])
@pytest.mark.parametrize("prefix", [FIRST_PREFIX, PREFIX])
def test_library_names_the_installed_extension(installs, prefix, library, tmp_path):
    section = gdb_scripts_section(installed(installs[prefix], prefix, library), tmp_path)
    assert section == b"\x01" + f"{prefix}/share/mapviz/gdb/mapviz.py".encode() + b"\x00"


def build_user_program(destdir, prefix, out_dir):
    """install_user.c built with `pkg-config --cflags --libs hmap` against one install alone
    (pkg-config's sysroot maps PREFIX into DESTDIR): (executable, environment to run it)."""
    env = dict(os.environ, PKG_CONFIG_LIBDIR=str(installed(destdir, prefix, "lib/pkgconfig")),
               PKG_CONFIG_PATH="")
    if destdir:
        env["PKG_CONFIG_SYSROOT_DIR"] = str(destdir)
    flags = shlex.split(subprocess.run(["pkg-config", "--cflags", "--libs", "hmap"], env=env,
                                       capture_output=True, text=True, check=True).stdout)
    prefix_dir = str(installed(destdir, prefix, ""))
    assert [f for f in flags if f.startswith(("-I", "-L"))] == \
        [f"-I{prefix_dir}/include", f"-L{prefix_dir}/lib"]
    exe = out_dir / "install_user"
    subprocess.run(["gcc", "-g", "-O1", str(USER_PROGRAM), *flags, "-pthread", "-o", str(exe)],
                   check=True, cwd="/")
    return exe, dict(os.environ, LD_LIBRARY_PATH=str(installed(destdir, prefix, "lib")), HMAP_SEED="1")


def gdb_batch(exe, env, commands, init=()):
    """A `gdb -nx -batch` session on exe: its output (standard error merged), no traceback in it."""
    args = ["gdb", "-nx", "-batch"] + [a for c in init for a in ("-iex", c)]
    args += [a for c in ["set pagination off", "set width 0", *commands] for a in ("-ex", c)] + [str(exe)]
    out = subprocess.run(args, env=dict(env, PYTHONDONTWRITEBYTECODE="1"), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=120).stdout
    assert "Traceback" not in out and "Python Exception" not in out, out
    return out


SHOW_AT_READY = ["set mapviz color off", "break installed_ready", "run", "mapviz show users --summary"]


@pytest.fixture(scope="module")
def user_program(installs, tmp_path_factory):
    return build_user_program(installs[PREFIX], PREFIX, tmp_path_factory.mktemp("user"))


def test_program_built_from_installed_pc_runs(installs, user_program):
    exe, env = user_program
    ldd = subprocess.run(["ldd", str(exe)], env=env, capture_output=True, text=True, check=True).stdout
    assert f"libhmap.so.1 => {installed(installs[PREFIX], PREFIX, 'lib/libhmap.so.1')}" in ldd
    run = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=30)
    assert (run.returncode, run.stdout) == (0, "installed hmap: len 19, users[5] = 500\n")


def test_installed_extension_works_in_gdb(installs, user_program):
    exe, env = user_program
    gdb_dir = installed(installs[PREFIX], PREFIX, "share/mapviz/gdb")
    out = gdb_batch(exe, env, [f"source {gdb_dir}/mapviz.py",
                               "python print('package', mapviz_gdb.__file__)", "help mapviz",
                               *SHOW_AT_READY, "mapviz slot users 5", "print *users"])
    assert f"package {gdb_dir}/mapviz_gdb/__init__.py" in out, out
    assert "mapviz show" in out and "mapviz slot" in out, out  # help mapviz lists the subcommands
    assert "users_map" in out and "count 19" in out, out
    assert "found: bucket" in out and "elem 500" in out, out  # mapviz slot users 5
    assert "[5] = 500" in out and "[7] =" not in out, out
    assert out.count("users_map of length 19 = {") == 1, out


def test_installed_library_auto_loads_its_extension(tmp_path):
    """Installed for real (no DESTDIR) under a PREFIX GDB trusts: the library's own
    .debug_gdb_scripts entry loads the installed extension, with no `source`."""
    make("all")
    prefix = str(tmp_path / "mv")
    make("install", f"PREFIX={prefix}", "DESTDIR=")
    exe, env = build_user_program("", prefix, tmp_path)
    out = gdb_batch(exe, env, [*SHOW_AT_READY, "info auto-load python-scripts"],
                    init=[f"add-auto-load-safe-path {prefix}"])
    assert "count 19 agrees with the 19 live entries" in out, out
    assert f"{prefix}/share/mapviz/gdb/mapviz.py" in out and "Missing auto-load" not in out, out
    make("uninstall", f"PREFIX={prefix}", "DESTDIR=")
    assert installed_files(prefix) == []
    shutil.rmtree(ROOT / "build" / "prefix" / prefix.lstrip("/"))  # this PREFIX's build


def test_installed_tracer_follows_a_delete(installs, user_program):
    exe, env = user_program
    tracer = installed(installs[PREFIX], PREFIX, "bin/mapviz-trace")
    run = subprocess.run([str(tracer), "-m", "users", "-k", "7", "-e", "delete", "--", str(exe)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "-> emptyOne" in run.stderr and "count 20 -> 19" in run.stderr, run.stderr


def test_installed_render_draws_what_the_installed_tracer_recorded(installs, user_program, tmp_path):
    """mapviz-render is installed beside mapviz-trace, and the installed extension's
    `mapviz replay --svg` runs it."""
    exe, env = user_program
    bin_dir = installed(installs[PREFIX], PREFIX, "bin")
    rec = tmp_path / "users.jsonl"
    run = subprocess.run([str(bin_dir / "mapviz-trace"), "--format", "json", "-o", str(rec), "-m", "users",
                          "-k", "7", "-e", "delete", "--", str(exe)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    drawn = subprocess.run([str(bin_dir / "mapviz-render"), str(rec)], capture_output=True, text=True, timeout=60)
    assert drawn.returncode == 0 and "emptyOne" in drawn.stdout, drawn.stderr
    gdb_dir = installed(installs[PREFIX], PREFIX, "share/mapviz/gdb")
    out = gdb_batch(exe, env, [f"source {gdb_dir}/mapviz.py", f"mapviz replay {rec} --svg {tmp_path}/gdb.svg"])
    assert f"wrote {tmp_path}/gdb.svg" in out, out
    assert (tmp_path / "gdb.svg").read_text() == drawn.stdout


def test_installed_man_page_renders(installs):
    page = installed(installs[PREFIX], PREFIX, "share/man/man1/mapviz-trace.1")
    env = dict(os.environ, MANPAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
    run = subprocess.run(["man", "-l", str(page)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("MAPVIZ-TRACE(1)"), run.stdout[:300]
    assert "follow one key" in " ".join(run.stdout.split()) and "SYNOPSIS" in run.stdout
    render = installed(installs[PREFIX], PREFIX, "share/man/man1/mapviz-render.1")
    run = subprocess.run(["man", "-l", str(render)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("MAPVIZ-RENDER(1)"), run.stderr + run.stdout[:300]


def test_uninstall_removes_every_installed_file(tmp_path):
    """Install, let GDB import the extension (Python may cache bytecode beside it), uninstall:
    nothing is left but the standard directories (lib, bin, ...) that may hold other software."""
    make("all")
    destdir = tmp_path / "destdir"
    make("install", f"PREFIX={PREFIX}", f"DESTDIR={destdir}")
    assert len(installed_files(destdir)) > 10
    gdb_dir = installed(destdir, PREFIX, "share/mapviz/gdb")
    subprocess.run(["gdb", "-nx", "-batch", "-ex", f"source {gdb_dir}/mapviz.py"], check=True,
                   capture_output=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE=""))
    make("uninstall", f"PREFIX={PREFIX}", f"DESTDIR={destdir}")
    assert installed_files(destdir) == []
    assert not installed(destdir, PREFIX, "share/mapviz").exists()


@pytest.mark.parametrize("goal", ["install", "uninstall"])
def test_relative_prefix_is_one_line(tmp_path, goal):
    run = subprocess.run(["make", "-s", "--no-print-directory", goal, "PREFIX=opt/mv",
                          f"DESTDIR={tmp_path}"], cwd=ROOT, env=make_env(), capture_output=True,
                         text=True, timeout=600)
    assert run.returncode != 0
    assert run.stderr.splitlines()[0] == "mapviz: PREFIX must be an absolute path, not 'opt/mv'"
    assert installed_files(tmp_path) == []
