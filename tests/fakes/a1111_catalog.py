"""What the fake AUTOMATIC1111 server has installed: checkpoints, samplers, schedulers,
upscalers, LoRAs, ControlNet models and preprocessors, in the shapes of the discovery routes
(`/sdapi/v1/sd-models`, `/samplers`, `/schedulers`, `/upscalers`, `/controlnet/model_list`,
`/controlnet/module_list`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Checkpoint:
    file: str  # e.g. "dreamshaper_8.safetensors"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.file.encode()).hexdigest()

    @property
    def shorthash(self) -> str:
        return self.sha256[:10]

    @property
    def model_name(self) -> str:
        return self.file.rsplit(".", 1)[0]

    @property
    def title(self) -> str:
        return f"{self.file} [{self.shorthash}]"

    def aliases(self) -> set[str]:
        """The names `override_settings.sd_model_checkpoint` may use (the web UI's
        `checkpoint_aliases`: title, file name, name without extension, hashes)."""
        return {self.title, self.file, self.model_name, self.shorthash, self.sha256}

    def listing(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "model_name": self.model_name,
            "hash": self.shorthash,
            "sha256": self.sha256,
            "filename": f"/webui/models/Stable-diffusion/{self.file}",
            "config": None,
        }


CHECKPOINTS = (
    Checkpoint("v1-5-pruned-emaonly.safetensors"),
    Checkpoint("dreamshaper_8.safetensors"),
    Checkpoint("sd_xl_base_1.0.safetensors"),
)
SAMPLERS = {
    "DPM++ 2M": ["k_dpmpp_2m"],
    "DPM++ SDE": ["k_dpmpp_sde"],
    "Euler a": ["k_euler_a", "k_euler_ancestral"],
    "Euler": ["k_euler"],
    "DDIM": ["ddim"],
    "UniPC": ["unipc"],
}
SCHEDULERS = {  # name -> label
    "automatic": "Automatic",
    "uniform": "Uniform",
    "karras": "Karras",
    "exponential": "Exponential",
    "sgm_uniform": "SGM Uniform",
}
UPSCALERS = ("None", "Lanczos", "Nearest", "ESRGAN_4x", "R-ESRGAN 4x+", "SwinIR 4x")
LORAS = ("watercolor-style", "ink-sketch")
CONTROLNET_MODELS = (
    "control_v11p_sd15_canny [d14c016b]",
    "control_v11f1p_sd15_depth [cfd03158]",
    "control_v11p_sd15_openpose [cab727d4]",
    "control_v11p_sd15_scribble [d4ba51ff]",
    "control_v11p_sd15_lineart [43d4be0d]",
)
IP_ADAPTER_MODELS = (
    "ip-adapter-plus_sd15 [836b5c2e]",
    "ip-adapter_sd15 [6a3f6166]",
    "ip-adapter-plus-face_sd15 [7f7a633a]",
    "ip-adapter_sdxl [d0f4a7c1]",
)
"""IP-Adapter models as sd-webui-controlnet lists them (files in models/ControlNet)."""
IP_ADAPTER_MODULES = (
    "ip-adapter_clip_sd15",
    "ip-adapter_clip_sdxl",
    "ip-adapter_clip_sdxl_plus_vith",
    "ip-adapter-auto",
)
"""The extension's IP-Adapter preprocessors (CLIP vision encoders)."""
CONTROLNET_MODULES = (
    "none",
    "canny",
    "depth_midas",
    "openpose",
    "scribble_pidinet",
    "lineart_realistic",
)


def samplers_listing() -> list[dict[str, Any]]:
    return [{"name": n, "aliases": a, "options": {}} for n, a in SAMPLERS.items()]


def schedulers_listing() -> list[dict[str, Any]]:
    return [
        {"name": n, "label": label, "aliases": None, "default_rho": None, "need_inner_model": None}
        for n, label in SCHEDULERS.items()
    ]


def upscalers_listing() -> list[dict[str, Any]]:
    return [
        {"name": n, "model_name": None, "model_path": None, "model_url": None, "scale": 4}
        for n in UPSCALERS
    ]


def sampler_and_scheduler(name: str, scheduler: str | None) -> tuple[str | None, str]:
    """(known sampler name or None, scheduler label) as the web UI's
    `get_sampler_and_scheduler` splits "DPM++ 2M Karras" into sampler and schedule type."""
    label = _scheduler_label(scheduler)
    for known in SCHEDULERS.values():
        if name.endswith(" " + known) and label == "Automatic":
            name, label = name[: -len(known) - 1], known
    for sampler, aliases in SAMPLERS.items():
        if name == sampler or name in aliases:
            return sampler, label
    return None, label


def _scheduler_label(value: str | None) -> str:
    """An unknown schedule type falls back to Automatic, as the web UI does."""
    for name, label in SCHEDULERS.items():
        if value in (name, label):
            return label
    return "Automatic"


def find_checkpoint(name: str | None) -> Checkpoint | None:
    for checkpoint in CHECKPOINTS:
        if name in checkpoint.aliases():
            return checkpoint
    return None


def controlnet_model_known(name: str, models: tuple[str, ...] = CONTROLNET_MODELS) -> bool:
    return name in models or any(m.split(" [")[0] == name for m in models)
