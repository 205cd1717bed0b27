"""The endpoints of the fake Stability AI v2beta service and their validation, per the v2beta
OpenAPI document (reference: image-apis.md §2, services-2026-11.md §5.2).

Each endpoint lists every form field it takes, the required ones, and its file parts; the
validator answers like the service: a list of `field: problem` strings for a 400
`bad_request`. Fields the endpoint does not take are refused (the real service ignores some and
rejects others; refusing all keeps a client honest), except the official samples' empty `none`
file part, which only forces multipart encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO

from PIL import Image

from .multipart import Form

V2 = "/v2beta/stable-image"
ASPECT_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
OUTPUT_FORMATS = ("jpeg", "png", "webp")
STYLE_PRESETS = (
    *("enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art"),
    *("line-art", "analog-film", "neon-punk", "isometric", "low-poly", "origami"),
    *("modeling-compound", "cinematic", "3d-model", "pixel-art", "tile-texture"),
)
SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash")
MAX_SEED = 4294967294
COMMON = ("seed", "output_format")


@dataclass(frozen=True)
class Endpoint:
    route: str  # short name used by tests to script answers: "ultra", "inpaint", ...
    text: tuple[str, ...]
    required: tuple[str, ...] = ()
    files: tuple[str, ...] = ("image",)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    pixels: tuple[int, int] = (4096, 9_437_184)
    min_side: int = 64
    max_side: int | None = None
    formats: tuple[str, ...] = OUTPUT_FORMATS
    is_async: bool = False
    credits: float = 0.0


def _edit(route: str, *extra: str, **options: object) -> Endpoint:
    return Endpoint(route, (*extra, *COMMON), **options)  # type: ignore[arg-type]


ENDPOINTS: dict[str, Endpoint] = {
    f"{V2}/generate/ultra": Endpoint(
        "ultra",
        ("prompt", "negative_prompt", "aspect_ratio", "strength", "style_preset", *COMMON),
        ("prompt",),
        ranges={"strength": (0, 1)},
        credits=8,
    ),
    f"{V2}/generate/core": Endpoint(
        "core",
        ("prompt", "negative_prompt", "aspect_ratio", "style_preset", *COMMON),
        ("prompt",),
        files=(),
        credits=3,
    ),
    f"{V2}/generate/sd3": Endpoint(
        "sd3",
        (
            *("prompt", "mode", "model", "negative_prompt", "aspect_ratio", "strength"),
            *("cfg_scale", "style_preset", *COMMON),
        ),
        ("prompt",),
        ranges={"strength": (0, 1), "cfg_scale": (1, 10)},
        credits=6.5,
    ),
    f"{V2}/edit/inpaint": _edit(
        "inpaint",
        "prompt",
        "negative_prompt",
        "grow_mask",
        "style_preset",
        required=("image", "prompt"),
        files=("image", "mask"),
        ranges={"grow_mask": (0, 100)},
        credits=5,
    ),
    f"{V2}/edit/outpaint": _edit(
        "outpaint",
        "left",
        "right",
        "up",
        "down",
        "creativity",
        "prompt",
        "style_preset",
        required=("image",),
        ranges={"left": (0, 2000), "right": (0, 2000), "up": (0, 2000), "down": (0, 2000)}
        | {"creativity": (0, 1)},
        credits=4,
    ),
    f"{V2}/edit/erase": _edit(
        "erase",
        "grow_mask",
        required=("image",),
        files=("image", "mask"),
        ranges={"grow_mask": (0, 20)},
        credits=5,
    ),
    f"{V2}/edit/search-and-replace": _edit(
        "search-and-replace",
        "prompt",
        "search_prompt",
        "negative_prompt",
        "grow_mask",
        "style_preset",
        required=("image", "prompt", "search_prompt"),
        ranges={"grow_mask": (0, 20)},
        credits=5,
    ),
    f"{V2}/edit/remove-background": Endpoint(
        "remove-background",
        ("output_format",),
        ("image",),
        pixels=(4096, 4_194_304),
        formats=("png", "webp"),
        credits=5,
    ),
    f"{V2}/upscale/fast": Endpoint(
        "fast",
        ("output_format",),
        ("image",),
        pixels=(1024, 1_048_576),
        min_side=32,
        max_side=1536,
        credits=2,
    ),
    f"{V2}/upscale/conservative": _edit(
        "conservative",
        "prompt",
        "negative_prompt",
        "creativity",
        required=("image", "prompt"),
        ranges={"creativity": (0.2, 0.5)},
        credits=40,
    ),
    f"{V2}/upscale/creative": _edit(
        "creative",
        "prompt",
        "negative_prompt",
        "creativity",
        "style_preset",
        required=("image", "prompt"),
        ranges={"creativity": (0.1, 0.5)},
        pixels=(4096, 1_048_576),
        is_async=True,
        credits=60,
    ),
    f"{V2}/control/sketch": _edit(
        "sketch",
        "prompt",
        "control_strength",
        "negative_prompt",
        "style_preset",
        required=("image", "prompt"),
        ranges={"control_strength": (0, 1)},
        credits=5,
    ),
    f"{V2}/control/structure": _edit(
        "structure",
        "prompt",
        "control_strength",
        "negative_prompt",
        "style_preset",
        required=("image", "prompt"),
        ranges={"control_strength": (0, 1)},
        credits=5,
    ),
    f"{V2}/control/style": _edit(
        "style",
        "prompt",
        "negative_prompt",
        "aspect_ratio",
        "fidelity",
        "style_preset",
        required=("image", "prompt"),
        ranges={"fidelity": (0, 1)},
        credits=5,
    ),
}
RESULTS_PREFIX = "/v2beta/results/"


def validate(endpoint: Endpoint, form: Form) -> list[str]:
    """Every problem with `form` for `endpoint`, as the service words them."""
    problems = [f"{name}: is required" for name in endpoint.required if name not in form.names]
    allowed = set(endpoint.text) | set(endpoint.files) | {"none"}
    problems += [f"{name}: is not a valid field" for name in sorted(form.names - allowed)]
    problems += _check_values(endpoint, form.fields)
    problems += _check_rules(endpoint, form)
    for part in form.files:
        if part.name in endpoint.files:
            problems += _check_image(endpoint, part.name, part.data)
    return problems


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _check_values(endpoint: Endpoint, fields: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    enums: dict[str, tuple[str, ...]] = {
        "aspect_ratio": ASPECT_RATIOS,
        "output_format": endpoint.formats,
        "style_preset": STYLE_PRESETS,
        "model": SD3_MODELS,
        "mode": ("text-to-image", "image-to-image"),
    }
    for name, value in fields.items():
        if name in enums and value not in enums[name]:
            problems.append(f"{name}: must be one of {', '.join(enums[name])}")
        if name == "seed":
            seed = _number(value)
            if seed is None or not seed.is_integer() or not 0 <= seed <= MAX_SEED:
                problems.append(f"seed: must be an integer between 0 and {MAX_SEED}")
        if name in endpoint.ranges:
            low, high = endpoint.ranges[name]
            number = _number(value)
            if number is None or not low <= number <= high:
                problems.append(f"{name}: must be a number between {low:g} and {high:g}")
        if name in ("prompt", "search_prompt") and not 1 <= len(value) <= 10000:
            problems.append(f"{name}: must be between 1 and 10000 characters")
    return problems


def _check_rules(endpoint: Endpoint, form: Form) -> list[str]:
    """The rules that tie fields together (img2img needs strength; outpaint needs a side)."""
    fields = form.fields
    problems: list[str] = []
    if endpoint.route == "ultra" and form.file("image") and "strength" not in fields:
        problems.append("strength: is required when image is provided")
    if endpoint.route == "sd3" and fields.get("mode") == "image-to-image":
        problems += [
            f"{n}: is required for image-to-image" for n in ("strength",) if n not in fields
        ]
        if not form.file("image"):
            problems.append("image: is required for image-to-image")
    text_mode = fields.get("mode", "text-to-image") == "text-to-image"
    if endpoint.route == "sd3" and text_mode and (form.file("image") or "strength" in fields):
        problems.append("image: is only valid in image-to-image mode")
    if endpoint.route == "outpaint":
        sides = [_number(fields.get(s, "0")) or 0 for s in ("left", "right", "up", "down")]
        if not any(sides):
            problems.append("left, right, up, down: at least one must be greater than 0")
    return problems


def _check_image(endpoint: Endpoint, name: str, data: bytes) -> list[str]:
    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
            kind = image.format or ""
    except Exception:
        return [f"{name}: could not be decoded as an image"]
    if kind not in ("PNG", "JPEG", "WEBP"):
        return [f"{name}: unsupported format {kind}; use jpeg, png or webp"]
    if name != "image":
        return []
    problems: list[str] = []
    low, high = endpoint.pixels
    if not low <= width * height <= high:
        problems.append(f"image: total pixel count must be between {low} and {high}")
    if min(width, height) < endpoint.min_side:
        problems.append(f"image: every side must be at least {endpoint.min_side} pixels")
    if endpoint.max_side and max(width, height) > endpoint.max_side:
        problems.append(f"image: width and height must be at most {endpoint.max_side}")
    if endpoint.route in ("outpaint", "sketch", "structure", "style"):
        ratio = width / height
        if not 1 / 2.5 <= ratio <= 2.5:
            problems.append("image: aspect ratio must be between 1:2.5 and 2.5:1")
    return problems


# Prompts in other scripts than Latin are refused with 422 invalid_language.
def non_english(text: str) -> bool:
    return any(ord(ch) > 0x024F and ch.isalpha() for ch in text)


LANGUAGE_FIELDS = ("prompt", "negative_prompt", "search_prompt")
