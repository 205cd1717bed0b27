"""The PDF renderer (WeasyPrint) is imported while the book is assembled, not after it, and
only when a PDF is to be rendered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.conftest import copy_sample

PROBE = """
import sys, time
from pathlib import Path
from bookbuild.build import make as make_module
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
seen = []
assemble = make_module.assemble_book
def watched(*args, **kwargs):
    view = assemble(*args, **kwargs)
    waited = time.monotonic() + float(sys.argv[3])
    while "weasyprint" not in sys.modules and time.monotonic() < waited:
        time.sleep(0.02)
    seen.append("weasyprint" in sys.modules)
    return view
make_module.assemble_book = watched
formats = tuple(sys.argv[2].split(","))
make(Project.open(Path(sys.argv[1]), draft=True), MakeOptions(formats=formats))
print(seen)
"""


def assembled_with_weasyprint(folder: Path, formats: str, wait: float) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), formats, str(wait)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def edit(folder: Path) -> None:
    spec = folder / "book.yaml"
    spec.write_text(spec.read_text("utf-8").replace("title:", "title: New", 1), "utf-8")


def test_weasyprint_loads_while_the_book_is_assembled_for_a_pdf(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    edit(folder)
    assert assembled_with_weasyprint(folder, "html,pdf", 60) == "[True]"
    assert (folder / "build" / "lighthouse-fox.pdf").is_file()


def test_an_html_render_does_not_load_weasyprint(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    edit(folder)
    assert assembled_with_weasyprint(folder, "html", 1) == "[False]"


STEPS_PROBE = """
import sys, time
from pathlib import Path
from bookbuild.build import engine
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
seen = []
run = engine.Engine.run
def watched(self, selected):
    loading = "weasyprint" in sys.modules or any(
        t.name == "bookbuild-preload-pdf" for t in __import__("threading").enumerate())
    result = run(self, selected)
    seen.append(loading)
    return result
engine.Engine.run = watched
formats = tuple(sys.argv[2].split(","))
make(Project.open(Path(sys.argv[1]), draft=True), MakeOptions(formats=formats))
print(seen)
"""


def started_before_the_steps(folder: Path, formats: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", STEPS_PROBE, str(folder), formats],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_weasyprint_loads_while_the_steps_run_when_a_pdf_follows(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    assert started_before_the_steps(folder, "html,pdf") == "[True]"  # a cold build
    assert (folder / "build" / "lighthouse-fox.pdf").is_file()
    chapter = next((folder / "chapters").glob("*.md"))
    chapter.write_text(chapter.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert started_before_the_steps(folder, "html,pdf") == "[True]"  # an edit
    chapter.write_text(chapter.read_text("utf-8") + "\nAnd another.\n", "utf-8")
    assert started_before_the_steps(folder, "html") == "[False]"
