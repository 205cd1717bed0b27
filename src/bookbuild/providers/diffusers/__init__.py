"""The diffusers provider: Stable Diffusion in process (optional extra `bookbuild[diffusers]`)."""

from bookbuild.providers.diffusers.provider import DiffusersProvider

__all__ = ["DiffusersProvider"]
