"""What the fake Stability service draws: real pictures made from the request, so tests can
check pixels. Colours come from prompts (`prompt_colour`), as in the SD API fake.

- generate: the prompt's colour at the size of the aspect ratio, with a seed mark;
- img2img (ultra/sd3 with `image`): the input blended towards the colour by `strength`;
- inpaint: the colour where the mask is white (mask resized to the image; no mask = the
  image's transparent pixels), the mask first grown by `grow_mask` pixels;
- erase: the masked area filled with the mean colour of the rest of the picture;
- search-and-replace: the pixels of `search_prompt`'s colour (the "object") repainted in
  `prompt`'s colour; a picture without that object comes back unchanged;
- outpaint: the canvas grown by the exact margins, the original at (left, up);
- remove-background: transparent where a pixel has the corner's colour (real alpha);
- upscale: fast = 4x; conservative and creative = about 4 megapixels;
- control: sketch/structure keep the control image's dark lines, filled with the colour;
  style: the colour tinted by the style image, at the aspect ratio's size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from .sdapi_drawing import cut_out, prompt_colour

RATIO_SIZES = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "21:9": (1536, 640),
    "9:21": (640, 1536),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "5:4": (1120, 896),
    "4:5": (896, 1120),
}
MEGAPIXELS = {"core": 1.5, "ultra": 1.0, "sd3": 1.0, "style": 1.0}


def ratio_size(route: str, ratio: str, scale: float) -> tuple[int, int]:
    """The output size of a generate/style call: the ratio's size at the endpoint's
    megapixels, times the fake's `scale` (tests keep pictures small)."""
    width, height = RATIO_SIZES[ratio]
    factor = math.sqrt(MEGAPIXELS.get(route, 1.0)) * scale
    return max(64, round(width * factor)), max(64, round(height * factor))


def generate(prompt: str, seed: int, size: tuple[int, int]) -> Image.Image:
    picture = Image.new("RGB", size, prompt_colour(prompt))
    x = seed % max(1, size[0] - 8)
    ImageDraw.Draw(picture).rectangle((x, 0, x + 7, 7), fill=(0, 0, 0))
    return picture


def img2img(image: Image.Image, prompt: str, strength: float) -> Image.Image:
    base = image.convert("RGB")
    return Image.blend(base, Image.new("RGB", base.size, prompt_colour(prompt)), strength)


def mask_of(image: Image.Image, mask: Image.Image | None, grow: int) -> Image.Image:
    """The repaint mask (L, 255 = repaint) at the image's size, grown by `grow` pixels."""
    if mask is not None:
        where = mask.convert("L").resize(image.size, Image.Resampling.NEAREST)
    elif image.mode in ("RGBA", "LA"):
        where = ImageChops.invert(image.getchannel("A"))
    else:
        where = Image.new("L", image.size, 0)
    if grow > 0:
        where = where.filter(ImageFilter.MaxFilter(2 * grow + 1))
    return where


def inpaint(image: Image.Image, where: Image.Image, prompt: str) -> Image.Image:
    base = image.convert("RGB")
    return Image.composite(Image.new("RGB", base.size, prompt_colour(prompt)), base, where)


def erase(image: Image.Image, where: Image.Image) -> Image.Image:
    base = image.convert("RGB")
    keep = ImageChops.invert(where)
    if keep.getbbox() is None:
        fill: tuple[int, ...] = (128, 128, 128)
    else:
        fill = tuple(round(v) for v in ImageStat.Stat(base, keep).mean)
    return Image.composite(Image.new("RGB", base.size, fill), base, where)


def found(image: Image.Image, search: str, grow: int) -> Image.Image:
    """Where the searched object is: pixels within 6 levels of the search prompt's colour."""
    base = image.convert("RGB")
    target = Image.new("RGB", base.size, prompt_colour(search))
    distance = ImageChops.difference(base, target).convert("L")
    where = distance.point(lambda value: 255 if value <= 6 else 0)
    return where.filter(ImageFilter.MaxFilter(2 * grow + 1)) if grow > 0 else where


def outpaint(image: Image.Image, margins: Mapping[str, int], prompt: str) -> Image.Image:
    base = image.convert("RGB")
    size = (
        base.width + margins["left"] + margins["right"],
        base.height + margins["up"] + margins["down"],
    )
    canvas = Image.new("RGB", size, prompt_colour(prompt or "outpaint"))
    canvas.paste(base, (margins["left"], margins["up"]))
    return canvas


def remove_background(image: Image.Image) -> Image.Image:
    return cut_out(image)


def upscale(image: Image.Image, route: str) -> Image.Image:
    four_megapixels = math.sqrt(4_000_000 / (image.width * image.height))
    factor = 4.0 if route == "fast" else max(1.0, four_megapixels)
    size = (round(image.width * factor), round(image.height * factor))
    return image.convert("RGB").resize(size, Image.Resampling.BICUBIC)


def control(image: Image.Image, prompt: str, strength: float) -> Image.Image:
    """Sketch/structure: the control image's dark pixels stay dark, the rest takes the colour."""
    grey = image.convert("L")
    lines = grey.point(lambda value: 255 if value < 96 else 0)
    colour = Image.new("RGB", image.size, prompt_colour(prompt))
    dark = Image.new("RGB", image.size, (round(40 * (1 - strength)),) * 3)
    return Image.composite(dark, colour, lines)


def style(image: Image.Image, prompt: str, size: tuple[int, int], fidelity: float) -> Image.Image:
    mean = tuple(round(v) for v in ImageStat.Stat(image.convert("RGB")).mean)
    colour = Image.new("RGB", size, prompt_colour(prompt))
    return Image.blend(colour, Image.new("RGB", size, mean), fidelity / 2)


def blurred(image: Image.Image) -> Image.Image:
    """What CONTENT_FILTERED returns: the picture blurred beyond use."""
    return image.filter(ImageFilter.GaussianBlur(radius=max(4, image.width // 16)))
