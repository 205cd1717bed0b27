"""The fields of an `openai` preset: chat fields, and the image fields of GPT image models
(`model: gpt-image-1.5` and the like); `validate` refuses the ones a preset's model cannot use."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bookbuild.spec.presets import ChatPreset

IMAGE_OPTION_FIELDS = (
    "negative_prompt",
    "width",
    "height",
    "size",
    "quality",
    "background",
    "input_fidelity",
    "moderation",
)


class OpenAIOptions(ChatPreset):
    """An OpenAI (or OpenAI-compatible server) preset: a chat model, or a GPT image model."""

    batch: bool = Field(
        default=False,
        description=(
            "Chat steps go through the OpenAI Batch API: half the price, results within 24 h. "
            "`make` submits and returns; a later `make` (or `make --wait`) collects them."
        ),
    )

    negative_prompt: str | None = Field(
        default=None, description="Image models: what to avoid (added to the prompt)."
    )
    width: int | None = Field(
        default=None, ge=64, le=3840, multiple_of=8, description="Image models: width, px."
    )
    height: int | None = Field(
        default=None, ge=64, le=3840, multiple_of=8, description="Image models: height, px."
    )
    size: str | None = Field(
        default=None,
        description=(
            "Image models: the API size to ask for (1024x1024, 1536x1024, 1024x1536, auto; "
            "any WxH in multiples of 16 on gpt-image-2 models). Default: the one nearest "
            "width x height; the picture is then scaled and cropped to width x height."
        ),
    )
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] | None = Field(
        default=None,
        description="Image models: low, medium, high or auto (xhigh, max on gpt-image-2.5).",
    )
    background: Literal["transparent", "opaque", "auto"] | None = Field(
        default=None, description="Image models: transparent gives a cut-out subject."
    )
    input_fidelity: Literal["high", "low"] | None = Field(
        default=None,
        description="Image edits: how closely to keep faces and style of the input picture.",
    )
    moderation: Literal["low", "auto"] | None = Field(
        default=None, description="Image generation: OpenAI's moderation level."
    )
