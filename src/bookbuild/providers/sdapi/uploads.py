"""Input images for the Stable Diffusion API: the service only takes URLs, so the init image,
mask and control image are uploaded first (`base64_crop` on the legacy families, `base64_to_url`
on v6), once per content per provider instance."""

from __future__ import annotations

import hashlib
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
        """The hosted URL of `png` and whether it was uploaded now (else known already)."""
        digest = hashlib.sha256(png).hexdigest()
        with self._guard:
            cached = self._urls.get(digest)
        if cached is not None:
            return cached, False
        path = upload_endpoint(family)
        if path == LEGACY_UPLOAD:
            body: dict[str, Any] = {"image": data_url(png), "crop": "false"}
        else:
            body = {"init_image": data_url(png)}
        answer = http.post(path, body)
        url = _uploaded_url(http, answer)
        with self._guard:
            self._urls[digest] = url
        log.debug("uploaded an input image (%d bytes)", len(png))
        return url, True


def _uploaded_url(http: SDAPIHttp, answer: dict[str, Any]) -> str:
    link = answer.get("link")
    if isinstance(link, str) and link:
        return link
    http.check(answer)
    urls = output_urls(answer)
    if not urls:
        raise ProviderError("the image upload answered without a link", provider="sdapi")
    return urls[0]
