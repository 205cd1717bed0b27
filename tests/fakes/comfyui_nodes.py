"""What the fake ComfyUI's nodes compute: a small deterministic stand-in per node class.

Values flowing between nodes: IMAGE is a PIL RGB picture; MASK a PIL "L" picture where 255 =
masked (ComfyUI's 1.0); LATENT a `Latent` (a size, the pixels it was encoded from, a noise mask);
CONDITIONING a `Conditioning` (the text and any ControlNet hints). A KSampler "draws" a picture
from the model, the prompt and the seed, and keeps the latent's pixels outside its noise mask.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_sde", "ddim", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform"]
UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]


@dataclass(frozen=True)
class Latent:
    width: int
    height: int
    pixels: Image.Image | None = None
    noise_mask: Image.Image | None = None


@dataclass(frozen=True)
class Conditioning:
    text: str
    clip: str
    controls: tuple[tuple[Image.Image, float], ...] = ()


def prompt_colour(model: str, text: str) -> tuple[int, int, int]:
    """A colour per (model, prompt), never dark."""
    digest = hashlib.sha256(f"{model}\n{text}".encode()).digest()
    r, g, b = (40 + digest[i] * 190 // 255 for i in range(3))
    return r, g, b


def sample_picture(
    model: str, positive: Conditioning, seed: int, size: tuple[int, int]
) -> Image.Image:
    """The prompt's colour with a disc placed by the seed: same inputs, same pixels."""
    colour = prompt_colour(model, positive.text)
    picture = Image.new("RGB", size, colour)
    rng = random.Random(seed)
    radius = max(2, min(size) // 6)
    x, y = rng.randrange(size[0]), rng.randrange(size[1])
    disc = tuple(255 - channel for channel in colour)
    ImageDraw.Draw(picture).ellipse((x - radius, y - radius, x + radius, y + radius), fill=disc)
    for hint, strength in positive.controls:
        picture = Image.blend(picture, hint.convert("RGB").resize(size), min(1.0, strength) / 2)
    return picture


def with_references(picture: Image.Image, model: dict[str, Any]) -> Image.Image:
    """Each IP-Adapter's picture (in the order they were applied), small, along the top."""
    side = max(1, picture.width // 4)
    for index, (reference, _weight) in enumerate(model.get("ip_adapter", ())):
        picture.paste(reference.convert("RGB").resize((side, side)), (index * side, 0))
    return picture


IPADAPTER_PRESETS = [
    "LIGHT - SD1.5 only (low strength)",
    "STANDARD (medium strength)",
    "VIT-G (medium strength)",
    "PLUS (high strength)",
    "PLUS FACE (portraits)",
    "FULL FACE - SD1.5 only (portraits stronger)",
]
WEIGHT_TYPES = [
    "linear",
    "ease in",
    "ease out",
    "ease in-out",
    "reverse in-out",
    "weak input",
    "weak output",
    "weak middle",
    "strong middle",
    "style transfer",
    "composition",
    "strong style transfer",
]


def ipadapter_unified_loader(
    installed: dict[str, list[str]], model: dict[str, Any], preset: str, **_: Any
) -> tuple[Any, ...]:
    """As ComfyUI_IPAdapter_plus: fails at run time when the preset's files are missing."""
    if not installed.get("clip_vision"):
        raise RuntimeError("ClipVision model not found.")
    if not installed.get("ipadapter"):
        raise RuntimeError("IPAdapter model not found.")
    return dict(model), {"preset": preset, "files": list(installed["ipadapter"])}


def ipadapter_advanced(
    model: dict[str, Any], ipadapter: dict[str, Any], image: Image.Image, weight: float, **_: Any
) -> tuple[Any, ...]:
    applied = (*model.get("ip_adapter", ()), (image, weight))
    return ({**model, "ip_adapter": applied},)


# -- the nodes' stand-ins ---------------------------------------------------------------------


def checkpoint(ckpt_name: str) -> tuple[Any, ...]:
    return ({"model": ckpt_name}, {"clip": ckpt_name}, {"vae": ckpt_name})


def lora(
    model: dict[str, Any], clip: dict[str, str], lora_name: str, **strengths: float
) -> tuple[Any, ...]:
    tag = f"+{lora_name}@{strengths.get('strength_model', 1.0)}"
    return ({**model, "model": model["model"] + tag}, {"clip": clip["clip"] + tag})


def encode_text(text: str, clip: dict[str, str]) -> tuple[Any, ...]:
    return (Conditioning(text=text, clip=clip["clip"]),)


def empty_latent(width: int, height: int, batch_size: int) -> tuple[Any, ...]:
    return (Latent(width, height),)


def vae_round_trip(pixels: Image.Image) -> Image.Image:
    """What survives VAE encoding and decoding: never the same pixels (the real server changed
    15,335 of a test picture's pixels outside an inpaint mask). Here every channel of every
    pixel is off by one, deterministically."""
    return pixels.convert("RGB").point(lambda value: value ^ 1)


def vae_encode(pixels: Image.Image, vae: dict[str, str]) -> tuple[Any, ...]:
    return (Latent(pixels.width, pixels.height, pixels=vae_round_trip(pixels)),)


def vae_encode_inpaint(
    pixels: Image.Image, vae: dict[str, str], mask: Image.Image, grow_mask_by: int
) -> tuple[Any, ...]:
    """As ComfyUI: the mask grown by `grow_mask_by`, masked pixels set to grey."""
    where = mask.resize(pixels.size, Image.Resampling.BILINEAR)
    if grow_mask_by > 0:
        where = where.filter(ImageFilter.MaxFilter(grow_mask_by * 2 + 1))
    hard = where.point(lambda value: 255 if value >= 128 else 0)
    grey = Image.composite(
        Image.new("RGB", pixels.size, (128, 128, 128)), vae_round_trip(pixels), hard
    )
    return (Latent(pixels.width, pixels.height, pixels=grey, noise_mask=where),)


def noise_mask(samples: Latent, mask: Image.Image) -> tuple[Any, ...]:
    return (replace(samples, noise_mask=mask.resize((samples.width, samples.height))),)


def ksampler(
    model: dict[str, str],
    seed: int,
    steps: int,
    cfg: float,
    sampler_name: str,
    scheduler: str,
    positive: Conditioning,
    negative: Conditioning,
    latent_image: Latent,
    denoise: float,
) -> tuple[Any, ...]:
    size = (latent_image.width, latent_image.height)
    drawn = with_references(sample_picture(model["model"], positive, seed, size), model)
    base = latent_image.pixels
    if base is not None:
        drawn = Image.blend(base.convert("RGB"), drawn, denoise)
        if latent_image.noise_mask is not None:
            drawn = Image.composite(drawn, base.convert("RGB"), latent_image.noise_mask)
    return (replace(latent_image, pixels=drawn, noise_mask=None),)


def vae_decode(samples: Latent, vae: dict[str, str]) -> tuple[Any, ...]:
    assert samples.pixels is not None
    return (samples.pixels,)


def pad_for_outpaint(
    image: Image.Image, left: int, top: int, right: int, bottom: int, feathering: int
) -> tuple[Any, ...]:
    """Grey canvas, the picture at (left, top); mask 255 on the new area, fading into the
    picture over `feathering` pixels at the sides that grew (as ComfyUI's node does)."""
    width, height = image.width + left + right, image.height + top + bottom
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    canvas.paste(image, (left, top))
    mask = Image.new("L", (width, height), 255)
    inner = Image.new("L", image.size, 0)
    if feathering > 0:
        pixels = inner.load()
        assert pixels is not None
        for y in range(image.height):
            for x in range(image.width):
                near = min(
                    x if left else feathering,
                    image.width - 1 - x if right else feathering,
                    y if top else feathering,
                    image.height - 1 - y if bottom else feathering,
                )
                if near < feathering:
                    v = (feathering - near) / feathering
                    pixels[x, y] = int(v * v * 255)
    mask.paste(inner, (left, top))
    return (canvas, mask)


def scale_by(image: Image.Image, upscale_method: str, scale_by: float) -> tuple[Any, ...]:
    size = (round(image.width * scale_by), round(image.height * scale_by))
    method = Image.Resampling.LANCZOS if upscale_method == "lanczos" else Image.Resampling.BICUBIC
    return (image.resize(size, method),)


def model_scale(model_name: str) -> int:
    """The factor an upscale model is named for ("4x-UltraSharp", "RealESRGAN_x2plus")."""
    found = re.search(r"(\d)x|x(\d)", model_name)
    return int(next(g for g in found.groups() if g)) if found else 4


def upscale_loader(model_name: str) -> tuple[Any, ...]:
    return ({"upscale_model": model_name, "scale": model_scale(model_name)},)


def upscale_with_model(upscale_model: dict[str, Any], image: Image.Image) -> tuple[Any, ...]:
    scale = int(upscale_model["scale"])
    return (image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC),)


def controlnet_loader(control_net_name: str) -> tuple[Any, ...]:
    return ({"control_net": control_net_name},)


def controlnet_apply(
    positive: Conditioning,
    negative: Conditioning,
    control_net: dict[str, str],
    image: Image.Image,
    strength: float,
    start_percent: float,
    end_percent: float,
    vae: Any = None,
) -> tuple[Any, ...]:
    hinted = replace(positive, controls=(*positive.controls, (image, strength)))
    return (hinted, negative)


def edges(image: Image.Image) -> Image.Image:
    """What a Canny preprocessor gives, roughly: white edges on black."""
    return image.convert("L").filter(ImageFilter.FIND_EDGES).convert("RGB")


def canny(image: Image.Image, low_threshold: float, high_threshold: float) -> tuple[Any, ...]:
    return (edges(image),)


def load_image(picture: Image.Image) -> tuple[Image.Image, Image.Image]:
    """LoadImage's outputs: the RGB picture and MASK = 1 - alpha (all zeros without alpha)."""
    rgb = picture.convert("RGB")
    if "A" in picture.getbands():
        return rgb, ImageChops.invert(picture.getchannel("A"))
    return rgb, Image.new("L", picture.size, 0)


def load_mask(picture: Image.Image, channel: str) -> Image.Image:
    """LoadImageMask: the chosen channel; for alpha, 1 - alpha (transparent = masked)."""
    if channel == "alpha":
        if "A" not in picture.getbands():
            return Image.new("L", picture.size, 0)
        return ImageChops.invert(picture.getchannel("A"))
    band = {"red": "R", "green": "G", "blue": "B"}[channel]
    return picture.convert("RGB").getchannel(band)
