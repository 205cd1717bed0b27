"""The fields of an `openai` preset."""

from __future__ import annotations

from bookbuild.spec.presets import ChatPreset


class OpenAIOptions(ChatPreset):
    """An OpenAI (or OpenAI-compatible server) preset."""
