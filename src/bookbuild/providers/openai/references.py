"""Character references on OpenAI's GPT image models: reference pictures on the edits endpoint.

The Images API has no separate reference field: `images.edit` takes up to 16 input pictures
(`image[]`), and the prompt says what each is. A picture with characters is therefore an edit:
a txt2img becomes an edit of the references alone (no mask: nothing is kept, everything is
drawn new), and an edit of the book's own picture (img2img, inpaint, outpaint...) keeps that
picture first (a mask applies to the first image only) with the references after it.
`input_fidelity: high` asks the model to keep the references' features closely, on the models
that take it (not gpt-image-1-mini, nor gpt-image-2, which always reads inputs closely).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bookbuild.errors import ConfigError
from bookbuild.providers.base import CharacterRef, ImageRequest
from bookbuild.providers.references import (
    REFERENCE_OPS,
    Sent,
    references_metadata,
    with_references,
)

MAX_IMAGES = 16
"""The edits endpoint takes 1 to 16 input pictures."""
NO_FIDELITY = ("gpt-image-1-mini", "gpt-image-2")
"""Models that refuse `input_fidelity` (gpt-image-2 and its snapshots; 2.5 takes it again)."""


def takes_input_fidelity(model: str) -> bool:
    if model == "gpt-image-1-mini" or model.startswith("gpt-image-2.6"):
        return False
    return not (model == "gpt-image-2" or model.startswith("gpt-image-2-"))


def pictures(characters: Sequence[CharacterRef], room: int) -> list[tuple[str, bytes]]:
    """(character id, picture) to send, in prompt order: every reference of every character
    when they fit in `room`, else the first of each."""
    every = [(c.id, image) for c in characters for image in c.images]
    if len(every) <= room:
        return every
    if len(characters) > room:
        raise ConfigError(
            f"openai: a picture can take at most {room} reference pictures, and this one shows "
            f"{len(characters)} characters with references; show fewer in it"
        )
    return [(c.id, c.images[0]) for c in characters]


def apply(
    params: dict[str, Any], images: list[bytes], request: ImageRequest, fidelity: str | None
) -> dict[str, Any]:
    """Add the references of `request` to an Images API call (`params`, `images`, changed in
    place), with the preset's `input_fidelity` or else high; what was sent, for the metadata
    ({} without references)."""
    characters = with_references(request)
    style = list(request.style_images) if request.op in REFERENCE_OPS else []
    if not characters and not style:
        return {}
    own = len(images)  # the book's picture to edit, if any, stays first
    chosen = pictures(characters, MAX_IMAGES - own) if characters else []
    style = style[: max(0, MAX_IMAGES - own - len(chosen))]
    images.extend([picture for _, picture in chosen] + style)
    params["prompt"] = _prompt(characters, chosen, own, len(style), str(params["prompt"]))
    params.pop("moderation", None)  # a generate-only field: this is an edit now
    model = str(params["model"])
    if takes_input_fidelity(model):
        params["input_fidelity"] = fidelity or "high"
    else:
        params.pop("input_fidelity", None)
    sent = [Sent(c.id, "image[]", tuple(p for cid, p in chosen if cid == c.id)) for c in characters]
    notes = [
        f"{c.id}: the first of its {len(c.images)} reference pictures was sent (at most "
        f"{MAX_IMAGES} pictures in all)"
        for c in characters
        if sum(1 for cid, _ in chosen if cid == c.id) < len(c.images)
    ]
    if len(style) < len(request.style_images) and request.op in REFERENCE_OPS:
        notes.append(
            f"{len(style)} of the {len(request.style_images)} style reference pictures sent "
            f"(at most {MAX_IMAGES} pictures in all)"
        )
    if style:
        sent.append(Sent("style.art", "image[]", tuple(style)))
    info = references_metadata(sent, notes)
    info["edit_images"] = len(images)
    if "input_fidelity" in params:
        info["input_fidelity"] = params["input_fidelity"]
    return info


def _prompt(
    characters: Sequence[CharacterRef],
    chosen: list[tuple[str, bytes]],
    own: int,
    styles: int,
    prompt: str,
) -> str:
    """Who is in which input picture, then the picture's own prompt."""
    names = {c.id: c.name for c in characters}
    lines = []
    for number, (cid, _) in enumerate(chosen, own + 1):
        lines.append(f"Image {number} is a reference picture of {names[cid]}.")
    for number in range(own + len(chosen) + 1, own + len(chosen) + styles + 1):
        lines.append(f"Image {number} shows the art style to paint in (not its content).")
    if own:
        head = "Image 1 is the picture to work on."
    else:
        head = "The input images are references only: draw a new picture."
    if chosen:
        lines.append("Draw each character so that they look like their reference picture.")
    return "\n".join([head, *lines, "", prompt])
