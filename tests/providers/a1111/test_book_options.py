"""Preset options of `provider: a1111` reach the web UI, and change the step keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.errors import BuildFailed
from bookbuild.project import load_spec
from tests.fakes.a1111_server import FakeA1111
from tests.helpers.spec_books import only_issue

from .book_helpers import build, result, write_book

PAINTER = (
    "{provider: a1111, model: 'sd_xl_base_1.0.safetensors', sampler: Euler a, scheduler: Karras, "
    "steps: 12, guidance: 5.5, width: 128, height: 96, negative_prompt: blurry, "
    "lora: [{model: watercolor-style, strength: 0.6}], inpainting_fill: latent noise, "
    "inpaint_full_res: false, inpaint_full_res_padding: 0, mask_blur: 0, upscaler: Lanczos}"
)
EDITED = """\
      - id: dawn
        prompt: "a lighthouse at dawn"
        seed: 3
        edits:
          - inpaint: {mask: {ellipse: [0.1, 0.1, 0.5, 0.5]}, prompt: "a gull"}
"""
CUT_OUT = """\
      - id: fox
        prompt: "a red fox"
        seed: 4
        edits:
          - remove_background: {}
"""


def test_generation_options_are_sent_and_what_the_server_used_is_recorded(
    tmp_path: Path,
) -> None:
    book = write_book(tmp_path, EDITED, PAINTER)
    with FakeA1111() as fake:
        build(book, fake.env)
        txt = fake.of("/sdapi/v1/txt2img")[0].body
        inpaint = fake.of("/sdapi/v1/img2img")[0].body
    assert txt["prompt"] == "a lighthouse at dawn <lora:watercolor-style:0.6>"
    assert (txt["sampler_name"], txt["scheduler"], txt["steps"], txt["cfg_scale"]) == (
        "Euler a",
        "Karras",
        12,
        5.5,
    )
    assert txt["negative_prompt"] == "blurry"
    assert txt["override_settings"]["sd_model_checkpoint"].startswith("sd_xl_base_1.0")
    assert (inpaint["inpainting_fill"], inpaint["inpaint_full_res"], inpaint["mask_blur"]) == (
        2,
        False,
        0,
    )
    _, meta = result(book, "shore/dawn/image")
    assert (meta["sampler"], meta["scheduler"], meta["steps"], meta["cfg_scale"]) == (
        "Euler a",
        "Karras",
        12,
        5.5,
    )
    assert meta["lora_hashes"].startswith("watercolor-style")
    assert meta["checkpoint"] == "sd_xl_base_1.0"


def test_changing_an_option_reruns_the_presets_steps_once(tmp_path: Path) -> None:
    book = write_book(tmp_path, EDITED, PAINTER)
    with FakeA1111() as fake:
        build(book, fake.env)
        spec = book / "book.yaml"
        spec.write_text(spec.read_text().replace("mask_blur: 0", "mask_blur: 8"))
        changed = sorted(build(book, fake.env).called)
        again = build(book, fake.env).called
        blur = fake.of("/sdapi/v1/img2img")[-1].body["mask_blur"]
    assert changed == ["shore/dawn/edit-1", "shore/dawn/image"]
    assert again == [] and blur == 8


def test_remove_background_through_the_rembg_extension(tmp_path: Path) -> None:
    painter = "{provider: a1111, width: 128, height: 96, rembg: isnet-general-use}"
    book = write_book(tmp_path, CUT_OUT, painter)
    with FakeA1111(rembg=True) as fake:
        build(book, fake.env)
        body = fake.of("/rembg")[0].body
        assert build(book, fake.env).called == []
    picture, meta = result(book, "shore/fox/edit-1")
    assert body["model"] == "isnet-general-use"
    assert picture.mode == "RGBA" and meta["rembg_model"] == "isnet-general-use"


def test_rembg_set_but_the_extension_missing_is_a_clear_error(tmp_path: Path) -> None:
    painter = "{provider: a1111, width: 128, height: 96, rembg: u2net}"
    with FakeA1111(rembg=False) as fake, pytest.raises(BuildFailed) as failed:
        build(write_book(tmp_path, CUT_OUT, painter), fake.env)
    assert "no rembg extension" in str(failed.value)
    assert "stable-diffusion-webui-rembg" in str(failed.value)


def test_unknown_option_is_a_spec_error_with_a_suggestion(tmp_path: Path) -> None:
    book = write_book(tmp_path, EDITED, "{provider: a1111, samplr: Euler}")
    issue = only_issue(book / "book.yaml")
    assert (issue.line, issue.col) == (5, 30)
    assert "samplr" in issue.message and "sampler" in issue.message


def test_remove_background_is_accepted_with_rembg(tmp_path: Path) -> None:
    book = write_book(tmp_path, CUT_OUT, "{provider: a1111, rembg: u2net}")
    assert load_spec(book / "book.yaml").book.models["painter"].provider == "a1111"
