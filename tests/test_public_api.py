"""A script can load, plan and make a book through `import bookbuild` alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import bookbuild

SAMPLE = Path(__file__).resolve().parents[1] / "sample_books" / "lighthouse-fox"


def test_a_script_plans_and_makes_a_draft_book(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book, ignore=shutil.ignore_patterns(".bookbuild", "build", "*.lock"))
    project = bookbuild.Project.open(book, draft=True)
    report = bookbuild.plan_report(project)
    assert report.forecast.total_calls > 0
    summary = bookbuild.make_book(project, bookbuild.MakeOptions(formats=("html",)))
    assert len(summary.called) == report.forecast.total_calls
    assert summary.outputs["html"].is_file()


def test_errors_are_one_tree() -> None:
    assert issubclass(bookbuild.SpecError, bookbuild.UserError)
    assert issubclass(bookbuild.ProviderError, bookbuild.BookbuildError)
    assert bookbuild.UserError.exit_code == 2 and bookbuild.BuildFailed.exit_code == 1


def test_importing_bookbuild_imports_nothing_heavy() -> None:
    heavy = "('pydantic', 'click', 'PIL')"
    code = f"import sys, bookbuild; print(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
