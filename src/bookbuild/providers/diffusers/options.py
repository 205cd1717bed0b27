"""The `diffusers` preset fields: what to load (a Hub id or a local folder), where to run it
(device, dtype), and the generation defaults. Imports nothing heavy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class DiffusersLora(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        description="LoRA weights: a Hub repo id, a folder or a .safetensors file (relative "
        "paths are inside the book folder)."
    )
    strength: float = Field(default=0.7, ge=0.0, le=2.0, description="LoRA scale.")
    weight_name: str | None = Field(
        default=None, description="File name inside the repo or folder, when it has several."
    )


class DiffusersSettings(BaseModel):
    """The fields of a `provider: diffusers` preset that say how pictures are made."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        description="A Hugging Face Hub model id (from the local cache, or downloaded once) or a "
        "diffusers model folder (`./models/my-sd15`; relative paths are inside the book folder)."
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
    negative_prompt: str | None = Field(default=None, description="Default negative prompt.")
    width: int | None = Field(default=None, ge=8, le=2048, multiple_of=8, description="px.")
    height: int | None = Field(default=None, ge=8, le=2048, multiple_of=8, description="px.")
    steps: int | None = Field(
        default=None, ge=1, le=150, description=f"Inference steps (default {DEFAULT_STEPS})."
    )
    guidance: float | None = Field(
        default=None, ge=0, le=30, description=f"Guidance scale (default {DEFAULT_GUIDANCE})."
    )
    scheduler: SchedulerName | None = Field(
        default=None, description="A diffusers scheduler class (default: the model's own)."
    )
    lora: DiffusersLora | list[DiffusersLora] | None = Field(
        default=None, description="LoRA weights applied through `load_lora_weights`."
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
    safety_checker: bool = Field(
        default=False, description="Load the model's own NSFW checker, if it has one."
    )

    def loras(self) -> list[DiffusersLora]:
        if self.lora is None:
            return []
        return self.lora if isinstance(self.lora, list) else [self.lora]
