"""The preset options of `provider: a1111` (AUTOMATIC1111 web UI, Forge, reForge)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONTROLNET_MODULES = {
    "canny": "canny",
    "depth": "depth_midas",
    "openpose": "openpose",
    "scribble": "scribble_pidinet",
    "lineart": "lineart_realistic",
    "softedge": "softedge_pidinet",
    "mlsd": "mlsd",
    "normal": "normal_bae",
    "seg": "seg_ofade20k",
    "tile": "tile_resample",
}
"""The ControlNet extension's preprocessor for each `controlnet.type` (others: the type itself)."""


class LoraWeight(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="LoRA name as the web UI lists it (models/Lora, no extension).")
    strength: float = Field(default=0.7, ge=-4.0, le=4.0, description="LoRA weight.")


class A1111Options(BaseModel):
    """Options of an a1111 preset. Defaults are sent explicitly: the API's own defaults
    differ from the UI's (50 steps, masked content "fill")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(
        default=None,
        description=(
            "Checkpoint, as /sdapi/v1/sd-models lists it (title, file name, name or hash); "
            "chosen for each request, never as the server's global model. Default: the one loaded."
        ),
    )
    base_url: str | None = Field(
        default=None, description="Web UI address; default A1111_BASE_URL or http://127.0.0.1:7860."
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds to wait for one picture (default 600)."
    )
    negative_prompt: str | None = Field(default=None, description="Default negative prompt.")
    width: int | None = Field(default=None, ge=64, le=2048, multiple_of=8, description="Width, px.")
    height: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Height, px."
    )
    steps: int = Field(default=30, ge=1, le=150, description="Sampling steps.")
    guidance: float = Field(default=7.0, ge=1, le=30, description="CFG scale.")
    sampler: str = Field(default="DPM++ 2M", description="Sampler name (/sdapi/v1/samplers).")
    scheduler: str | None = Field(
        default=None,
        description="Schedule type (/sdapi/v1/schedulers, web UI 1.9+), e.g. Karras.",
    )
    lora: LoraWeight | list[LoraWeight] | None = Field(
        default=None, description="LoRA(s), added to the prompt as <lora:name:weight>."
    )
    inpainting_fill: Literal["fill", "original", "latent noise", "latent nothing"] = Field(
        default="original", description="What the masked area starts from (UI: Masked content)."
    )
    inpaint_full_res: bool = Field(
        default=True,
        description="Inpaint only the masked area, at full resolution (UI: 'Only masked').",
    )
    inpaint_full_res_padding: int = Field(
        default=32, ge=0, le=256, description="Pixels of context around the masked area."
    )
    mask_blur: int = Field(default=4, ge=0, le=64, description="Mask feathering, px.")
    upscaler: str = Field(
        default="R-ESRGAN 4x+", description="Upscaler for `upscale` (/sdapi/v1/upscalers)."
    )
    controlnet_models: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "ControlNet model per `controlnet.type` ({canny: 'control_v11p_sd15_canny'}); "
            "default: the installed model whose name contains the type."
        ),
    )
    controlnet_preprocess: bool = Field(
        default=True,
        description="Run the type's preprocessor on the reference (false: it is a control map).",
    )
    rembg: str | None = Field(
        default=None,
        description=(
            "rembg model (u2net, isnet-general-use...) when the server has the "
            "stable-diffusion-webui-rembg extension; enables remove_background."
        ),
    )

    def loras(self) -> list[tuple[str, float]]:
        given = self.lora if isinstance(self.lora, list) else [self.lora] if self.lora else []
        return [(item.model, item.strength) for item in given]
