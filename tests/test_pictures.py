"""The README's pictures are what `make pictures` (scripts/pictures) draws from real runs today,
and a browser shows them.

Drawn again into a temporary directory: the map picture is the committed one byte for byte;
the delete trajectory's recording is the committed one but for the run's pid, tids and times;
the race run (fresh and committed) is an API reader beside a deleter, stopped by the map's
check. Each committed trajectory picture is what mapviz-render draws from the recording
committed beside it. Then headless Chromium takes a screenshot of each (skipped
where Chromium or Pillow is missing, unless MAPVIZ_SCREENSHOTS=1, which `make pictures` sets
after installing them): the screenshot has the picture's size, is not blank, has its legend
at the bottom, and shows the thread colors and the race marks."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from svgpicture import RACE_INK, Picture, check_picture

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RENDER = ROOT / "build" / "bin" / "mapviz-render"
TRAJECTORIES = ("delete_trajectory", "race")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("pictures")
    run = subprocess.run([str(ROOT / "scripts" / "pictures"), str(out)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return out


def recording(path):
    return [json.loads(l) for l in path.read_text().splitlines()]


def without_run(events):
    """A recording with what differs between two runs of the same program left out: the pid,
    the tids (as their order of appearance), the times."""
    tids = {}
    plain = []
    for e in events:
        e = {k: v for k, v in e.items() if k not in ("pid", "t_ns")}
        if "tid" in e:
            e["tid"] = tids.setdefault(e["tid"], len(tids))
        plain.append(e)
    return plain


def test_map_picture_is_what_make_pictures_draws(drawn):
    assert (drawn / "delete_demo_map.svg").read_text() == (DOCS / "delete_demo_map.svg").read_text(), \
        "docs/delete_demo_map.svg is out of date: run make pictures"


def test_delete_trajectory_is_what_make_pictures_records(drawn):
    fresh, committed = recording(drawn / "delete_trajectory.jsonl"), recording(DOCS / "delete_trajectory.jsonl")
    assert without_run(fresh) == without_run(committed), \
        "docs/delete_trajectory.jsonl is out of date: run make pictures"
    assert any(e.get("new_decoded") == "emptyRest" for e in committed)


def funcs(stack):
    return [f["func"] for f in stack]


def test_race_run_is_an_api_reader_beside_a_deleter(drawn):
    """The race fixture's get reader beside its deleter: races of the reader's reads of key
    42's cells while the deleter is inside delete, the deleter's writes, then the race of the
    map's own check (a read of flags, hashWriting), then the abort."""
    for events in (recording(drawn / "race.jsonl"), recording(DOCS / "race.jsonl")):
        assert events[0]["program"] == "build/tests/tracer/race", events[0]
        races = [e for e in events if e["type"] == "race"]
        *cells, check = races
        assert cells and all(e["bucket"] is not None and e["func"].startswith("hmap_access") for e in cells), races
        assert (check["field"], check["new_decoded"], check["bucket"]) == ("flags", "hashWriting", None), check
        reader, deleter = check["tid"], check["other"]["tid"]
        for race in races:
            assert race["access"] == "read" and race["op"] == "access", race
            assert race["tid"] == reader and race["other"]["tid"] == deleter, race
            assert race["other"]["op"] == "delete" and "deleter" in funcs(race["other"]["stack"]), race
            assert "api_reader" in funcs(race["stack"]), race
        assert funcs(check["stack"])[0] == "fatal", check
        assert any(e["type"] == "write" and e["op"] == "delete" and e["tid"] == deleter for e in events)
        assert events[-1]["type"] == "exit" and events[-1]["signal"] == 6, events[-1]


@pytest.mark.parametrize("name", TRAJECTORIES)
def test_committed_picture_is_mapviz_render_of_its_recording(name, tmp_path):
    done = subprocess.run([str(RENDER), str(DOCS / f"{name}.jsonl"), "-o", str(tmp_path / "p.svg")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.svg").read_text() == (DOCS / f"{name}.svg").read_text(), \
        f"docs/{name}.svg is not what mapviz-render draws from docs/{name}.jsonl: run make pictures"
    check_picture(Picture(DOCS / f"{name}.svg"), recording(DOCS / f"{name}.jsonl"))


def screenshot_tools():
    """Chromium and Pillow, or a skip (a failure when MAPVIZ_SCREENSHOTS=1)."""
    chromium = shutil.which("chromium")
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if chromium and Image:
        return chromium, Image
    why = "headless Chromium and Pillow (Debian: chromium python3-pil; make pictures installs them)"
    if os.environ.get("MAPVIZ_SCREENSHOTS") == "1":
        pytest.fail(f"no {why}")
    pytest.skip(f"no {why}")


def hex_rgb(color):
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def count_near(pixels, rgb, tolerance=24):
    return sum(n for n, p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p[:3], rgb)))


@pytest.mark.parametrize("name", TRAJECTORIES)
def test_browser_shows_the_picture(name, tmp_path):
    chromium, Image = screenshot_tools()
    svg = DOCS / f"{name}.svg"
    pic = Picture(svg)
    png = ROOT / "build" / "pictures" / f"{name}.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    run = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={pic.width},{pic.height}",
                          f"--screenshot={png}", svg.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and png.exists(), run.stderr
    image = Image.open(png).convert("RGB")
    assert image.size == (pic.width, pic.height), image.size
    pixels = image.getcolors(maxcolors=1 << 24)
    total = pic.width * pic.height
    white = count_near(pixels, (255, 255, 255), tolerance=4)
    assert total - white > total // 20, f"{png}: {total - white} of {total} pixels drawn: blank?"
    assert len(pixels) > 50, f"{png}: {len(pixels)} colors only"
    # The legend is drawn at the bottom: its last tenth is not empty.
    bottom = image.crop((0, pic.height * 9 // 10, pic.width, pic.height)).getcolors(maxcolors=1 << 24)
    assert count_near(bottom, (255, 255, 255), tolerance=4) < pic.width * (pic.height // 10), png
    # Every thread's color is on screen (its events' cells are drawn in it), and races in red.
    for tid, color in pic.threads.items():
        assert count_near(pixels, hex_rgb(color["ink"]), tolerance=8) > 100, (png, tid, color)
    races = sum(e["race"] for e in pic.events.values())
    assert count_near(pixels, hex_rgb(RACE_INK), tolerance=8) > 100 * races, png
