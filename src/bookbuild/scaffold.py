"""`bookbuild init`: a new book folder from a template (booktemplates/<name>/), with the editor
wiring (the JSON Schema, a yaml-language-server modeline, VS Code settings) and git files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bookbuild.errors import UserError
from bookbuild.fsutil import atomic_write_text

TEMPLATES_DIR = Path(__file__).parent / "booktemplates"
SCHEMA_FILE = ".book.schema.json"


@dataclass(frozen=True)
class BookTemplate:
    name: str
    summary: str
    title: str
    author: str
    language: str


TEMPLATES: dict[str, BookTemplate] = {
    t.name: t
    for t in (
        BookTemplate(
            "picture-book",
            "a children's picture book: one scene per page, 8x8 in, three short chapters",
            "The Snail Who Wanted to Fly",
            "Anonymous",
            "en",
        ),
        BookTemplate(
            "novel",
            "a novel: text first, pictures at chapter openings, 5.5x8.5 in, written chapters",
            "The Bottle and the Lighthouse",
            "Anonymous",
            "en",
        ),
        BookTemplate(
            "korean-novel",
            "a Korean novel (language: ko, Noto Serif CJK KR, A5), chapters in Korean",
            "등대를 지키는 여우",
            "익명",
            "ko",
        ),
    )
}
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")

# Drafts are pinned in their own lock and kept in a store of their own (.bookbuild/drafts):
# placeholders stay out of git with the build's outputs and bookkeeping. book.lock and
# .bookbuild/store (real, paid results) are committed.
GITIGNORE = """\
build/
.bookbuild/drafts/
.bookbuild/draft.lock
.bookbuild/make.lock
.bookbuild/stamp
"""
# book.lock merges step by step through `bookbuild lock merge` once the driver is configured:
#   git config merge.bookbuild-lock.driver "bookbuild lock merge %O %A %B"
GITATTRIBUTES = "book.lock merge=bookbuild-lock\n"
VSCODE_SETTINGS = {"yaml.schemas": {f"./{SCHEMA_FILE}": ["book.yaml"]}}
VSCODE_EXTENSIONS = {"recommendations": ["redhat.vscode-yaml"]}


def default_template(language: str | None) -> str:
    """The template `init` uses without --template: the Korean one for a Korean book."""
    return "korean-novel" if (language or "").split("-")[0] == "ko" else "novel"


def init_book(
    folder: Path,
    *,
    template: str | None = None,
    title: str | None = None,
    language: str | None = None,
    author: str | None = None,
    schema: Callable[[], dict[str, object]] | None = None,
) -> list[Path]:
    """Create the files of a new book in `folder`; refuse to overwrite an existing spec.
    `schema` gives the JSON Schema written for editors (the CLI passes `bookbuild schema`'s)."""
    name = template or default_template(language)
    chosen = TEMPLATES.get(name)
    if chosen is None:
        raise UserError(
            f"--template {name!r}: no such template; choose one of {', '.join(TEMPLATES)} "
            "(see `bookbuild init --list`)"
        )
    spec = folder / "book.yaml"
    if spec.exists():
        raise UserError(f"{spec} already exists; choose an empty folder")
    language = language or chosen.language
    if not LANGUAGE_TAG.match(language):
        raise UserError(
            f"--language {language!r} is not a language tag: use a BCP 47 tag such as ko or en"
        )
    values = {"title": title or chosen.title, "author": author or chosen.author}
    files = _template_files(name, {**values, "language": language})
    files.update(_wiring_files(folder, schema))
    written = []
    for relative, text in files.items():
        path = folder / relative
        if not path.exists():
            _write(path, text)
            written.append(path)
    return written


def _template_files(name: str, values: dict[str, str]) -> dict[str, str]:
    """The template's files, relative to the book, with the values filled into book.yaml."""
    root = TEMPLATES_DIR / name
    files: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        if path.name == "book.yaml":
            quoted = {k: v if k == "language" else _yaml_string(v) for k, v in values.items()}
            for key, value in quoted.items():
                text = text.replace("${" + key + "}", value)
        files[path.relative_to(root).as_posix()] = text
    return files


def _wiring_files(folder: Path, schema: Callable[[], dict[str, object]] | None) -> dict[str, str]:
    files = {".gitignore": GITIGNORE, ".gitattributes": GITATTRIBUTES}
    if schema is not None:
        files[SCHEMA_FILE] = json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
        files[".vscode/settings.json"] = json.dumps(VSCODE_SETTINGS, indent=2) + "\n"
        files[".vscode/extensions.json"] = json.dumps(VSCODE_EXTENSIONS, indent=2) + "\n"
    return files


def _yaml_string(value: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is a subset): `: `, `#`, `,` stay text."""
    return json.dumps(value, ensure_ascii=False)


def _write(path: Path, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise UserError(
            f"cannot write {path}: {exc.strerror or exc}; choose another folder"
        ) from exc
