"""Fixtures of the ComfyUI tests: the fake server and a provider pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bookbuild.providers.comfyui import ComfyUIOptions, ComfyUIProvider
from tests.fakes.comfyui_server import FakeComfyUI

CHECKPOINT = "sd_xl_base_1.0.safetensors"


@pytest.fixture
def fake_comfyui() -> Iterator[FakeComfyUI]:
    with FakeComfyUI() as fake:
        yield fake


def provider_for(fake: FakeComfyUI | None, **options: Any) -> ComfyUIProvider:
    """A provider for the fake (or for `base_url` in `options`) that never really sleeps."""
    fields: dict[str, Any] = {"provider": "comfyui", "checkpoint": CHECKPOINT, **options}
    if fake is not None:
        fields.setdefault("base_url", fake.base_url)
    provider = ComfyUIProvider(ComfyUIOptions.model_validate(fields), {})
    provider.sleep = lambda seconds: None
    return provider
