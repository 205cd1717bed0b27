"""Each op of `provider: a1111` in a whole book against the fake web UI, then a rebuild that
calls nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.a1111_drawing import colour_of
from tests.fakes.a1111_server import FakeA1111

from .book_helpers import ILLUSTRATIONS, build, result, write_book

DREAMSHAPER = "dreamshaper_8.safetensors ["


def test_every_op_runs_end_to_end_and_a_rebuild_calls_nothing(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        first = build(book, fake.env)
        generations = len(fake.generations)
        again = build(book, fake.env)
        assert again.called == [] and len(fake.generations) == generations
        assert fake.count("/sdapi/v1/options") == 0  # the global model was never changed
        assert fake.max_in_flight == 1
    assert sorted(first.called) == [
        "shore/dawn/edit-1",
        "shore/dawn/edit-2",
        "shore/dawn/edit-3",
        "shore/dawn/image",
        "shore/lines/image",
        "shore/sketch/image",
    ]
    assert generations == 6


def test_txt2img_sends_the_checkpoint_per_request_and_records_the_seed(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        build(book, fake.env)
        body = next(r.body for r in fake.of("/sdapi/v1/txt2img") if "dawn" in r.body["prompt"])
    assert body["override_settings"]["sd_model_checkpoint"].startswith(DREAMSHAPER)
    assert body["override_settings_restore_afterwards"] is True
    assert (body["seed"], body["steps"], body["width"], body["height"]) == (11, 20, 128, 96)
    picture, meta = result(book, "shore/dawn/image")
    title = body["override_settings"]["sd_model_checkpoint"]
    assert picture.getpixel((5, 5))[:3] == colour_of("a lighthouse at dawn", 11, title)
    assert (meta["seed"], meta["checkpoint"], meta["provider"]) == (11, "dreamshaper_8", "a1111")
    assert "Seed: 11" in meta["infotext"]


def test_inpaint_repaints_only_the_masked_half(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        build(book, fake.env)
        inpaint = next(
            r.body for r in fake.of("/sdapi/v1/img2img") if r.body["prompt"] == "a red sun"
        )
    base, _ = result(book, "shore/dawn/image")
    edited, meta = result(book, "shore/dawn/edit-1")
    assert edited.getpixel((10, 50)) == base.getpixel((10, 50))  # left half kept
    assert edited.getpixel((120, 50)) != base.getpixel((120, 50))  # right half repainted
    assert inpaint["inpainting_fill"] == 1 and inpaint["inpaint_full_res"] is True
    assert inpaint["inpaint_full_res_padding"] == 32
    assert meta["seed"] == 11


def test_outpaint_grows_the_canvas_and_keeps_the_picture(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        build(book, fake.env)
    before, _ = result(book, "shore/dawn/edit-1")
    after, meta = result(book, "shore/dawn/edit-2")
    assert after.size == (160, 96)
    assert after.getpixel((32 + 100, 50)) == before.getpixel((100, 50))
    assert meta["outpaint_via"] == "inpaint"


def test_upscale_uses_the_named_upscaler(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        build(book, fake.env)
        body = fake.of("/sdapi/v1/extra-single-image")[0].body
    picture, meta = result(book, "shore/dawn/edit-3")
    assert picture.size == (320, 192)
    assert (body["upscaler_1"], body["upscaling_resize"]) == ("R-ESRGAN 4x+", 2)
    assert meta["upscaler"] == "R-ESRGAN 4x+"


def test_img2img_sends_the_init_image_and_strength(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        build(book, fake.env)
        body = next(
            r.body for r in fake.of("/sdapi/v1/img2img") if "watercolor" in r.body["prompt"]
        )
    assert body["denoising_strength"] == 0.5 and len(body["init_images"]) == 1
    assert "mask" not in body
    picture, _ = result(book, "shore/sketch/image")
    assert picture.getpixel((64, 48)) != (30, 90, 200)  # moved away from the sketch


def test_controlnet_sends_the_extension_unit_and_the_lines_show(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        build(book, fake.env)
        body = next(r.body for r in fake.of("/sdapi/v1/txt2img") if "cliff" in r.body["prompt"])
    unit = body["alwayson_scripts"]["controlnet"]["args"][0]
    assert (unit["module"], unit["model"]) == ("canny", "control_v11p_sd15_canny [d14c016b]")
    assert unit["enabled"] is True and unit["weight"] == 0.8
    picture, meta = result(book, "shore/lines/image")
    assert picture.getpixel((64, 48)) != picture.getpixel((10, 48))  # the bar is drawn
    assert json.dumps(meta)  # recorded
    assert meta["controlnet_model"] == unit["model"]


def test_an_upscale_is_exactly_the_scale_although_the_web_ui_floors_to_multiples_of_8(
    tmp_path: Path,
) -> None:
    """Issue 19, item 9: x2 of a 130 px wide picture (an outpaint of 2 px) is 260 px; the web
    UI answers 256."""
    spec = """\
      - id: dawn
        prompt: "a lighthouse at dawn"
        seed: 11
        edits:
          - outpaint: {left: 2}
          - upscale: {scale: 2}
"""
    book = write_book(tmp_path, spec)
    with FakeA1111() as fake:
        build(book, fake.env)
    before, _ = result(book, "shore/dawn/edit-1")
    picture, meta = result(book, "shore/dawn/edit-2")
    assert before.size == (130, 96)
    assert picture.size == (260, 192) and meta["server_size"] == [256, 192]
