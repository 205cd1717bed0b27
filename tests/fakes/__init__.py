"""Fake services for tests: real HTTP servers on 127.0.0.1 speaking the documented formats."""

from .openai_server import FakeOpenAI, Recorded, Scripted, fake_openai

__all__ = ["FakeOpenAI", "Recorded", "Scripted", "fake_openai"]
