"""Issue 8, item 10: sdapi requests match the documented shapes (checked against ModelsLab's
docs and official SDKs): inpaint `steps`, ControlNet's model, sizes, legacy upload size."""

from __future__ import annotations

import random
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image

from bookbuild.providers.base import ImageRequest
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_drawing import mask_png, png
from tests.fakes.sdapi_server import DictJournal, FakeClock, FakeSDAPI, fake_sdapi
from tests.helpers.spec_books import issues_of, write_book

__all__ = ["fake_sdapi"]


def provider(fake: FakeSDAPI, **fields: Any) -> SDAPIProvider:
    made = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": fake.key})
    clock = FakeClock()
    made.sleep, made.clock = clock.sleep, clock
    return made


def test_inpaint_sends_steps_as_the_docs_name_it(fake_sdapi: FakeSDAPI) -> None:
    request = ImageRequest(
        step_id="a/b/edit-1",
        op="inpaint",
        prompt="a sun",
        image=png(),
        mask=mask_png((128, 96), (0, 0, 63, 95)),
    )
    result = provider(fake_sdapi, api="v4", model="m", steps=12).run_image(request)
    body = fake_sdapi.submits[0].body
    assert body["steps"] == 12 and body["num_inference_steps"] == 12
    assert result.metadata["steps"] == 12  # the service used what was asked


def test_legacy_uploads_over_5_mb_are_re_encoded_to_fit(fake_sdapi: FakeSDAPI) -> None:
    noise = random.Random(1).randbytes(1400 * 1400 * 3)
    buffer = BytesIO()
    Image.frombytes("RGB", (1400, 1400), noise).save(buffer, "PNG")
    assert buffer.tell() > 5 * 1024 * 1024
    request = ImageRequest(step_id="a/b/edit-1", op="upscale", image=buffer.getvalue())
    result = provider(fake_sdapi, api="v3").run_image(request)
    (upload,) = fake_sdapi.of("upload")
    assert upload.body["image"].startswith("data:image/jpeg;base64,")
    assert result.png.startswith(b"\x89PNG")


BOOK = """\
title: T
language: en
models:
  painter: {{provider: sdapi{fields}}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    file: one.md
    illustrations:
      - id: a
        prompt: "a hill"
{extra}"""


def test_controlnet_on_a_preset_without_a_community_model_is_a_validate_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "one.md").write_text("One.\n", encoding="utf-8")
    (tmp_path / "ref.png").write_bytes(png())
    extra = "        controlnet: {image: ref.png, type: canny}\n"
    spec = write_book(tmp_path, BOOK.format(fields="", extra=extra))
    (issue,) = issues_of(spec)
    assert "ControlNet needs a community model" in issue.message and issue.line == 11


def test_sides_over_1024_are_a_validate_error(tmp_path: Path) -> None:
    (tmp_path / "one.md").write_text("One.\n", encoding="utf-8")
    spec = write_book(tmp_path, BOOK.format(fields=", width: 1536, height: 768", extra=""))
    (issue,) = issues_of(spec)
    assert issue.line == 4 and "`width: 1536`" in issue.message and "use 1024" in issue.message


def test_an_inpaint_of_a_picture_over_1024_px_is_sent_scaled_and_comes_back_exact(
    fake_sdapi: FakeSDAPI,
) -> None:
    base = png((1536, 1020), (30, 120, 200))
    box = (0, 0, 767, 1019)  # repaint the left half
    request = ImageRequest(
        step_id="a/b/edit-2",
        op="inpaint",
        prompt="a sun",
        image=base,
        mask=mask_png((1536, 1020), box),
    )
    result = provider(fake_sdapi, api="v4", model="m").run_image(request)
    body = fake_sdapi.submits[0].body
    assert (body["width"], body["height"]) == (1024, 680)  # within 1024, multiples of 8
    out = Image.open(BytesIO(result.png)).convert("RGB")
    assert out.size == (1536, 1020) and result.metadata["sent_size"] == [1024, 680]
    assert out.getpixel((1200, 500)) == (30, 120, 200)  # outside the mask: the original, exact
    assert out.getpixel((300, 500)) != (30, 120, 200)  # inside: repainted


def test_realtime_asks_for_an_instant_answer_and_journals_the_job_at_once(
    fake_sdapi: FakeSDAPI,
) -> None:
    journal = DictJournal()
    request = ImageRequest(step_id="a/b/image", op="txt2img", prompt="a hill", journal=journal)
    provider(fake_sdapi).run_image(request)  # no model: the realtime endpoint
    (submit,) = fake_sdapi.submits
    assert submit.path == "/api/v6/realtime/text2img" and submit.body["instant_response"] is True
    queued = journal.remembered[0]
    assert queued["id"] and queued["answer"] == {}  # recorded before any wait
    assert fake_sdapi.count("fetch") == 1
