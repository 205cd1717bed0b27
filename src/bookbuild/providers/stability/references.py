"""Character and style references on Stability's v2beta API.

Stability has no identity reference (no IP-Adapter, no reference pictures of a subject): a
character is drawn from its description in the prompt only, and the result's metadata says so
for each character that had a reference. The art style has one: `control/style` takes a style
guide picture (`image`) with a `fidelity` (0..1) and generates a new picture in that style, so a
txt2img of a book with `style.art.reference` goes there (priced as a control call) with the
first style picture; other ops have no style input, and their metadata says it was not sent.
"""

from __future__ import annotations

from typing import Any

from bookbuild.providers.base import CastNeeds, CastProblem, ImageRequest
from bookbuild.providers.references import REFERENCE_OPS, Sent, references_metadata
from bookbuild.providers.stability.calls import V2, Call, control_call, nearest_ratio
from bookbuild.providers.stability.options import StabilityOptions

DEFAULT_FIDELITY = 0.5
STYLE = f"{V2}/control/style"


def cast_problems(preset: StabilityOptions, op: str, needs: CastNeeds) -> list[CastProblem]:
    """Warnings (errors under --strict): what Stability cannot take of a picture's cast."""
    problems: list[CastProblem] = []
    if needs.references:
        ids = ", ".join(needs.references)
        problems.append(
            (
                "warning",
                f"Stability has no character reference: {ids} rely on their descriptions only "
                "(use an a1111, comfyui, diffusers, sdapi or openai preset to send the pictures)",
            )
        )
    if needs.loras:
        problems.append(
            ("warning", f"Stability takes no LoRA: {', '.join(needs.loras)}'s is unused")
        )
    if needs.style_reference and op != "txt2img":
        problems.append(
            (
                "warning",
                f"Stability's style reference (control/style) only draws new pictures; "
                f"this {op} is not sent `style.art.reference`",
            )
        )
    return problems


def style_call(
    preset: StabilityOptions, request: ImageRequest, fields: dict[str, str]
) -> Call | None:
    """The control/style call of a txt2img with style pictures; None otherwise."""
    if request.op != "txt2img" or not request.style_images:
        return None
    fidelity = preset.style_fidelity if preset.style_fidelity is not None else DEFAULT_FIDELITY
    ratio = nearest_ratio(request.width, request.height)
    return control_call("style", request.style_images[0], fields, fidelity, ratio)


def metadata(request: ImageRequest, call: Call) -> dict[str, Any]:
    """What was sent of the cast and the style, and what was not (never silently)."""
    if request.op not in REFERENCE_OPS:
        return {}
    notes = [
        f"{c.id}: no character reference on Stability; drawn from its description only"
        for c in request.characters
        if c.images
    ]
    sent = []
    info: dict[str, Any] = {}
    if request.style_images and call.path == STYLE:
        info["model"] = "style"  # control/style draws it, not the preset's model
        sent.append(Sent("style.art", "control/style image", request.style_images[:1]))
        if len(request.style_images) > 1:
            notes.append(
                f"style: the first of {len(request.style_images)} style pictures was sent "
                "(control/style takes one)"
            )
    elif request.style_images:
        notes.append(f"style: {request.op} has no style input on Stability; not sent")
    return {**info, **references_metadata(sent, notes)}
