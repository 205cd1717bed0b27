"""Issue 23, item 3: the picture steps of a GPT image preset with `batch: true` go through the
OpenAI Batch API (one JSONL upload per batch: /v1/images/generations, and /v1/images/edits with
the pictures and masks as base64 data URLs in the JSON body), each paid once at half price,
wave after wave as their inputs arrive, and come out exactly as the same steps made directly."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from bookbuild.build.make import MakeOptions, MakeSummary, make
from bookbuild.project import Project
from bookbuild.providers.openai import batches
from bookbuild.reports.inspect_plan import plan_report
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers.provider_books import output, record, write_book

from .test_openai_images_book import SPEC, STEPS

KEY = "sk-openai-images-test"
BATCHED = SPEC.replace("quality: low}", "quality: low, batch: true}")
FIRST_WAVE = ["shore/fox/image", "shore/outline/image", "shore/sketch/image"]


@pytest.fixture
def service() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as fake:
        yield fake


def build(book: Path, fake: FakeOpenAI, **options: object) -> MakeSummary:
    opts = MakeOptions(formats=("html",), jobs=2, batch_poll=0.01, **options)  # type: ignore[arg-type]
    return make(
        Project.open(book, env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}), opts
    )


def new_book(folder: Path, spec: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_book(folder, spec)


def direct_image_calls(fake: FakeOpenAI) -> int:
    """Images API calls sent by the client itself (a batch's requests carry no headers)."""
    return sum(1 for r in fake.image_requests if r.headers)


def test_picture_steps_go_in_batches_wave_after_wave_each_paid_once(
    tmp_path: Path, service: FakeOpenAI
) -> None:
    assert BATCHED != SPEC
    book = new_book(tmp_path / "batched", BATCHED)
    first = build(book, service)
    assert sorted(first.pending) == FIRST_WAVE and len(first.deferred) == 5
    assert not first.rendered and direct_image_calls(service) == 0
    endpoints = sorted(b.endpoint for b in service.batch.batches.values())
    assert endpoints == ["/v1/images/edits", "/v1/images/generations"]  # one batch each
    assert len(service.batch.uploads) == 2
    second = build(book, service, wait=True)
    assert second.rendered and not second.pending
    assert direct_image_calls(service) == 0 and not service.edit_forms
    assert Counter(service.batch.answered) == Counter(STEPS)  # every picture paid once
    assert {b.status for b in service.batch.batches.values()} == {"completed"}
    assert len(service.batch.uploads) == len(service.batch.batches)
    assert build(book, service).called == []


def test_a_batched_picture_is_the_directly_made_one_at_half_the_cost(
    tmp_path: Path, service: FakeOpenAI
) -> None:
    batched = new_book(tmp_path / "batched", BATCHED)
    direct = new_book(tmp_path / "direct", SPEC)
    build(batched, service, wait=True)
    build(direct, service)
    for step in STEPS:
        assert output(batched, step).tobytes() == output(direct, step).tobytes(), step
        made, paid = record(batched, step).metadata, record(direct, step).metadata
        assert made["cost"] == pytest.approx(paid["cost"] * batches.BATCH_DISCOUNT, abs=1e-8)
        assert made["batch"].startswith("batch_") and "batch" not in paid
        assert made["usage"] == paid["usage"]


def test_an_edit_line_carries_its_picture_and_openai_mask_as_data_urls(
    tmp_path: Path, service: FakeOpenAI
) -> None:
    book = new_book(tmp_path, BATCHED)
    build(book, service, wait=True)
    lines = [
        line
        for b in service.batch.batches.values()
        for line in b.lines
        if line["custom_id"] == "shore/fox/edit-1"
    ]
    assert len(lines) == 1 and lines[0]["url"] == "/v1/images/edits"
    body = lines[0]["body"]
    assert "a red scarf" in body["prompt"] and body["model"] == "gpt-image-1.5"
    picture = _decoded(body["images"][0]["image_url"])
    mask = _decoded(body["mask"]["image_url"])
    assert mask.mode == "RGBA" and mask.size == picture.size == (512, 384)
    assert mask.getpixel((120, 100))[3] == 0 and mask.getpixel((400, 300))[3] == 255
    assert picture.tobytes() == output(book, "shore/fox/image").tobytes()
    json.dumps(body)  # a JSONL line: nothing but JSON


def test_plan_prices_batched_pictures_at_half(tmp_path: Path) -> None:
    full = plan_report(Project.open(new_book(tmp_path / "a", SPEC))).to_json()
    half = plan_report(Project.open(new_book(tmp_path / "b", BATCHED))).to_json()
    wanted = full["estimated_cost_usd"]["openai"] * batches.BATCH_DISCOUNT
    assert full["estimated_cost_usd"]["openai"] > 0
    assert half["estimated_cost_usd"]["openai"] == pytest.approx(wanted)


def test_a_picture_the_batch_refused_fails_with_the_servers_message_and_is_sent_again(
    tmp_path: Path, service: FakeOpenAI
) -> None:
    from bookbuild.errors import BuildFailed

    book = new_book(tmp_path, BATCHED)
    service.batch.failing["shore/sketch/image"] = (400, "moderation_blocked", "rejected by safety")
    with pytest.raises(BuildFailed, match="rejected by safety"):
        build(book, service, wait=True)
    del service.batch.failing["shore/sketch/image"]
    assert build(book, service, wait=True).rendered
    assert Counter(service.batch.answered) == Counter(STEPS)  # the refused one was not billed


def _decoded(url: str) -> Image.Image:
    head, _, data = url.partition(",")
    assert head == "data:image/png;base64"
    return Image.open(BytesIO(base64.b64decode(data)))
