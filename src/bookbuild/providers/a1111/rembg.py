"""The rembg extension's answer, checked: a background removal without transparency is refused
(the extension encodes its answer in the web UI's `samples_format`; a JPEG has no alpha)."""

from __future__ import annotations

from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.client import NAME


def require_transparency(picture: Image.Image, shown_url: str) -> None:
    """A background removal must come back with an alpha channel that cuts something out; the
    rembg extension encodes its answer in the web UI's `samples_format`, and a JPEG has none."""
    alpha = picture.getchannel("A") if picture.mode in ("RGBA", "LA") else None
    lowest = alpha.getextrema()[0] if alpha is not None else 255
    if isinstance(lowest, int | float) and lowest < 255:
        return
    raise ProviderError(
        f"the web UI at {shown_url} answered remove_background without transparency (it "
        "encodes pictures in its `samples_format`, e.g. JPEG, which has no alpha): set "
        "Settings > Saving images > File format to png and run make again. Nothing was kept",
        provider=NAME,
    )
