"""The test harness itself: the tiny pipeline loads offline from its folder and diffusers'
txt2img, img2img and inpaint pipelines give the same pixels for the same seed (and other pixels
for another seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.helpers.tiny_diffusers import IMAGE_SIZE


def _pixels(pipe: Any, seed: int, **kwargs: Any) -> np.ndarray:
    import torch

    generator = torch.Generator("cpu").manual_seed(seed)
    result = pipe(
        prompt="a fox by a lighthouse",
        num_inference_steps=2,
        generator=generator,
        output_type="np",
        **kwargs,
    )
    return np.asarray(result.images[0])


@pytest.fixture(scope="module")
def text2image(tiny_model: Path, monkeypatch_module: pytest.MonkeyPatch) -> Any:
    from diffusers import AutoPipelineForText2Image

    monkeypatch_module.setenv("HF_HUB_OFFLINE", "1")
    return AutoPipelineForText2Image.from_pretrained(str(tiny_model), local_files_only=True)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _picture() -> Image.Image:
    ramp = np.linspace(0, 255, IMAGE_SIZE, dtype=np.uint8)
    rgb = np.stack([np.tile(ramp, (IMAGE_SIZE, 1))] * 3, axis=-1)
    return Image.fromarray(rgb, "RGB")


def test_txt2img_same_seed_same_pixels_other_seed_other_pixels(text2image: Any) -> None:
    size = {"width": IMAGE_SIZE, "height": IMAGE_SIZE}
    first = _pixels(text2image, 7, **size)
    assert first.shape == (IMAGE_SIZE, IMAGE_SIZE, 3)
    assert np.array_equal(first, _pixels(text2image, 7, **size))
    assert not np.array_equal(first, _pixels(text2image, 8, **size))


def test_img2img_is_deterministic_for_a_seed(text2image: Any) -> None:
    from diffusers import AutoPipelineForImage2Image

    pipe = AutoPipelineForImage2Image.from_pipe(text2image)
    args = {"image": _picture(), "strength": 0.6}
    assert np.array_equal(_pixels(pipe, 3, **args), _pixels(pipe, 3, **args))
    assert not np.array_equal(_pixels(pipe, 3, **args), _pixels(pipe, 4, **args))


def test_inpaint_is_deterministic_for_a_seed(text2image: Any) -> None:
    from diffusers import AutoPipelineForInpainting

    pipe = AutoPipelineForInpainting.from_pipe(text2image)
    mask = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
    mask.paste(255, (IMAGE_SIZE // 2, 0, IMAGE_SIZE, IMAGE_SIZE))
    args = {"image": _picture(), "mask_image": mask, "strength": 0.9}
    first = _pixels(pipe, 5, **args)
    assert np.array_equal(first, _pixels(pipe, 5, **args))
    assert not np.array_equal(first, _pixels(pipe, 6, **args))
