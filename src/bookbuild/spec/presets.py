"""Model presets: the fields every provider shares, and the chat and image fields most use.

Each provider has its own options model (`Provider.Options`), built from these bases; the loader
validates a preset with the options model of its `provider:` (see `bookbuild.providers.registry`),
so a preset can only hold fields its provider understands, and the JSON Schema offers exactly
those fields.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from bookbuild.spec.base import Strict

NON_KEY_FIELDS = frozenset(
    {"base_url", "api_key_env", "concurrency", "timeout", "deadline", "price", "batch"}
)
"""Preset fields that never change a result: where and how a service is reached, and costs."""

LEGACY_KEY_DEFAULTS: dict[str, Any] = {"enhance_prompt": False, "safety_checker": False}
"""Fields every preset carried into its step keys when all providers shared one preset model;
still part of every key so that locks written then stay valid (no step is paid for again)."""


class Lora(Strict):
    model: str = Field(description="LoRA model id on the service (e.g. 'watercolor-style').")
    strength: float = Field(default=0.7, ge=0.0, le=1.0, description="LoRA strength, 0..1.")


class Preset(Strict):
    """A named model configuration; steps refer to it by name. The fields every provider has."""

    provider: str = Field(description="Provider name: 'openai', 'sdapi', 'offline' or a plugin.")
    model: str | None = Field(
        default=None, description="Model id on the service (e.g. gpt-4o-mini, sdxl)."
    )
    base_url: str | list[str] | None = Field(
        default=None,
        description=(
            "Service base URL; overrides the provider's environment variable. For a1111 and "
            "comfyui a list of servers (a pool: steps are spread over them, each at the "
            "preset's `concurrency`)."
        ),
    )
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding this preset's API key."
    )
    concurrency: int | None = Field(
        default=None, ge=1, le=64, description="At most this many calls in flight for this preset."
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds to wait for one HTTP request."
    )
    deadline: float | None = Field(
        default=None, gt=0, description="Seconds to wait in total for a queued job before failing."
    )
    price: dict[str, float] | None = Field(
        default=None,
        description=(
            "Price overrides: for chat {input_per_mtok, output_per_mtok} in USD per million "
            "tokens; for images {per_image} in USD."
        ),
    )

    @field_validator("base_url")
    @classmethod
    def _servers_listed_once(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list):
            if not value:
                raise ValueError("a list of servers needs at least one address")
            if len(set(value)) != len(value):
                raise ValueError("a server is listed twice")
        return value

    def servers(self) -> list[str]:
        """The addresses `base_url` lists (one, or a pool's); [] when it is not set."""
        given = self.base_url
        return list(given) if isinstance(given, list) else [given] if given else []

    def book_files(self) -> dict[str, str]:
        """Files of the book folder this preset reads, by role (e.g. a ComfyUI workflow):
        each is hashed into the key of every step that uses the preset."""
        return {}

    def key_fields(self) -> dict[str, Any]:
        """The preset fields that can change a result (they go into every step key)."""
        dumped = self.model_dump(mode="json", exclude=set(NON_KEY_FIELDS), exclude_none=True)
        return {**LEGACY_KEY_DEFAULTS, **dumped}


class ChatPreset(Preset):
    """Fields of presets that chat."""

    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Chat sampling temperature."
    )
    top_p: float | None = Field(default=None, ge=0, le=1, description="Chat nucleus sampling.")
    max_tokens: int | None = Field(
        default=None, ge=1, description="Output token limit for chat replies."
    )
    system: str | None = Field(
        default=None, description="System prompt prepended to every chat request."
    )


class ImagePreset(Preset):
    """Fields of presets that draw."""

    negative_prompt: str | None = Field(default=None, description="Default negative prompt.")
    width: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Image width, px."
    )
    height: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Image height, px."
    )
    steps: int | None = Field(default=None, ge=1, le=150, description="Diffusion inference steps.")
    guidance: float | None = Field(
        default=None, ge=0, le=30, description="Classifier-free guidance scale."
    )
    scheduler: str | None = Field(
        default=None, description="Sampler/scheduler name for the service."
    )
    lora: Lora | list[Lora] | None = Field(default=None, description="LoRA model(s) to apply.")


class ChatAndImagePreset(ChatPreset, ImagePreset):
    """Fields of presets whose provider both chats and draws."""


CHAT_FIELDS = frozenset(ChatPreset.model_fields) - frozenset(Preset.model_fields)
IMAGE_FIELDS = frozenset(ImagePreset.model_fields) - frozenset(Preset.model_fields)
