"""`bookbuild init`: a new book folder with a commented book.yaml."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bookbuild.errors import UserError
from bookbuild.fsutil import atomic_write_text

BOOK_YAML = """\
# book.yaml — the spec of your book. Reference: `bookbuild schema`, and the README.
title: {title}
authors: [{author}]
language: {language}   # BCP 47 tag: ko, en, ...
# premise: the chat model sees it when it writes chapters
premise: {premise}

models:                         # named presets; steps refer to them by name
  writer:  {{provider: openai, model: gpt-4o-mini, temperature: 0.8}}
  painter: {{provider: sdapi, model: sdxl, width: 768, height: 768,
            negative_prompt: "blurry, text, watermark"}}
defaults: {{text: writer, prompt: writer, image: painter}}

style: {{theme: novel, page: auto}}   # or theme: picture-book

chapters:
  - id: opening                 # stable id: step ids and the lock use it
    title: {opening}
    file: chapters/opening.md   # hand-written text (Markdown)
    illustrations:
      - id: first-light
        describe: "soft watercolor, children's picture book"   # the chat model writes the prompt
        seed: 42
        caption: {caption}
  - id: journey
    title: {journey}
    write: {brief}        # the chat model writes the text
    illustrations:
      - prompt: "a small fox walking along a river at dawn, watercolor"   # a literal prompt
        edits:
          - inpaint: {{mask: {{ellipse: [0.6, 0.05, 0.95, 0.35]}}, prompt: "a bright morning sun"}}
          - upscale: {{scale: 2}}
"""

CONTENT: dict[str, dict[str, str]] = {
    "en": {
        "premise": "A short line about the book.",
        "opening": "The Beginning",
        "caption": "The first light of the morning.",
        "journey": "The Journey",
        "brief": "The hero sets out at dawn. About 300 words.",
        "chapter": "It was early, and the house was still asleep.\n\n"
        "Write your chapter here, in Markdown.\n",
    },
    "ko": {
        "premise": "이 책이 무엇에 관한 이야기인지 한 줄로 적어 주세요.",
        "opening": "시작",
        "caption": "아침의 첫 햇살.",
        "journey": "길 떠나기",
        "brief": "주인공이 새벽에 길을 떠난다. 600자 안팎.",
        "chapter": "이른 아침, 집 안은 아직 조용했습니다.\n\n"
        "여기에 마크다운으로 장의 글을 쓰세요.\n",
    },
}
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")

GITIGNORE = "build/\n.bookbuild/draft.lock\n.bookbuild/make.lock\n.bookbuild/stamp\n"
# book.lock merges step by step through `bookbuild lock merge` once the driver is configured:
#   git config merge.bookbuild-lock.driver "bookbuild lock merge %O %A %B"
GITATTRIBUTES = "book.lock merge=bookbuild-lock\n"


def init_book(folder: Path, *, title: str, language: str, author: str) -> list[Path]:
    """Create the files of a new book in `folder`; refuse to overwrite an existing spec."""
    spec = folder / "book.yaml"
    if spec.exists():
        raise UserError(f"{spec} already exists; choose an empty folder")
    if not LANGUAGE_TAG.match(language):
        raise UserError(
            f"--language {language!r} is not a language tag: use a BCP 47 tag such as ko or en"
        )
    content = CONTENT.get(language.split("-")[0], CONTENT["en"])
    values = {"title": title, "language": language, "author": author, **content}
    values.pop("chapter")
    files = {
        spec: BOOK_YAML.format(**{name: _yaml_string(v) for name, v in values.items()}),
        folder / "chapters" / "opening.md": content["chapter"],
        folder / ".gitignore": GITIGNORE,
        folder / ".gitattributes": GITATTRIBUTES,
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
