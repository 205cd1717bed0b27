"""What the fake Stable Diffusion API draws: real pictures made from the request, so tests can
check pixels (a colour per prompt; inpainting that repaints only where the mask is white)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from io import BytesIO
from typing import Any

from PIL import Image, ImageChops, ImageDraw


def prompt_colour(prompt: str) -> tuple[int, int, int]:
    """A colour per prompt, never dark (so it is never taken for a blanked image)."""
    digest = hashlib.sha256(prompt.encode()).digest()
    r, g, b = (40 + digest[i] * 190 // 255 for i in range(3))
    return r, g, b


def draw(
    route: str,
    meta: Mapping[str, Any],
    inputs: Mapping[str, Image.Image],
    body: Mapping[str, Any],
    *,
    black: bool = False,
    only_mask: bool = False,
) -> Image.Image:
    size = (int(meta["W"]), int(meta["H"]))
    colour = prompt_colour(str(meta["prompt"]))
    init = inputs.get("init_image") or inputs.get("image") or inputs.get("url")
    if route == "upscale" and init is not None:
        scale = int(body.get("scale") or 2)
        picture = init.convert("RGB").resize((init.width * scale, init.height * scale))
    elif route == "remove_background" and init is not None:
        picture = cut_out(init)
        if only_mask:  # the mask of the subject instead of the cut-out
            picture = picture.getchannel("A").convert("RGB")
    elif route == "outpaint" and init is not None:
        picture = Image.new("RGB", size, colour)
        picture.paste(
            init.convert("RGB"), ((size[0] - init.width) // 2, (size[1] - init.height) // 2)
        )
    elif route == "inpaint" and init is not None:
        picture = repaint(init, inputs["mask_image"], colour, size)
    elif route == "img2img" and init is not None:
        strength = float(body.get("strength") or 0.7)
        base = init.convert("RGB").resize(size)
        picture = Image.blend(base, Image.new("RGB", size, colour), strength)
    else:
        picture = Image.new("RGB", size, colour)
    if black:
        return Image.new(picture.mode, picture.size, 0)
    reference = inputs.get("ip_adapter_image")
    if reference is not None:  # the IP-Adapter's picture shows, small, in the top-left corner
        thumb = reference.convert("RGB").resize((max(1, picture.width // 4),) * 2)
        picture = picture.convert("RGB")
        picture.paste(thumb, (0, 0))
    return picture


def repaint(
    init: Image.Image, mask: Image.Image, colour: tuple[int, int, int], size: tuple[int, int]
) -> Image.Image:
    """The init image with the prompt's colour where the mask is white (white = repaint)."""
    base = init.convert("RGB").resize(size)
    where = mask.convert("L").resize(size, Image.Resampling.NEAREST)
    return Image.composite(Image.new("RGB", size, colour), base, where)


def cut_out(image: Image.Image) -> Image.Image:
    """RGBA: transparent where a pixel has the top-left corner's colour (the "background")."""
    rgb = image.convert("RGB")
    corner = Image.new("RGB", rgb.size, rgb.getpixel((0, 0)))
    difference = ImageChops.difference(rgb, corner).convert("L")
    alpha = difference.point(lambda value: 255 if value > 12 else 0)
    cut = rgb.convert("RGBA")
    cut.putalpha(alpha)
    return cut


def encode(image: Image.Image, fmt: str) -> tuple[bytes, str]:
    """(bytes, content type) of `image` in PNG, JPEG or WEBP."""
    buffer = BytesIO()
    picture = image.convert("RGB") if fmt == "JPEG" else image
    picture.save(buffer, format=fmt)
    return buffer.getvalue(), f"image/{fmt.lower()}"


# -- input pictures for tests ---------------------------------------------------------------


def png(size: tuple[int, int] = (128, 96), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A picture: `colour` on a white background, so background removal has work to do."""
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).rectangle((8, 8, size[0] - 9, size[1] - 9), fill=colour)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mask_png(size: tuple[int, int], box: tuple[int, int, int, int]) -> bytes:
    """White (repaint) inside `box`, black elsewhere."""
    image = Image.new("L", size, 0)
    ImageDraw.Draw(image).rectangle(box, fill=255)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
