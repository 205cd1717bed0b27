"""The job journal kept in one JSON file per step key (`jobs/<key>.json`; see
`bookbuild.store.journal.JobJournal` for the protocol).

A paid job must survive a full disk: the intent is written *before* a submit is sent (so a
submit whose answer is lost is known: "a paid job may be running, id unknown"), the answer is
kept in memory as soon as it arrives, and a write that fails (ENOSPC, EIO) is tried again and
again at each later write, so the job is on disk as soon as there is room. A kept result that
cannot be stored stays in memory for the engine, which names the job if it cannot store it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from bookbuild.fsutil import atomic_write_bytes
from bookbuild.store.journal import INTENT, KEPT, describe_job
from bookbuild.store.jsonfile import check_json, dump_json, read_json


class Objects(Protocol):
    """What a journal needs of the store: its objects."""

    def put(self, data: bytes) -> str: ...

    def get(self, digest: str) -> bytes: ...


WRITE_WAITS: tuple[float, ...] = (0.2, 0.5, 1.0)
"""Seconds between the attempts at one journal write (a disk that is full for a moment)."""


class JournalWriteError(OSError):
    """The journal could not be written; the job is still known in memory."""


class FileJournal:
    def __init__(self, path: Path, store: Objects) -> None:
        self.path = path
        self._store = store
        self._memory: dict[str, Any] | None = None  # the newest record, written or not
        self._kept: bytes | None = None  # a result the store could not take

    def pending(self) -> dict[str, Any] | None:
        if self._memory is not None:
            return dict(self._memory)
        job = read_json(self.path)
        return job if isinstance(job, dict) else None

    def intend(self, what: str) -> None:
        """Before a paid submit is sent: OSError (so nothing is sent) if it cannot be written."""
        sent = datetime.now(UTC).isoformat(timespec="seconds")
        record = {INTENT: {"what": what, "sent": sent}}
        self._memory = record
        self._write(record)

    def remember(self, job: dict[str, Any]) -> None:
        """Record the job (its answer, a fetch URL); kept in memory at once, written to disk
        now or at the next write that succeeds."""
        check_json(job, "job")
        kept = (self.pending() or {}).get(KEPT)
        record = {**job, KEPT: kept} if kept and KEPT not in job else dict(job)
        record.pop(INTENT, None)
        self._memory = record
        try:
            self._write(record)
        except OSError:
            return  # still in memory; the engine names the job if its result cannot be kept

    def keep(self, data: bytes) -> None:
        try:
            digest = self._store.put(data)
        except OSError:
            self._kept = data  # the engine tries to store it again, and names the job if not
            return
        self.remember({**(self.pending() or {}), KEPT: digest})

    def kept(self) -> bytes | None:
        if self._kept is not None:
            return self._kept
        digest = (self.pending() or {}).get(KEPT)
        if not isinstance(digest, str):
            return None
        try:
            return self._store.get(digest)
        except (KeyError, OSError):
            return None

    def forget(self) -> None:
        self._memory, self._kept = None, None
        self.path.unlink(missing_ok=True)

    def describe(self) -> str:
        """The job for an error message ("job 1234 (its journal could not be written)")."""
        record = self.pending()
        if record is None:
            return ""
        unsaved = read_json(self.path) != record
        return describe_job(record) + (" (its journal could not be written)" if unsaved else "")

    def _write(self, record: dict[str, Any]) -> None:
        data = dump_json(record)
        for wait in (*WRITE_WAITS, None):
            try:
                atomic_write_bytes(self.path, data)
                return
            except OSError as exc:
                if wait is None:
                    raise JournalWriteError(
                        exc.errno, f"cannot write the job journal {self.path}: {exc.strerror}"
                    ) from exc
                time.sleep(wait)
