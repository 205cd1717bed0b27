"""The names a preset gives ComfyUI, checked against the server's own lists (`/object_info`)
before anything is queued. The server refuses a graph naming a file it does not have with
"value_not_in_list ... not in (list of length 44)", which names neither the file's folder nor
what it has, once per step; checked here, a wrong name is one error before any step, with the
names the server has.

A list is an input's choices in `/object_info`: `[[names...], {...}]`, or in newer nodes
`["COMBO", {"options": [names...]}]`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bookbuild.providers.comfyui.options import ComfyUIOptions

_SHOWN = 12

LISTS: dict[str, tuple[str, str, str]] = {
    "checkpoint": ("CheckpointLoaderSimple", "ckpt_name", "models/checkpoints"),
    "LoRA": ("LoraLoader", "lora_name", "models/loras"),
    "sampler": ("KSampler", "sampler_name", ""),
    "scheduler": ("KSampler", "scheduler", ""),
    "ControlNet model": ("ControlNetLoader", "control_net_name", "models/controlnet"),
    "upscale model": ("UpscaleModelLoader", "model_name", "models/upscale_models"),
}
"""What a name is -> (node class, its input, the folder its files go in)."""


def choices(nodes: Mapping[str, Any], node_class: str, field: str) -> list[str] | None:
    """The server's choices for a node's input; None when it has no such node or list."""
    info = nodes.get(node_class)
    inputs = info.get("input") if isinstance(info, dict) else None
    spec: Any = None
    for kind in ("required", "optional"):
        group = inputs.get(kind) if isinstance(inputs, dict) else None
        if isinstance(group, dict) and field in group:
            spec = group[field]
    if not isinstance(spec, list | tuple) or not spec:
        return None
    if isinstance(spec[0], list):
        return [str(name) for name in spec[0]]
    extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    options = extra.get("options") if spec[0] == "COMBO" else None
    return [str(name) for name in options] if isinstance(options, list) else None


def preset_names(options: ComfyUIOptions) -> list[tuple[str, str]]:
    """(what, name) for every name a built-in graph of the preset would send."""
    named: list[tuple[str, str]] = []
    if options.checkpoint:
        named.append(("checkpoint", options.checkpoint))
    named += [("LoRA", model) for model, _ in options.loras()]
    named += [("sampler", options.sampler), ("scheduler", options.scheduler)]
    named += [("ControlNet model", model) for model in options.controlnet_models.values()]
    if options.upscale_model:
        named.append(("upscale model", options.upscale_model))
    return named


def problems(nodes: Mapping[str, Any], named: Iterable[tuple[str, str]], url: str) -> list[str]:
    """One sentence per name the server does not list (a node it lacks is said elsewhere)."""
    found: list[str] = []
    for what, name in named:
        node_class, field, folder = LISTS[what]
        listed = choices(nodes, node_class, field)
        if listed is None or name in listed:
            continue
        where = f"put the file in ComfyUI's {folder} and restart it, or " if folder else ""
        sentence = (
            f"the ComfyUI server at {url} has no {what} `{name}` (it has: {_listed(listed)}); "
            f"{where}fix the name"
        )
        if sentence not in found:
            found.append(sentence)
    return found


def _listed(names: list[str]) -> str:
    shown = sorted(names)
    text = ", ".join(shown[:_SHOWN]) or "none"
    return text + (f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else "")
