"""Fixes from a newcomer's walkthrough: file modes, one build at a time, messages."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.buildlock import exclusive_build
from bookbuild.cli import main
from bookbuild.errors import ConfigError, UserError
from bookbuild.events import Event
from bookbuild.make import MakeOptions, make
from bookbuild.project import Project


def test_outputs_and_lock_are_readable_by_others(english_book: Path) -> None:
    old = os.umask(0o022)
    try:
        make(Project.open(english_book, draft=True), MakeOptions(formats=("html",)))
    finally:
        os.umask(old)
    for path in [
        english_book / "build" / "index.html",
        english_book / ".bookbuild" / "draft.lock",
        *(english_book / "build" / "assets").iterdir(),
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_second_build_waits_for_the_first_and_calls_nothing(english_book: Path) -> None:
    options = MakeOptions(formats=("html",))
    events: list[Event] = []
    results: list[int] = []
    held = threading.Event()
    release = threading.Event()

    def first() -> None:
        with exclusive_build(english_book / ".bookbuild", lambda owner: None):
            held.set()
            release.wait(10)
            results.append(len(make_unlocked().called))

    def make_unlocked() -> object:
        from bookbuild.make import Build

        return Build(Project.open(english_book, draft=True), options, lambda e: None).run()

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    second = make(Project.open(english_book, draft=True), options, events.append)
    thread.join()
    assert any(e.kind == "build_waiting" for e in events)
    assert results == [7] and second.called == []


def test_every_missing_key_is_named_at_once(english_book: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "SDAPI_KEY")}
    with pytest.raises(ConfigError) as error:
        make(Project.open(english_book, env=env), MakeOptions(formats=("html",)))
    assert "OPENAI_API_KEY" in str(error.value) and "SDAPI_KEY" in str(error.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--only", ""], "--only needs a step glob"), (["--format", ""], "--format needs")],
)
def test_empty_options_are_input_errors(english_book: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["make", str(english_book), "--draft", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_glyph_fails_before_any_output_is_written(english_book: Path) -> None:
    chapter = english_book / "chapters" / "keeper.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\U000e01f0\U0010fffd\n", "utf-8")
    result = CliRunner().invoke(main, ["make", str(english_book), "--draft"])
    assert result.exit_code == 1
    assert "U+10FFFD" in result.output
    assert not (english_book / "build" / "index.html").exists()


def test_validate_reports_style_and_preset_problems_with_positions(english_book: Path) -> None:
    spec = english_book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace(
        "style: {theme: default, page: A5}",
        'style: {theme: pictur-book, page: A3, margin: lots, bleed: "-3mm"}',
    ).replace("{provider: openai, model: gpt-4o-mini,", "{provider: openai,")
    spec.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(english_book)])
    assert result.exit_code == 2
    out = result.output
    assert "book.yaml:14:16: style.theme: unknown theme 'pictur-book'" in out
    assert "style.page: unknown page size 'a3'" in out
    assert "style.margin: not a length: 'lots'" in out
    assert "style.bleed: not a length: '-3mm'" in out
    assert "preset `writer`: the openai provider needs `model`" in out


def test_init_scaffolds_in_the_books_language_and_refuses_bad_tags(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["init", str(tmp_path / "ko"), "--language", "ko"])
    assert made.exit_code == 0, made.output
    assert "길 떠나기" in (tmp_path / "ko" / "book.yaml").read_text(encoding="utf-8")
    assert "이른 아침" in (tmp_path / "ko" / "chapters" / "opening.md").read_text("utf-8")
    assert runner.invoke(main, ["validate", str(tmp_path / "ko")]).exit_code == 0
    bad = runner.invoke(main, ["init", str(tmp_path / "x"), "--language", "korean"])
    assert bad.exit_code == 2 and "BCP 47" in bad.output
    assert not (tmp_path / "x" / "book.yaml").exists()


def test_explain_shows_the_text_a_step_made(english_book: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["make", str(english_book), "--draft", "--format", "html"])
    result = runner.invoke(main, ["explain", "storm/lamp/prompt", str(english_book), "--draft"])
    assert result.exit_code == 0
    assert '"output_text": "{\\"prompt\\":' in result.output


def test_budget_refuses_when_a_price_is_unknown(english_book: Path) -> None:
    spec = english_book / "book.yaml"
    spec.write_text(spec.read_text().replace("gpt-4o-mini", "gpt-99-preview"), "utf-8")
    env = {"OPENAI_API_KEY": "sk-x", "SDAPI_KEY": "k"}
    with pytest.raises(UserError, match="price of preset `writer`"):
        make(Project.open(english_book, env=env), MakeOptions(formats=("html",), budget=5.0))
    plan = CliRunner().invoke(main, ["plan", str(english_book)], env=env)
    assert "preset writer: 3 call(s) of unknown price" in plan.output


def test_an_empty_mask_shape_is_a_spec_error(english_book: Path) -> None:
    spec = english_book / "book.yaml"
    spec.write_text(
        spec.read_text().replace(
            "- outpaint: {left: 128, right: 128}",
            '- inpaint: {mask: {rect: [0.5, 0.5, 0.5, 0.9]}, prompt: "x"}',
        ),
        "utf-8",
    )
    result = CliRunner().invoke(main, ["validate", str(english_book)])
    assert result.exit_code == 2
    assert "is empty: x0 < x1 and y0 < y1" in result.output


def test_preset_fields_of_the_wrong_kind_are_reported(english_book: Path) -> None:
    spec = english_book / "book.yaml"
    spec.write_text(
        spec.read_text()
        .replace("temperature: 0.7}", "temperature: 0.7, steps: 30}")
        .replace("painter: {provider: sdapi,", "painter: {provider: sdapi, temperature: 0.2,"),
        "utf-8",
    )
    result = CliRunner().invoke(main, ["validate", str(english_book)])
    assert result.exit_code == 2
    assert "`steps` has no effect on the chat provider `openai`" in result.output
    assert "`temperature` has no effect on the image provider `sdapi`" in result.output
