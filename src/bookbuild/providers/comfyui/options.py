"""The fields of a `provider: comfyui` preset in book.yaml."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bookbuild.spec.presets import Lora, Preset

DEFAULT_BASE_URL = "http://127.0.0.1:8188"
BASE_URL_ENV = "COMFYUI_BASE_URL"


class ComfyUIOptions(Preset):
    """A ComfyUI server (local, free): built-in workflows for each op, or your own exported
    workflow. Address: `base_url`, else $COMFYUI_BASE_URL, else http://127.0.0.1:8188."""

    checkpoint: str | None = Field(
        default=None,
        description="Checkpoint file in ComfyUI's models/checkpoints (CheckpointLoaderSimple's "
        "ckpt_name); needed by every op but upscale unless `workflow` is set.",
    )
    sampler: str = Field(default="euler", description="KSampler sampler_name.")
    scheduler: str = Field(default="normal", description="KSampler scheduler.")
    steps: int = Field(default=20, ge=1, le=10000, description="KSampler steps.")
    cfg: float = Field(default=7.0, ge=0.0, le=100.0, description="KSampler cfg (guidance).")
    denoise: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        description="Denoise for img2img and inpaint; default: the step's `strength`.",
    )
    negative_prompt: str | None = Field(default=None, description="Default negative prompt.")
    width: int | None = Field(default=None, ge=64, le=4096, multiple_of=8, description="Width, px.")
    height: int | None = Field(
        default=None, ge=64, le=4096, multiple_of=8, description="Height, px."
    )
    lora: Lora | list[Lora] | None = Field(
        default=None,
        description="LoRA file(s) in models/loras as {model, strength}, each a LoraLoader.",
    )
    upscale_model: str | None = Field(
        default=None,
        description="Upscale model in models/upscale_models (e.g. '4x-UltraSharp.pth'); "
        "default: plain lanczos scaling (ImageScaleBy).",
    )
    inpaint_encoder: Literal["noise_mask", "inpaint_model"] = Field(
        default="noise_mask",
        description="noise_mask: VAEEncode + SetLatentNoiseMask, denoise = strength (any "
        "checkpoint); inpaint_model: VAEEncodeForInpaint, denoise 1 (inpainting checkpoints).",
    )
    grow_mask_by: int = Field(
        default=6, ge=0, le=64, description="VAEEncodeForInpaint's grow_mask_by, px."
    )
    feathering: int = Field(
        default=40, ge=0, le=4096, description="ImagePadForOutpaint's feathering, px."
    )
    controlnet_models: dict[str, str] = Field(
        default_factory=dict,
        description="ControlNet file per type, e.g. {canny: control_v11p_sd15_canny.pth}; a "
        "canny reference is run through the Canny node first.",
    )
    workflow: str | None = Field(
        default=None,
        description="Your own workflow, exported from ComfyUI with Export (API), relative to "
        "book.yaml; its digest is part of every step's key.",
    )
    inputs: dict[str, str] = Field(
        default_factory=dict,
        description="Which node fields of `workflow` bookbuild fills, as '<node id>.<input>': "
        "prompt, negative_prompt, seed, width, height, strength, steps, cfg, scale, image, "
        "mask, control_image (e.g. {prompt: '6.text', seed: '3.seed'}).",
    )
    output: str | None = Field(
        default=None,
        description="Node id of `workflow` whose picture is the result; default: the first "
        "SaveImage.",
    )
    poll_interval: float = Field(
        default=1.0, gt=0, le=60, description="Seconds between /history polls."
    )

    ip_adapter_preset: str | None = Field(
        default=None,
        description=(
            "IPAdapterUnifiedLoader preset for character references (ComfyUI_IPAdapter_plus), "
            "e.g. 'PLUS (high strength)' (the default) or 'PLUS FACE (portraits)'."
        ),
    )

    def loras(self) -> tuple[tuple[str, float], ...]:
        given = self.lora if isinstance(self.lora, list) else [self.lora] if self.lora else []
        return tuple((lora.model, lora.strength) for lora in given)

    def key_fields(self) -> dict[str, Any]:
        fields = super().key_fields()
        fields.pop("poll_interval", None)  # how often we look changes no picture
        return fields

    def book_files(self) -> dict[str, str]:
        return {"workflow": self.workflow} if self.workflow is not None else {}
