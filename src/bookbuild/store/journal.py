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

    def remember(self, job: dict[str, Any]) -> None: ...

    def keep(self, data: bytes) -> None: ...

    def kept(self) -> bytes | None: ...

    def forget(self) -> None: ...


class NullJournal:
    """A journal that remembers nothing (for direct calls and tests)."""

    def pending(self) -> dict[str, Any] | None:
        return None

    def remember(self, job: dict[str, Any]) -> None:
        return None

    def keep(self, data: bytes) -> None:
        return None

    def kept(self) -> bytes | None:
        return None

    def forget(self) -> None:
        return None
