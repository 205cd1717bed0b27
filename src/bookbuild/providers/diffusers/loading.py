"""Where a diffusers model comes from and how it is loaded: a local folder or a Hugging Face Hub
id (from the local cache; downloaded once unless HF_HUB_OFFLINE is set), safetensors only (a
pickled checkpoint can run code), onto the chosen device and dtype. torch and diffusers are
imported here only inside functions, when a step actually runs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bookbuild.errors import ConfigError, ProviderError

PROVIDER = "diffusers"
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ModelRef:
    """A model as written in the preset, resolved: a folder on disk, or a Hub repo id."""

    written: str
    folder: Path | None  # set for a local folder (or file, for LoRA weights)
    revision: str | None = None

    @property
    def where(self) -> str:
        return str(self.folder) if self.folder is not None else self.written


def looks_local(written: str) -> bool:
    """A path, not a Hub id: starts with / ~ or ., or ends like a weights file."""
    return written.startswith((".", "/", "~")) or written.endswith(".safetensors")


def path_problem(written: str, field: str) -> str | None:
    """Why `written` cannot be used as a model path, or None (a Hub id, or an absolute path)."""
    if looks_local(written) and not written.startswith(("/", "~")):
        return (
            f"`{field}: {written}` is a relative path: write the model folder's absolute path "
            "(or ~/...), or a Hub id such as runwayml/stable-diffusion-v1-5"
        )
    return None


def resolve_model(written: str, revision: str | None = None) -> ModelRef:
    """`written` as a folder on this machine (absolute or ~/...) or a Hub repo id."""
    if looks_local(written):
        return ModelRef(written, Path(written).expanduser(), None)
    return ModelRef(written, None, revision)


def missing_libraries(*, lora: bool) -> list[str]:
    """The libraries of the `bookbuild[diffusers]` extra that are not installed (found without
    importing them)."""
    needed = ["torch", "diffusers", "transformers", *(["peft"] if lora else [])]
    return [name for name in needed if find_spec(name) is None]


def check_installed(*, lora: bool) -> None:
    missing = missing_libraries(lora=lora)
    if missing:
        raise ConfigError(
            f"{PROVIDER}: {', '.join(missing)} not installed: install the extra with "
            "pip install 'bookbuild[diffusers]'"
        )


def offline(env: Mapping[str, str]) -> bool:
    return env.get("HF_HUB_OFFLINE", "").strip().lower() in TRUE


def cache_dir(env: Mapping[str, str]) -> str | None:
    """The Hub cache the environment names (HF_HUB_CACHE, else HF_HOME/hub), else the default."""
    if env.get("HF_HUB_CACHE"):
        return env["HF_HUB_CACHE"]
    if env.get("HF_HOME"):
        return os.path.join(env["HF_HOME"], "hub")
    return None


def how_to_get(ref: ModelRef) -> str:
    if ref.folder is not None:
        return (
            "point `model` at a folder saved with diffusers' save_pretrained "
            "(it holds model_index.json)"
        )
    rev = f" --revision {ref.revision}" if ref.revision else ""
    return f"download it once with `hf download {ref.written}{rev}` (or unset HF_HUB_OFFLINE)"


def missing_problem(ref: ModelRef, env: Mapping[str, str], index: str) -> str | None:
    """Why `ref` cannot be loaded, checked on disk only (no network), or None.

    `index` is the file that marks a complete model (model_index.json for a pipeline,
    config.json for a single model such as a ControlNet)."""
    if ref.folder is not None:
        if not ref.folder.exists():
            return f"model folder {ref.written} does not exist: {how_to_get(ref)}"
        if ref.folder.is_dir() and not (ref.folder / index).is_file():
            return f"{ref.written} has no {index}: {how_to_get(ref)}"
        return None
    if not offline(env):
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        ref.written, index, cache_dir=cache_dir(env), revision=ref.revision
    )
    if isinstance(found, str):
        return None
    return f"{ref.written} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: " + (
        how_to_get(ref)
    )


def pick_device(wanted: str) -> str:
    import torch

    if wanted != "auto":
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(wanted: str, device: str) -> Any:
    import torch

    if wanted == "auto":
        return torch.float16 if device == "cuda" else torch.float32
    return getattr(torch, wanted)


def load_kwargs(ref: ModelRef, env: Mapping[str, str]) -> dict[str, Any]:
    """The from_pretrained arguments every load shares."""
    kwargs: dict[str, Any] = {
        "use_safetensors": True,
        "local_files_only": ref.folder is not None or offline(env),
        "cache_dir": cache_dir(env),
    }
    if ref.revision and ref.folder is None:
        kwargs["revision"] = ref.revision
    return kwargs


def load_failed(ref: ModelRef, exc: Exception) -> ProviderError:
    """A load that failed in diffusers or huggingface_hub, with their message and the fix."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ProviderError(
        f"cannot load {ref.where}: {message}; {how_to_get(ref)}", provider=PROVIDER
    )


def check_loadable(ref: ModelRef, env: Mapping[str, str], index: str) -> None:
    problem = missing_problem(ref, env, index)
    if problem is not None:
        raise ConfigError(f"{PROVIDER}: {problem}")
