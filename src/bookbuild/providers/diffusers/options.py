"""The fields of a `diffusers` preset: what to load (a Hub id or a folder on this machine),
where to run it (device, dtype), and the generation defaults. Imports nothing heavy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bookbuild.spec.base import Strict
from bookbuild.spec.presets import ImagePreset, Lora

Device = Literal["auto", "cuda", "mps", "cpu"]
DType = Literal["auto", "float32", "float16", "bfloat16"]
SchedulerName = Literal[
    "DDIMScheduler",
    "DDPMScheduler",
    "PNDMScheduler",
    "LMSDiscreteScheduler",
    "EulerDiscreteScheduler",
    "EulerAncestralDiscreteScheduler",
    "HeunDiscreteScheduler",
    "KDPM2DiscreteScheduler",
    "KDPM2AncestralDiscreteScheduler",
    "DPMSolverMultistepScheduler",
    "DPMSolverSinglestepScheduler",
    "DEISMultistepScheduler",
    "UniPCMultistepScheduler",
    "LCMScheduler",
    "TCDScheduler",
]
DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 7.5


LOCAL = "a folder on this machine: an absolute path or ~/..."


class IPAdapterOptions(Strict):
    """Where the IP-Adapter of character references comes from (`load_ip_adapter`)."""

    model: str = Field(description=f"A Hub repo id (e.g. h94/IP-Adapter) or {LOCAL}.")
    subfolder: str = Field(
        default="models",
        description="Its folder in the repo (models for SD 1.5, sdxl_models for SDXL).",
    )
    weight_name: str = Field(
        default="ip-adapter_sd15.safetensors",
        description="The weights file (e.g. ip-adapter-plus_sd15.safetensors, "
        "ip-adapter_sdxl.safetensors).",
    )
    image_encoder_folder: str = Field(
        default="image_encoder",
        description="The CLIP vision encoder's folder: under `subfolder` when it has no `/`, "
        "else from the repo's root (e.g. models/image_encoder for the SDXL vit-h adapters).",
    )


class DiffusersOptions(ImagePreset):
    """A preset run in this process by Hugging Face Diffusers (extra `bookbuild[diffusers]`)."""

    model: str = Field(
        description="A Hugging Face Hub model id (from the local cache, or downloaded once) or "
        f"{LOCAL} holding a diffusers pipeline (model_index.json)."
    )
    revision: str | None = Field(
        default=None, description="Hub revision (a commit hash pins the exact weights)."
    )
    device: Device = Field(
        default="auto", description="auto (cuda, then mps, then cpu), cuda, mps or cpu."
    )
    dtype: DType = Field(
        default="auto", description="auto (float16 on cuda, float32 elsewhere) or a torch dtype."
    )
    steps: int | None = Field(
        default=None, ge=1, le=150, description=f"Inference steps (default {DEFAULT_STEPS})."
    )
    guidance: float | None = Field(
        default=None, ge=0, le=30, description=f"Guidance scale (default {DEFAULT_GUIDANCE})."
    )
    scheduler: SchedulerName | None = Field(
        default=None, description="A diffusers scheduler class (default: the model's own)."
    )
    lora: Lora | list[Lora] | None = Field(
        default=None,
        description=f"LoRA weights applied through `load_lora_weights`: `model` is a Hub repo id "
        f"or {LOCAL} (a folder holding pytorch_lora_weights.safetensors, or a .safetensors file).",
    )
    inpaint_model: str | None = Field(
        default=None,
        description="A dedicated inpainting checkpoint (9-channel UNet, e.g. "
        "runwayml/stable-diffusion-inpainting, or a folder) for inpaint and outpaint; "
        "default: `model` itself.",
    )
    upscale_model: str | None = Field(
        default=None,
        description="An x4 upscaler for `upscale` (e.g. stabilityai/stable-diffusion-x4-upscaler, "
        "or a folder); without it, upscale is plain Lanczos resampling.",
    )
    controlnet: dict[str, str] | None = Field(
        default=None,
        description="ControlNet weights per control type, e.g. {canny: lllyasviel/sd-controlnet-"
        "canny} (a Hub id or a folder); the illustration's control image is used as given.",
    )
    ip_adapter: IPAdapterOptions | None = Field(
        default=None,
        description="IP-Adapter for character references: each character in a picture gets one, "
        "with its reference as `ip_adapter_image` and its weight as the adapter's scale.",
    )
    safety_checker: bool = Field(
        default=False, description="Load the model's own NSFW checker, if it has one."
    )

    def loras(self) -> list[Lora]:
        if self.lora is None:
            return []
        return self.lora if isinstance(self.lora, list) else [self.lora]
