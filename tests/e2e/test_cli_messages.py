"""The command line: clear messages and exit codes for wrong input, `init`, `explain`,
`validate` and `--budget`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.errors import ConfigError, UserError
from bookbuild.project import Project, load_spec
from tests.conftest import copy_sample

HTML = MakeOptions(formats=("html",))


def test_init_keeps_titles_and_authors_with_yaml_syntax_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    args = ["init", str(folder), "--title", 'Tom: the #1 "fox"', "--author", "Kim, Lee"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    book = load_spec(folder).book
    assert book.title == 'Tom: the #1 "fox"'
    assert book.authors == ["Kim, Lee"]


def test_init_into_an_unwritable_place_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "a-file" / "book")])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output
    assert "Traceback" not in result.output


def test_build_folder_that_is_a_file_fails_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    (folder / "build").write_text("in the way", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["make", str(folder), "--draft", "--plain", "--format", "html"]
    )
    assert result.exit_code == 1, result.output
    assert "cannot write to" in result.output
    assert not isinstance(result.exception, OSError)


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
    assert "book.yaml:17:16: style.theme: unknown theme 'pictur-book'" in out
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
    assert 'output text\n{"prompt": "' in result.output
    as_json = runner.invoke(
        main, ["explain", "storm/lamp/prompt", str(english_book), "--draft", "--json"]
    )
    assert '"output_text": "{\\"prompt\\":' in as_json.output


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
    assert "`steps` has no effect on the provider `openai`" in result.output  # chats and draws
    assert "`temperature` has no effect on the image provider `sdapi`" in result.output


def test_missing_key_error_names_the_variable_where_to_get_a_key_and_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    book = tmp_path / "b"
    CliRunner().invoke(main, ["init", str(book), "--template", "picture-book"])
    result = CliRunner().invoke(main, ["make", str(book), "--plain"])
    assert result.exit_code == 2
    out = result.output
    assert "openai: no API key: set OPENAI_API_KEY" in out
    assert "https://platform.openai.com/api-keys" in out
    assert "bookbuild make --draft" in out
    assert out.count("no API key") == 1  # one preset's message per provider, not one per preset


def test_make_prints_each_output_once_and_lists_the_cover_pdf(tmp_path: Path) -> None:
    book = tmp_path / "b"
    CliRunner().invoke(main, ["init", str(book), "--template", "picture-book"])
    result = CliRunner().invoke(main, ["make", str(book), "--draft", "--plain"])
    assert result.exit_code == 0, result.output
    out = result.output
    for name in ("index.html", "b.pdf", "b-cover.pdf"):
        path = str(book / "build" / name)
        assert out.count(path) == 1, (name, out)
    assert f"cover pdf: {book / 'build' / 'b-cover.pdf'} (written, " in out
