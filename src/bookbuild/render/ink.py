"""Print colours: every CSS colour of a print target's HTML written as `device-cmyk()`, so the
PDF holds no DeviceRGB operator (PDF/X wants CMYK or ICC-based colour). Greys become black
ink only (no rich-black text); for PDF/X-1a, which forbids transparency, a translucent colour
is mixed with the white paper instead."""

from __future__ import annotations

import re

from PIL import Image, ImageMath

__all__ = ["cmyk_css", "cmyk_html", "limit_ink", "rgb_to_cmyk"]

_NAMED = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "red": (255, 0, 0),
    "navy": (0, 0, 128),
    "maroon": (128, 0, 0),
}
_HEX = r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})\b"
_FUNC = r"rgba?\(\s*[^()]*\)"
_NAME = r"(?<![-\w#.])(?:" + "|".join(_NAMED) + r")(?![-\w(])"
_COLOUR = re.compile(f"{_HEX}|{_FUNC}|{_NAME}", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
_STYLE_ATTR = re.compile(r'(\sstyle=")([^"]*)(")', re.IGNORECASE)
_URL = re.compile(r"url\([^)]*\)", re.IGNORECASE)
_GRADIENT = re.compile(r"\b(?:repeating-)?(?:linear|radial|conic)-gradient\(", re.IGNORECASE)


def rgb_to_cmyk(red: float, green: float, blue: float) -> tuple[float, float, float, float]:
    """sRGB components (0-1) to device CMYK (0-1): the grey part in black ink."""
    key = 1.0 - max(red, green, blue)
    if key >= 1.0:
        return 0.0, 0.0, 0.0, 1.0
    scale = 1.0 - key
    cyan, magenta, yellow = (round((1.0 - c - key) / scale, 4) for c in (red, green, blue))
    return cyan, magenta, yellow, round(key, 4)


def _parse(text: str) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) in 0-1 of a CSS hex, rgb()/rgba() or named colour."""
    lowered = text.lower()
    if lowered in _NAMED:
        r, g, b = _NAMED[lowered]
        return r / 255, g / 255, b / 255, 1.0
    if lowered.startswith("#"):
        digits = lowered[1:]
        if len(digits) in (3, 4):
            digits = "".join(ch * 2 for ch in digits)
        values = [int(digits[i : i + 2], 16) / 255 for i in range(0, len(digits), 2)]
        return values[0], values[1], values[2], values[3] if len(values) == 4 else 1.0
    parts = [p for p in re.split(r"[\s,/]+", lowered[lowered.index("(") + 1 : -1]) if p]
    if len(parts) not in (3, 4):
        return None
    try:
        rgb = [float(p[:-1]) / 100 if p.endswith("%") else float(p) / 255 for p in parts[:3]]
        alpha = parts[3] if len(parts) == 4 else "1"
        a = float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha)
    except ValueError:
        return None
    return rgb[0], rgb[1], rgb[2], a


def _cmyk(match: re.Match[str], opaque: bool) -> str:
    parsed = _parse(match.group(0))
    if parsed is None:
        return match.group(0)
    red, green, blue, alpha = parsed
    if opaque and alpha < 1.0:  # over white paper
        red, green, blue = (alpha * c + (1.0 - alpha) for c in (red, green, blue))
        alpha = 1.0
    components = " ".join(f"{v:g}" for v in rgb_to_cmyk(red, green, blue))
    if alpha < 1.0:
        return f"device-cmyk({components} / {alpha:g})"
    return f"device-cmyk({components})"


def cmyk_css(css: str, opaque: bool = False) -> str:
    """The stylesheet with each colour as device-cmyk. URLs are left alone, and so are CSS
    gradients: the PDF renderer draws a gradient in RGB whatever its colours (and fails on
    CMYK ones), so it stays as written and the read-back preflight names its DeviceRGB."""
    pieces = []
    last = 0
    for start, end in _kept_spans(css):
        pieces.append(_COLOUR.sub(lambda m: _cmyk(m, opaque), css[last:start]))
        pieces.append(css[start:end])
        last = end
    pieces.append(_COLOUR.sub(lambda m: _cmyk(m, opaque), css[last:]))
    return "".join(pieces)


def _kept_spans(css: str) -> list[tuple[int, int]]:
    """(start, end) of each url(...) and each gradient (to its matching parenthesis)."""
    spans = [(m.start(), m.end()) for m in _URL.finditer(css)]
    for found in _GRADIENT.finditer(css):
        depth, end = 1, found.end()
        while end < len(css) and depth:
            depth += {"(": 1, ")": -1}.get(css[end], 0)
            end += 1
        spans.append((found.start(), end))
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if kept and start < kept[-1][1]:  # a url() inside a gradient, or the reverse
            kept[-1] = (kept[-1][0], max(end, kept[-1][1]))
        else:
            kept.append((start, end))
    return kept


def cmyk_html(html: str, opaque: bool = False) -> str:
    """The document with the colours of its <style> blocks and style="" attributes in CMYK;
    the text itself is never touched."""

    def block(match: re.Match[str]) -> str:
        return match.group(1) + cmyk_css(match.group(2), opaque) + match.group(3)

    return _STYLE_ATTR.sub(block, _STYLE_BLOCK.sub(block, html))


def limit_ink(image: Image.Image, limit: int) -> Image.Image:
    """A CMYK image whose total ink (C+M+Y+K) stays within `limit` percent: where a pixel
    carries more, its cyan, magenta and yellow are scaled down together and black is kept
    (the shadows stay dark and neutral)."""
    cap = limit * 255 / 100
    c, m, y, k = (band.convert("F") for band in image.split())
    factor = ImageMath.lambda_eval(
        lambda a: a["min"]((cap - a["k"]) / a["max"](a["c"] + a["m"] + a["y"], 1.0), 1.0),
        c=c, m=m, y=y, k=k,
    )  # fmt: skip
    bands = [
        ImageMath.lambda_eval(lambda a: a["band"] * a["factor"], band=band, factor=factor)
        for band in (c, m, y)
    ]
    return Image.merge("CMYK", [b.convert("L") for b in bands] + [image.split()[3]])
