"""Character references on ComfyUI: IP-Adapter through the ComfyUI_IPAdapter_plus nodes.

ComfyUI's core has no IP-Adapter; cubiq's ComfyUI_IPAdapter_plus adds `IPAdapterUnifiedLoader`
(the checkpoint's MODEL and a `preset` in, the MODEL and an IPADAPTER out: it finds the
IP-Adapter and CLIP vision files itself) and `IPAdapterAdvanced` (MODEL, IPADAPTER, a reference
IMAGE from `LoadImage`, `weight`, `weight_type`, `start_at`/`end_at` in; the patched MODEL out).
The built-in graphs get one loader and one IPAdapterAdvanced per character, chained in prompt
order between the model (after any LoRA) and the KSampler. A server without these nodes, or
without the models they load, is refused before anything is uploaded or queued.

An author's own workflow (`workflow:`) receives the references as input pictures by role, in
`inputs:` like any other picture: `reference_1`, `reference_2`, ... (the characters in the
order the picture shows them), `reference.<id>` (a character by its cast id), and
`style_reference` (the first `style.art.reference` picture). Each is uploaded and its name set
in the mapped field (a LoadImage's `image`). A reference the workflow maps no role for is not
sent, and the result's metadata says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.base import CastNeeds, CastProblem, CharacterRef, ImageRequest
from bookbuild.providers.comfyui import pictures
from bookbuild.providers.comfyui.client import ComfyUIClient
from bookbuild.providers.comfyui.options import ComfyUIOptions
from bookbuild.providers.references import (
    REFERENCE_OPS,
    Sent,
    first_only_notes,
    references_metadata,
    with_references,
)

NODES = ("IPAdapterUnifiedLoader", "IPAdapterAdvanced")
DEFAULT_PRESET = "PLUS (high strength)"
INSTALL = (
    "install ComfyUI_IPAdapter_plus (cubiq/ComfyUI_IPAdapter_plus; in ComfyUI Manager "
    "'ComfyUI IPAdapter plus') with an IP-Adapter model in models/ipadapter (e.g. "
    "ip-adapter-plus_sd15.safetensors) and the CLIP vision encoder in models/clip_vision "
    "(CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors), then restart ComfyUI"
)
ROLE = re.compile(r"^(reference_[1-9][0-9]?|reference\.[A-Za-z0-9_-]+|style_reference)$")
"""The `inputs:` names of reference pictures in an author's workflow."""


def is_role(name: str) -> bool:
    return bool(ROLE.match(name))


def require(nodes: Mapping[str, Any], options: ComfyUIOptions, url: str) -> None:
    """Refuse, before any upload, a server without the IP-Adapter nodes or their models."""
    missing = [name for name in NODES if name not in nodes]
    if missing:
        raise ProviderError(
            f"the ComfyUI server at {url} has no {', '.join(missing)} node for character "
            f"references: {INSTALL}",
            provider="comfyui",
        )
    presets = _choices(nodes, "IPAdapterUnifiedLoader", "preset")
    preset = options.ip_adapter_preset or DEFAULT_PRESET
    if presets and preset not in presets:
        raise ProviderError(
            f"IPAdapterUnifiedLoader has no preset {preset!r}; it has: {', '.join(presets)}",
            provider="comfyui",
        )
    for node, field, folder in (
        ("IPAdapterModelLoader", "ipadapter_file", "models/ipadapter"),
        ("CLIPVisionLoader", "clip_name", "models/clip_vision"),
    ):
        if node in nodes and not _choices(nodes, node, field):
            raise ProviderError(
                f"the ComfyUI server at {url} has no file in {folder}, which IP-Adapter needs "
                f"for character references: {INSTALL}",
                provider="comfyui",
            )


def _choices(nodes: Mapping[str, Any], node: str, field: str) -> list[str]:
    spec = nodes.get(node, {}).get("input", {}).get("required", {}).get(field)
    if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], list):
        return [str(choice) for choice in spec[0]]
    return []


def insert(
    graph: dict[str, Any],
    characters: Sequence[CharacterRef],
    names: Sequence[str],
    options: ComfyUIOptions,
) -> None:
    """Put the IP-Adapter loader and one IPAdapterAdvanced per character (their uploaded
    reference `names`) between the model and the KSampler of a built-in graph."""
    sampler = graph["sampler"]["inputs"]
    model = sampler["model"]
    graph["ipadapter"] = {
        "class_type": "IPAdapterUnifiedLoader",
        "inputs": {"model": model, "preset": options.ip_adapter_preset or DEFAULT_PRESET},
    }
    model = ["ipadapter", 0]
    for number, (character, name) in enumerate(zip(characters, names, strict=True), 1):
        graph[f"reference-{number}"] = {"class_type": "LoadImage", "inputs": {"image": name}}
        graph[f"ipadapter-{number}"] = {
            "class_type": "IPAdapterAdvanced",
            "inputs": {
                "model": model,
                "ipadapter": ["ipadapter", 1],
                "image": [f"reference-{number}", 0],
                "weight": weight(character),
                "weight_type": "linear",
                "combine_embeds": "concat",
                "start_at": 0.0,
                "end_at": 1.0,
                "embeds_scaling": "V only",
            },
        }
        model = [f"ipadapter-{number}", 0]
    sampler["model"] = model


def upload(client: ComfyUIClient, request: ImageRequest, picture: bytes) -> str:
    png = pictures.as_rgb_png(picture, f"{request.step_id} reference")
    return client.upload(pictures.upload_name("reference", png), png)


def builtin_metadata(characters: Sequence[CharacterRef], options: ComfyUIOptions) -> dict[str, Any]:
    sent = [
        Sent(c.id, f"IPAdapterAdvanced (ipadapter-{n})", (c.images[0],), weight(c))
        for n, c in enumerate(characters, 1)
    ]
    info = references_metadata(sent, first_only_notes(characters))
    return {**info, "ip_adapter_preset": options.ip_adapter_preset or DEFAULT_PRESET}


def workflow_pictures(
    request: ImageRequest, inputs: Mapping[str, str]
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The reference pictures an author's workflow maps, by role, and the metadata of what
    was sent and what was not."""
    if request.op not in REFERENCE_OPS:
        return {}, {}
    chosen: dict[str, bytes] = {}
    sent, notes = [], []
    for number, character in enumerate(with_references(request), 1):
        role = next(
            (r for r in (f"reference.{character.id}", f"reference_{number}") if r in inputs), None
        )
        if role is None:
            notes.append(
                f"{character.id}: not sent: the workflow maps no `reference.{character.id}` or "
                f"`reference_{number}` in `inputs:`"
            )
            continue
        chosen[role] = character.images[0]
        sent.append(
            Sent(character.id, f"workflow input {role} ({inputs[role]})", character.images[:1])
        )
    if request.style_images:
        if "style_reference" in inputs:
            chosen["style_reference"] = request.style_images[0]
            sent.append(
                Sent(
                    "style.art",
                    f"workflow input style_reference ({inputs['style_reference']})",
                    request.style_images[:1],
                )
            )
        else:
            notes.append("style: not sent: the workflow maps no `style_reference` in `inputs:`")
    notes += first_only_notes(with_references(request))
    return chosen, references_metadata(sent, notes)


def weight(character: CharacterRef) -> float:
    return round(min(5.0, max(-1.0, character.weight)), 3)


def cast_problems(options: ComfyUIOptions, op: str, needs: CastNeeds) -> list[CastProblem]:
    """Warnings: the references an author's workflow maps no role for, and the style reference
    the built-in graphs do not take."""
    problems: list[CastProblem] = []
    if options.workflow is None:
        if needs.style_reference:
            problems.append(("warning", STYLE_NOT_SENT))
        return problems
    unmapped = [
        cid
        for number, cid in enumerate(needs.references, 1)
        if f"reference.{cid}" not in options.inputs and f"reference_{number}" not in options.inputs
    ]
    if unmapped:
        problems.append(
            (
                "warning",
                f"its workflow maps no input for the reference of {', '.join(unmapped)} "
                "(`reference.<id>` or `reference_N` in `inputs:`): not sent",
            )
        )
    if needs.style_reference and "style_reference" not in options.inputs:
        problems.append(("warning", "its workflow maps no `style_reference`: not sent"))
    if needs.loras:
        problems.append(("warning", "character LoRAs are not added to an author's workflow"))
    return problems


STYLE_NOT_SENT = (
    "the built-in graphs take no style reference: `style.art.reference` is not sent (its "
    "description is in the prompt)"
)
