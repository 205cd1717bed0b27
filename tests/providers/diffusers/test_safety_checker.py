"""Issue 19, item 6: with `safety_checker: true`, a picture the pipeline's safety checker flags
comes back all black with `nsfw_content_detected: [True]` (diffusers' `run_safety_checker`);
it is refused, never stored. The tiny pipeline gets a checker that flags everything, run by
diffusers' own code path (feature extractor, checker, postprocess)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BuildFailed
from bookbuild.project import Project
from bookbuild.providers.diffusers import pipelines

SPEC = """\
title: The Fox
language: en
models:
  painter: {{provider: diffusers, model: "{model}", width: 64, height: 64, steps: 2,
            safety_checker: true}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - id: fox
        prompt: "a red fox"
        seed: 1
"""


class _Features:
    """What a CLIPImageProcessor returns: `pixel_values`, movable with `.to()`."""

    def __init__(self, count: int) -> None:
        import torch

        self.pixel_values = torch.zeros((count, 3, 8, 8))

    def to(self, *args: Any, **kwargs: Any) -> _Features:
        return self


class _Extractor:
    def __call__(self, images: Any, return_tensors: str = "pt") -> _Features:
        return _Features(len(images))


def _flagging_checker() -> Any:
    import torch

    class FlagAll(torch.nn.Module):
        """StableDiffusionSafetyChecker's contract: black images and one flag per image."""

        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.zeros(1))

        @property
        def device(self) -> Any:  # what diffusers asks of every component (a ModelMixin has it)
            return self.scale.device

        @property
        def dtype(self) -> Any:
            return self.scale.dtype

        def forward(self, images: Any, clip_input: Any) -> tuple[Any, list[bool]]:
            return images * 0, [True] * len(images)

    return FlagAll()


def test_a_picture_the_safety_checker_flags_is_refused_not_stored(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_get = pipelines.Pipelines.get

    def with_checker(self: Any, role: Any) -> Any:
        pipe = real_get(self, role)
        # set on the instance, not registered as components (they are not saved models)
        pipe.__dict__.update(safety_checker=_flagging_checker(), feature_extractor=_Extractor())
        return pipe

    monkeypatch.setattr(pipelines.Pipelines, "get", with_checker)
    (tmp_path / "book.yaml").write_text(SPEC.format(model=tiny_model), encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        make(Project.open(tmp_path, env={}), MakeOptions(formats=("html",), jobs=1))
    message = failed.value.failures["one/fox/image"]
    assert "nsfw_content_detected" in message and "safety_checker: false" in message
    lock = tmp_path / "book.lock"
    assert not lock.exists() or "one/fox/image" not in lock.read_text(encoding="utf-8")
