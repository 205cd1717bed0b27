"""The OpenAI provider (and any OpenAI-compatible server)."""

from bookbuild.providers.openai.provider import OpenAIChatProvider

__all__ = ["OpenAIChatProvider"]
