"""What the fake AUTOMATIC1111 server draws: deterministic pictures made from the request, so
tests can check pixels. txt2img is a solid colour from (prompt, seed, checkpoint); img2img
blends the init image towards it by `denoising_strength`; inpainting repaints exactly where the
mask says (A1111's rules: greyscale white = repaint, except an RGBA mask with transparency,
whose alpha is the mask; `inpainting_mask_invert` flips it); ControlNet draws the control
image's dark lines over the colour; the upscaler resizes; rembg cuts out the background."""

from __future__ import annotations

import base64
import hashlib
from io import BytesIO
from typing import Any

from PIL import Image, ImageFilter, ImageOps

from .sdapi_drawing import cut_out


def colour_of(prompt: str, seed: int, checkpoint: str) -> tuple[int, int, int]:
    """A colour per (prompt, seed, checkpoint), never dark (never taken for a blank image)."""
    digest = hashlib.sha256(f"{prompt}\x00{seed}\x00{checkpoint}".encode()).digest()
    r, g, b = (60 + digest[i] * 170 // 255 for i in range(3))
    return r, g, b


def size_of(body: dict[str, Any]) -> tuple[int, int]:
    return int(body.get("width") or 512), int(body.get("height") or 512)


def txt2img(body: dict[str, Any], seed: int, checkpoint: str) -> Image.Image:
    return Image.new(
        "RGB", size_of(body), colour_of(str(body.get("prompt") or ""), seed, checkpoint)
    )


def img2img(init: Image.Image, body: dict[str, Any], seed: int, checkpoint: str) -> Image.Image:
    """The init image resized to the request's size ("Just resize"), moved towards the colour
    by `denoising_strength`, and where a mask is given only inside the mask. With
    `inpaint_full_res` ("Only masked") the web UI paints only the mask's region: its bounding
    box plus `inpaint_full_res_padding`, grown to the aspect of width x height, is cut out,
    painted AT width x height, scaled back and pasted into the init image (whose size the
    answer keeps)."""
    if body.get("mask") and body.get("inpaint_full_res"):
        return _only_masked(init.convert("RGB"), body, seed, checkpoint)
    size = size_of(body)
    base = init.convert("RGB").resize(size)
    plain = txt2img(body, seed, checkpoint)
    strength = float(body.get("denoising_strength", 0.75) or 0)
    moved = Image.blend(base, plain, min(1.0, max(0.0, strength)))
    mask = body.get("mask")
    if not mask:
        return moved
    where = repaint_mask(decode(mask), body, size)
    return Image.composite(moved, base, where)


def _only_masked(
    init: Image.Image, body: dict[str, Any], seed: int, checkpoint: str
) -> Image.Image:
    where = repaint_mask(decode(body["mask"]), body, init.size)
    box = where.getbbox()
    if box is None:
        return init
    pad = int(body.get("inpaint_full_res_padding") or 0)
    x1, y1, x2, y2 = box
    box = (
        max(x1 - pad, 0),
        max(y1 - pad, 0),
        min(x2 + pad, init.width),
        min(y2 + pad, init.height),
    )
    region = expand_region(box, size_of(body), init.size)
    painted = img2img(
        init.crop(region), {**body, "inpaint_full_res": False, "mask": None}, seed, checkpoint
    )
    back = painted.resize((region[2] - region[0], region[3] - region[1]), Image.Resampling.LANCZOS)
    out = init.copy()
    out.paste(back, region[:2], where.crop(region))
    return out


def expand_region(
    box: tuple[int, int, int, int], processing: tuple[int, int], image: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The web UI's masking.expand_crop_region: `box` grown to the processing size's aspect
    (the shorter way, centred, kept inside the image)."""
    x1, y1, x2, y2 = box
    width, height = processing
    if (x2 - x1) * height > (y2 - y1) * width:  # too wide: grow the height
        y1, y2 = _grown(y1, y2, -(-(x2 - x1) * height // width) - (y2 - y1), image[1])
    else:
        x1, x2 = _grown(x1, x2, -(-(y2 - y1) * width // height) - (x2 - x1), image[0])
    return x1, y1, x2, y2


def _grown(low: int, high: int, more: int, limit: int) -> tuple[int, int]:
    low -= more // 2
    high += more - more // 2
    if high >= limit:
        low, high = low - (high - limit), limit
    if low < 0:
        high, low = high - low, 0
    return low, min(high, limit)


def repaint_mask(mask: Image.Image, body: dict[str, Any], size: tuple[int, int]) -> Image.Image:
    """The L mask A1111 repaints under: 255 = repaint."""
    if mask.mode == "RGBA" and mask.getextrema()[-1] != (255, 255):
        grey = mask.split()[-1].point(lambda x: 255 if x > 128 else 0)
    else:
        grey = mask.convert("L")
    if int(body.get("inpainting_mask_invert") or 0):
        grey = ImageOps.invert(grey)
    blur = int(body.get("mask_blur") or body.get("mask_blur_x") or 0)
    if blur:
        grey = grey.filter(ImageFilter.GaussianBlur(blur))
    grey = grey.resize(size, Image.Resampling.NEAREST)
    if body.get("mask_round", True):
        grey = grey.point(lambda x: 255 if x > 127 else 0)
    return grey


def with_control(picture: Image.Image, control: Image.Image) -> Image.Image:
    """The control image's dark pixels drawn in a dark shade of the picture's colour."""
    lines = control.convert("L").resize(picture.size).point(lambda x: 255 if x < 128 else 0)
    shade = picture.point(lambda v: v // 3)
    return Image.composite(shade, picture, lines)


def upscale(image: Image.Image, body: dict[str, Any]) -> Image.Image:
    if int(body.get("resize_mode") or 0) == 1:
        size = (int(body.get("upscaling_resize_w", 512)), int(body.get("upscaling_resize_h", 512)))
    else:
        factor = float(body.get("upscaling_resize", 2) or 2)
        # the web UI's upscaler works in tiles of 8: the size is floored to a multiple of 8
        size = (int(image.width * factor) // 8 * 8, int(image.height * factor) // 8 * 8)
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def remove_background(image: Image.Image) -> Image.Image:
    return cut_out(image)


def decode(encoding: str) -> Image.Image:
    """Like the web UI's `decode_base64_to_image`: a data URL prefix is stripped; ValueError
    when it is not an image."""
    if encoding.startswith("data:image/"):
        encoding = encoding.split(";")[1].split(",")[1]
    try:
        image = Image.open(BytesIO(base64.b64decode(encoding)))
        image.load()
    except Exception as exc:
        raise ValueError("Invalid encoded image") from exc
    return image


def encode(image: Image.Image, infotext: str | None = None) -> str:
    """Bare base64 PNG, with the infotext in a `parameters` text chunk as the web UI writes it."""
    from PIL.PngImagePlugin import PngInfo

    buffer = BytesIO()
    meta = None
    if infotext is not None:
        meta = PngInfo()
        meta.add_text("parameters", infotext)
    image.save(buffer, format="PNG", pnginfo=meta)
    return base64.b64encode(buffer.getvalue()).decode()
