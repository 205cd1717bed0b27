"""Reading what an AUTOMATIC1111 / Forge web UI answers: its error messages (FastAPI's 422
validation details, shown field by field, and the web UI's own `{error, detail, body, errors}`
shape), the pictures (bare base64) and the `info` JSON string whose seed and parameters are
recorded with each result."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

_LIMIT = 600


def server_message(status: int, payload: Any) -> str:
    """The server's own words for a failed request, one line per bad field for a 422."""
    if isinstance(payload, dict):
        detail = payload.get("detail")
        if isinstance(detail, list) and detail:
            return "the server refused the request:\n" + "\n".join(
                f"  {_field(item)}" for item in detail
            )
        words = [str(w).strip() for w in (detail, payload.get("errors")) if w]
        error = str(payload.get("error") or "").strip()
        if error and error != "HTTPException":
            words = [f"{error}: {words[-1]}" if words else error]
        if words:
            return _clip(words[0])
    if isinstance(payload, str) and payload.strip():
        return _clip(payload.strip())
    return f"the server answered HTTP {status} with no message"


def _field(item: Any) -> str:
    """One FastAPI validation error: `steps: value is not a valid integer (got 'many')`."""
    if not isinstance(item, dict):
        return _clip(str(item))
    loc = [str(part) for part in item.get("loc") or [] if part != "body"]
    where = ".".join(loc) or "body"
    got = f" (got {item['input']!r})" if "input" in item and not _is_image(item["input"]) else ""
    return _clip(f"{where}: {item.get('msg', 'invalid')}{got}")


def _is_image(value: Any) -> bool:
    return isinstance(value, str) and len(value) > 120


def _clip(text: str) -> str:
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


def decode_picture(encoded: Any, what: str) -> bytes:
    """The bytes of one base64 picture (bare, or with a `data:` prefix)."""
    if not isinstance(encoded, str) or not encoded:
        raise ValueError(f"{what}: the server sent no picture")
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what}: the server sent a picture that is not base64") from None


def info_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The `info` object of a txt2img/img2img answer (sent as a JSON string); {} if absent."""
    raw = answer.get("info")
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def generation_record(info: dict[str, Any]) -> dict[str, Any]:
    """What a step's metadata keeps of `info`: the seed and the parameters actually used."""
    extra = info.get("extra_generation_params")
    extra = extra if isinstance(extra, dict) else {}
    infotexts = info.get("infotexts")
    record: dict[str, Any] = {
        "seed": info.get("seed"),
        "sampler": info.get("sampler_name"),
        "scheduler": extra.get("Schedule type"),
        "steps": info.get("steps"),
        "cfg_scale": info.get("cfg_scale"),
        "checkpoint": info.get("sd_model_name"),
        "checkpoint_hash": info.get("sd_model_hash"),
        "vae": info.get("sd_vae_name"),
        "denoising_strength": info.get("denoising_strength") or None,
        "lora_hashes": extra.get("Lora hashes"),
        "version": info.get("version"),
        "infotext": infotexts[0] if isinstance(infotexts, list) and infotexts else None,
    }
    return {k: v for k, v in record.items() if v is not None}
