"""Queued jobs of the Stable Diffusion API: what the journal remembers, and polling.

A slow job answers `status: "processing"` with an `id`, an `eta` and a `fetch_result` URL. The
job is written to the step's journal at once, so a build killed while waiting resumes polling
the same job (and does not pay twice); a finished job's answer is written too, so its result is
downloaded again rather than paid again. The `fetch_result` URL is polled verbatim (the path
differs per endpoint), waiting `eta` first, then every POLL_INTERVAL seconds (or the `eta` a
fetch answer gives, at most POLL_CAP), until the job succeeds, fails, or the deadline passes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.sdapi.client import SDAPIHttp
from bookbuild.providers.sdapi.paths import fallback_fetch, fetch_wants_request_id

log = logging.getLogger("bookbuild.providers.sdapi")

DEFAULT_DEADLINE = 600.0
POLL_MIN = 0.2
POLL_INTERVAL = 1.0
POLL_CAP = 5.0
POLL_FIRST_CAP = 60.0
ANSWER_FIELDS = (
    "status",
    "id",
    "output",
    "proxy_links",
    "meta",
    "generationTime",
    "nsfw_content_detected",
)
META_FIELDS = ("seed", "steps", "scheduler", "model_id", "model", "prompt", "W", "H")


@dataclass(frozen=True)
class Job:
    """A queued job, as the journal keeps it."""

    id: str
    fetch_result: str
    family: str
    endpoint: str
    future_links: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)  # the success answer, once known

    def to_journal(self) -> dict[str, Any]:
        return {
            "fetch_result": self.fetch_result,
            "id": self.id,
            "family": self.family,
            "endpoint": self.endpoint,
            "future_links": list(self.future_links),
            "meta": dict(self.meta),
            "answer": dict(self.answer),
        }

    @classmethod
    def from_journal(cls, data: Mapping[str, Any]) -> Job | None:
        """The job a journal holds, or None when the entry is not one of ours."""
        fetch, job_id = data.get("fetch_result"), data.get("id")
        answer = data.get("answer")
        answer = dict(answer) if isinstance(answer, Mapping) else {}
        if not answer and (not isinstance(fetch, str) or not fetch or job_id is None):
            return None
        links = data.get("future_links")
        meta = data.get("meta")
        return cls(
            id=str(job_id or ""),
            fetch_result=fetch if isinstance(fetch, str) else "",
            family=str(data.get("family", "")),
            endpoint=str(data.get("endpoint", "")),
            future_links=tuple(u for u in links if isinstance(u, str)) if links else (),
            meta=dict(meta) if isinstance(meta, Mapping) else {},
            answer=answer,
        )

    def done(self, answer: Mapping[str, Any]) -> Job:
        """This job with its success answer (what a download needs), for the journal."""
        kept = {k: answer[k] for k in ANSWER_FIELDS if k in answer}
        return replace(self, answer=kept)

    @classmethod
    def from_answer(cls, payload: Mapping[str, Any], family: str, endpoint: str) -> Job:
        """The job a submit answer describes (queued or not)."""
        job_id = str(payload.get("id", "") or "")
        fetch = payload.get("fetch_result")
        if not isinstance(fetch, str) or not fetch:
            fetch = fallback_fetch(endpoint, job_id) if job_id else ""
        return cls(
            id=job_id,
            fetch_result=fetch,
            family=family,
            endpoint=endpoint,
            future_links=tuple(_urls(payload.get("future_links"))),
            meta=pick_meta(payload),
        )


class JobFailed(ProviderError):
    """The service says the job itself failed (`status: failed`/`error` on its fetch URL): it
    produces nothing, so it is forgotten and may be submitted again."""


@dataclass
class Poller:
    """Polls one job's fetch URL until it is done or the deadline passes: first after the
    service's `eta`, then every `interval` seconds (a short fixed interval, following any `eta`
    a fetch answer gives, capped at POLL_CAP), never a growing backoff that outsleeps the job."""

    http: SDAPIHttp
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    deadline: float = DEFAULT_DEADLINE

    def wait(self, job: Job, eta: float | None) -> dict[str, Any]:
        """The success answer of `job`; ProviderError (transient) when the deadline passes,
        JobFailed when the service says the job failed."""
        start = self.clock()
        delay = _first_delay(eta)
        body: dict[str, Any] = {}
        if fetch_wants_request_id(job.family, job.fetch_result, job.id):
            body["request_id"] = job.id
        while True:
            remaining = self.deadline - (self.clock() - start)
            if remaining <= 0:
                waited = round(self.clock() - start)
                raise ProviderError(
                    f"job {job.id} still processing after {waited} s; "
                    "run make again to keep waiting",
                    provider="sdapi",
                    transient=True,
                )
            self.sleep(min(delay, remaining))
            answer = self.http.post(job.fetch_result, body)
            if self._done(answer):
                return answer
            log.debug("job %s still processing", job.id)
            delay = _next_delay(answer)

    def _done(self, answer: dict[str, Any]) -> bool:
        try:
            return self.http.check(answer) == "success"
        except ProviderError as err:
            if err.transient:  # "try again later" on a fetch: the job is fine, poll again
                return False
            failed = JobFailed(err.message, provider="sdapi", status=err.status)
        raise failed


def pick_meta(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters the service reports having used (`meta`), the fields bookbuild keeps."""
    meta = payload.get("meta")
    if not isinstance(meta, Mapping):
        return {}
    return {k: meta[k] for k in META_FIELDS if meta.get(k) not in (None, "")}


def eta_of(payload: Mapping[str, Any]) -> float | None:
    try:
        return float(payload["eta"])
    except (KeyError, TypeError, ValueError):
        return None


def output_urls(payload: Mapping[str, Any]) -> list[str]:
    """Where the result can be downloaded: `output`, then the `proxy_links` mirror."""
    return _urls(payload.get("output")) + _urls(payload.get("proxy_links"))


def _urls(value: Any) -> list[str]:
    """URLs from a list or a lone string (legacy endpoints send `""` or a bare URL)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [u for u in value if isinstance(u, str) and u]
    return []


def _first_delay(eta: float | None) -> float:
    """The service's `eta` (when it gives one), else a short first wait."""
    if eta is None:
        return POLL_INTERVAL
    return min(max(eta, POLL_MIN), POLL_FIRST_CAP)  # never sooner than POLL_MIN


def _next_delay(answer: Mapping[str, Any]) -> float:
    """After the first wait: the fetch answer's `eta` when given, else POLL_INTERVAL; at most
    POLL_CAP."""
    eta = eta_of(answer)
    return POLL_INTERVAL if eta is None else min(max(eta, POLL_MIN), POLL_CAP)
