"""The documents point only at what the tree holds: every relative Markdown link of a
README or docs/ note names a file of the tree, the design notes the code and tests cite are
there, and nothing cites a design document the tree does not contain."""
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
CITED_NOTES = ["docs/design.md", "docs/hmap.md", "docs/tracer.md", "docs/gdb.md"]


def tracked_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / f for f in out.stdout.split()]


def markdown_files():
    return [f for f in tracked_files() if f.suffix == ".md" and f.exists()]


@pytest.mark.parametrize("doc", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    targets = [t for t in LINK.findall(doc.read_text()) if "://" not in t]
    missing = [t for t in targets if not (doc.parent / t).exists()]
    assert missing == [], f"{doc.relative_to(ROOT)} links to missing {missing}"


@pytest.mark.parametrize("note", CITED_NOTES)
def test_design_notes_exist(note):
    assert (ROOT / note).stat().st_size > 1000


def test_nothing_cites_a_design_document_outside_the_tree():
    citing = [str(f.relative_to(ROOT)) for f in tracked_files()
              if f.exists() and f.suffix in (".md", ".c", ".h", ".py", ".mk", ".sh", ".1", "")
              and f.is_file() and re.search(r"DESIGN(\.md| section)", f.read_text(errors="replace"))]
    assert citing == []


def test_no_tracked_file_is_output_left_behind():
    """The tree holds sources and documents: no file a test or a run wrote by mistake (a trace
    sent to a file named '-', a core) may be committed."""
    big = [(str(f.relative_to(ROOT)), f.stat().st_size) for f in tracked_files()
           if f.exists() and f.stat().st_size > 512 * 1024]
    assert big == []
    assert not [f for f in tracked_files() if f.name in ("-", "core") or f.suffix == ".core"]
