"""A whole book drawn by `provider: openai` image presets against the fake OpenAI server on
127.0.0.1, through the real `openai` SDK: every image op once, masks converted to OpenAI's
convention and the author's pixels kept, then a rebuild with zero calls."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from bookbuild.errors import BuildFailed
from bookbuild.project import Project
from bookbuild.reports.inspect_plan import plan_report
from tests.fakes.multipart import parse_form
from tests.fakes.openai_server import FakeOpenAI, error, rate_limited
from tests.fakes.sdapi_drawing import prompt_colour
from tests.helpers.provider_books import build as built
from tests.helpers.provider_books import is_pinned, output, record, write_book

KEY = "sk-openai-images-test"
SPEC = """\
title: The Lighthouse Fox
language: en
models:
  painter: {provider: openai, model: gpt-image-1.5, width: 512, height: 384, quality: low}
defaults: {image: painter}
chapters:
  - id: shore
    title: The shore
    text: "A fox lived by the lighthouse."
    illustrations:
      - id: fox
        prompt: "a fox on a rock by the sea"
        edits:
          - inpaint: {mask: {rect: [0.1, 0.1, 0.4, 0.5]}, prompt: "a red scarf"}
          - erase: {mask: {rect: [0.6, 0.6, 0.9, 0.9]}}
          - replace: {search: "the scarf", prompt: "a blue ribbon"}
          - outpaint: {left: 64, down: 32}
          - remove_background: {}
      - id: sketch
        prompt: "a lighthouse at dusk"
        init_image: {path: art/sketch.png, strength: 0.6}
      - id: outline
        prompt: "a fox in the snow"
        controlnet: {type: canny, image: art/sketch.png}
"""
STEPS = [
    "shore/fox/edit-1",
    "shore/fox/edit-2",
    "shore/fox/edit-3",
    "shore/fox/edit-4",
    "shore/fox/edit-5",
    "shore/fox/image",
    "shore/outline/image",
    "shore/sketch/image",
]


@pytest.fixture
def service() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path, SPEC)


def env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}


def build(book: Path, fake: FakeOpenAI, **options: object) -> list[str]:
    return built(book, env(fake), **options)


def test_every_image_op_is_one_call_and_a_rebuild_calls_nothing(
    book: Path, service: FakeOpenAI
) -> None:
    assert build(book, service) == STEPS
    paths = [r.path for r in service.image_requests]
    assert paths.count("/v1/images/generations") == 1
    assert paths.count("/v1/images/edits") == len(STEPS) - 1
    assert build(book, service) == []
    before = len(service.requests)
    assert build(book, service, locked=True) == []
    assert len(service.requests) == before


def test_edits_change_only_the_masked_region(book: Path, service: FakeOpenAI) -> None:
    build(book, service)
    base = output(book, "shore/fox/image").convert("RGB")
    assert base.size == (512, 384)
    inpainted = output(book, "shore/fox/edit-1").convert("RGB")
    assert inpainted.getpixel((120, 100)) == prompt_colour("a red scarf")
    # the fake changes every pixel a little, as GPT models do; ours are pasted back
    assert inpainted.getpixel((400, 300)) == base.getpixel((400, 300))
    grown = output(book, "shore/fox/edit-4")
    assert grown.size == (576, 416)
    assert grown.convert("RGB").getpixel((64 + 400, 100)) == (
        output(book, "shore/fox/edit-3").convert("RGB").getpixel((400, 100))
    )
    assert output(book, "shore/fox/edit-5").mode == "RGBA"


def test_masks_are_sent_transparent_where_to_edit_at_the_image_size(
    book: Path, service: FakeOpenAI
) -> None:
    build(book, service)
    raw = next(f for f in service.edit_forms if b"a red scarf" in f)
    boundary = raw.split(b"\r\n", 1)[0][2:].decode()
    form = parse_form(f"multipart/form-data; boundary={boundary}", raw)
    image_part, mask_part = form.files_named("image", "image[]")[0], form.file("mask")
    assert mask_part is not None
    image, mask = Image.open(BytesIO(image_part.data)), Image.open(BytesIO(mask_part.data))
    assert mask.mode == "RGBA" and mask.size == image.size == (512, 384)
    assert mask.getpixel((120, 100))[3] == 0  # inside the author's mask: transparent = edit
    assert mask.getpixel((400, 300))[3] == 255  # outside: opaque = keep
    generate = next(r for r in service.image_requests if r.path.endswith("generations"))
    assert generate.body["model"] == "gpt-image-1.5"
    assert generate.body["size"] == "1536x1024" and generate.body["quality"] == "low"
    assert "seed" not in generate.body and "response_format" not in generate.body


def test_usage_becomes_cost_in_the_store_and_plan_forecasts_it(
    book: Path, service: FakeOpenAI
) -> None:
    report = plan_report(Project.open(book, env=env(service))).to_json()
    assert report["calls"] == {"openai": len(STEPS)}
    assert report["estimated_cost_usd"]["openai"] > 0
    build(book, service)
    found = record(book, "shore/fox/image")
    assert found.metadata["usage"]["output_tokens"] > 0
    assert found.metadata["cost"] > 0


def test_moderation_blocked_fails_the_step_with_advice_and_stores_nothing(
    book: Path, service: FakeOpenAI
) -> None:
    service.script(
        error(400, "Your request was rejected by the safety system.", code="moderation_blocked")
    )
    with pytest.raises(BuildFailed, match="safety system") as failed:
        build(book, service)
    assert "nothing was stored" in str(failed.value)
    assert not is_pinned(book, "shore/fox/image") and is_pinned(book, "shore/sketch/image")


def test_a_rate_limit_is_waited_out_and_sent_again(book: Path, service: FakeOpenAI) -> None:
    service.script(rate_limited(retry_after_ms=10))
    assert build(book, service) == STEPS
    assert len(service.image_requests) == len(STEPS) + 1
