"""The pipelines of one preset, loaded on first use and kept until `close()`: the base model
(text-to-image) with its LoRAs and scheduler, the image-to-image and inpainting pipelines made
from it with `from_pipe` (same weights, no second load), and a ControlNet pipeline per control
type. torch and diffusers are imported only here, inside methods."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Mapping
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.diffusers.loading import (
    PROVIDER,
    ModelRef,
    load_failed,
    load_kwargs,
    pick_device,
    pick_dtype,
    resolve_model,
)
from bookbuild.providers.diffusers.options import DiffusersOptions

log = logging.getLogger("bookbuild.providers.diffusers")

Role = str  # "txt2img", "img2img", "inpaint", "upscale" or "controlnet:<type>"


class Pipelines:
    def __init__(
        self,
        settings: DiffusersOptions,
        env: Mapping[str, str],
    ) -> None:
        self.settings = settings
        self.env = env
        self.ref = resolve_model(settings.model, settings.revision)
        self.device = ""
        self.dtype: Any = None
        self._loaded: dict[Role, Any] = {}
        self._guard = threading.Lock()
        self.ip_loaded: tuple[Role, int] | None = None  # (pipeline, adapters) of references
        self.cast_loras: set[str] = set()  # character LoRA adapters loaded (see references)

    def get(self, role: Role) -> Any:
        """The pipeline for `role`, loading the base model the first time."""
        with self._guard:
            if role not in self._loaded:
                self._loaded[role] = self._make(role)
            return self._loaded[role]

    def close(self) -> None:
        """Drop every pipeline and give the memory back (the GPU's too)."""
        with self._guard:
            had = bool(self._loaded)
            self._loaded.clear()
            self.ip_loaded, self.cast_loras = None, set()
        if not had:
            return
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    # -- loading --------------------------------------------------------------------------

    def scheduler(self, role: Role) -> str:
        """The scheduler class of a pipeline that was used."""
        with self._guard:
            return type(self._loaded[role].scheduler).__name__

    def _make(self, role: Role) -> Any:
        from diffusers import (
            AutoPipelineForImage2Image,
            AutoPipelineForInpainting,
            AutoPipelineForText2Image,
            StableDiffusionUpscalePipeline,
        )

        if role == "txt2img":
            return self._load(AutoPipelineForText2Image, self.ref)
        if role == "upscale":
            upscaler = resolve_model(str(self.settings.upscale_model))
            return self._load(StableDiffusionUpscalePipeline, upscaler, styled=False)
        if role == "inpaint" and self.settings.inpaint_model:
            inpainter = resolve_model(self.settings.inpaint_model)
            return self._load(AutoPipelineForInpainting, inpainter)
        base = self._loaded.get("txt2img") or self._loaded.setdefault(
            "txt2img", self._make("txt2img")
        )
        try:
            if role == "img2img":
                return _quiet(AutoPipelineForImage2Image.from_pipe(base))
            if role == "inpaint":
                return _quiet(AutoPipelineForInpainting.from_pipe(base))
            kind = role.removeprefix("controlnet:")
            return self._controlnet_pipe(base, kind)
        except ValueError as exc:  # diffusers has no such pipeline for this model family
            raise ProviderError(
                f"{self.ref.where} cannot do {role}: {exc}", provider=PROVIDER
            ) from exc

    def _place(self) -> None:
        quiet_loading()
        self.device = pick_device(self.settings.device)
        self.dtype = pick_dtype(self.settings.dtype, self.device)

    def _load(self, kind: Any, ref: ModelRef, *, styled: bool = True) -> Any:
        """A pipeline of class `kind` from `ref`; `styled` ones get the preset's scheduler and
        LoRAs (and no safety checker unless asked for)."""
        self._place()
        kwargs = load_kwargs(ref, self.env)
        if styled and not self.settings.safety_checker:
            kwargs.update(safety_checker=None, requires_safety_checker=False)
        log.debug("loading %s on %s (%s)", ref.where, self.device, self.dtype)
        try:
            pipe = kind.from_pretrained(ref.where, dtype=self.dtype, **kwargs)
        except (OSError, ValueError) as exc:
            raise load_failed(ref, exc) from exc
        pipe = _quiet(pipe.to(self.device))
        if styled:
            self._use_scheduler(pipe)
            self._load_loras(pipe)
        return pipe

    def _use_scheduler(self, pipe: Any) -> None:
        name = self.settings.scheduler
        if name is None:
            return
        import diffusers

        pipe.scheduler = getattr(diffusers, name).from_config(pipe.scheduler.config)

    def _load_loras(self, pipe: Any) -> None:
        loras = self.settings.loras()
        if not loras:
            return
        names: list[str] = []
        for number, lora in enumerate(loras, start=1):
            ref = resolve_model(lora.model)
            _require_safetensors(ref)
            name = f"lora{number}"
            # use_safetensors=True always: left out, diffusers falls back to a pickled
            # pytorch_lora_weights.bin (which can run code) when no .safetensors is there
            extra: dict[str, Any] = {"adapter_name": name, "use_safetensors": True}
            if ref.folder is None:
                extra.update(load_kwargs(ref, self.env))
            try:
                pipe.load_lora_weights(ref.where, **extra)
            except (OSError, ValueError) as exc:
                raise load_failed(ref, exc) from exc
            names.append(name)
        pipe.set_adapters(names, adapter_weights=[lora.strength for lora in loras])

    def _controlnet_pipe(self, base: Any, kind: str) -> Any:
        from diffusers import AutoPipelineForText2Image, ControlNetModel

        written = (self.settings.controlnet or {})[kind]
        ref = resolve_model(written)
        try:
            model = ControlNetModel.from_pretrained(
                ref.where, dtype=self.dtype, **load_kwargs(ref, self.env)
            )
        except (OSError, ValueError) as exc:
            raise load_failed(ref, exc) from exc
        pipe = AutoPipelineForText2Image.from_pipe(base, controlnet=model.to(self.device))
        return _quiet(pipe)


def _require_safetensors(ref: ModelRef) -> None:
    """A LoRA folder must hold .safetensors weights: a pickled .bin can run code when loaded."""
    folder = ref.folder
    if folder is None or not folder.is_dir() or any(folder.glob("*.safetensors")):
        return
    pickled = sorted(p.name for p in folder.glob("*.bin"))
    found = f" (it has only {', '.join(pickled)}: pickled weights, never loaded)" if pickled else ""
    raise ProviderError(
        f"the LoRA folder {ref.written} holds no .safetensors weights{found}; save the LoRA "
        "as safetensors (e.g. pytorch_lora_weights.safetensors) and point `lora` at it",
        provider=PROVIDER,
    )


def quiet_loading() -> None:
    """No progress bars while loading either (diffusers' and transformers' own switches)."""
    import diffusers.utils.logging
    import transformers.utils.logging

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()


def _quiet(pipe: Any) -> Any:
    """No progress bars: the library never prints (report.py shows progress)."""
    pipe.set_progress_bar_config(disable=True)
    return pipe
