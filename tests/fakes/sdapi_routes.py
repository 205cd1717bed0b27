"""The paths the fake Stable Diffusion API serves: path -> (route, family, default model)."""

from __future__ import annotations

import re
from typing import Any

ROUTES: dict[str, tuple[str, str, str]] = {
    # legacy v3 stock models
    "/api/v3/text2img": ("txt2img", "v3", "runwayml/stable-diffusion-v1-5"),
    "/api/v3/img2img": ("img2img", "v3", "runwayml/stable-diffusion-v1-5"),
    "/api/v3/inpaint": ("inpaint", "v3", "runwayml/stable-diffusion-inpainting"),
    # legacy community ("dreambooth") models
    "/api/v3/dreambooth": ("txt2img", "v4", ""),
    "/api/v4/dreambooth": ("txt2img", "v4", ""),
    "/api/v4/dreambooth/img2img": ("img2img", "v4", ""),
    "/api/v4/dreambooth/inpaint": ("inpaint", "v4", ""),
    # current community models and realtime (stock) models
    "/api/v6/images/text2img": ("txt2img", "v6", ""),
    "/api/v6/images/img2img": ("img2img", "v6", ""),
    "/api/v6/images/inpaint": ("inpaint", "v6", ""),
    "/api/v6/realtime/text2img": ("txt2img", "realtime", "realtime"),
    "/api/v6/realtime/img2img": ("img2img", "realtime", "realtime"),
    "/api/v6/realtime/inpaint": ("inpaint", "realtime", "realtime"),
    # ControlNet (documented v5; the SDK's v6 path too)
    "/api/v5/controlnet": ("controlnet", "v5", "sd-1.5"),
    "/api/v6/images/controlnet": ("controlnet", "v6", "sd-1.5"),
    # image editing
    "/api/v3/super_resolution": ("upscale", "v3", "realesr-general-x4v3"),
    "/api/v6/image_editing/super_resolution": ("upscale", "editing", "realesr-general-x4v3"),
    "/api/v5/removebg_mask": ("remove_background", "v5", "removebg"),
    "/api/v6/image_editing/removebg_mask": ("remove_background", "editing", "removebg"),
    "/api/v5/outpaint": ("outpaint", "v5", "outpaint"),
    "/api/v6/image_editing/outpaint": ("outpaint", "editing", "outpaint"),
    "/api/v6/image_editing/inpaint": ("inpaint", "editing", "inpaint"),
    # uploads and system
    "/api/v3/base64_crop": ("upload", "v3", ""),
    "/api/v6/image_editing/base64_to_url": ("upload", "editing", ""),
    "/api/v3/system_load": ("system_load", "v3", ""),
}

_FETCH_WITH_ID = re.compile(r"^/api/v[3-6]/(?:[a-z_]+/)?fetch/(\w+)/?$")

# submit path prefix -> fetch path (with {id} when the id goes in the path, else request_id)
_FETCH_PATHS: tuple[tuple[str, str], ...] = (
    ("/api/v3/dreambooth", "/api/v3/dreambooth/fetch/{id}"),
    ("/api/v3/", "/api/v3/fetch/{id}"),
    ("/api/v4/", "/api/v4/dreambooth/fetch"),
    ("/api/v5/", "/api/v5/fetch/{id}"),
    ("/api/v6/images/", "/api/v6/images/fetch"),
    ("/api/v6/realtime/", "/api/v6/realtime/fetch/{id}"),
    ("/api/v6/image_editing/", "/api/v6/image_editing/fetch/{id}"),
)


def fetch_path_for(submit_path: str, job_id: str) -> str:
    """The `fetch_result` path the real service gives for a job of `submit_path`."""
    for prefix, fetch in _FETCH_PATHS:
        if submit_path.startswith(prefix):
            return fetch.format(id=job_id)
    return f"/api/v3/fetch/{job_id}"


def fetch_route(path: str) -> str | None:
    """The job id of a fetch path that carries it (`.../fetch/123`), else None."""
    found = _FETCH_WITH_ID.match(path)
    return found.group(1) if found else None


BOOLEAN_PATHS = ("/api/v6/realtime/", "/api/v5/removebg_mask", "/api/v6/image_editing/")
"""Paths whose yes/no fields the docs type as JSON booleans; the others take "yes"/"no"."""


def yes(value: Any, path: str = "", default: bool = False) -> bool:
    """How the service reads a yes/no field, strictly per endpoint as documented: where the
    docs type a boolean, any non-empty string is truthy (so "no" means yes, as in a server's
    `if only_mask:`); where they document "yes"/"no" strings, only those two are understood
    (a JSON `false` leaves the field at its default, e.g. enhance_prompt on)."""
    if path and value is None:
        return default
    if path.startswith(BOOLEAN_PATHS):
        return bool(value)
    if path:
        return default if value not in ("yes", "no") else value == "yes"
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "1")


def validate(path: str, body: dict[str, Any]) -> str | None:
    """The service's 400 messages for a missing or out-of-range field."""
    route, family = ROUTES[path][:2]
    if route in ("txt2img", "controlnet") and not body.get("prompt"):
        return "prompt is required"
    community = family in ("v4", "v6") and route in ("txt2img", "img2img", "inpaint")
    if (community or route == "controlnet") and not body.get("model_id"):
        return "model_id is required"
    if route in ("img2img", "inpaint") and not body.get("init_image"):
        return "init_image is required"
    if route == "inpaint" and not body.get("mask_image"):
        return "mask_image is required"
    problem = ip_adapter_problem(path, body)
    if problem:
        return problem
    limit = 1440 if route == "outpaint" else 2048 if route == "upscale" else 1024
    for side in ("width", "height"):
        value = as_int(body.get(side), 512)
        if not 64 <= value <= limit:
            return f"{side} must be between 64 and {limit}"
        if value % 8:
            return f"{side} must be divisible by 8"
    return None


IP_ADAPTER_PATHS = ("/api/v6/images/text2img", "/api/v6/images/img2img", "/api/v6/images/inpaint")
"""Where ModelsLab documents `ip_adapter_id` / `ip_adapter_scale` / `ip_adapter_image`."""
IP_ADAPTERS = frozenset(
    {
        "ip-adapter_sd15",
        "ip-adapter-plus-face_sd15",
        "ip-adapter_sdxl",
        "ip-adapter-plus_sdxl_vit-h",
        "ip-adapter-plus-face_sdxl_vit-h",
    }
)


def takes_ip_adapter(path: str) -> bool:
    return path in IP_ADAPTER_PATHS


def ip_adapter_problem(path: str, body: dict[str, Any]) -> str | None:
    """The v6 community endpoints check the IP-Adapter fields; the others ignore them."""
    if not takes_ip_adapter(path) or not body.get("ip_adapter_image"):
        return None
    if body.get("ip_adapter_id") not in IP_ADAPTERS:
        return f"Invalid ip_adapter_id: {body.get('ip_adapter_id')!r}"
    scale = body.get("ip_adapter_scale", 0.6)
    if not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
        return "ip_adapter_scale must be between 0 and 1"
    return None


def as_int(value: Any, default: int) -> int:
    """The service's looseness: 512 and "512" are the same number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
