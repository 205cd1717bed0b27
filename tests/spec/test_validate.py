"""Checks beyond the schema: ids, presets, providers and their ops, paths inside the book."""

from __future__ import annotations

import importlib
import os
import textwrap
from pathlib import Path

import pytest

from bookbuild.project import load_spec
from bookbuild.spec import resolve_in_book
from tests.helpers.spec_books import issues_of, only_issue, write_png
from tests.helpers.spec_books import write_book as shared_write_book

PRESETS = """\
models:
  writer: {provider: openai, model: gpt-4o-mini}
  painter: {provider: sdapi, model: sdxl}
defaults: {text: writer, image: painter}
"""


def write_book(folder: Path, text: str) -> Path:
    return shared_write_book(folder, textwrap.dedent(text))


def one_chapter(chapter_body: str, head: str = PRESETS) -> str:
    body = textwrap.indent(textwrap.dedent(chapter_body), "    ")
    return f"title: Book\n{head}chapters:\n  - id: one\n    title: One\n{body}"


def locate(text: str, snippet: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the `nth` occurrence of `snippet` in the spec text."""
    index = -1
    for _ in range(nth):
        index = text.index(snippet, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


# ids


def test_duplicate_chapter_ids_are_reported_at_the_second(tmp_path: Path) -> None:
    text = one_chapter("text: a\n") + "  - id: one\n    title: Again\n    text: b\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (10, 9)
    assert issue.message == "duplicate chapter id `one` (also on line 7)"


def test_a_chapter_may_not_be_called_cover(tmp_path: Path) -> None:
    text = one_chapter("text: a\n").replace("id: one", "id: cover")
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (7, 9)
    assert "reserved for the cover" in issue.message


def test_duplicate_illustration_ids_count_default_ids(tmp_path: Path) -> None:
    text = one_chapter(
        """\
        text: a
        illustrations:
          - id: ill-2
            prompt: a cat
          - prompt: a dog
          - id: ill-2
            prompt: a bird
        """
    )
    issues = issues_of(write_book(tmp_path, text))
    assert [(i.line, i.col) for i in issues] == [
        locate(text, "prompt: a dog"),
        locate(text, "ill-2", 2),
    ]
    assert "`ill-2` (its default id, as illustration 2)" in issues[0].message
    assert "(also illustration 1)" in issues[1].message


# presets


def test_unknown_presets_get_did_you_mean(tmp_path: Path) -> None:
    head = PRESETS.replace("image: painter", "image: paintr")
    text = one_chapter(
        """\
        write: a story
        model: writr
        illustrations:
          - prompt: a cat
            model: painter
            edits:
              - upscale: {model: paniter}
        """,
        head,
    )
    issues = issues_of(write_book(tmp_path, text))
    assert [(i.line, i.col, i.message) for i in issues] == [
        (*locate(text, "paintr"), "unknown preset `paintr` — did you mean `painter`?"),
        (*locate(text, "writr"), "unknown preset `writr` — did you mean `writer`?"),
        (*locate(text, "paniter"), "unknown preset `paniter` — did you mean `painter`?"),
    ]


def test_unknown_preset_without_models_says_where_to_define_it(tmp_path: Path) -> None:
    text = one_chapter("text: a\nillustrations:\n  - prompt: a cat\n    model: art\n", head="")
    issue = only_issue(write_book(tmp_path, text))
    assert issue.message == "unknown preset `art`; define it under `models:`"


def test_write_needs_a_text_preset(tmp_path: Path) -> None:
    head = "models:\n  painter: {provider: sdapi}\n"
    text = one_chapter("write: a story\n", head)
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == locate(text, "a story")
    assert issue.message.startswith("chapter `one` has `write:` but no chat preset")


def test_describe_falls_back_to_the_text_preset_and_needs_one(tmp_path: Path) -> None:
    ill = "text: a\nillustrations:\n  - describe: watercolor\n"
    load_spec(write_book(tmp_path / "ok", one_chapter(ill)))
    head = "models:\n  painter: {provider: sdapi}\ndefaults: {image: painter}\n"
    text = one_chapter(ill, head)
    issue = only_issue(write_book(tmp_path / "bad", text))
    assert (issue.line, issue.col) == locate(text, "watercolor")
    assert issue.message.startswith("`describe:` needs a chat preset")


def test_every_illustration_needs_an_image_preset(tmp_path: Path) -> None:
    head = "models:\n  writer: {provider: openai, model: gpt-4o-mini}\n"
    text = one_chapter("text: a\nillustrations:\n  - prompt: a cat\n", head)
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == locate(text, "prompt: a cat")
    assert issue.message.startswith("no image preset for this illustration")


def test_cover_is_checked_like_any_illustration(tmp_path: Path) -> None:
    head = "models:\n  writer: {provider: openai, model: gpt-4o-mini}\n"
    text = one_chapter("text: a\n", head) + "cover: {prompt: a cover, model: paint}\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == locate(text, "paint}")
    assert issue.message == "unknown preset `paint`; known presets: writer"


# providers and ops


def test_unknown_provider_gets_did_you_mean(tmp_path: Path) -> None:
    head = PRESETS.replace("provider: sdapi", "provider: sdapy")
    text = one_chapter("text: a\n", head)
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == locate(text, "sdapy")
    assert issue.message == "unknown provider `sdapy` — did you mean `sdapi`?"


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


@pytest.mark.skipif(
    not _importable("bookbuild.providers.openai.provider"), reason="openai provider not built yet"
)
def test_chat_only_provider_cannot_draw(tmp_path: Path) -> None:
    head = PRESETS.replace("image: painter", "image: writer")
    text = one_chapter("text: a\nillustrations:\n  - prompt: a cat\n    model: writer\n", head)
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == locate(text, "writer", 4)
    assert issue.message == (
        "preset `writer` uses provider `openai`, which cannot do the image op `txt2img`; "
        "presets that can: painter"
    )


@pytest.mark.skipif(
    not _importable("bookbuild.providers.offline.provider"),
    reason="offline provider not built yet",
)
def test_offline_provider_does_everything(tmp_path: Path) -> None:
    head = "models:\n  any: {provider: offline}\ndefaults: {text: any, image: any}\n"
    text = one_chapter(
        """\
        write: a story
        illustrations:
          - describe: watercolor
            edits:
              - inpaint: {mask: {rect: [0, 0, 0.5, 0.5]}, prompt: a hat}
              - outpaint: {left: 64}
              - upscale: {}
              - remove_background: {}
              - img2img: {prompt: brighter}
        """,
        head,
    )
    assert load_spec(write_book(tmp_path, text)).book.defaults.image == "any"


@pytest.fixture
def txt2img_only_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real plugin, registered through a dist-info entry point: it can only do txt2img."""
    site = tmp_path / "site"
    dist = site / "bb_spec_test_painter-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: bb-spec-test-painter\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[bookbuild.providers]\nbasicpaint = bb_spec_test_painter:BasicPainter\n"
    )
    (site / "bb_spec_test_painter.py").write_text(
        "from bookbuild.providers.base import Provider\n\n\n"
        "class BasicPainter(Provider):\n"
        "    name = 'basicpaint'\n"
        "    ops = frozenset({'txt2img'})\n"
    )
    monkeypatch.syspath_prepend(str(site))
    return "basicpaint"


def test_provider_lacking_an_edit_op_is_reported_at_the_edit(
    tmp_path: Path, txt2img_only_plugin: str
) -> None:
    head = f"models:\n  basic: {{provider: {txt2img_only_plugin}}}\ndefaults: {{image: basic}}\n"
    text = one_chapter(
        """\
        text: a
        illustrations:
          - prompt: a cat
            edits:
              - upscale: {scale: 2}
          - prompt: a dog
            init_image: {path: art/dog.png}
        """,
        head,
    )
    write_png(tmp_path / "art" / "dog.png")
    issues = issues_of(write_book(tmp_path, text))
    assert [(i.line, i.col, i.message) for i in issues] == [
        (
            *locate(text, "{scale: 2}"),
            "preset `basic` (from `defaults.image`) uses provider `basicpaint`, "
            "which cannot do the image op `upscale`",
        ),
        (
            *locate(text, "prompt: a dog"),
            "preset `basic` (from `defaults.image`) uses provider `basicpaint`, "
            "which cannot do the image op `img2img`",
        ),
    ]


# paths


def test_paths_must_stay_inside_the_book_folder(tmp_path: Path) -> None:
    book = tmp_path / "book"
    write_png(tmp_path / "outside.png")
    (book / "art").mkdir(parents=True)
    os.symlink(tmp_path / "outside.png", book / "art" / "link.png")
    text = one_chapter(
        f"""\
        text: a
        illustrations:
          - prompt: a
            init_image: {{path: ../outside.png}}
          - prompt: b
            init_image: {{path: {tmp_path / "outside.png"}}}
          - prompt: c
            controlnet: {{type: canny, image: art/link.png}}
        """
    )
    issues = issues_of(write_book(book, text))
    assert [(i.line, i.col) for i in issues] == [
        locate(text, "../outside.png"),
        locate(text, str(tmp_path / "outside.png")),
        locate(text, "art/link.png"),
    ]
    assert all(i.message.startswith("path leaves the book folder") for i in issues)
    assert "through `..`" in issues[0].message
    assert "is absolute" in issues[1].message
    assert "through a symlink" in issues[2].message


def test_missing_files_are_reported_at_their_path(tmp_path: Path) -> None:
    text = (
        one_chapter(
            """\
        file: chapters/one.md
        illustrations:
          - prompt: a
            edits:
              - inpaint: {mask: masks/hat.png, prompt: a hat}
        """
        )
        + "style: {css: theme/extra.css}\n"
    )
    issues = issues_of(write_book(tmp_path, text))
    assert [(i.line, i.col) for i in issues] == [
        locate(text, "chapters/one.md"),
        locate(text, "masks/hat.png"),
        locate(text, "theme/extra.css"),
    ]
    assert issues[0].message == (
        "file not found: `chapters/one.md` (paths are relative to the spec's folder)"
    )


def test_files_must_be_of_the_right_kind(tmp_path: Path) -> None:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "one.md").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "sketch.gif").write_bytes(b"GIF89a")
    (tmp_path / "art" / "fake.png").write_text("not an image")
    (tmp_path / "theme.txt").write_text("body {}")
    text = (
        one_chapter(
            """\
        file: chapters/one.md
        illustrations:
          - prompt: a
            init_image: {path: art/sketch.gif}
          - prompt: b
            controlnet: {type: canny, image: art/fake.png}
        """
        )
        + "style: {css: theme.txt}\n"
    )
    messages = [i.message for i in issues_of(write_book(tmp_path, text))]
    assert messages == [
        "`chapters/one.md` is not UTF-8 text; save it as UTF-8",
        "`art/sketch.gif` is not a PNG, JPEG or WebP file (.png, .jpg, .jpeg, .webp)",
        "`art/fake.png` is named like an image but is not a PNG, JPEG or WebP image",
        "`theme.txt` should be a stylesheet (.css)",
    ]


def test_resolve_in_book_returns_real_paths_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "a.png").write_bytes(b"x")
    os.symlink(tmp_path / "art" / "a.png", tmp_path / "alias.png")
    assert resolve_in_book(tmp_path, "art/../art/a.png") == (tmp_path / "art" / "a.png").resolve()
    assert resolve_in_book(tmp_path, "alias.png") == (tmp_path / "art" / "a.png").resolve()
    assert resolve_in_book(tmp_path, "not/yet.png") == (tmp_path / "not" / "yet.png").resolve()
    for bad in ("../x.png", "/etc/passwd", "C:\\x.png", "", "a\0b"):
        with pytest.raises(ValueError):
            resolve_in_book(tmp_path, bad)
