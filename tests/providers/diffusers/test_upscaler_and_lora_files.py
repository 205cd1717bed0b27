"""Issue 19, item 9: the x4 upscaler runs with its own settings (StableDiffusionUpscalePipeline's
defaults: 75 steps, guidance 9.0, noise_level 20), not the preset's generation ones; a LoRA is
loaded from safetensors only (left to itself, diffusers falls back to a pickled .bin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.diffusers.provider import DiffusersProvider
from bookbuild.providers.registry import make_preset
from tests.helpers.tiny_diffusers import IMAGE_SIZE

pytest.importorskip("diffusers")


def _provider(model: Path, **fields: Any) -> DiffusersProvider:
    preset = make_preset(provider="diffusers", model=str(model), device="cpu", **fields)
    made = DiffusersProvider(preset, {"HF_HUB_OFFLINE": "1"})  # type: ignore[arg-type]
    made.check_ready()
    return made


def _request(op: str, **fields: Any) -> ImageRequest:
    base: dict[str, Any] = {"op": op, "prompt": "a fox", "width": IMAGE_SIZE}
    base.update(height=IMAGE_SIZE, seed=3, step_id=f"one/fox/{op}")
    return ImageRequest(**{**base, **fields})


def test_the_x4_upscaler_runs_with_its_own_defaults_not_the_generation_ones(
    tiny_model: Path, tiny_upscaler: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diffusers import StableDiffusionUpscalePipeline

    seen: list[dict[str, Any]] = []
    real = StableDiffusionUpscalePipeline.__call__

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionUpscalePipeline, "__call__", recording)
    made = _provider(tiny_model, steps=2, guidance=3.0, upscale_model=str(tiny_upscaler))
    try:
        small = encode_png(decode_image(made.run_image(_request("txt2img")).png).resize((8, 8)))
        result = made.run_image(_request("upscale", image=small, params={"scale": 2}))
    finally:
        made.close()
    assert len(seen) == 1
    call = seen[0]
    assert (call["num_inference_steps"], call["guidance_scale"], call["noise_level"]) == (
        75,
        9.0,
        20,
    )
    assert (result.metadata["steps"], result.metadata["guidance"]) == (75, 9.0)
    assert result.metadata["noise_level"] == 20
    assert decode_image(result.png).size == (16, 16)


def test_a_lora_folder_with_only_pickled_weights_is_refused(
    tiny_model: Path, tiny_lora: Path, tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import load_file

    pickled = tmp_path / "pickled-lora"
    pickled.mkdir()
    torch.save(load_file(str(tiny_lora)), pickled / "pytorch_lora_weights.bin")
    made = _provider(tiny_model, steps=2, lora={"model": str(pickled), "strength": 0.8})
    try:
        with pytest.raises(ProviderError) as refused:
            made.run_image(_request("txt2img"))
    finally:
        made.close()
    message = str(refused.value)
    assert "no .safetensors" in message and "pytorch_lora_weights.bin" in message


def test_a_lora_folder_with_safetensors_still_loads(tiny_model: Path, tiny_lora: Path) -> None:
    made = _provider(tiny_model, steps=2, lora={"model": str(tiny_lora.parent), "strength": 0.8})
    try:
        result = made.run_image(_request("txt2img"))
    finally:
        made.close()
    assert decode_image(result.png).size == (IMAGE_SIZE, IMAGE_SIZE)
