"""`bookbuild init`: a new book folder with a commented book.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from bookbuild.errors import UserError
from bookbuild.fsutil import atomic_write_text

BOOK_YAML = """\
# book.yaml — the spec of your book. Reference: `bookbuild schema`, and the README.
title: {title}
authors: [{author}]
language: {language}            # BCP 47 tag: ko, en, ...
premise: A short line about the book; the chat model sees it when it writes chapters.

models:                         # named presets; steps refer to them by name
  writer:  {{provider: openai, model: gpt-4o-mini, temperature: 0.8}}
  painter: {{provider: sdapi, model: sdxl, width: 768, height: 768,
            negative_prompt: "blurry, text, watermark"}}
defaults: {{text: writer, prompt: writer, image: painter}}

style: {{theme: default, page: A5}}

chapters:
  - id: opening                 # stable id: step ids and the lock use it
    title: The Beginning
    file: chapters/opening.md   # hand-written text (Markdown)
    illustrations:
      - id: first-light
        describe: "soft watercolor, children's picture book"   # the chat model writes the prompt
        seed: 42
        caption: The first light of the morning.
  - id: journey
    title: The Journey
    write: "The hero sets out at dawn. About 300 words."        # the chat model writes the text
    illustrations:
      - prompt: "a small fox walking along a river at dawn, watercolor"   # a literal prompt
        edits:
          - inpaint: {{mask: {{ellipse: [0.6, 0.05, 0.95, 0.35]}}, prompt: "a bright morning sun"}}
          - upscale: {{scale: 2}}
"""

CHAPTER = """\
It was early, and the house was still asleep.

Write your chapter here, in Markdown.
"""

GITIGNORE = "build/\n.bookbuild/draft.lock\n"


def init_book(folder: Path, *, title: str, language: str, author: str) -> list[Path]:
    """Create the files of a new book in `folder`; refuse to overwrite an existing spec."""
    spec = folder / "book.yaml"
    if spec.exists():
        raise UserError(f"{spec} already exists; choose an empty folder")
    values = {"title": title, "language": language, "author": author}
    files = {
        spec: BOOK_YAML.format(**{name: _yaml_string(v) for name, v in values.items()}),
        folder / "chapters" / "opening.md": CHAPTER,
        folder / ".gitignore": GITIGNORE,
    }
    written = []
    for path, text in files.items():
        if not path.exists():
            _write(path, text)
            written.append(path)
    return written


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
