"""Reading OpenAI-style answers: error messages, Retry-After, replies that cannot be used.
Pure functions, shared by the `openai` provider (and any OpenAI-compatible back end)."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping


def server_message(body: object) -> str:
    """The message of an error body: OpenAI's `{"error": {"message"}}` (the SDK unwraps
    `error`), FastAPI's `{"detail"}`, Ollama's `{"error": "..."}`, or plain text."""
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""
    return body.strip()[:500] if isinstance(body, str) else ""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks to wait: `retry-after-ms`, else `retry-after` (seconds or an
    HTTP date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            seconds = float(value) / scale if value is not None else math.nan
        except ValueError:
            continue
        if not math.isnan(seconds):  # inf: "wait forever", which gives up
            return max(seconds, 0.0)
    date = email.utils.parsedate_tz(headers.get("retry-after") or "")
    return max(email.utils.mktime_tz(date) - time.time(), 0.0) if date else None


def reply_problem(finish_reason: str | None, text: str, refusal: str | None) -> str | None:
    """Why a successful HTTP answer is still not a usable reply, with what to do about it."""
    if finish_reason == "content_filter":
        return "the service's content filter blocked the reply: " + _FILTER_ADVICE
    if refusal:
        return f"the model refused: {refusal}"
    if finish_reason == "length":
        what = "the output limit was used up before any text" if not text else "the reply was cut"
        return f"{what} (finish_reason length): " + _LENGTH_ADVICE
    if not text:
        return f"the model returned an empty reply (finish_reason {finish_reason}); run again"
    return None


_FILTER_ADVICE = "rephrase the brief or the text this step reads, or use another model"
_LENGTH_ADVICE = "raise `max_tokens` in the preset (reasoning models count their thinking)"
