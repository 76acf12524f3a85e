"""The README's picture is what `make pictures` (scripts/pictures) draws from the program
today: drawn again into a temporary file, it is the committed docs/delete_demo_map.svg."""
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_picture_is_what_make_pictures_draws(tmp_path):
    svg = tmp_path / "delete_demo_map.svg"
    run = subprocess.run([str(ROOT / "scripts" / "pictures"), str(svg)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert svg.read_text() == (ROOT / "docs" / "delete_demo_map.svg").read_text(), \
        "docs/delete_demo_map.svg is out of date: run make pictures"
