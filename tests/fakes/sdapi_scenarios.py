"""Scenarios for FakeSDAPI (how to answer one request), the answers they make, and two
helpers for provider tests: a dict-backed job journal and a clock whose sleeps are instant."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scenario:
    """How to answer one request. `kind`: success, processing, error, drop."""

    kind: str = "success"
    status: int = 200
    message: str = ""
    legacy: bool = False  # spell it `messege`, like the legacy endpoints
    word: str = "error"  # the envelope status of an error: "error" or "failed"
    retry_after: float | None = None
    retry_header: bool = False  # also send a Retry-After header
    retry_in_body: bool = True  # `retry_after` in the JSON body
    fetches: int = 1  # processing: success on the N-th fetch
    eta: float = 2.0
    with_fetch_result: bool = True
    black: bool = False
    nsfw: bool = False
    expire: bool = False  # the output URL serves once, then 404
    base64: bool = False  # the output is a `.base64` text file
    fmt: str = "PNG"  # output file format: PNG, JPEG, WEBP (or GIF, which clients refuse)
    output_as_string: bool = False  # legacy shape: `output` is a bare URL string
    stall: float = 0.0  # seconds to wait before answering, after the job was taken
    trickle: float = 0.0  # a file: send it one byte every `trickle` seconds
    echo_key: bool = False  # echo the key in the URLs of the answer (`?key=...`)
    redirect: str = ""  # a file: answer 302 to this location instead


def success(**options: Any) -> Scenario:
    return Scenario(**options)


def processing(fetches: int = 1, eta: float = 2.0, **options: Any) -> Scenario:
    return Scenario(kind="processing", fetches=fetches, eta=eta, **options)


def error(
    message: str, status: int = 400, *, legacy: bool = False, word: str = "error"
) -> Scenario:
    return Scenario(kind="error", status=status, message=message, legacy=legacy, word=word)


def error_200(message: str, *, legacy: bool = False, word: str = "error") -> Scenario:
    return error(message, 200, legacy=legacy, word=word)


def rate_limited(retry_after: float = 30, *, header: bool = False, body: bool = True) -> Scenario:
    """429 queue full, with `retry_after` in the body and/or a Retry-After header."""
    message = "Rate limit exceeded. Maximum 5 queued requests allowed."
    return Scenario(
        kind="error",
        status=429,
        message=message,
        retry_after=retry_after,
        retry_header=header,
        retry_in_body=body,
    )


def server_error(status: int = 500) -> Scenario:
    return Scenario(kind="error", status=status, message="Internal server error")


def dropped() -> Scenario:
    return Scenario(kind="drop")


def stalled(seconds: float) -> Scenario:
    """Take the job (it runs and is charged), but answer only after `seconds`."""
    return Scenario(stall=seconds)


def trickled(seconds_per_byte: float) -> Scenario:
    """Serve a file one byte at a time."""
    return Scenario(trickle=seconds_per_byte)


def redirected(location: str) -> Scenario:
    """Answer a file GET with a 302 to `location`."""
    return Scenario(redirect=location)


def success_answer(job_id: str, url: str, meta: dict[str, Any], sc: Scenario) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "status": "success",
        "generationTime": 1.23,
        "id": int(job_id),
        "output": url if sc.output_as_string else [url],
        "proxy_links": [url],
        "meta": meta,
        "webhook_status": "",
    }
    if sc.nsfw:
        answer["nsfw_content_detected"] = True
    return answer


def failure_answer(sc: Scenario) -> tuple[int, Any, dict[str, str]]:
    if sc.kind == "drop":
        return 0, None, {}
    body: dict[str, Any] = {"status": sc.word, ("messege" if sc.legacy else "message"): sc.message}
    headers: dict[str, str] = {}
    if sc.retry_after is not None and sc.retry_in_body:
        body["retry_after"] = sc.retry_after
    if sc.retry_after is not None and sc.retry_header:
        headers["Retry-After"] = str(int(sc.retry_after))
    return sc.status, body, headers


class DictJournal:
    """A JobJournal kept in a dict, shareable between provider instances (a "restart")."""

    def __init__(self) -> None:
        self.job: dict[str, Any] | None = None
        self.remembered: list[dict[str, Any]] = []
        self.forgotten = 0
        self.kept_data: bytes | None = None
        self.intents: list[str] = []

    def pending(self) -> dict[str, Any] | None:
        return dict(self.job) if self.job is not None else None

    def intend(self, what: str) -> None:
        self.intents.append(what)
        self.job = {"intent": {"what": what, "sent": "now"}}

    def remember(self, job: dict[str, Any]) -> None:
        self.job = json.loads(json.dumps(job))  # what a file-backed journal would keep
        self.remembered.append(self.job)

    def keep(self, data: bytes) -> None:
        self.kept_data = data

    def kept(self) -> bytes | None:
        return self.kept_data if self.job is not None else None

    def forget(self) -> None:
        self.job = None
        self.kept_data = None
        self.forgotten += 1


class FakeClock:
    """`sleep` that only advances `now`; records every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
