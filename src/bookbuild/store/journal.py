"""The journal of a paid job: what a provider remembers under a step's key until its result is
stored (the store keeps one per key; providers write to it through this protocol)."""

from __future__ import annotations

from typing import Any, Protocol


class JobJournal(Protocol):
    """Lets a provider remember a paid job under the step's key until the engine has stored its
    result: a queued job (e.g. its fetch URL) so a build killed while waiting resumes polling
    it, a finished job's answer so its result is downloaded again rather than paid again, and
    the downloaded result itself (`keep`) so nothing paid is lost between download and store.
    The engine calls `forget` once the step's result is in the store and the lock."""

    def pending(self) -> dict[str, Any] | None: ...

    def intend(self, what: str) -> None:
        """Just before a paid submit is sent; OSError when it cannot be recorded (then the
        submit must not be sent)."""
        ...

    def remember(self, job: dict[str, Any]) -> None: ...

    def keep(self, data: bytes) -> None: ...

    def kept(self) -> bytes | None: ...

    def forget(self) -> None: ...


class NullJournal:
    """A journal that remembers nothing (for direct calls and tests)."""

    def pending(self) -> dict[str, Any] | None:
        return None

    def intend(self, what: str) -> None:
        return None

    def remember(self, job: dict[str, Any]) -> None:
        return None

    def keep(self, data: bytes) -> None:
        return None

    def kept(self) -> bytes | None:
        return None

    def forget(self) -> None:
        return None


INTENT = "intent"
"""The record's key while a paid submit is sent and its answer not yet recorded."""
KEPT = "kept_result"
"""The record's key naming the store object of a downloaded result."""
_ID_FIELDS = ("id", "prompt_id", "job_id", "request_id", "fetch_result")


def unknown_job(record: dict[str, Any] | None) -> bool:
    """True when the record says a paid submit was sent and its answer never recorded (the
    process was killed while sending, or the disk was full): the job may be running."""
    return bool(record) and INTENT in (record or {}) and not describe_job(record or {}, ids=True)


def describe_job(record: dict[str, Any], *, ids: bool = False) -> str:
    """ "job <id>" from a journal record (empty with `ids` when it names none)."""
    for name in _ID_FIELDS:
        value = record.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return f"job {value}"
    if ids:
        return ""
    intent = record.get(INTENT)
    what = intent.get("what") if isinstance(intent, dict) else None
    sent = intent.get("sent") if isinstance(intent, dict) else None
    return f"a paid {what or 'job'} sent at {sent or 'an unknown time'} (id unknown)"
