"""The answers of the fake AUTOMATIC1111 server that are more than a picture: the web UI's
own error shape (its exception middleware), the ControlNet extension's unit validation, and the
`info` object (`Processed.js()`, sent JSON-encoded) with its infotexts."""

from __future__ import annotations

from typing import Any

from PIL import Image

from . import a1111_catalog as catalog
from . import a1111_drawing as drawing


class ApiError(Exception):
    """An error answered in the web UI's own shape (its exception middleware)."""

    def __init__(self, status: int, detail: str, error: str = "HTTPException") -> None:
        super().__init__(detail)
        self.status, self.detail, self.error = status, detail, error

    def payload(self) -> dict[str, Any]:
        http = self.error == "HTTPException"
        errors = f"{self.status}: {self.detail}" if http else self.detail
        return {
            "error": self.error,
            "detail": self.detail if http else "",
            "body": "",
            "errors": errors,
        }


def decoded(encoding: str) -> Image.Image:
    try:
        return drawing.decode(encoding)
    except ValueError:
        raise ApiError(500, "Invalid encoded image") from None


def check_unit(
    unit: dict[str, Any],
    models: tuple[str, ...] = catalog.CONTROLNET_MODELS,
    modules: tuple[str, ...] = catalog.CONTROLNET_MODULES,
) -> None:
    """The ControlNet extension's unit validation (a pydantic error, answered as a 500)."""
    problems = []
    if not catalog.controlnet_model_known(str(unit.get("model", "None")), models):
        problems.append(f"model\n  model({unit.get('model')}) not found in supported models.")
    if str(unit.get("module", "none")) not in modules:
        problems.append(f"module\n  module({unit.get('module')}) not found in supported modules.")
    if not 0.0 <= float(unit.get("weight", 1.0)) <= 2.0:
        problems.append("weight\n  ensure this value is less than or equal to 2.0")
    if problems:
        message = f"{len(problems)} validation error(s) for ControlNetUnit\n" + "\n".join(problems)
        raise ApiError(500, message, "ValidationError")


def _extra_params(scheduler: str, prompt: str) -> dict[str, Any]:
    """`extra_generation_params`: the schedule type, and the hashes of the LoRAs the prompt
    names that are installed (an unknown one is ignored, as the web UI does)."""
    extra: dict[str, Any] = {"Schedule type": scheduler}
    loras = [name for name in catalog.LORAS if f"<lora:{name}:" in prompt]
    if loras:
        extra["Lora hashes"] = ", ".join(f"{n}: {n[:4]}0000" for n in loras)
    return extra


def info_of(
    params: dict[str, Any],
    seeds: list[int],
    checkpoint: catalog.Checkpoint,
    img2img: bool,
    units: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `info` object (sent JSON-encoded), after `Processed.js()`; each ControlNet unit
    applied adds its `ControlNet N` entry, as the extension writes into the infotext."""
    prompt, negative = str(params.get("prompt") or ""), str(params.get("negative_prompt") or "")
    width, height = drawing.size_of(params)
    extra = _extra_params(params["scheduler"], prompt)
    for index, unit in enumerate(units or []):
        extra[f"ControlNet {index}"] = (
            f'"Module: {unit.get("module")}, Model: {unit.get("model")}, '
            f'Weight: {unit.get("weight", 1.0)}"'
        )
    info = {
        "prompt": prompt,
        "all_prompts": [prompt] * len(seeds),
        "negative_prompt": negative,
        "all_negative_prompts": [negative] * len(seeds),
        "seed": seeds[0],
        "all_seeds": seeds,
        "subseed": seeds[0] + 1,
        "all_subseeds": [s + 1 for s in seeds],
        "subseed_strength": 0,
        "width": width,
        "height": height,
        "sampler_name": params["sampler_name"],
        "cfg_scale": float(params.get("cfg_scale", 7.0)),
        "steps": int(params.get("steps", 50)),
        "batch_size": int(params.get("batch_size") or 1),
        "restore_faces": False,
        "sd_model_name": checkpoint.model_name,
        "sd_model_hash": checkpoint.shorthash,
        "sd_vae_name": None,
        "sd_vae_hash": None,
        "denoising_strength": float(params.get("denoising_strength", 0.75)) if img2img else 0,
        "extra_generation_params": extra,
        "index_of_first_image": 0,
        "styles": [],
        "job_timestamp": "20261126120000",
        "clip_skip": 1,
        "is_using_inpainting_conditioning": False,
        "version": "v1.10.1",
    }
    info["infotexts"] = [_infotext(info, s) for s in seeds]
    return info


def _infotext(info: dict[str, Any], seed: int) -> str:
    fields = {
        "Steps": info["steps"],
        "Sampler": info["sampler_name"],
        **info["extra_generation_params"],
        "CFG scale": info["cfg_scale"],
        "Seed": seed,
        "Size": f"{info['width']}x{info['height']}",
        "Model hash": info["sd_model_hash"],
        "Model": info["sd_model_name"],
        "Version": info["version"],
    }
    text = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return f"{info['prompt']}\nNegative prompt: {info['negative_prompt']}\n{text}"
