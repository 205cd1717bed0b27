"""Input images for the Stable Diffusion API: the service only takes URLs, so the init image,
mask and control image are uploaded first (`base64_crop` on the legacy families, `base64_to_url`
on v6), once per content per provider instance."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import threading
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.media.images import encode_png
from bookbuild.media.outpaint import Outpaint
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.sdapi.bodies import Inputs
from bookbuild.providers.sdapi.client import SDAPIHttp
from bookbuild.providers.sdapi.images import data_url, mask_png, read_input, sniff_format
from bookbuild.providers.sdapi.jobs import output_urls
from bookbuild.providers.sdapi.paths import LEGACY_UPLOAD, Family, upload_endpoint

log = logging.getLogger("bookbuild.providers.sdapi")


class Uploads:
    """Hosted URLs of uploaded images, by content; safe to share between threads."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self._same_content: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def inputs(self, http: SDAPIHttp, family: Family, request: ImageRequest) -> tuple[Inputs, int]:
        """Upload the init image, mask and control image; (their URLs, uploads made)."""
        fresh: list[bool] = []

        def upload(png: bytes) -> str:
            url, is_new = self.upload(http, family, png)
            fresh.append(is_new)
            return url

        init = mask = control = None
        size: tuple[int, int] | None = None
        if request.image is not None:
            picture = read_input(request.image, "input image")
            size = picture.size
            png = request.image if sniff_format(request.image) == "PNG" else encode_png(picture)
            init = upload(png)
        if request.mask is not None:
            if size is None:
                raise ProviderError(f"{request.op}: a mask needs an input image", provider="sdapi")
            mask = upload(mask_png(request.mask, size))
        if request.control_image is not None:
            reference = read_input(request.control_image, "control image")
            control = upload(encode_png(reference))
        return Inputs(init, mask, control, size), sum(fresh)

    def outpaint(self, http: SDAPIHttp, family: Family, outpaint: Outpaint) -> tuple[Inputs, int]:
        """Upload the padded picture and its mask; (their URLs, uploads made)."""
        init, fresh_init = self.upload(http, family, encode_png(outpaint.image))
        mask, fresh_mask = self.upload(http, family, encode_png(outpaint.mask))
        return Inputs(init, mask, None, outpaint.sent), fresh_init + fresh_mask

    def upload(self, http: SDAPIHttp, family: Family, png: bytes) -> tuple[str, bool]:
        """The hosted URL of `png` and whether it was uploaded now (else known already); also
        when two steps send the same picture or mask at the same time: the second waits."""
        digest = hashlib.sha256(png).hexdigest()
        with self._guard:
            same_content = self._same_content.setdefault(digest, threading.Lock())
        with same_content:
            with self._guard:
                cached = self._urls.get(digest)
            if cached is not None:
                return cached, False
            url = _post_upload(http, family, png)
            with self._guard:
                self._urls[digest] = url
        log.debug("uploaded an input image (%d bytes)", len(png))
        return url, True


def _post_upload(http: SDAPIHttp, family: Family, png: bytes) -> str:
    path = upload_endpoint(family)
    if path == LEGACY_UPLOAD:
        body: dict[str, Any] = {"image": legacy_data_url(png), "crop": "false"}
    else:
        body = {"init_image": data_url(png)}
    return _uploaded_url(http, http.post(path, body))


LEGACY_UPLOAD_LIMIT = 5 * 1024 * 1024
"""`base64_crop` refuses images over 5 MB ("Image size must be less than 5MB")."""


def legacy_data_url(png: bytes) -> str:
    """A data URL `base64_crop` accepts: the PNG as it is when under 5 MB, else re-encoded as
    JPEG (quality 95, then 85) at the same size, so the picture keeps its pixel grid."""
    if len(png) <= LEGACY_UPLOAD_LIMIT:
        return data_url(png)
    picture = read_input(png, "input image").convert("RGB")
    for quality in (95, 85):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= LEGACY_UPLOAD_LIMIT:
            return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    raise ProviderError(
        f"an input image of {picture.width}x{picture.height} is over the legacy upload limit "
        "(5 MB) even as JPEG; use `api: v6` or a smaller picture",
        provider="sdapi",
    )


def _uploaded_url(http: SDAPIHttp, answer: dict[str, Any]) -> str:
    link = answer.get("link")
    if isinstance(link, str) and link:
        return link
    http.check(answer)
    urls = output_urls(answer)
    if not urls:
        raise ProviderError("the image upload answered without a link", provider="sdapi")
    return urls[0]
