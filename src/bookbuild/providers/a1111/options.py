"""The preset options of `provider: a1111` (AUTOMATIC1111 web UI, Forge, reForge)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bookbuild.spec.presets import ImagePreset

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


class A1111Options(ImagePreset):
    """An AUTOMATIC1111 / Forge web UI preset. What is not set is still sent explicitly (the
    API's own defaults differ from the UI's: 50 steps, masked content "fill"): 30 steps, CFG 7,
    the DPM++ 2M sampler, the loaded checkpoint."""

    model: str | None = Field(
        default=None,
        description=(
            "Checkpoint, as /sdapi/v1/sd-models lists it (title, file name, name or hash); "
            "chosen for each request, never as the server's global model. Default: the loaded one."
        ),
    )
    sampler: str = Field(default="DPM++ 2M", description="Sampler name (/sdapi/v1/samplers).")
    scheduler: str | None = Field(
        default=None,
        description="Schedule type (/sdapi/v1/schedulers, web UI 1.9+), e.g. Karras.",
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
    ip_adapter_model: str | None = Field(
        default=None,
        description=(
            "IP-Adapter model for character references, as /controlnet/model_list lists it "
            "(e.g. 'ip-adapter-plus_sd15'); default: the first installed one of the "
            "checkpoint's base."
        ),
    )
    ip_adapter_module: str | None = Field(
        default=None,
        description=(
            "IP-Adapter preprocessor (/controlnet/module_list), e.g. ip-adapter_clip_sd15; "
            "default: the CLIP encoder of the model."
        ),
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
