"""The spec models of edits and masks: one model per edit op (`bookbuild.graph.ops`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from bookbuild.spec.base import Fraction, Strict


class MaskShape(Strict):
    """A mask drawn from shapes, in fractions of the image (0..1), so it survives a new base."""

    rect: list[Fraction] | None = Field(
        default=None, min_length=4, max_length=4, description="[x0, y0, x1, y1] rectangle."
    )
    ellipse: list[Fraction] | None = Field(
        default=None, min_length=4, max_length=4, description="[x0, y0, x1, y1] bounding box."
    )
    polygon: list[list[Fraction]] | None = Field(
        default=None, min_length=3, description="[[x, y], ...] polygon vertices."
    )
    feather: Fraction = Field(
        default=0.0, description="Edge softness, fraction of the shorter side."
    )
    invert: bool = Field(default=False, description="Repaint everything except the shape.")

    @model_validator(mode="after")
    def _exactly_one_shape(self) -> MaskShape:
        given = [n for n in ("rect", "ellipse", "polygon") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a mask shape needs exactly one of rect, ellipse, polygon")
        box = self.rect or self.ellipse
        if box is not None and not (box[0] < box[2] and box[1] < box[3]):
            raise ValueError(
                f"the {given[0]} [x0, y0, x1, y1] is empty: x0 < x1 and y0 < y1 are needed "
                "(an empty mask would pay for an edit that changes nothing)"
            )
        return self


Mask = Annotated[
    str | MaskShape,
    Field(description="PNG path (white = repaint, any size) or a shape in image fractions."),
]


class InpaintEdit(Strict):
    mask: Mask
    prompt: str = Field(min_length=1, description="What to paint in the masked region.")
    negative_prompt: str | None = Field(default=None, description="What to avoid in the region.")
    strength: Fraction = Field(default=0.8, description="How strongly to repaint the region.")
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class OutpaintEdit(Strict):
    left: int = Field(default=0, ge=0, le=2048, description="Pixels to add on the left.")
    right: int = Field(default=0, ge=0, le=2048, description="Pixels to add on the right.")
    up: int = Field(default=0, ge=0, le=2048, description="Pixels to add at the top.")
    down: int = Field(default=0, ge=0, le=2048, description="Pixels to add at the bottom.")
    prompt: str | None = Field(
        default=None, description="What the new area shows; default: the image's."
    )
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )

    @model_validator(mode="after")
    def _grows(self) -> OutpaintEdit:
        if not (self.left or self.right or self.up or self.down):
            raise ValueError("outpaint needs at least one of left, right, up, down > 0")
        return self


class UpscaleEdit(Strict):
    scale: Literal[2, 3, 4] = Field(default=2, description="Upscaling factor.")
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class RemoveBackgroundEdit(Strict):
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class Img2ImgEdit(Strict):
    prompt: str = Field(min_length=1, description="What the new image shows.")
    strength: Fraction = Field(default=0.5, description="How far to move from the current image.")
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class EraseEdit(Strict):
    mask: Mask
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class ReplaceEdit(Strict):
    search: str = Field(
        min_length=1, description="What to find in the picture, in words (e.g. 'the cat')."
    )
    prompt: str = Field(min_length=1, description="What to put in its place (e.g. 'a small dog').")
    negative_prompt: str | None = Field(default=None, description="What to avoid in its place.")
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


EDITS: dict[str, tuple[type[Strict], str]] = {
    "inpaint": (InpaintEdit, "Repaint a masked region."),
    "outpaint": (OutpaintEdit, "Grow the canvas and paint the rest."),
    "upscale": (UpscaleEdit, "Super-resolution."),
    "remove_background": (RemoveBackgroundEdit, "Cut the subject out (transparent background)."),
    "img2img": (Img2ImgEdit, "Redraw the whole image from itself."),
    "erase": (
        EraseEdit,
        "Remove what the mask covers, filled in from its surroundings (no prompt).",
    ),
    "replace": (
        ReplaceEdit,
        "Replace what `search` names with the prompt; no mask: the back end finds it.",
    ),
}
"""Every `edits:` entry: its name (an image op of graph/ops.py), spec model and summary."""
