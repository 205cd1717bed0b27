"""`freeze: true` keeps approved results when only something upstream changes (issue 9)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import LockedError
from bookbuild.project import Project
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.spec.specwrite import IllustrationRef, set_chapter_field, set_field
from tests.conftest import BUILD_STATE

SAMPLES = Path(__file__).resolve().parents[2] / "sample_books"
CHALLENGE = IllustrationRef(1, 0)  # race/challenge: described from race/text (written by a model)
IMAGE_OPS = {"txt2img", "img2img", "controlnet", "inpaint", "outpaint", "upscale"}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = tmp_path / "hare"
    shutil.copytree(SAMPLES / "hare-and-tortoise", root, ignore=BUILD_STATE)
    build(root)
    return root


def build(root: Path, **options: object) -> list[str]:
    """Draft make (HTML); the ids of the steps that called a model."""
    project = Project.open(root, draft=True)
    summary = make(project, MakeOptions(formats=("html",), **options))  # type: ignore[arg-type]
    return summary.called


def image_calls(root: Path, called: list[str]) -> list[str]:
    graph = plan_report(Project.open(root, draft=True)).graph
    return [s for s in called if graph.steps[s].op in IMAGE_OPS]


def edit_spec(root: Path, change: object) -> None:
    spec = root / "book.yaml"
    spec.write_text(change(spec.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]


def typo_in_race(text: str) -> str:
    return text.replace("600자 안팎.", "600자 안팎!")


def test_after_freezing_a_typo_in_its_chapter_costs_no_image_call(book: Path) -> None:
    edit_spec(book, lambda t: set_field(t, CHALLENGE, "freeze", True))
    assert build(book) == []  # freezing alone changes nothing
    edit_spec(book, typo_in_race)
    called = build(book)
    assert "race/text" in called  # the chapter itself is rewritten
    assert not any(s.startswith("race/challenge/") for s in called)
    assert image_calls(book, called) == []


def test_without_freeze_the_same_typo_repaints_the_chain(book: Path) -> None:
    edit_spec(book, typo_in_race)
    called = build(book)
    assert {"race/challenge/image", "race/challenge/edit-1"} <= set(called)


def test_plan_lists_frozen_steps_with_what_changed_upstream(book: Path) -> None:
    edit_spec(book, lambda t: typo_in_race(set_field(t, CHALLENGE, "freeze", True)))
    statuses = plan_report(Project.open(book, draft=True)).statuses
    prompt = statuses["race/challenge/prompt"]
    assert prompt.state == "frozen"
    assert prompt.reasons == (
        "frozen: upstream race/text changed (`make --refresh race/challenge` redoes it)",
    )
    assert statuses["race/challenge/image"].state == "pinned"
    assert not prompt.needs_call


def test_the_illustrations_own_fields_still_count(book: Path) -> None:
    edit_spec(book, lambda t: set_field(t, CHALLENGE, "freeze", True))
    edit_spec(book, lambda t: typo_in_race(set_field(t, CHALLENGE, "seed", 43)))
    called = build(book)
    assert "race/challenge/image" in called


def test_refresh_regenerates_a_frozen_illustration_on_purpose(book: Path) -> None:
    edit_spec(book, lambda t: typo_in_race(set_field(t, CHALLENGE, "freeze", True)))
    build(book)
    called = build(book, refresh=("race/challenge",))
    assert "race/challenge/prompt" in called
    assert "race/challenge/image" in called


def test_locked_accepts_frozen_steps(book: Path) -> None:
    edit_spec(book, lambda t: typo_in_race(set_field(t, CHALLENGE, "freeze", True)))
    build(book)  # race/text rewritten and pinned; the challenge stays frozen
    statuses = plan_report(Project.open(book, draft=True)).statuses
    assert statuses["race/challenge/prompt"].state == "frozen"
    assert build(book, locked=True) == []
    edit_spec(book, lambda t: t.replace("600자 안팎!", "600자 안팎?"))
    with pytest.raises(LockedError):  # race/text itself is not frozen: it must be rebuilt
        build(book, locked=True)


def test_a_frozen_chapter_keeps_its_text_when_an_earlier_chapter_changes(book: Path) -> None:
    steady = 3  # the chapter after `nap`, written by a model from the earlier summaries
    edit_spec(book, lambda t: set_chapter_field(t, steady, "freeze", True))
    edit_spec(book, typo_in_race)
    called = build(book)
    assert "race/text" in called
    assert not any(s.startswith("steady/") for s in called)
    statuses = plan_report(Project.open(book, draft=True)).statuses
    assert statuses["steady/text"].state == "frozen"
