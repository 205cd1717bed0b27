"""Reading OpenAI-style answers: replies that cannot be used, and what to do about them.
(Error messages and Retry-After are read by the shared `bookbuild.providers.http`.)"""

from __future__ import annotations


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
