"""What OpenAI's image models take: sizes, qualities, retired names and prices (openai SDK
3.57 `resources/images.py` and `types/image_model.py`; services-2026-11.md §5.1).

There is no seed: the same request gives another picture each time, so a result is only ever
reproduced from the store. A `take:` is the way to ask for another one.
"""

from __future__ import annotations

from dataclasses import dataclass

RETIRED = {
    "dall-e-2": ("retired on 2026-05-12", "gpt-image-1.5"),
    "dall-e-3": ("retired on 2026-05-12", "gpt-image-1.5"),
    "gpt-image-1": ("shut down on 2026-10-23", "gpt-image-2.5-sunburst or gpt-image-2.5-flare"),
}
IMAGE_MODEL_PREFIXES = ("gpt-image-", "chatgpt-image-", "dall-e-")
FREE_SIZE_PREFIXES = ("gpt-image-2",)  # any WxH in multiples of 16, ratio <= 3:1
STANDARD_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
MAX_FREE_SIZE = (3840, 2160)
QUALITIES = ("low", "medium", "high", "auto")
EXTRA_QUALITIES = ("xhigh", "max")  # gpt-image-2.5 models only


@dataclass(frozen=True)
class TokenPrice:
    """USD per million tokens."""

    text_in: float
    image_in: float
    image_out: float

    def cost(self, text_in: int, image_in: int, image_out: int) -> float:
        return (
            text_in * self.text_in + image_in * self.image_in + image_out * self.image_out
        ) / 1e6


TOKEN_PRICES = {
    "gpt-image-1.5": TokenPrice(5.0, 8.0, 32.0),
    "gpt-image-1-mini": TokenPrice(2.0, 2.5, 8.0),
}
"""List prices per million tokens as of 2026-11 (estimates for 1.5 and mini, derived from the
per-image prices in services-2026-11.md §5.1); other models: set the preset's `price`."""
OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160, "auto": 1056}
"""Output image tokens of one 1024x1024 picture per quality (larger pictures cost more)."""


def is_image_model(model: str | None) -> bool:
    return bool(model) and str(model).startswith(IMAGE_MODEL_PREFIXES)


def retired_problem(model: str) -> str | None:
    if model not in RETIRED:
        return None
    when, replacement = RETIRED[model]
    return f"`{model}` was {when}; use {replacement}"


def free_sizes(model: str) -> bool:
    return model.startswith(FREE_SIZE_PREFIXES) and not model.startswith("gpt-image-2.6")


def qualities(model: str) -> tuple[str, ...]:
    return QUALITIES + (EXTRA_QUALITIES if model.startswith("gpt-image-2.5") else ())


def size_problem(model: str, size: str) -> str | None:
    """Why `size` is not one the model takes, or None."""
    if size == "auto" or _parse(size) in STANDARD_SIZES:
        return None
    allowed = "1024x1024, 1536x1024, 1024x1536 or auto"
    parsed = _parse(size)
    if not free_sizes(model) or parsed is None:
        return f"size `{size}` is not one {model} takes: use {allowed}"
    width, height = parsed
    if width % 16 or height % 16:
        return f"size `{size}`: width and height must be multiples of 16"
    if max(width, height) > 3 * min(width, height):
        return f"size `{size}`: the aspect ratio must be between 1:3 and 3:1"
    if max(width, height) > MAX_FREE_SIZE[0] or min(width, height) > MAX_FREE_SIZE[1]:
        return f"size `{size}`: the largest size is 3840x2160"
    return None


def api_size(model: str, width: int, height: int) -> str:
    """The size to ask for a `width`x`height` picture: the exact size (rounded to 16) where the
    model takes any, else the standard size of the nearest aspect."""
    if free_sizes(model):
        w, h = (max(16, round(v / 16) * 16) for v in (width, height))
        if size_problem(model, f"{w}x{h}") is None:
            return f"{w}x{h}"
    wanted = width / height
    best = min(STANDARD_SIZES, key=lambda s: abs(s[0] / s[1] - wanted))
    return f"{best[0]}x{best[1]}"


def forecast(model: str, quality: str) -> float | None:
    """USD of one picture at 1024x1024, from the token prices; None when unknown."""
    price = TOKEN_PRICES.get(model)
    if price is None:
        return None
    return price.cost(100, 0, OUTPUT_TOKENS.get(quality, 1056))


def _parse(size: str) -> tuple[int, int] | None:
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        return None
    return width, height
