"""The fields of an `sdapi` preset."""

from __future__ import annotations

from pydantic import Field

from bookbuild.spec.presets import ImagePreset


class SDAPIOptions(ImagePreset):
    """A Stable Diffusion API (ModelsLab) preset."""

    api: str | None = Field(
        default=None,
        description="API family: v3 (base models), v4 or v6 (community models), realtime.",
    )
    embeddings: str | None = Field(
        default=None, description="Textual-inversion embeddings model id."
    )
    enhance_prompt: bool = Field(
        default=False,
        description="Let the service rewrite the prompt (off: what you write is drawn).",
    )
    safety_checker: bool = Field(
        default=False, description="Ask the service to run its NSFW checker."
    )
    upscale_model: str | None = Field(
        default=None, description="Super-resolution model id for upscale."
    )
    ip_adapter: str | None = Field(
        default=None,
        description=(
            "IP-Adapter for character references (api v6): ip-adapter_sd15, "
            "ip-adapter-plus-face_sd15, ip-adapter_sdxl, ip-adapter-plus_sdxl_vit-h or "
            "ip-adapter-plus-face_sdxl_vit-h; by default the plain one of the model's base."
        ),
    )
