"""The Stability AI provider (REST v2beta, DreamStudio's API)."""

from bookbuild.providers.stability.provider import StabilityProvider

__all__ = ["StabilityProvider"]
