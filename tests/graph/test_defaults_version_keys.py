"""`defaults_version:` (like Rust's `edition`): a book without it, or with `defaults_version: 1`,
keeps every step key it had; version 2 is exactly `cover.shape: front` plus `style.alt:
describe`, each of which the book can still write otherwise (an explicit field wins)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bookbuild.graph.plan import plan_book
from bookbuild.project import load_spec
from tests.helpers.step_keys import keys_of

PINNED = Path(__file__).resolve().parent / "pinned_books"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_books"
BOOKS = ["hare-and-tortoise", "lighthouse-fox"]


def edited(source: Path, tmp_path: Path, label: str, *edits: tuple[str, str]) -> Path:
    """A copy of the book with each (regex, replacement) applied once to its book.yaml."""
    book = tmp_path / f"{source.name}-{label}"
    shutil.copytree(source, book, ignore=shutil.ignore_patterns(".bookbuild", "build"))
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
        assert count == 1, f"{pattern!r} is not in {source.name}/book.yaml"
    spec.write_text(text, encoding="utf-8")
    return book


VERSION_LINE = (r"^defaults_version: 2\n", "")
ALT = (r"^style: \{(.*)\}$", r"style: {\1, alt: describe}")
ALT_AUTO = (r"^style: \{(.*)\}$", r"style: {\1, alt: auto}")
SHAPE = (r"^cover:\n  id: front\n", "cover:\n  id: front\n  shape: front\n")
PRESET = (r"^cover:\n  id: front\n", "cover:\n  id: front\n  shape: preset\n")


@pytest.mark.parametrize("name", BOOKS)
def test_a_book_writing_defaults_version_1_keeps_every_key(tmp_path: Path, name: str) -> None:
    book = PINNED / name
    written = edited(book, tmp_path, "v1", (r"^title:", "defaults_version: 1\ntitle:"))
    for draft in (False, True):
        assert keys_of(written, draft) == keys_of(book, draft)


def test_shape_preset_is_a_cover_without_a_shape(tmp_path: Path) -> None:
    book = PINNED / "hare-and-tortoise"
    written = edited(book, tmp_path, "preset", PRESET)
    assert keys_of(written) == keys_of(book)


@pytest.mark.parametrize("name", BOOKS)
def test_version_2_is_the_front_shape_and_described_alt_written_out(
    tmp_path: Path, name: str
) -> None:
    explicit = [VERSION_LINE, ALT, *([SHAPE] if name == "hare-and-tortoise" else [])]
    written = edited(SAMPLES / name, tmp_path, "explicit", *explicit)
    assert load_spec(written).book.defaults_version == 1
    for draft in (False, True):
        assert keys_of(SAMPLES / name, draft) == keys_of(written, draft)


def test_version_2_changes_the_describe_steps_and_the_cover_picture(tmp_path: Path) -> None:
    sample = SAMPLES / "hare-and-tortoise"
    version_1 = edited(sample, tmp_path, "v1", VERSION_LINE)
    before, after = keys_of(version_1), keys_of(sample)
    graph = plan_book(load_spec(sample))
    changed = {sid for sid in after if after[sid] != before[sid]}
    describes = {sid for sid, step in graph.steps.items() if step.op == "describe"}
    # stand-in inputs: in a build every picture made from a changed prompt changes with it
    assert changed == describes | {"cover/front/image"}
    assert graph.cover is not None
    old = plan_book(load_spec(version_1)).steps["cover/front/image"].params
    new = graph.steps["cover/front/image"].params
    assert (old["width"], old["height"]) == (768, 768)
    assert new["width"] / new["height"] == pytest.approx(148 / 210, abs=0.02)  # A5, portrait


def test_explicit_fields_win_over_version_2(tmp_path: Path) -> None:
    sample = SAMPLES / "hare-and-tortoise"
    version_1 = keys_of(edited(sample, tmp_path, "v1", VERSION_LINE))
    kept = keys_of(edited(sample, tmp_path, "kept", ALT_AUTO, PRESET))
    assert kept == version_1  # an upgraded book can keep every paid result
    only_alt = keys_of(edited(sample, tmp_path, "alt-only", PRESET))
    assert {sid for sid in only_alt if only_alt[sid] != version_1[sid]} == {
        sid for sid in only_alt if sid.endswith("/prompt")
    }


def test_the_init_templates_are_version_2_without_the_fields_written(tmp_path: Path) -> None:
    from bookbuild.scaffold import init_book

    for template in ("novel", "picture-book", "korean-novel"):
        folder = tmp_path / template
        init_book(folder, template=template, title="T", author="A")
        text = (folder / "book.yaml").read_text(encoding="utf-8")
        assert re.search(r"^defaults_version: 2$", text, flags=re.M)
        assert "alt:" not in text and "shape:" not in text  # the version sets them
        book = load_spec(folder).book
        assert book.style.alt == "describe"
        assert book.cover is not None and book.cover.shape == "front"
