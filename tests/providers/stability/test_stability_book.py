"""A whole book drawn by the `stability` provider against the fake Stability service on
127.0.0.1, through the real `requests`: every op once, then a rebuild with zero calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bookbuild.errors import BuildFailed, LockedError
from tests.fakes.sdapi_drawing import prompt_colour
from tests.fakes.stability_server import FakeStability, content_moderation, filtered, running
from tests.helpers.provider_books import build as built
from tests.helpers.provider_books import is_pinned, output, record, write_book

SPEC = """\
title: The Lighthouse Fox
language: en
models:
  painter: {provider: stability, model: core, width: 512, height: 384, style_preset: digital-art}
  ultra: {provider: stability, model: ultra, width: 512, height: 384}
  creative: {provider: stability, upscaler: creative, creativity: 0.3, poll_interval: 0.01}
defaults: {image: painter}
chapters:
  - id: shore
    title: The shore
    text: "A fox lived by the lighthouse."
    illustrations:
      - id: fox
        prompt: "a fox on a rock by the sea"
        seed: 11
        edits:
          - inpaint: {mask: {rect: [0.1, 0.1, 0.4, 0.5]}, prompt: "a red scarf"}
          - erase: {mask: {rect: [0.6, 0.6, 0.9, 0.9]}}
          - replace: {search: "a red scarf", prompt: "a blue scarf"}
          - outpaint: {left: 32, right: 32}
          - upscale: {scale: 2}
          - remove_background: {}
      - id: sketch
        prompt: "a lighthouse at dusk"
        model: ultra
        init_image: {path: art/sketch.png, strength: 0.6}
      - id: outline
        prompt: "a fox in the snow"
        controlnet: {type: canny, image: art/sketch.png, strength: 0.8}
      - id: big
        prompt: "the sea at night"
        edits:
          - upscale: {scale: 2, model: creative}
"""
OPS = {
    "shore/fox/image": "core",
    "shore/fox/edit-1": "inpaint",
    "shore/fox/edit-2": "erase",
    "shore/fox/edit-3": "search-and-replace",
    "shore/fox/edit-4": "outpaint",
    "shore/fox/edit-5": "fast",
    "shore/fox/edit-6": "remove-background",
    "shore/sketch/image": "ultra",
    "shore/outline/image": "sketch",
    "shore/big/image": "core",
    "shore/big/edit-1": "creative",
}


@pytest.fixture
def service() -> Iterator[FakeStability]:
    with FakeStability() as fake:
        yield fake


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path, SPEC)


def build(book: Path, fake: FakeStability, **options: object) -> list[str]:
    return built(book, fake.env, **options)


def test_every_op_is_one_call_and_a_rebuild_calls_nothing(
    book: Path, service: FakeStability
) -> None:
    assert build(book, service) == sorted(OPS)
    assert sorted(r.route for r in service.of("submit")) == sorted(OPS.values())
    assert service.credits == 2 * 3 + 5 + 5 + 5 + 4 + 2 + 5 + 8 + 5 + 60
    assert build(book, service) == []
    before = len(service.requests)
    assert build(book, service, locked=True) == []
    assert len(service.requests) == before


def test_each_op_sends_what_the_endpoint_documents(book: Path, service: FakeStability) -> None:
    build(book, service)
    core = service.of("core")[0].fields
    assert core["aspect_ratio"] == "5:4" and core["seed"] == "11"
    assert core["style_preset"] == "digital-art" and "width" not in core
    erase = service.of("erase")[0]
    assert erase.form is not None and erase.form.file("mask") and "prompt" not in erase.fields
    replace = service.of("search-and-replace")[0]
    assert replace.fields["search_prompt"] == "a red scarf"
    assert replace.form is not None and replace.form.file("mask") is None
    outpaint = service.of("outpaint")[0].fields
    assert (outpaint["left"], outpaint["right"]) == ("32", "32") and "up" not in outpaint
    ultra = service.of("ultra")[0].fields
    assert ultra["strength"] == "0.6" and "aspect_ratio" not in ultra
    assert service.of("sketch")[0].fields["control_strength"] == "0.8"


def test_results_have_the_asked_sizes_and_the_edits_where_asked(
    book: Path, service: FakeStability
) -> None:
    build(book, service)
    assert output(book, "shore/fox/image").size == (512, 384)
    inpainted = output(book, "shore/fox/edit-1").convert("RGB")
    assert inpainted.getpixel((120, 120)) == prompt_colour("a red scarf")
    assert inpainted.getpixel((400, 100)) == prompt_colour("a fox on a rock by the sea")
    replaced = output(book, "shore/fox/edit-3").convert("RGB")
    assert replaced.getpixel((120, 120)) == prompt_colour("a blue scarf")
    assert output(book, "shore/fox/edit-4").size == (576, 384)
    assert output(book, "shore/fox/edit-5").size == (1152, 768)
    cut = output(book, "shore/fox/edit-6")
    assert cut.mode == "RGBA" and cut.size == (1152, 768)
    assert output(book, "shore/sketch/image").size == (512, 384)
    assert output(book, "shore/big/edit-1").size == (1024, 768)


def test_the_seed_used_is_recorded(book: Path, service: FakeStability) -> None:
    spec = book / "book.yaml"
    spec.write_text(SPEC.replace("        seed: 11\n", ""), encoding="utf-8")
    build(book, service)
    found = record(book, "shore/fox/image")
    assert found.metadata["seed"] == int(service.of("core")[0].fields["seed"])
    assert found.metadata["finish_reason"] == "SUCCESS"


def test_a_filtered_picture_fails_its_step_stores_nothing_and_keeps_the_rest(
    book: Path, service: FakeStability
) -> None:
    service.script("inpaint", filtered())
    with pytest.raises(BuildFailed, match="CONTENT_FILTERED"):
        build(book, service)
    assert not is_pinned(book, "shore/fox/edit-1")
    assert is_pinned(book, "shore/fox/image") and is_pinned(book, "shore/sketch/image")
    called = build(book, service)
    assert "shore/fox/edit-1" in called and "shore/fox/image" not in called


def test_a_moderated_request_reports_the_service_words(book: Path, service: FakeStability) -> None:
    service.script("ultra", content_moderation())
    with pytest.raises(BuildFailed, match="content_moderation: Your request was flagged"):
        build(book, service)


def test_a_creative_upscale_killed_while_running_resumes_the_same_job(
    book: Path, service: FakeStability
) -> None:
    spec = book / "book.yaml"
    spec.write_text(
        SPEC.replace("poll_interval: 0.01}", "poll_interval: 0.01, deadline: 0.05}"),
        encoding="utf-8",
    )
    service.script("creative", running(polls=1000))
    with pytest.raises(BuildFailed, match="still running"):
        build(book, service)
    assert service.count("creative") == 1
    spec.write_text(SPEC, encoding="utf-8")  # deadline is not part of any key
    with service._lock:
        for job in service._jobs.values():
            job.polls_left = 1
    assert build(book, service) == ["shore/big/edit-1"]
    assert service.count("creative") == 1  # polled the same job, never submitted again


def test_locked_build_with_missing_pictures_calls_nothing(
    book: Path, service: FakeStability
) -> None:
    with pytest.raises(LockedError):
        build(book, service, locked=True)
    assert service.requests == []


def test_the_key_reaches_no_file_written(book: Path, service: FakeStability) -> None:
    service.script("erase", content_moderation())
    with pytest.raises(BuildFailed) as failed:
        build(book, service)
    assert service.key not in str(failed.value)
    written = [p for p in book.rglob("*") if p.is_file()]
    assert any(".bookbuild" in p.parts for p in written)
    for path in written:
        assert service.key.encode() not in path.read_bytes(), path
