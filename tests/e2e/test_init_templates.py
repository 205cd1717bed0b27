"""`bookbuild init --template`: complete books that validate strictly and build as drafts, with
the editor wired up and drafts kept out of git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main
from bookbuild.project import book_json_schema, load_spec

TEMPLATES = ["picture-book", "novel", "korean-novel"]


def test_init_list_names_every_template() -> None:
    result = CliRunner().invoke(main, ["init", "--list"])
    assert result.exit_code == 0, result.output
    for name in TEMPLATES:
        assert name in result.output


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_validates_strictly_and_builds_a_draft(tmp_path: Path, template: str) -> None:
    runner = CliRunner()
    book = tmp_path / template
    made = runner.invoke(main, ["init", str(book), "--template", template])
    assert made.exit_code == 0, made.output
    assert f"bookbuild make {book} --draft" in made.output
    checked = runner.invoke(main, ["validate", "--strict", str(book)])
    assert checked.exit_code == 0, checked.output
    spec = load_spec(book).book
    assert spec.cover is not None and spec.blurb
    built = runner.invoke(main, ["make", str(book), "--draft", "--plain", "--format", "html,epub"])
    assert built.exit_code == 0, built.output
    assert (book / "build" / "index.html").exists()
    assert (book / "build" / f"{template}.epub").exists()


def test_picture_book_template_has_the_picture_book_look(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["init", str(tmp_path / "b"), "-t", "picture-book"])
    style = load_spec(tmp_path / "b").book.style
    assert (style.theme, style.page) == ("picture-book", "8x8in")


def test_korean_template_is_in_korean_with_a_hangul_font(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["init", str(tmp_path / "k"), "--template", "korean-novel"])
    book = load_spec(tmp_path / "k").book
    assert book.language == "ko" and book.style.font == "Noto Serif CJK KR"


def test_init_writes_the_editor_wiring(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["init", str(tmp_path / "b"), "--template", "novel"])
    book = tmp_path / "b"
    first = (book / "book.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=.book.schema.json"
    schema = json.loads((book / ".book.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(json.dumps(book_json_schema()))
    settings = json.loads((book / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.schemas"] == {"./.book.schema.json": ["book.yaml"]}


def test_init_gitignore_keeps_outputs_and_draft_bookkeeping_out_of_git(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["init", str(tmp_path / "b")])
    ignored = (tmp_path / "b" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "build/" in ignored and ".bookbuild/draft.lock" in ignored


def test_init_with_an_unknown_template_names_the_templates(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "b"), "--template", "comic"])
    assert result.exit_code == 2
    assert "picture-book, novel, korean-novel" in result.output
    assert "bookbuild init --list" in result.output
    assert not (tmp_path / "b").exists()


def test_init_fills_title_and_author_into_the_template(tmp_path: Path) -> None:
    args = ["init", str(tmp_path / "b"), "-t", "picture-book", "--title", "Pip: a #1 snail"]
    CliRunner().invoke(main, [*args, "--author", "Kim, Lee"])
    book = load_spec(tmp_path / "b").book
    assert (book.title, book.authors) == ("Pip: a #1 snail", ["Kim, Lee"])


def test_draft_placeholders_stay_out_of_git(tmp_path: Path) -> None:
    """Drafts live in a store of their own that init's .gitignore ignores; git sees the book."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    book = tmp_path / "b"
    runner = CliRunner()
    runner.invoke(main, ["init", str(book), "--template", "picture-book"])
    made = runner.invoke(main, ["make", str(book), "--draft", "--plain", "--format", "html"])
    assert made.exit_code == 0, made.output
    assert any(p.is_file() for p in (book / ".bookbuild" / "drafts" / "objects").rglob("*"))
    assert not (book / ".bookbuild" / "store").exists()  # nothing real was made
    subprocess.run(["git", "init", "-q", str(book)], check=True)
    subprocess.run(["git", "-C", str(book), "add", "-A"], check=True)
    listed = subprocess.run(
        ["git", "-C", str(book), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "book.yaml" in listed and "chapters/meadow.md" in listed
    assert not [f for f in listed if f.startswith((".bookbuild/", "build/"))], listed
