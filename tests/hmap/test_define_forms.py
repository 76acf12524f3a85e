"""HMAP_DEFINE and HMAP_DEFINE_STR work at file scope both with and without a trailing ';',
followed by a declaration, a function or another define: define_forms.c is the form without
';' (as hmap.h shows it), and the same file with a ';' after each define is the other. Each is
compiled with gcc and clang, C11 and C17, warnings as errors, and run."""
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"

FIXTURE = ROOT / "tests" / "hmap" / "define_forms.c"
DEFINE_LINE = re.compile(r"^(HMAP_DEFINE(?:_STR)?\(.*\))$", re.M)
STRICT = ["-Werror", "-Wall", "-Wextra", "-pedantic"]


def fixture_source(form):
    text = FIXTURE.read_text()
    assert len(DEFINE_LINE.findall(text)) == 4, "define_forms.c: four defines, each on a line of its own"
    return text if form == "bare" else DEFINE_LINE.sub(r"\1;", text)


@pytest.mark.parametrize("std", ["c11", "c17"])
@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("form", ["bare", "semicolon"])
def test_define_forms_compile_clean_and_run(tmp_path, form, cc, std):
    src = tmp_path / f"define_forms_{form}.c"
    src.write_text(fixture_source(form))
    exe = tmp_path / "define_forms"
    build = subprocess.run([cc, f"-std={std}", *STRICT, "-I", str(ROOT / "hmap"), str(src),
                            str(BUILD / "libhmap.a"), "-pthread", "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0 and build.stderr == "", build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
    assert (run.returncode, run.stdout) == (0, "define forms ok\n"), run.stderr
