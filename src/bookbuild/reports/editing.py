"""What the region editor sends, as the edit written into book.yaml.

A drawn rect, ellipse or polygon is written as fractions of the picture (rounded to 1/10000),
so the edit survives a new base picture; brush strokes are a PNG under masks/ (feather and
invert applied to the painting). Outpaint margins are pixels of the picture the edit starts
from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageFilter

from bookbuild.errors import StudioInputError
from bookbuild.reports.changes import decode_painted_mask, save_mask_png
from bookbuild.spec.edits import InpaintEdit, OutpaintEdit
from bookbuild.spec.models import MaskShape

DIGITS = 4
SHAPES = ("rect", "ellipse", "polygon")
MAX_GROW = 256
FORECAST_REGION = {"rect": [0.25, 0.25, 0.75, 0.75]}


@dataclass(frozen=True)
class EditRequest:
    """An edit from the page, checked: `op` is inpaint or outpaint."""

    op: str
    prompt: str
    shape: dict[str, Any] | None = None
    brush: str | None = None  # PNG data URL, white = repaint, at the picture's size
    feather: float = 0.0
    invert: bool = False
    strength: float | None = None
    grow: int = 0  # pixels the painted mask is padded by (A1111's "mask padding")
    margins: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, right, up, down

    @classmethod
    def from_json(cls, raw: Any) -> EditRequest:
        if not isinstance(raw, dict):
            raise StudioInputError("`edit` must be an object")
        op = raw.get("op")
        if op not in ("inpaint", "outpaint"):
            raise StudioInputError("`edit.op` must be inpaint or outpaint")
        margins = tuple(_int(raw.get(side, 0), side) for side in ("left", "right", "up", "down"))
        strength = raw.get("strength")
        return cls(
            op=op,
            prompt=str(raw.get("prompt") or "").strip(),
            shape=_shape(raw.get("shape")),
            brush=raw.get("brush") if isinstance(raw.get("brush"), str) else None,
            feather=_fraction(raw.get("feather", 0.0), "feather"),
            invert=bool(raw.get("invert", False)),
            strength=None if strength is None else _fraction(strength, "strength"),
            grow=min(_int(raw.get("grow", 0), "grow"), MAX_GROW),
            margins=margins,  # type: ignore[arg-type]
        )


def spec_edit(
    request: EditRequest, root: Path, picture_size: tuple[int, int], stem: str, *, save: bool
) -> dict[str, Any]:
    """The `- op: {...}` item to write. With `save` False a painted mask is not written: a
    forecast needs only the kind of change, so a stand-in region is used."""
    if request.op == "outpaint":
        return {"outpaint": _outpaint(request)}
    if not request.prompt:
        raise StudioInputError("say what to paint in the region (the prompt is empty)")
    mask: Any
    if request.brush is not None:
        painted = _painted(request, picture_size)  # refused here if it is blank
        # for a forecast, a region of the same kind of change stands in for the file
        mask = save_mask_png(root, painted, stem) if save else dict(FORECAST_REGION)
    elif request.shape is not None:
        mask = _shape_mask(request)
    else:
        raise StudioInputError("draw a region on the picture first")
    fields: dict[str, Any] = {"mask": mask, "prompt": request.prompt}
    default = InpaintEdit.model_fields["strength"].default
    if request.strength is not None and request.strength != default:
        fields["strength"] = request.strength
    InpaintEdit.model_validate({**fields, "mask": mask})
    return {"inpaint": fields}


def _outpaint(request: EditRequest) -> dict[str, Any]:
    sides = dict(zip(("left", "right", "up", "down"), request.margins, strict=True))
    fields: dict[str, Any] = {side: px for side, px in sides.items() if px > 0}
    if request.prompt:
        fields["prompt"] = request.prompt
    try:
        OutpaintEdit.model_validate(fields)
    except ValueError:
        raise StudioInputError("drag at least one edge of the canvas outwards") from None
    return fields


def _shape_mask(request: EditRequest) -> dict[str, Any]:
    assert request.shape is not None
    mask = dict(request.shape)
    if request.feather > 0:
        mask["feather"] = request.feather
    if request.invert:
        mask["invert"] = True
    try:
        MaskShape.model_validate(mask)
    except ValueError as exc:
        raise StudioInputError(f"the drawn region cannot be used: {exc}") from None
    return mask


def _painted(request: EditRequest, size: tuple[int, int]) -> Image.Image:
    assert request.brush is not None
    image = decode_painted_mask(request.brush).convert("L")
    if image.size != size:
        raise StudioInputError(
            f"the painted mask is {image.width}x{image.height}, the picture {size[0]}x{size[1]}"
        )
    if request.grow > 0:  # padding first, then the blur softens the grown edge
        image = _grown(image, request.grow)
    if request.feather > 0:
        image = image.filter(ImageFilter.GaussianBlur(request.feather * min(size)))
    if request.invert:
        image = ImageChops.invert(image)
    if image.getextrema()[1] == 0:
        raise StudioInputError("the brush painted nothing: paint the region to change")
    return image


def _grown(mask: Image.Image, pixels: int) -> Image.Image:
    """The mask padded by `pixels` on every side (a box blur, then anything touched is in)."""
    spread = mask.point(lambda v: 255 if v >= 128 else 0).filter(ImageFilter.BoxBlur(pixels))
    return ImageChops.lighter(mask, spread.point(lambda v: 255 if v > 0 else 0))


def _shape(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in SHAPES:
        raise StudioInputError("`edit.shape` must be one of {rect|ellipse|polygon: [...]}")
    kind, value = next(iter(raw.items()))
    if kind == "polygon":
        if not isinstance(value, list) or len(value) < 3:
            raise StudioInputError("a polygon needs at least three points")
        return {kind: [[_clamp(p, "polygon point") for p in _pair(v)] for v in value]}
    if not isinstance(value, list) or len(value) != 4:
        raise StudioInputError(f"a {kind} needs [x0, y0, x1, y1]")
    x0, y0, x1, y1 = (_clamp(v, kind) for v in value)
    return {kind: [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]}


def _pair(value: Any) -> list[Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise StudioInputError("a polygon point must be [x, y]")
    return value


def _clamp(value: Any, what: str) -> float:
    return round(min(1.0, max(0.0, _number(value, what))), DIGITS)


def _fraction(value: Any, what: str) -> float:
    number = _number(value, what)
    if not 0.0 <= number <= 1.0:
        raise StudioInputError(f"`{what}` must be between 0 and 1")
    return round(number, DIGITS)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudioInputError(f"`{what}` must be a number")
    return float(value)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2048:
        raise StudioInputError(f"`{what}` must be a whole number of pixels, 0..2048")
    return int(value)
