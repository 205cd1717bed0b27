"""The Stable Diffusion API (ModelsLab) provider."""

from bookbuild.providers.sdapi.provider import SDAPIProvider

__all__ = ["SDAPIProvider"]
