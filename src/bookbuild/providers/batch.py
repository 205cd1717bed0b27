"""Batch builds: requests that can wait go to a vendor's batch API (half price, results within
24 h) instead of one call each.

While the engine runs a wave, a batching provider puts each request in the build's `BatchBook`
and raises BatchPending. When nothing else can run, `flush` sends one batch per account and
endpoint (one JSONL upload each) and journals, in every step's journal, the submission first
and then the batch id, so a killed build never submits the same requests again. A later run
asks the batch for its state; once it is done, the step's line of the output (or error) file is
its answer, stored and pinned like any result. Dependent steps wait for the next wave.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bookbuild.errors import ProviderError
from bookbuild.store.journal import JobJournal

__all__ = ["DONE", "RUNNING", "BatchAPI", "BatchBook", "BatchState", "Submitted"]

RUNNING = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
DONE = frozenset({"completed", "failed", "expired", "cancelled"})
JOURNAL_FIELD = "batch"
MAX_BATCH_REQUESTS = 50_000  # the Batch API's limits on one input file
MAX_BATCH_BYTES = 200 * 1000 * 1000


@dataclass(frozen=True)
class BatchState:
    id: str
    status: str
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[str, ...] = ()  # a failed batch's validation errors


class BatchAPI(Protocol):
    """What a vendor's batch API offers (the OpenAI one: providers/openai/batches.py)."""

    def account(self) -> str:
        """Requests of one account and endpoint go in one batch."""

    def submit(self, endpoint: str, lines: list[dict[str, Any]], submission: str) -> str:
        """Upload the JSONL, create the batch (tagged with `submission`); its id."""

    def find(self, submission: str) -> str | None:
        """The batch created with `submission` (a build killed before journaling it)."""

    def state(self, batch_id: str) -> BatchState: ...

    def lines(self, file_id: str) -> dict[str, dict[str, Any]]:
        """The output or error file's lines, by custom_id."""


@dataclass
class _Entry:
    api: BatchAPI
    endpoint: str
    line: dict[str, Any]  # {custom_id, method, url, body}
    journal: JobJournal


@dataclass(frozen=True)
class Submitted:
    batch_id: str
    endpoint: str
    requests: int


@dataclass
class BatchBook:
    """The build's batches: requests waiting to be sent, and the states and files of the
    batches asked about in this run (each asked once per wave, each file read once)."""

    poll_interval: float = 10.0
    _waiting: list[_Entry] = field(default_factory=list)
    _states: dict[str, BatchState] = field(default_factory=dict)
    _files: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _known: dict[str, BatchAPI] = field(default_factory=dict)  # batch id -> its API
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, api: BatchAPI, endpoint: str, line: dict[str, Any], journal: JobJournal) -> None:
        with self._lock:
            self._waiting.append(_Entry(api, endpoint, line, journal))

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def flush(self) -> list[Submitted]:
        """Send every waiting request: one batch per account and endpoint."""
        with self._lock:
            entries, self._waiting = self._waiting, []
        groups: dict[tuple[str, str], list[_Entry]] = {}
        for entry in entries:
            groups.setdefault((entry.api.account(), entry.endpoint), []).append(entry)
        return [self._send(part) for group in groups.values() for part in _parts(group)]

    def _send(self, group: list[_Entry]) -> Submitted:
        api, endpoint = group[0].api, group[0].endpoint
        submission = uuid.uuid4().hex
        for entry in group:  # before anything is paid: a kill from here on finds the batch
            entry.journal.remember({JOURNAL_FIELD: _job(entry, submission)})
        try:
            batch_id = api.submit(endpoint, [e.line for e in group], submission)
        except ProviderError as exc:
            if not exc.transient:  # refused: no batch was created, nothing to find later
                for entry in group:
                    entry.journal.forget()
            raise
        for entry in group:
            entry.journal.remember({JOURNAL_FIELD: {**_job(entry, submission), "id": batch_id}})
        with self._lock:
            self._known[batch_id] = api
        return Submitted(batch_id, endpoint, len(group))

    # -- collecting --------------------------------------------------------------------------
    def state(self, api: BatchAPI, batch_id: str) -> BatchState:
        with self._lock:
            found = self._states.get(batch_id)
        if found is None:  # asked once per run; `wait` asks again
            found = api.state(batch_id)
            with self._lock:
                self._states[batch_id] = found
                self._known[batch_id] = api
        return found

    def lines(self, api: BatchAPI, file_id: str | None) -> dict[str, dict[str, Any]]:
        if file_id is None:
            return {}
        with self._lock:
            found = self._files.get(file_id)
        if found is None:
            found = api.lines(file_id)
            with self._lock:
                self._files[file_id] = found
        return found

    def running(self) -> list[str]:
        """Batches of this run not finished at their last look."""
        with self._lock:
            known = dict(self._known)
            states = dict(self._states)
        return [b for b in known if b not in states or states[b].status in RUNNING]

    def wait(self, pause: Callable[[float], None], on_poll: Callable[[str], None]) -> None:
        """Poll every running batch until each is done (`pause` raises on Ctrl-C); the waits
        grow from 1 s to `poll_interval` (a batch takes minutes to hours)."""
        polls = 0
        while True:
            running = self.running()
            if not running:
                return
            for batch_id in running:
                with self._lock:
                    api = self._known[batch_id]
                state = api.state(batch_id)
                with self._lock:
                    self._states[batch_id] = state
                on_poll(f"batch {batch_id}: {state.status}")
            if self.running():
                pause(min(self.poll_interval, 2.0**polls))
                polls += 1


def _parts(group: list[_Entry]) -> list[list[_Entry]]:
    """`group` cut into batches within the API's limits (MAX_BATCH_REQUESTS lines and
    MAX_BATCH_BYTES of JSONL each; a line over the size goes alone and the service says why)."""
    parts: list[list[_Entry]] = [[]]
    size = 0
    for entry in group:
        length = len(json.dumps(entry.line, ensure_ascii=False).encode()) + 1
        full = len(parts[-1]) >= MAX_BATCH_REQUESTS or size + length > MAX_BATCH_BYTES
        if parts[-1] and full:
            parts.append([])
            size = 0
        parts[-1].append(entry)
        size += length
    return parts


def _job(entry: _Entry, submission: str) -> dict[str, Any]:
    return {
        "submission": submission,
        "endpoint": entry.endpoint,
        "custom_id": entry.line["custom_id"],
        "account": entry.api.account(),
    }


def journaled(job: dict[str, Any] | None) -> dict[str, Any] | None:
    """The batch part of a step's journal, if the step is in a batch."""
    found = (job or {}).get(JOURNAL_FIELD)
    return found if isinstance(found, dict) else None
