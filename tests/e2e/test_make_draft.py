"""End to end: draft builds of the sample books through the library and the CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.project import Project
from tests.conftest import copy_sample

KOREAN_CHAPTERS = ["숲속의 아침", "경주의 시작", "낮잠", "느리지만 꾸준하게", "결승선"]


@pytest.fixture(scope="module")
def built_korean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = copy_sample("hare-and-tortoise", tmp_path_factory.mktemp("ko"))
    summary = make(Project.open(folder, draft=True), MakeOptions(formats=("html", "pdf")))
    return folder, summary.called


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_draft_build_writes_html_with_every_chapter(built_korean: tuple[Path, list[str]]) -> None:
    folder, called = built_korean
    html = (folder / "build" / "index.html").read_text(encoding="utf-8")
    for title in ["토끼와 거북이", *KOREAN_CHAPTERS]:
        assert title in html
    assert len(called) > 10  # every write, summary, describe, image and edit ran
    assets = list((folder / "build" / "assets").iterdir())
    assert len(assets) >= 6


def test_draft_pdf_holds_korean_title_and_chapter_titles(
    built_korean: tuple[Path, list[str]],
) -> None:
    folder, _ = built_korean
    text = re.sub(r"\s+", "", pdf_text(folder / "build" / "hare-and-tortoise.pdf"))
    for title in ["토끼와거북이", *(t.replace(" ", "") for t in KOREAN_CHAPTERS)]:
        assert title in text


def test_second_build_calls_nothing_and_leaves_pdf_untouched(
    built_korean: tuple[Path, list[str]],
) -> None:
    folder, _ = built_korean
    pdf = folder / "build" / "hare-and-tortoise.pdf"
    before = (pdf.stat().st_mtime_ns, pdf.read_bytes())
    summary = make(Project.open(folder, draft=True), MakeOptions(formats=("html", "pdf")))
    assert summary.called == []
    assert summary.rendered is False
    assert (pdf.stat().st_mtime_ns, pdf.read_bytes()) == before


def test_editing_one_chapter_reruns_exactly_its_steps(english_book: Path, tmp_path: Path) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path / "edit")
    options = MakeOptions(formats=("html",))
    make(Project.open(folder, draft=True), options)
    spec = folder / "book.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("500자 안팎", "400자 안팎"), encoding="utf-8"
    )
    summary = make(Project.open(folder, draft=True), options)
    assert sorted(summary.called) == [
        "steady/path/edit-1",
        "steady/path/image",
        "steady/path/prompt",
        "steady/text",
    ]


def test_hand_written_edit_reruns_only_that_chapter(tmp_path: Path) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path)
    options = MakeOptions(formats=("html",))
    make(Project.open(folder, draft=True), options)
    chapter = folder / "chapters" / "meadow.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n새로운 문단입니다.\n", "utf-8")
    summary = make(Project.open(folder, draft=True), options)
    # the summary is re-made; it does not change, so later written chapters are not re-run
    assert summary.called == ["meadow/summary"]
    html = (folder / "build" / "index.html").read_text(encoding="utf-8")
    assert "새로운 문단입니다." in html


def test_locked_build_on_changed_spec_fails_naming_steps(english_book: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["make", str(english_book), "--draft", "--format", "html"])
    assert first.exit_code == 0, first.output
    spec = english_book / "book.yaml"
    spec.write_text(spec.read_text().replace("seed: 3", "seed: 4"), encoding="utf-8")
    result = runner.invoke(main, ["make", str(english_book), "--draft", "--locked"])
    assert result.exit_code == 1
    assert "keeper/tower/image" in result.output
    assert "keeper/tower/edit-1" in result.output
    assert "Traceback" not in result.output


def test_locked_build_succeeds_when_everything_is_pinned(english_book: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(main, ["make", str(english_book), "--draft", "--format", "html"]).exit_code
        == 0
    )
    result = runner.invoke(
        main, ["make", str(english_book), "--draft", "--locked", "--format", "html"]
    )
    assert result.exit_code == 0, result.output
    assert "0 model call(s)" in result.output


def test_bad_spec_exits_2_with_location_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text("title: x\nchapterz: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["make", str(tmp_path), "--draft"])
    assert result.exit_code == 2
    assert "book.yaml:2:1" in result.output
    assert "Traceback" not in result.output


def test_missing_book_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


def test_bad_option_exits_2(english_book: Path) -> None:
    result = CliRunner().invoke(main, ["make", str(english_book), "--format", "docx"])
    assert result.exit_code == 2
    assert "docx" in result.output


def test_plan_reports_new_steps_then_pinned(english_book: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(main, ["plan", str(english_book), "--draft", "--json"])
    assert before.exit_code == 0, before.output
    assert '"status": "new"' in before.output
    runner.invoke(main, ["make", str(english_book), "--draft", "--format", "html"])
    after = runner.invoke(main, ["plan", str(english_book), "--draft"])
    assert "make would make 0 call(s)" in after.output


def test_plan_says_why_a_step_is_stale(english_book: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["make", str(english_book), "--draft", "--format", "html"])
    spec = english_book / "book.yaml"
    spec.write_text(spec.read_text().replace("seed: 3", "seed: 4"), encoding="utf-8")
    result = runner.invoke(main, ["explain", "keeper/tower/image", str(english_book), "--draft"])
    assert result.exit_code == 0, result.output
    assert "params.seed changed" in result.output


def test_init_scaffolds_a_book_that_validates(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["init", str(tmp_path / "new"), "--title", "새 책", "--language", "ko"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / ".gitignore").read_text().startswith("build/")
    assert runner.invoke(main, ["validate", str(tmp_path / "new")]).exit_code == 0
    assert runner.invoke(main, ["init", str(tmp_path / "new")]).exit_code == 2


def test_schema_is_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert '"chapters"' in result.output


def test_english_book_builds_with_pdftotext_readable(english_book: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) missing: run scripts/setup.sh")
    make(Project.open(english_book, draft=True), MakeOptions(formats=("html", "pdf")))
    text = pdf_text(english_book / "build" / "lighthouse-fox.pdf")
    assert "The Lighthouse Fox" in text
    assert "The Storm" in text


def test_locked_build_fails_when_hand_written_text_changed(english_book: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(main, ["make", str(english_book), "--draft", "--format", "html"]).exit_code
        == 0
    )
    chapter = english_book / "chapters" / "keeper.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    lock = english_book / ".bookbuild" / "draft.lock"
    before = lock.read_bytes()
    result = runner.invoke(main, ["make", str(english_book), "--draft", "--locked"])
    assert result.exit_code == 1
    assert "keeper/text" in result.output
    assert lock.read_bytes() == before


def test_progress_display_runs_a_build(english_book: Path) -> None:
    result = CliRunner().invoke(
        main, ["make", str(english_book), "--draft", "--format", "html", "--progress"]
    )
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output
