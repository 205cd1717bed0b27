"""Which v2beta endpoint each op uses and the form fields it sends, plus the sizes and prices
Stability works in (image-apis.md §2, services-2026-11.md §5.2).

Generate and style endpoints take no width or height, only an `aspect_ratio` among nine; the
ratio nearest the wanted size is sent and the answer is scaled and centre-cropped to the exact
size. Masks go as bookbuild's own greyscale PNG (white = repaint), which is Stability's own
convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from io import BytesIO
from typing import Any

from PIL import Image

from bookbuild.errors import ConfigError

V2 = "/v2beta/stable-image"
ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "21:9": (21, 9),
    "16:9": (16, 9),
    "3:2": (3, 2),
    "5:4": (5, 4),
    "1:1": (1, 1),
    "4:5": (4, 5),
    "2:3": (2, 3),
    "9:16": (9, 16),
    "9:21": (9, 21),
}
SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash")
MODELS = ("ultra", "core", *SD3_MODELS)
CREDITS = {
    "ultra": 8.0,
    "core": 3.0,
    "sd3.5-large": 6.5,
    "sd3.5-large-turbo": 4.0,
    "sd3.5-medium": 3.5,
    "sd3.5-flash": 2.5,
    "inpaint": 5.0,
    "outpaint": 4.0,
    "erase": 5.0,
    "replace": 5.0,
    "remove_background": 5.0,
    "fast": 2.0,
    "conservative": 40.0,
    "creative": 60.0,
    "controlnet": 5.0,
}
USD_PER_CREDIT = 0.01
MAX_BODY = 10 * 1024 * 1024  # larger requests are refused (413 payload_too_large)
BODY_MARGIN = 64 * 1024  # multipart headers and text fields
MAX_MARGIN = 2000
CONTROL_OF_TYPE = {
    "canny": "sketch",
    "lineart": "sketch",
    "scribble": "sketch",
    "sketch": "sketch",
    "softedge": "sketch",
    "depth": "structure",
    "normal": "structure",
    "openpose": "structure",
    "mlsd": "structure",
    "seg": "structure",
    "structure": "structure",
    "style": "style",
    "shuffle": "style",
    "reference": "style",
}


_COMMON = ("seed", "output_format")
_DRAW = ("prompt", "negative_prompt", "style_preset", *_COMMON)
FIELDS: dict[str, tuple[str, ...]] = {
    "generate/ultra": (*_DRAW, "aspect_ratio", "strength"),
    "generate/core": (*_DRAW, "aspect_ratio"),
    "generate/sd3": (*_DRAW, "aspect_ratio", "strength", "model", "mode", "cfg_scale"),
    "edit/inpaint": (*_DRAW, "grow_mask"),
    "edit/erase": ("grow_mask", *_COMMON),
    "edit/search-and-replace": (*_DRAW, "search_prompt"),
    "edit/outpaint": (
        "prompt",
        "style_preset",
        "creativity",
        "left",
        "right",
        "up",
        "down",
        *_COMMON,
    ),
    "edit/remove-background": ("output_format",),
    "upscale/fast": ("output_format",),
    "upscale/conservative": ("prompt", "negative_prompt", "creativity", *_COMMON),
    "upscale/creative": (*_DRAW, "creativity"),
    "control/sketch": (*_DRAW, "control_strength"),
    "control/structure": (*_DRAW, "control_strength"),
    "control/style": (*_DRAW, "aspect_ratio", "fidelity"),
}
"""The form fields each endpoint takes (the v2beta reference); nothing else is sent."""


@dataclass(frozen=True)
class Call:
    """One request: the endpoint path, the text fields, the files, and how to price it. Fields
    the endpoint does not take are dropped."""

    path: str
    fields: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)
    priced_as: str = ""
    is_async: bool = False
    image_as: str = "png"

    def __post_init__(self) -> None:
        taken = FIELDS[self.path.removeprefix(V2 + "/")]
        for name in [n for n in self.fields if n not in taken]:
            del self.fields[name]


def within_size_limit(call: Call) -> Call:
    """`call` with its input picture sent as WebP (quality 95, alpha kept) when the PNGs would
    make the request larger than the service takes."""
    if sum(map(len, call.files.values())) + BODY_MARGIN <= MAX_BODY or "image" not in call.files:
        return call
    with Image.open(BytesIO(call.files["image"])) as picture:
        buffer = BytesIO()
        picture.save(buffer, format="WEBP", quality=95, method=4)
    return replace(call, files={**call.files, "image": buffer.getvalue()}, image_as="webp")


def nearest_ratio(width: int, height: int) -> str:
    """The aspect ratio Stability generates that is nearest `width`:`height`."""
    wanted = width / height
    return min(ASPECT_RATIOS, key=lambda r: abs(_value(r) - wanted) / wanted)


def crop_share(width: int, height: int) -> float:
    """How much of a picture at the nearest ratio is cropped away to give `width`x`height`."""
    ratio = _value(nearest_ratio(width, height))
    wanted = width / height
    return 1 - min(ratio, wanted) / max(ratio, wanted)


def _value(ratio: str) -> float:
    w, h = ASPECT_RATIOS[ratio]
    return w / h


def generate_call(
    model: str, fields: dict[str, str], image: bytes | None, strength: float | None
) -> Call:
    """txt2img (no image) or img2img (an image and a strength) on ultra, core or SD 3.5."""
    if model in SD3_MODELS:
        fields = {**fields, "model": model}
        path = f"{V2}/generate/sd3"
    elif model in ("ultra", "core"):
        path = f"{V2}/generate/{model}"
    else:
        raise ConfigError(f"stability: unknown model {model!r}; use one of {', '.join(MODELS)}")
    if image is None:
        return Call(path, fields, priced_as=model)
    if model == "core":
        raise ConfigError(
            "stability: `model: core` cannot start from a picture (img2img); use `ultra` or an "
            "sd3.5 model for this preset"
        )
    fields = {k: v for k, v in fields.items() if k != "aspect_ratio"}
    fields["strength"] = _num(strength if strength is not None else 0.5)
    if model in SD3_MODELS:
        fields["mode"] = "image-to-image"
    return Call(path, fields, {"image": image}, priced_as=model)


def edit_call(
    op: str, image: bytes, fields: dict[str, str], mask: bytes | None, params: Mapping[str, Any]
) -> Call:
    """inpaint, erase, replace, outpaint, remove_background."""
    if op == "inpaint":
        files = {"image": image, **({"mask": mask} if mask else {})}
        return Call(f"{V2}/edit/inpaint", fields, files, "inpaint")
    if op == "erase":
        files = {"image": image, **({"mask": mask} if mask else {})}
        return Call(f"{V2}/edit/erase", fields, files, "erase")
    if op == "replace":
        fields["search_prompt"] = str(params["search"])
        return Call(f"{V2}/edit/search-and-replace", fields, {"image": image}, "replace")
    if op == "outpaint":
        margins = {side: int(params.get(side, 0)) for side in ("left", "right", "up", "down")}
        too_far = [side for side, px in margins.items() if px > MAX_MARGIN]
        if too_far:
            raise ConfigError(
                f"stability: outpaint takes at most {MAX_MARGIN} px a side ({', '.join(too_far)}); "
                "split it into two outpaint edits"
            )
        sides = {side: str(px) for side, px in margins.items() if px}
        return Call(f"{V2}/edit/outpaint", {**fields, **sides}, {"image": image}, "outpaint")
    return Call(
        f"{V2}/edit/remove-background",
        {"output_format": "png"},
        {"image": image},
        "remove_background",
    )


def upscale_call(upscaler: str, image: bytes, fields: dict[str, str]) -> Call:
    path = f"{V2}/upscale/{upscaler}"
    if upscaler == "fast":
        return Call(path, {"output_format": "png"}, {"image": image}, "fast")
    fields = {"prompt": "the same picture, sharper, more detail", **fields}
    return Call(path, fields, {"image": image}, upscaler, is_async=upscaler == "creative")


def control_call(
    control: str, image: bytes, fields: dict[str, str], strength: float, ratio: str
) -> Call:
    path = f"{V2}/control/{control}"
    if control == "style":
        fields.update(fidelity=_num(min(1.0, strength)), aspect_ratio=ratio)
    else:
        fields["control_strength"] = _num(min(1.0, strength))
    return Call(path, fields, {"image": image}, "controlnet")


def control_of(type_name: str, chosen: str | None) -> str:
    """The control endpoint for a ControlNet type (the preset's `control` wins)."""
    if chosen:
        return chosen
    control = CONTROL_OF_TYPE.get(type_name.lower())
    if control is None:
        known = ", ".join(sorted(CONTROL_OF_TYPE))
        raise ConfigError(
            f"stability: no control endpoint for ControlNet type {type_name!r} (known: {known}); "
            "or set `control: sketch|structure|style` on the preset"
        )
    return control


def _num(value: float) -> str:
    return f"{value:g}"
