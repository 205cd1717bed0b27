"""The `diffusers` provider: Stable Diffusion in this process through Hugging Face Diffusers.

Free and local. The preset's model (a Hub id or a diffusers folder) is loaded once per build on
first use, with its LoRAs and scheduler, and freed by `close()`. Each step runs under one
process-wide lock (one model on one device at a time) with a seeded CPU generator, so the same
step gives the same picture on the same machine. Nothing heavy is imported until a step runs:
loading this module costs no torch import.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar, Literal

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.images import encode_png
from bookbuild.providers.base import ImageRequest, ImageResult, Provider, RetryNotice
from bookbuild.providers.diffusers.loading import (
    PROVIDER,
    check_loadable,
    looks_local,
    resolve_model,
)
from bookbuild.providers.diffusers.options import DiffusersSettings

OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint", "upscale", "controlnet"})
_RUN_LOCK = threading.Lock()  # one diffusion at a time in this process (one device, big memory)


class DiffusersProvider(Provider):
    name: ClassVar[str] = PROVIDER
    image_ops: ClassVar[frozenset[str]] = OPS

    def __init__(
        self,
        preset: Any,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
        root: Path | None = None,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.settings = settings_of(preset)
        self.root = root or Path.cwd()
        self._pipes: Any = None
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"DiffusersProvider(model={self.settings.model!r})"

    @classmethod
    def preset_problems(cls, preset: Any) -> list[str]:
        problems: list[str] = []
        settings = settings_of(preset)
        if settings.revision and looks_local(settings.model):
            problems.append("`revision` is for Hub models, not a local folder")
        return problems

    def check_ready(self) -> None:
        """The model, its LoRAs and ControlNets are on disk (or may be downloaded). No network."""
        problems = self.preset_problems(self.preset)
        if problems:
            raise ConfigError(f"{PROVIDER}: " + "; ".join(problems))
        model = resolve_model(self.settings.model, self.root, self.settings.revision)
        check_loadable(model, self.env, "model_index.json")
        for written in (self.settings.controlnet or {}).values():
            check_loadable(resolve_model(written, self.root), self.env, "config.json")
        if self.settings.upscale_model:
            upscaler = resolve_model(self.settings.upscale_model, self.root)
            check_loadable(upscaler, self.env, "model_index.json")

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        return 0.0

    def run_image(self, request: ImageRequest) -> ImageResult:
        if request.op not in OPS:
            raise ConfigError(f"{PROVIDER}: cannot do the image op {request.op!r}")
        from bookbuild.providers.diffusers.painting import paint

        pipes = self._pipelines()
        try:
            with _RUN_LOCK:
                image, used = paint(pipes, self.settings, request)
        except ProviderError as err:
            err.step_id = err.step_id or request.step_id
            raise
        return ImageResult(encode_png(image), {**self._identity(pipes), **used})

    def close(self) -> None:
        with self._guard:
            pipes, self._pipes = self._pipes, None
        if pipes is not None:
            pipes.close()

    def _pipelines(self) -> Any:
        from bookbuild.providers.diffusers.pipelines import Pipelines

        with self._guard:
            if self._pipes is None:
                self._pipes = Pipelines(self.settings, self.env, self.root)
            return self._pipes

    def _identity(self, pipes: Any) -> dict[str, Any]:
        """Which model, where and with which library versions the picture was made."""
        info: dict[str, Any] = {
            "provider": PROVIDER,
            "model": self.settings.model,
            "torch": version("torch"),
            "diffusers": version("diffusers"),
        }
        if pipes.device:  # a model was loaded (Lanczos upscaling loads none)
            info.update(device=pipes.device, dtype=str(pipes.dtype).removeprefix("torch."))
        if self.settings.revision:
            info["revision"] = self.settings.revision
        loras = self.settings.loras()
        if loras:
            info["lora"] = [{"model": lo.model, "strength": lo.strength} for lo in loras]
        return info


def settings_of(preset: Any) -> DiffusersSettings:
    """The diffusers fields of a preset (its other fields are the engine's)."""
    if isinstance(preset, DiffusersSettings):
        return preset
    given = preset.model_dump(exclude_unset=True)
    fields = DiffusersSettings.model_fields
    return DiffusersSettings(**{k: v for k, v in given.items() if k in fields})
