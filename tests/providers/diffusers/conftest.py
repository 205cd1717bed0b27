"""The tiny diffusers pipeline, saved once per test session in a temporary model folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.tiny_diffusers import (
    save_tiny_controlnet,
    save_tiny_ip_adapter,
    save_tiny_lora,
    save_tiny_pipeline,
    save_tiny_upscaler,
)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd") / "model")


@pytest.fixture(scope="session")
def tiny_lora(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_lora(tiny_model, tmp_path_factory.mktemp("tiny-lora"))


@pytest.fixture(scope="session")
def tiny_upscaler(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_upscaler(tmp_path_factory.mktemp("tiny-upscaler") / "model")


@pytest.fixture(scope="session")
def tiny_controlnet(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_controlnet(tiny_model, tmp_path_factory.mktemp("tiny-controlnet") / "model")


@pytest.fixture(scope="session")
def tiny_inpainter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny-inpaint") / "model", inpainting=True)


@pytest.fixture(scope="session")
def tiny_ip_adapter(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_ip_adapter(tiny_model, tmp_path_factory.mktemp("tiny-ip-adapter") / "adapter")
