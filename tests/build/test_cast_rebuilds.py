"""The cast in the graph: placeholders expanded verbatim, the describe step saying (once) who
is in a picture, and a character's description, reference and LoRA reaching exactly the
pictures that show it, never a chat step; traits reach the writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bookbuild.build.make import MakeOptions, make
from bookbuild.graph.plan import plan_book
from bookbuild.project import Project, load_spec
from bookbuild.reports.cast import cast_lineup, change_forecast
from bookbuild.reports.inspect_plan import explain_step, plan_report
from tests.helpers.cast_books import write_cast_book

HTML = MakeOptions(formats=("html",), jobs=1)
HARE = "a slender white hare with long ears and a red knitted scarf"
TORTOISE = "an old green tortoise with a mossy shell and round glasses"
ART = "soft watercolour, children's picture book"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_cast_book(tmp_path / "book")


def build(book: Path, **options: object) -> list[str]:
    opts = MakeOptions(formats=("html",), jobs=1, **options)  # type: ignore[arg-type]
    return sorted(make(Project.open(book), opts).called)


def edit(book: Path, old: str, new: str) -> None:
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new), encoding="utf-8")


def stored(book: Path, step: str) -> tuple[bytes, dict[str, object]]:
    project = Project.open(book)
    entry = project.load_lock().entries[step]
    record = project.store.lookup(entry.key)
    assert record is not None
    return project.store.get(entry.digest), record.metadata


def test_character_sheet_is_a_step_chain_of_its_own(book: Path) -> None:
    graph = plan_book(load_spec(book))
    assert "cast/tortoise/image" in graph.steps
    assert "cast/hare/image" not in graph.steps  # the hare has its own picture
    sheet = graph.steps["cast/tortoise/image"]
    assert [c.id for c in sheet.cast] == ["tortoise"]
    assert sheet.cast[0].sheet is None  # a sheet is not its own reference
    assert ("cast:tortoise", "cast/tortoise/image") in graph.steps["nap/passing/image"].deps


def test_placeholders_expand_to_the_description_verbatim_with_the_art_style(book: Path) -> None:
    build(book)
    _, meta = stored(book, "start/alone/image")
    assert meta["prompt"] == f"{HARE} running alone through the meadow, {ART}"
    _, sheet = stored(book, "cast/tortoise/image")
    assert str(sheet["prompt"]).startswith(f"character sheet of {TORTOISE}")
    _, plain = stored(book, "nap/oak/image")
    assert plain["prompt"] == f"an oak tree on a hill at noon, {ART}"  # no cast, the style


def test_describe_names_the_cast_by_placeholder_and_says_who_appears(book: Path) -> None:
    build(book)
    data, _ = stored(book, "start/line/prompt")
    described = json.loads(data)
    assert described["characters"] == ["hare", "tortoise"]
    assert "{hare}" in described["prompt"] and "{tortoise}" in described["prompt"]
    assert HARE not in described["prompt"]  # the chat step never sees how they look
    _, meta = stored(book, "start/line/image")
    assert HARE in str(meta["prompt"]) and TORTOISE in str(meta["prompt"])
    assert meta["characters"] == ["hare", "tortoise"]
    forced = json.loads(stored(book, "nap/passing/prompt")[0])
    assert forced["characters"] == ["tortoise"]  # `characters: [tortoise]` forces the list


def test_the_cast_of_a_picture_is_derived_once_and_cached(book: Path) -> None:
    build(book)
    assert build(book) == []
    status = plan_report(Project.open(book)).statuses["start/line/image"]
    assert [c.id for c in status.step.cast] == ["hare", "tortoise"]
    explained = explain_step(Project.open(book), "start/alone/image")
    assert explained["characters"] == ["hare"]


def test_changing_one_description_reruns_only_its_pictures_and_no_chat_step(book: Path) -> None:
    build(book)
    edit(book, "round glasses", "square glasses")
    report = plan_report(Project.open(book))
    stale = sorted(s.step.id for s in report.statuses.values() if s.needs_call)
    assert stale == ["cast/tortoise/image", "nap/passing/image", "start/line/image"]
    reasons = report.statuses["start/line/image"].reasons
    assert "characters.tortoise.description changed" in reasons
    assert build(book) == stale


def test_changing_a_reference_file_reruns_only_the_pictures_with_that_character(
    book: Path,
) -> None:
    build(book)
    from PIL import Image

    Image.new("RGB", (64, 64), (10, 10, 10)).save(book / "art" / "hare.png")
    assert build(book) == ["start/alone/image", "start/line/image"]


def test_a_new_sheet_take_reruns_the_pictures_that_use_it(book: Path) -> None:
    build(book)
    edit(book, "reference: {seed: 11}", "reference: {seed: 11, take: 2}")
    report = plan_report(Project.open(book))
    assert report.statuses["cast/tortoise/image"].state == "stale"
    assert build(book) == ["cast/tortoise/image", "nap/passing/image", "start/line/image"]


def test_a_lora_on_a_character_is_an_input_of_its_pictures_only(book: Path) -> None:
    build(book)
    edit(
        book,
        "    reference: {file: art/hare.png}",
        "    reference: {file: art/hare.png}\n    lora: {model: hare-v1, strength: 0.8}",
    )
    assert build(book) == ["start/alone/image", "start/line/image"]


def test_the_art_style_is_an_input_of_every_picture_and_no_chat_step(book: Path) -> None:
    build(book)
    edit(book, "soft watercolour", "pencil sketch")
    called = build(book)
    assert called == [
        "cast/tortoise/image",
        "nap/oak/image",
        "nap/passing/image",
        "start/alone/image",
        "start/line/image",
    ]


def test_traits_reach_the_writer_and_a_change_rewrites_generated_chapters(book: Path) -> None:
    build(book)
    edit(book, "boastful, quick", "boastful, sleepy")
    report = plan_report(Project.open(book))
    assert report.statuses["nap/text"].state == "stale"
    (reason,) = report.statuses["nap/text"].reasons
    assert reason.startswith("params.cast changed: the characters' names or traits changed")
    assert "`freeze: true` on the chapter" in reason
    assert report.statuses["start/text"].state == "pinned"  # written by hand
    called = build(book)
    assert "nap/text" in called and "start/line/prompt" not in called


def test_a_frozen_picture_keeps_its_result_when_its_character_is_repainted(book: Path) -> None:
    edit(
        book,
        '        prompt: "{hare} running',
        '        freeze: true\n        prompt: "{hare} running',
    )
    build(book)
    edit(book, "red knitted scarf", "blue knitted scarf")
    status = plan_report(Project.open(book)).statuses["start/alone/image"]
    assert status.state == "frozen"
    assert any("characters.hare.description changed" in r for r in status.reasons)
    assert "start/alone/image" not in build(book)
    assert "start/alone/image" in build(book, refresh=("start/alone",))


def test_the_lineup_shows_each_character_and_every_picture_it_is_in(book: Path) -> None:
    build(book)
    lineup = cast_lineup(Project.open(book))
    hare, tortoise = lineup.member("hare"), lineup.member("tortoise")
    assert hare.reference == "file" and hare.files == ("art/hare.png",)
    assert [a.key for a in hare.appearances] == ["start/line", "start/alone"]
    assert tortoise.reference == "sheet" and tortoise.state == "pinned"
    assert tortoise.digests and tortoise.sheet_step == "cast/tortoise/image"
    assert [a.key for a in tortoise.appearances] == ["start/line", "nap/passing"]
    assert all(a.digest for a in tortoise.appearances)
    assert json.dumps(lineup.to_json())


def test_change_forecast_says_what_repainting_one_character_reruns(book: Path) -> None:
    build(book)
    change = change_forecast(Project.open(book), "hare")
    assert sorted(change.steps) == ["start/alone/image", "start/line/image"]
    assert change.chat_steps == () and change.calls == 2


def test_the_noop_fast_path_steps_aside_when_a_reference_picture_changes(tmp_path: Path) -> None:
    from tests.build.test_noop_stamp import rewrite, run_make
    from tests.conftest import copy_sample

    book = copy_sample("lighthouse-fox", tmp_path)
    assert run_make(book, "--draft", "--format", "html")[0] == "full"
    assert run_make(book, "--draft", "--format", "html")[0] == "fast"
    rewrite(book / "art" / "fox.png")
    assert run_make(book, "--draft", "--format", "html")[0] == "full"


def test_each_picture_request_carries_its_characters_and_their_references(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bookbuild.providers.base import ImageRequest, ImageResult
    from bookbuild.providers.offline.provider import OfflineProvider

    seen: dict[str, ImageRequest] = {}
    original = OfflineProvider.run_image

    def spy(self: OfflineProvider, request: ImageRequest) -> ImageResult:
        seen[request.step_id] = request
        return original(self, request)

    monkeypatch.setattr(OfflineProvider, "run_image", spy)
    build(book)
    project = Project.open(book)
    sheet = project.store.get(project.load_lock().entries["cast/tortoise/image"].digest)
    line = seen["start/line/image"]
    assert [(c.id, c.name, c.description) for c in line.characters] == [
        ("hare", "Hazel", HARE),
        ("tortoise", "Tom", TORTOISE),
    ]
    hare, tortoise = line.characters
    assert len(hare.images) == 1 and hare.images[0].startswith(b"\x89PNG")  # art/hare.png
    assert tortoise.images == (sheet,)  # the sheet's picture
    assert len(line.style_images) == 1
    assert [c.id for c in seen["start/alone/image"].characters] == ["hare"]
    assert seen["nap/oak/image"].characters == ()
    assert seen["cast/tortoise/image"].characters[0].images == ()  # a sheet has no reference


def test_change_forecast_of_a_typed_description_is_checked_and_writes_nothing(
    book: Path,
) -> None:
    from bookbuild.errors import ConfigError
    from bookbuild.reports.cast import described

    build(book)
    before = (book / "book.yaml").read_bytes()
    project = Project.open(book)
    change = change_forecast(project, "tortoise", "a young tortoise with a yellow shell")
    assert sorted(change.steps) == ["cast/tortoise/image", "nap/passing/image", "start/line/image"]
    assert change.free == "local" and change.pending == 0  # the offline back end, built
    assert change.pictures == ("cast/tortoise", "start/line", "nap/passing")
    assert change.to_json()["pictures"] == list(change.pictures)
    assert change_forecast(project, "tortoise", TORTOISE).steps == ()  # the same words: nothing
    assert (book / "book.yaml").read_bytes() == before
    with pytest.raises(ConfigError, match="cannot be empty"):
        change_forecast(project, "hare", "  ")
    with pytest.raises(ConfigError, match="no character 'owl'"):
        change_forecast(project, "owl", "a grey owl")
    text = described(project, "hare", 'a hare "Hazel": in a blue scarf')
    changed = [
        (a, b)
        for a, b in zip(before.decode().splitlines(), text.splitlines(), strict=True)
        if a != b
    ]
    assert [a.strip() for a, _ in changed] == [f'description: "{HARE}"']  # one line, the rest kept
    new = yaml.safe_load(text)["characters"]["hare"]["description"]
    assert new == 'a hare "Hazel": in a blue scarf'
