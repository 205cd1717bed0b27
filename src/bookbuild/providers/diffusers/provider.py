"""The `diffusers` provider: Stable Diffusion in this process through Hugging Face Diffusers.

Free and local. The preset's model (a Hub id or a diffusers folder) is loaded once per build on
first use, with its LoRAs and scheduler, and freed by `close()`. Each step runs under one
process-wide lock (one model on one device at a time) with a seeded CPU generator, so the same
step gives the same picture on the same machine. Nothing heavy is imported until a step runs:
loading this module costs no torch import.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from typing import Any, ClassVar, Literal

from bookbuild.errors import ConfigError
from bookbuild.media.images import encode_png
from bookbuild.providers.base import (
    CastNeeds,
    CastProblem,
    ImageRequest,
    ImageResult,
    Provider,
    RetryNotice,
)
from bookbuild.providers.diffusers.loading import (
    PROVIDER,
    check_installed,
    check_loadable,
    path_problem,
    resolve_model,
)
from bookbuild.providers.diffusers.options import DiffusersOptions

OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint", "upscale", "controlnet"})
_RUN_LOCK = threading.Lock()  # one diffusion at a time in this process (one device, big memory)


class DiffusersProvider(Provider[DiffusersOptions]):
    name: ClassVar[str] = PROVIDER
    ops: ClassVar[frozenset[str]] = OPS
    Options = DiffusersOptions
    local: ClassVar[bool] = True

    def __init__(
        self,
        preset: DiffusersOptions,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self._pipes: Any = None
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"DiffusersProvider(model={self.preset.model!r})"

    @classmethod
    def preset_problems(cls, preset: DiffusersOptions) -> list[str]:
        problems = [
            p for field, written in _model_paths(preset) if (p := path_problem(written, field))
        ]
        if preset.revision and preset.model.startswith(("/", "~", ".")):
            problems.append("`revision` is for Hub models, not a folder")
        return problems

    def check_ready(self) -> None:
        """The model, upscaler and ControlNets are on disk, or may be downloaded (no network:
        with HF_HUB_OFFLINE set, Hub models must be in the local cache)."""
        super().check_ready()
        options = self.preset
        check_installed(lora=bool(options.loras()))  # character LoRAs: checked when loaded
        check_loadable(resolve_model(options.model, options.revision), self.env, "model_index.json")
        for pipeline in (options.inpaint_model, options.upscale_model):
            if pipeline:
                check_loadable(resolve_model(pipeline), self.env, "model_index.json")
        for written in (options.controlnet or {}).values():
            check_loadable(resolve_model(written), self.env, "config.json")
        if options.ip_adapter is not None:
            adapter = options.ip_adapter
            weights = f"{adapter.subfolder}/{adapter.weight_name}".lstrip("/")
            check_loadable(resolve_model(adapter.model), self.env, weights)

    @classmethod
    def cast_problems(
        cls, preset: DiffusersOptions, op: str, needs: CastNeeds
    ) -> list[CastProblem]:
        from bookbuild.providers.diffusers.references import cast_problems

        return cast_problems(preset, op, needs)

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        return 0.0

    def run_image(self, request: ImageRequest) -> ImageResult:
        if request.op not in OPS:
            raise ConfigError(f"{PROVIDER}: cannot do the image op {request.op!r}")
        from bookbuild.providers.diffusers.painting import paint

        pipes = self._pipelines()
        with self.naming_step(request.step_id), _RUN_LOCK:
            image, used = paint(pipes, self.preset, request)
        return ImageResult(encode_png(image), {**self._identity(pipes), **used})

    def close(self) -> None:
        """Free the pipelines (and the GPU memory they hold)."""
        with self._guard:
            pipes, self._pipes = self._pipes, None
        if pipes is not None:
            pipes.close()

    def _pipelines(self) -> Any:
        from bookbuild.providers.diffusers.pipelines import Pipelines

        with self._guard:
            if self._pipes is None:
                self._pipes = Pipelines(self.preset, self.env)
            return self._pipes

    def _identity(self, pipes: Any) -> dict[str, Any]:
        """Which model, where and with which library versions the picture was made."""
        info: dict[str, Any] = {
            "provider": PROVIDER,
            "model": self.preset.model,
            "torch": version("torch"),
            "diffusers": version("diffusers"),
        }
        if pipes.device:  # a model was loaded (Lanczos upscaling loads none)
            info.update(device=pipes.device, dtype=str(pipes.dtype).removeprefix("torch."))
        if self.preset.revision:
            info["revision"] = self.preset.revision
        loras = self.preset.loras()
        if loras:
            info["lora"] = [{"model": lo.model, "strength": lo.strength} for lo in loras]
        return info


def _model_paths(preset: DiffusersOptions) -> Iterator[tuple[str, str]]:
    """Every model the preset names, with the field that names it."""
    yield "model", preset.model
    if preset.inpaint_model:
        yield "inpaint_model", preset.inpaint_model
    if preset.upscale_model:
        yield "upscale_model", preset.upscale_model
    for kind, written in (preset.controlnet or {}).items():
        yield f"controlnet.{kind}", written
    for lora in preset.loras():
        yield "lora.model", lora.model
    if preset.ip_adapter is not None:
        yield "ip_adapter.model", preset.ip_adapter.model
