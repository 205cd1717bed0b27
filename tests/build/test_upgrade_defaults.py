"""Raising `defaults_version` on a book that was built: the print preflight of a cropped cover
says what `defaults_version: 2` costs (repaints the cover: N calls, cost), `bookbuild
upgrade-defaults` prints the same forecast and writes one line, and the make after it calls no
more than it said. Over real HTTP to FakeOpenAI (chat and GPT image models); PDFs written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.project import Project, load_spec
from bookbuild.providers import pricing
from bookbuild.providers.openai import image_models
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-test-UPGRADE-18"
BOOK = """\
title: The Fox
authors: [A. Writer]
models:
  writer: {provider: openai, model: gpt-4o-mini}
  painter: {provider: openai, model: gpt-image-1-mini, width: 1024, height: 1024, quality: low}
defaults: {text: writer, prompt: writer, image: painter}
style: {theme: default, page: 6x9in, print: kdp}
cover:
  id: front
  describe: "watercolour book cover"
chapters:
  - id: one
    title: One
    text: "A small fox keeps the lamp of the lighthouse burning."
    illustrations:
      - id: lamp
        describe: "watercolour, warm lamp light"
"""


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}


def build(book: Path, fake: FakeOpenAI) -> list[str]:
    """make (PDF): the print preflight's warnings."""
    warnings: list[str] = []

    def on_event(event: Event) -> None:
        if event.kind == "render_warning":
            warnings.append(event.message)

    make(Project.open(book, env=env(fake)), MakeOptions(formats=("pdf",)), on_event)
    return warnings


def calls(count: int) -> str:
    """What `count` describe + picture pairs cost, as the messages write it."""
    chat = pricing.forecast("describe", pricing.chat_price("gpt-4o-mini", None))
    picture = image_models.forecast("gpt-image-1-mini", "low")
    assert picture is not None and chat > 0
    return f"{2 * count} calls, about ${count * (chat + picture):.4f}"


def test_the_cropped_cover_warning_says_what_defaults_version_2_repaints(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    book = tmp_path / "fox"
    book.mkdir()
    (book / "book.yaml").write_text(BOOK, encoding="utf-8")
    [cropped] = [w for w in build(book, fake) if "is cropped" in w]
    assert cropped.startswith("preflight: cover/front/image: 1024x1024 px is cropped")
    assert (
        f"set `defaults_version: 2` (repaints the cover: {calls(1)}; up to {calls(2)} in all "
        "with its `style.alt: describe`; `bookbuild upgrade-defaults --dry-run` lists them)"
    ) in cropped
    plan = CliRunner().invoke(main, ["plan", str(book), "--json"], env=env(fake))
    [hint] = json.loads(plan.output)["hints"]  # plan says so too, with the same forecast
    assert hint.startswith("the cover art is generated at 1024x1024 px and cropped to the front")
    assert f"(repaints the cover: {calls(1)}; up to {calls(2)} in all" in hint
    dry = CliRunner().invoke(main, ["upgrade-defaults", str(book), "--dry-run"], env=env(fake))
    assert dry.exit_code == 0, dry.output
    assert "defaults_version 1 -> 2" in dry.output
    assert "sets cover.shape: front" in dry.output and "sets style.alt: describe" in dry.output
    assert f"re-runs up to 4 step(s) whose results book.lock keeps now: {calls(2)}" in dry.output
    listed = re.findall(r"^    (\S+)  \(", dry.output, flags=re.M)
    assert sorted(listed) == sorted(
        ["cover/front/prompt", "cover/front/image", "one/lamp/prompt", "one/lamp/image"]
    )
    assert "cover: {shape: preset}" in dry.output and "style: {alt: auto}" in dry.output
    assert (book / "book.yaml").read_text(encoding="utf-8") == BOOK  # --dry-run wrote nothing

    done = CliRunner().invoke(main, ["upgrade-defaults", str(book)], env=env(fake))
    assert done.exit_code == 0, done.output
    assert (book / "book.yaml").read_text(encoding="utf-8") == "defaults_version: 2\n" + BOOK
    chats, pictures = len(fake.bodies), len(fake.image_requests)
    warnings = build(book, fake)
    made = (len(fake.bodies) - chats) + (len(fake.image_requests) - pictures)
    assert 3 <= made <= 4  # both prompts and the cover; the lamp only if its prompt changed
    assert not [w for w in warnings if "is cropped" in w]  # the cover has the front's shape
    lock = Project.open(book).load_lock()
    assert lock.entries["cover/front/image"].digest  # the new cover is pinned
    plan = CliRunner().invoke(main, ["plan", str(book), "--json"], env=env(fake))
    assert json.loads(plan.output)["hints"] == []
    again = CliRunner().invoke(main, ["upgrade-defaults", str(book)], env=env(fake))
    assert "already at defaults_version 2; nothing to do" in again.output


def test_a_book_writing_the_fields_itself_upgrades_without_reruns(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    book = tmp_path / "kept"
    book.mkdir()
    text = BOOK.replace("  id: front\n", "  id: front\n  shape: preset\n").replace(
        "print: kdp}", "print: kdp, alt: auto}"
    )
    (book / "book.yaml").write_text(text, encoding="utf-8")
    build(book, fake)
    result = CliRunner().invoke(main, ["upgrade-defaults", str(book)], env=env(fake))
    assert result.exit_code == 0, result.output
    assert "it changes nothing in this book" in result.output
    assert "re-runs nothing" in result.output
    assert load_spec(book).book.defaults_version == 2
    before = len(fake.bodies) + len(fake.image_requests)
    build(book, fake)
    assert len(fake.bodies) + len(fake.image_requests) == before  # nothing paid again


def test_upgrade_defaults_refuses_an_unknown_version(tmp_path: Path) -> None:
    book = tmp_path / "fox"
    book.mkdir()
    (book / "book.yaml").write_text(BOOK, encoding="utf-8")
    result = CliRunner().invoke(main, ["upgrade-defaults", str(book), "--to", "7"])
    assert result.exit_code == 2
    assert "--to 7: no such defaults_version (known: 1, 2)" in result.output
    assert (book / "book.yaml").read_text(encoding="utf-8") == BOOK


def test_plan_says_before_anything_is_made_that_version_2_costs_no_extra_call(
    tmp_path: Path,
) -> None:
    book = tmp_path / "fox"
    book.mkdir()
    (book / "book.yaml").write_text(BOOK, encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", str(book)], env={"OPENAI_API_KEY": KEY})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the terminal wraps long lines
    assert (
        "hint: the cover art is generated at 1024x1024 px and cropped to the front cover "
        "(about 66% of it shows); set `defaults_version: 2` (nothing it changes is made yet: "
        "no extra call)"
    ) in said
    (book / "book.yaml").write_text("defaults_version: 2\n" + BOOK, encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", str(book)], env={"OPENAI_API_KEY": KEY})
    assert "hint: the cover" not in result.output
