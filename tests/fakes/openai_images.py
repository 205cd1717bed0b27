"""The Images side of the fake OpenAI server: `POST /v1/images/generations` (JSON) and
`POST /v1/images/edits` (multipart), per the SDK's documented parameters (openai 3.57
`resources/images.py`) and the reference (image-apis.md §4, services-2026-11.md §5.1).

What it checks, like the real API:
- `model` is needed (without it the API means the retired dall-e-2); `dall-e-2`, `dall-e-3`
  and `gpt-image-1` answer 404 `model_not_found`;
- `size` from the model's allowed list (gpt-image-2 family: any WxH in multiples of 16, ratio
  at most 3:1, at most 3840x2160); `quality` from the model's list; `response_format` and
  `style` are refused for GPT image models; `background: transparent` needs png or webp;
  `input_fidelity` only where the model takes it; `moderation` only on generations;
- edits take `image` or `image[]` (1 to 16 files) and an optional `mask` that must be a PNG
  with an alpha channel, under 4 MB, of the first image's size: fully transparent pixels
  (alpha 0) are where to edit.

What it draws: the prompt's colour (`prompt_colour`) at the asked size; for an edit, the
first image with the prompt's colour where the mask is transparent (the whole picture without
a mask) and every other pixel changed a little, as the GPT models do (masks are guidance
only), so a client must paste the unmasked pixels back. `background: transparent` gives a
picture whose corner-coloured background is transparent. Every answer carries `usage`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from io import BytesIO
from typing import Any

from PIL import Image, ImageChops

from .multipart import MalformedForm, parse_form
from .sdapi_drawing import cut_out, prompt_colour

RETIRED = {
    "dall-e-2": "gpt-image-1.5",
    "dall-e-3": "gpt-image-1.5",
    "gpt-image-1": "gpt-image-2.5-sunburst",
}
FREE_SIZE_MODELS = ("gpt-image-2", "gpt-image-2.5-sunburst", "gpt-image-2.5-flare")
STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
GPT_MODELS = (
    "gpt-image-1-mini",
    "gpt-image-1.5",
    "gpt-image-2",
    "gpt-image-2-2026-04-21",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08",
    "gpt-image-2.5-flare",
    "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2.6-sunburst",
    "gpt-image-2.6-flare",
    "chatgpt-image-latest",
)
MAX_MASK_BYTES = 4 * 1024 * 1024
MODERATION_MESSAGE = (
    "Your request was rejected by the safety system. If you believe this is an error, contact "
    "us at help.openai.com and include the request ID req_fake. safety_violations=[violence]."
)
Reply = tuple[int, dict[str, Any]]


def invalid(message: str, param: str | None = None, code: str | None = None) -> Reply:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return 400, {"error": error}


def moderation_blocked() -> Reply:
    error = {
        "message": MODERATION_MESSAGE,
        "type": "image_generation_user_error",
        "param": None,
        "code": "moderation_blocked",
    }
    return 400, {"error": error}


def generations(body: Any) -> Reply:
    if not isinstance(body, Mapping):
        return invalid("We could not parse the JSON body of your request.")
    problem = _check_common(body, edits=False)
    if problem:
        return problem
    width, height = _size(str(body.get("size") or "auto"), None)
    picture = Image.new("RGB", (width, height), prompt_colour(str(body["prompt"])))
    return 200, _response(body, [picture] * int(body.get("n") or 1), len(str(body["prompt"])))


def edits(content_type: str, raw: bytes) -> Reply:
    try:
        form = parse_form(content_type, raw)
    except MalformedForm as exc:
        return invalid(str(exc))
    mask_part = form.file("mask")
    images = [part.data for part in form.files_named("image", "image[]")]
    return _edits(dict(form.fields), images, mask_part.data if mask_part else None)


def edits_json(body: Any) -> Reply:
    """The JSON form of /v1/images/edits (the one a Batch API line carries): `images` is a list
    of {image_url} (a base64 data URL here; an http URL or a file_id is not fetched by the
    fake) and `mask` one such object."""
    if not isinstance(body, Mapping):
        return invalid("We could not parse the JSON body of your request.")
    refs = body.get("images")
    if not isinstance(refs, list):
        return invalid("Missing required parameter: 'images'.", "images")
    images = [_from_data_url(ref) for ref in refs]
    mask = _from_data_url(body["mask"]) if "mask" in body else None
    if any(i is None for i in images) or ("mask" in body and mask is None):
        return invalid("Each image must be an object with an image_url data URL.", "images")
    fields = {k: v for k, v in body.items() if k not in ("images", "mask")}
    return _edits(fields, [i for i in images if i is not None], mask)


def _from_data_url(ref: Any) -> bytes | None:
    url = ref.get("image_url") if isinstance(ref, Mapping) else None
    head, _, data = str(url or "").partition(",")
    if not head.startswith("data:image/") or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except ValueError:
        return None


def _edits(body: Mapping[str, Any], images: list[bytes], mask: bytes | None) -> Reply:
    problem = _check_common(body, edits=True)
    if problem:
        return problem
    if not 1 <= len(images) <= 16:
        return invalid("You must provide between 1 and 16 images.", "image")
    try:
        pictures = [Image.open(BytesIO(data)) for data in images]
        for picture in pictures:
            picture.load()
    except Exception:
        return invalid("Invalid image file or mode for image 1.", "image")
    first = pictures[0]
    where = None
    if mask is not None:
        where_or_error = _edit_area(mask, first.size)
        if isinstance(where_or_error, tuple):
            return where_or_error
        where = where_or_error
    edited = _edit(first, where, str(body["prompt"]), body.get("background") == "transparent")
    edited = _with_references(edited, pictures[1:])
    size = _size(str(body.get("size") or "auto"), first.size)
    edited = edited.resize(size) if edited.size != size else edited
    tokens = len(str(body["prompt"])) + 256 * len(pictures)
    return 200, _response(body, [edited] * int(body.get("n") or 1), tokens)


def _check_common(body: Mapping[str, Any], *, edits: bool) -> Reply | None:
    model = str(body.get("model") or "dall-e-2")
    if model in RETIRED:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return 404, {"error": {**invalid(message)[1]["error"], "code": "model_not_found"}}
    if model not in GPT_MODELS:
        return 404, {"error": {**invalid(f"The model `{model}` does not exist.")[1]["error"]}}
    if not str(body.get("prompt") or ""):
        return invalid(
            "Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"
        )
    for name in ("response_format", "style") + (("moderation",) if edits else ()):
        if name in body:
            return invalid(f"Unknown parameter: '{name}'.", name, "unknown_parameter")
    size_problem = _check_size(model, str(body.get("size") or "auto"))
    if size_problem:
        return invalid(size_problem, "size", "invalid_value")
    quality = str(body.get("quality") or "auto")
    qualities = ["low", "medium", "high", "auto"] + (["xhigh", "max"] if "2.5" in model else [])
    if quality not in qualities:
        return invalid(
            f"Invalid value: '{quality}'. Supported values are: {qualities}.",
            "quality",
            "invalid_value",
        )
    if body.get("background") == "transparent" and body.get("output_format") == "jpeg":
        return invalid("Transparent background requires output_format png or webp.", "background")
    fidelity = body.get("input_fidelity")
    if fidelity is not None and not _takes_fidelity(model, str(fidelity)):
        message = f"input_fidelity '{fidelity}' is not supported with {model}."
        return invalid(message, "input_fidelity")
    return None


def _takes_fidelity(model: str, fidelity: str) -> bool:
    if model == "gpt-image-1-mini":
        return fidelity == "low"
    return not model.startswith(("gpt-image-2-", "gpt-image-2.6")) and model != "gpt-image-2"


def _check_size(model: str, size: str) -> str | None:
    if size in STANDARD_SIZES:
        return None
    if not model.startswith(FREE_SIZE_MODELS) or model.startswith("gpt-image-2.6"):
        return f"Invalid value: '{size}'. Supported values are: {list(STANDARD_SIZES)}."
    try:
        width, height = (int(v) for v in size.split("x"))
    except ValueError:
        return f"Invalid size '{size}': use WIDTHxHEIGHT."
    if width % 16 or height % 16:
        return f"Invalid size '{size}': width and height must be multiples of 16."
    if max(width, height) > 3 * min(width, height):
        return f"Invalid size '{size}': the aspect ratio must be between 1:3 and 3:1."
    if max(width, height) > 3840 or min(width, height) > 2160:
        return f"Invalid size '{size}': the largest supported size is 3840x2160."
    return None


def _size(size: str, first: tuple[int, int] | None) -> tuple[int, int]:
    if size != "auto":
        width, height = (int(v) for v in size.split("x"))
        return width, height
    if first is None or abs(first[0] - first[1]) < min(first) * 0.2:
        return 1024, 1024
    return (1536, 1024) if first[0] > first[1] else (1024, 1536)


def _edit_area(data: bytes, size: tuple[int, int]) -> Image.Image | Reply:
    """Where to edit (L, 255 = edit) from an OpenAI mask: alpha 0 = edit."""
    if len(data) > MAX_MASK_BYTES:
        return invalid("Invalid mask: must be less than 4MB.", "mask")
    try:
        mask = Image.open(BytesIO(data))
        mask.load()
    except Exception:
        return invalid("Invalid mask image file.", "mask")
    if mask.format != "PNG":
        return invalid("Invalid mask: must be a PNG file.", "mask")
    if mask.mode not in ("RGBA", "LA"):
        return invalid(
            f"Invalid input image - format must be in ['RGBA', 'LA'], got {mask.mode}.", "mask"
        )
    if mask.size != size:
        return invalid(
            "Invalid mask: the mask and the image must have the same dimensions.", "mask"
        )
    return mask.getchannel("A").point(lambda alpha: 255 if alpha == 0 else 0)


def _edit(
    image: Image.Image, where: Image.Image | None, prompt: str, transparent: bool
) -> Image.Image:
    base = image.convert("RGB")
    colour = Image.new("RGB", base.size, prompt_colour(prompt))
    if where is None:
        edited = Image.blend(base, colour, 0.6)
    else:
        nudged = ImageChops.add(base, Image.new("RGB", base.size, (9, 9, 9)))  # guidance only
        edited = Image.composite(colour, nudged, where)
    return cut_out(edited) if transparent else edited


def _with_references(picture: Image.Image, others: list[Image.Image]) -> Image.Image:
    """The other input pictures the model was shown, small, along the top edge."""
    if not others:
        return picture
    out = picture.convert("RGBA") if picture.mode == "RGBA" else picture.convert("RGB")
    side = max(1, out.width // 8)
    for index, other in enumerate(others):
        out.paste(other.convert(out.mode).resize((side, side)), (index * side, 0))
    return out


def _response(
    body: Mapping[str, Any], pictures: list[Image.Image], input_tokens: int
) -> dict[str, Any]:
    output_format = str(body.get("output_format") or "png")
    transparent = body.get("background") == "transparent"
    data = []
    for picture in pictures:
        out = cut_out(picture) if transparent and picture.mode != "RGBA" else picture
        buffer = BytesIO()
        fmt = {"jpeg": "JPEG", "webp": "WEBP"}.get(output_format, "PNG")
        (out.convert("RGB") if fmt == "JPEG" else out).save(buffer, format=fmt)
        data.append({"b64_json": base64.b64encode(buffer.getvalue()).decode()})
    width, height = pictures[0].size
    output_tokens = {"low": 272, "medium": 1056, "high": 4160}.get(str(body.get("quality")), 1056)
    return {
        "created": int(time.time()),
        "data": data,
        "background": "transparent" if transparent else "opaque",
        "output_format": output_format,
        "quality": str(body.get("quality") or "medium").replace("auto", "medium"),
        "size": f"{width}x{height}",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {
                "image_tokens": input_tokens - len(str(body["prompt"])),
                "text_tokens": len(str(body["prompt"])),
            },
            "output_tokens": output_tokens * len(pictures),
            "total_tokens": input_tokens + output_tokens * len(pictures),
        },
    }
