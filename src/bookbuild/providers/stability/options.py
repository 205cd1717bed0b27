"""The fields of a `provider: stability` preset (validated at book.yaml:LINE:COL, exported by
`bookbuild schema`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bookbuild.spec.presets import Preset

StylePreset = Literal[
    "enhance",
    "anime",
    "photographic",
    "digital-art",
    "comic-book",
    "fantasy-art",
    "line-art",
    "analog-film",
    "neon-punk",
    "isometric",
    "low-poly",
    "origami",
    "modeling-compound",
    "cinematic",
    "3d-model",
    "pixel-art",
    "tile-texture",
]


class StabilityOptions(Preset):
    """A Stability AI (DreamStudio) preset: REST v2beta."""

    model: str | None = Field(
        default=None,
        description=(
            "Generation model: ultra, core (default), sd3.5-large, sd3.5-large-turbo, "
            "sd3.5-medium or sd3.5-flash. img2img needs ultra or an sd3.5 model."
        ),
    )
    negative_prompt: str | None = Field(default=None, description="Default negative prompt.")
    width: int | None = Field(
        default=None,
        ge=64,
        le=2048,
        multiple_of=8,
        description="Image width, px (generated at the nearest aspect ratio, then cropped).",
    )
    height: int | None = Field(
        default=None,
        ge=64,
        le=2048,
        multiple_of=8,
        description="Image height, px (generated at the nearest aspect ratio, then cropped).",
    )
    style_preset: StylePreset | None = Field(
        default=None, description="Stability's style preset (e.g. digital-art, anime)."
    )
    cfg_scale: float | None = Field(
        default=None, ge=1, le=10, description="Prompt adherence, sd3.5 models only (1..10)."
    )
    grow_mask: int = Field(
        default=0,
        ge=0,
        le=20,
        description=(
            "Pixels the service grows a mask by (inpaint, erase). 0 keeps edits inside your "
            "mask; use the mask's `feather` for soft edges."
        ),
    )
    upscaler: Literal["fast", "conservative", "creative"] = Field(
        default="fast",
        description=(
            "Upscaler: fast (4x, inputs up to 1 MP, 2 credits), conservative (40 credits) or "
            "creative (asynchronous, 60 credits)."
        ),
    )
    creativity: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Creativity of outpaint (0..1) and of the conservative/creative upscalers.",
    )
    style_fidelity: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description=(
            "How closely a picture follows `style.art.reference` (control/style `fidelity`, "
            "0..1); default 0.5."
        ),
    )
    control: Literal["sketch", "structure", "style"] | None = Field(
        default=None,
        description=(
            "Control endpoint for `controlnet:`; default: from the ControlNet type (canny, "
            "lineart, scribble -> sketch; depth, openpose -> structure; style -> style)."
        ),
    )
    poll_interval: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds between two polls of an asynchronous job (creative upscale); Stability "
            "asks for at most one poll every 10 s."
        ),
    )

    def key_fields(self) -> dict[str, Any]:
        """How often a job is polled never changes its result."""
        fields = super().key_fields()
        fields.pop("poll_interval", None)
        return fields
