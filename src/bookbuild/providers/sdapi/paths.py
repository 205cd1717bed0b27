"""Where each image op goes on the Stable Diffusion API (ModelsLab), per API family.

Families (the preset's `api`):

    v3        legacy stock models          /api/v3/text2img, /img2img, /inpaint
    v4        legacy community models      /api/v4/dreambooth, /dreambooth/img2img, /inpaint
    v6        current community models     /api/v6/images/text2img, /img2img, /inpaint
    realtime  current stock models         /api/v6/realtime/text2img, /img2img, /inpaint
              (`api: v6`, or no `api`, with no `model` or `model: realtime`)

    outpaint goes to the family's inpaint endpoint: the picture padded to the grown canvas and a
    mask of the new area (`bookbuild.media.outpaint`).
    The service's /api/v6/image_editing/outpaint only
    takes a target size and places the original itself, so it cannot add pixels on one side.

Ops the legacy families never had a current-style endpoint for go to one endpoint for all:

    controlnet         /api/v5/controlnet for every family: it is the documented endpoint
                       (the SDK's /api/v6/images/controlnet is undocumented)
    upscale            v3/v4: /api/v3/super_resolution (field `url`);
                       v6/realtime: /api/v6/image_editing/super_resolution (`init_image`)
    remove_background  v3/v4: /api/v5/removebg_mask;
                       v6/realtime: /api/v6/image_editing/removebg_mask

Local images are uploaded first (v3/v4: /api/v3/base64_crop; v6: image_editing/base64_to_url).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from bookbuild.errors import ConfigError
from bookbuild.providers.sdapi.options import SDAPIOptions

Family = Literal["v3", "v4", "v6", "realtime"]
COMMUNITY: frozenset[str] = frozenset({"v4", "v6"})
"""Families whose generation endpoints take a `model_id` (and LoRA, scheduler, embeddings)."""

DEFAULT_BASE_URL = "https://modelslab.com"
VENDOR_HOSTS: tuple[str, ...] = ("modelslab.com", "stablediffusionapi.com")

_GENERATION: dict[str, dict[str, str]] = {
    "v3": {
        "txt2img": "/api/v3/text2img",
        "img2img": "/api/v3/img2img",
        "inpaint": "/api/v3/inpaint",
    },
    "v4": {
        "txt2img": "/api/v4/dreambooth",
        "img2img": "/api/v4/dreambooth/img2img",
        "inpaint": "/api/v4/dreambooth/inpaint",
    },
    "v6": {
        "txt2img": "/api/v6/images/text2img",
        "img2img": "/api/v6/images/img2img",
        "inpaint": "/api/v6/images/inpaint",
    },
    "realtime": {
        "txt2img": "/api/v6/realtime/text2img",
        "img2img": "/api/v6/realtime/img2img",
        "inpaint": "/api/v6/realtime/inpaint",
    },
}
CONTROLNET = "/api/v5/controlnet"
_LEGACY_UPSCALE = "/api/v3/super_resolution"
_UPSCALE = "/api/v6/image_editing/super_resolution"
_LEGACY_REMOVE_BG = "/api/v5/removebg_mask"
_REMOVE_BG = "/api/v6/image_editing/removebg_mask"
LEGACY_UPLOAD = "/api/v3/base64_crop"
UPLOAD = "/api/v6/image_editing/base64_to_url"

# When a "processing" answer lacks `fetch_result`: (endpoint prefix, fetch path, id in path?)
_FETCH_FALLBACKS: tuple[tuple[str, str, bool], ...] = (
    ("/api/v3/", "/api/v3/fetch/{id}", True),
    ("/api/v4/", "/api/v4/dreambooth/fetch", False),
    ("/api/v6/images/", "/api/v6/images/fetch", False),
    ("/api/v6/realtime/", "/api/v6/realtime/fetch/{id}", True),
    ("/api/v6/image_editing/", "/api/v6/image_editing/fetch/{id}", True),
    ("/api/v5/", "/api/v4/dreambooth/fetch", False),  # best guess: v5 runs community models
)


def resolve_family(preset: SDAPIOptions) -> Family:
    """The API family a preset talks to (see the module docstring)."""
    api = (preset.api or "v6").strip().lower()
    if api == "v3":
        return "v3"
    if api == "v4":
        return "v4"
    if api == "v6":
        return "realtime" if preset.model in (None, "", "realtime") else "v6"
    raise ConfigError(f"sdapi: unknown `api: {preset.api}` (use v3, v4 or v6)")


def endpoint(family: Family, op: str) -> str:
    """The path one op is sent to."""
    if op in ("txt2img", "img2img", "inpaint"):
        return _GENERATION[family][op]
    if op == "outpaint":  # through inpainting, see `bookbuild.media.outpaint`
        return _GENERATION[family]["inpaint"]
    legacy = family in ("v3", "v4")
    fixed = {
        "controlnet": CONTROLNET,
        "upscale": _LEGACY_UPSCALE if legacy else _UPSCALE,
        "remove_background": _LEGACY_REMOVE_BG if legacy else _REMOVE_BG,
    }
    if op not in fixed:
        raise ConfigError(f"sdapi: unknown image op {op!r}")
    return fixed[op]


def upload_endpoint(family: Family) -> str:
    return LEGACY_UPLOAD if family in ("v3", "v4") else UPLOAD


BOOLEAN_PATHS = ("/api/v6/realtime/", "/api/v5/removebg_mask", "/api/v6/image_editing/")
"""Endpoints whose yes/no fields are JSON booleans (the realtime openapi; both removebg docs).
The community endpoints (`/api/v6/images/*`) and the legacy ones take "yes"/"no" strings, as
every doc example and ModelsLab's three official SDKs send them."""


def uses_booleans(path: str) -> bool:
    """True when `path` wants JSON booleans for its yes/no fields, else "yes"/"no" strings."""
    return path.startswith(BOOLEAN_PATHS)


def fallback_fetch(submit_path: str, job_id: str) -> str:
    """A fetch path for a queued job whose answer carried no `fetch_result`."""
    for prefix, fetch, _ in _FETCH_FALLBACKS:
        if submit_path.startswith(prefix):
            return fetch.format(id=job_id)
    return f"/api/v3/fetch/{job_id}"


def fetch_wants_request_id(family: str, fetch_url: str, job_id: str) -> bool:
    """Community fetch endpoints take `request_id` in the body; the others the id in the path."""
    path = urlsplit(fetch_url).path.rstrip("/")
    return family in COMMUNITY or not path.endswith("/" + job_id)


def absolute_url(base_url: str, url_or_path: str) -> str:
    """`url_or_path` made absolute. A URL on a host other than the base's or the vendor's is
    re-rooted on the base URL: the key travels in POST bodies and must not leave the service."""
    base = urlsplit(base_url)
    target = urlsplit(url_or_path)
    if not target.netloc:
        return base_url.rstrip("/") + "/" + url_or_path.lstrip("/")
    if target.netloc == base.netloc and target.scheme == base.scheme:
        return url_or_path
    host = (target.hostname or "").lower()
    vendor = any(host == h or host.endswith("." + h) for h in VENDOR_HOSTS)
    if vendor and target.scheme == "https":
        return url_or_path
    query = f"?{target.query}" if target.query else ""
    return base_url.rstrip("/") + target.path + query
