"""One up-to-date decision (status.decide) for plan, explain and the engine; checks read only."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild.build.make import Build, MakeOptions, make
from bookbuild.project import Project

SAMPLE = Path(__file__).resolve().parents[2] / "sample_books" / "lighthouse-fox"


@pytest.fixture
def built_book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book, ignore=shutil.ignore_patterns(".bookbuild", "build", "*.lock"))
    make(Project.open(book, draft=True), MakeOptions(formats=("html",)))
    return book


def test_plan_and_the_engine_agree_after_a_build(built_book: Path) -> None:
    build = Build(Project.open(built_book, draft=True), MakeOptions(formats=("html",)), print)
    assert {s.state for s in build.statuses.values()} == {"pinned"}
    summary = build.run()
    assert summary.called == [] and summary.cached == len(build.statuses)


def test_checking_an_up_to_date_build_writes_no_file(built_book: Path) -> None:
    lock = built_book / ".bookbuild" / "draft.lock"
    before = (lock.read_bytes(), lock.stat().st_mtime_ns)
    build = Build(Project.open(built_book, draft=True), MakeOptions(formats=("html",)), print)
    assert build.nothing_to_read()
    assert (lock.read_bytes(), lock.stat().st_mtime_ns) == before


def test_plan_never_imports_make(built_book: Path) -> None:
    code = (
        "import sys; from bookbuild.project import Project; "
        "from bookbuild.reports.inspect_plan import plan_report; "
        f"plan_report(Project.open(__import__('pathlib').Path({str(built_book)!r}), draft=True)); "
        "print('bookbuild.build.make' in sys.modules, 'bookbuild.build.engine' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
