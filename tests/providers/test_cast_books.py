"""Issue 17, the back ends' side: the two-character book of the cast tests (the hare with her
own picture, the tortoise with a generated character sheet, an art style) built through `make`
with each back end against its fake. Every picture sends exactly the references of the
characters it shows — the hare's file, the tortoise's sheet as it was drawn — and no other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.media.images import decode_image, encode_png
from bookbuild.project import Project
from bookbuild.providers.references import digest
from bookbuild.reports.inspect_plan import plan_report
from tests.fakes.a1111_server import FakeA1111
from tests.fakes.comfyui_server import FakeComfyUI
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sdapi_server import FakeSDAPI
from tests.fakes.stability_server import FakeStability
from tests.helpers.cast_books import CAST_BOOK, write_cast_book

OFFLINE_PAINTER = "painter: {provider: offline, width: 320, height: 256}"
IMAGE_STEPS = (
    "cast/tortoise/image",
    "start/line/image",
    "start/alone/image",
    "nap/oak/image",
    "nap/passing/image",
)
Served = Callable[[], Any]


@contextmanager
def sdapi() -> Iterator[tuple[str, dict[str, str]]]:
    with FakeSDAPI() as fake:
        yield "{provider: sdapi, api: v6, model: sd-1.5, width: 256, height: 192}", fake.env


@contextmanager
def a1111() -> Iterator[tuple[str, dict[str, str]]]:
    with FakeA1111() as fake:
        yield "{provider: a1111, width: 128, height: 96, steps: 4}", fake.env


@contextmanager
def comfyui() -> Iterator[tuple[str, dict[str, str]]]:
    with FakeComfyUI() as fake:
        preset = (
            "{provider: comfyui, checkpoint: v1-5-pruned-emaonly.safetensors, width: 128, "
            "height: 96, poll_interval: 0.01}"
        )
        yield preset, {"COMFYUI_BASE_URL": fake.base_url}


@contextmanager
def openai() -> Iterator[tuple[str, dict[str, str]]]:
    with FakeOpenAI(api_key="sk-cast") as fake:
        preset = "{provider: openai, model: gpt-image-1.5, width: 256, height: 192, quality: low}"
        yield preset, {"OPENAI_API_KEY": "sk-cast", "OPENAI_BASE_URL": fake.base_url}


@contextmanager
def stability() -> Iterator[tuple[str, dict[str, str]]]:
    with FakeStability() as fake:
        yield "{provider: stability, model: core, width: 256, height: 192}", fake.env


BACK_ENDS = {"sdapi": sdapi, "a1111": a1111, "comfyui": comfyui, "openai": openai}


def built(tmp_path: Path, back_end: Any) -> tuple[Path, Project]:
    with back_end() as (preset, env):
        spec = CAST_BOOK.replace(OFFLINE_PAINTER, f"painter: {preset}")
        book = write_cast_book(tmp_path / "book", spec)
        make(Project.open(book, env=env), MakeOptions(formats=("html",), jobs=1))
        return book, Project.open(book, env=env)


def stored(project: Project, step: str) -> tuple[bytes, dict[str, Any]]:
    entry = project.load_lock().entries[step]
    record = project.store.lookup(entry.key)
    assert record is not None, step
    return project.store.get(entry.digest), dict(record.metadata)


def expected_digests(book: Path, project: Project) -> dict[str, str]:
    """What each reference is: the hare's file as sent (PNG), the tortoise's sheet as drawn."""
    hare = encode_png(decode_image((book / "art" / "hare.png").read_bytes()))
    style = encode_png(decode_image((book / "art" / "style.png").read_bytes()))
    sheet, _ = stored(project, "cast/tortoise/image")
    return {"hare": digest(hare), "tortoise": digest(sheet), "style.art": digest(style)}


@pytest.mark.parametrize("name", sorted(BACK_ENDS))
def test_every_picture_sends_exactly_the_references_of_its_characters(
    tmp_path: Path, name: str
) -> None:
    book, project = built(tmp_path, BACK_ENDS[name])
    digests = expected_digests(book, project)
    statuses = plan_report(project).statuses
    shown: dict[str, list[str]] = {}
    for step in IMAGE_STEPS:
        _, meta = stored(project, step)
        shown[step] = [c.id for c in statuses[step].step.cast]
        sent = [r for r in meta.get("references", []) if r["character"] != "style.art"]
        with_pictures = [c for c in shown[step] if step != f"cast/{c}/image"]
        assert [r["character"] for r in sent] == with_pictures, step
        for entry in sent:
            assert entry["images"] == [digests[entry["character"]]], (step, entry)
    assert shown["start/alone/image"] == ["hare"]
    assert shown["nap/passing/image"] == ["tortoise"]
    assert shown["nap/oak/image"] == []
    assert shown["start/line/image"] == ["hare", "tortoise"]


def test_openai_sends_the_art_styles_picture_with_every_drawing(tmp_path: Path) -> None:
    book, project = built(tmp_path, openai)
    style = expected_digests(book, project)["style.art"]
    for step in IMAGE_STEPS:
        _, meta = stored(project, step)
        assert meta["references"][-1] == {
            "character": "style.art",
            "via": "image[]",
            "images": [style],
        }, step


def test_stability_draws_the_cast_from_descriptions_and_the_style_from_its_picture(
    tmp_path: Path,
) -> None:
    book, project = built(tmp_path, stability)
    style = expected_digests(book, project)["style.art"]
    _, line = stored(project, "start/line/image")
    assert line["endpoint"].endswith("/control/style")
    assert line["references"] == [
        {"character": "style.art", "via": "control/style image", "images": [style]}
    ]
    assert line["reference_notes"] == [
        "hare: no character reference on Stability; drawn from its description only",
        "tortoise: no character reference on Stability; drawn from its description only",
    ]
    _, oak = stored(project, "nap/oak/image")
    assert "reference_notes" not in oak  # nobody to say anything about
