"""The remote as a cache of the local store: the narrow interface `make` (and push/pull) use.

`fetch(key)` brings a step's action record and its object into the local store (verified)
before anyone pays for the step; `publish(key)` uploads what the local store holds for a key
(object first, then record, so a record on the remote never points at a missing object).
Transfers run concurrently and report progress.

A remote that is down or too slow degrades to local work with one warning, and is not asked
again during this run; with `required` (make --locked, push, pull) the RemoteError is raised.
A corrupt download is refused and reported (never stored); the next push of that object
replaces it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

from bookbuild.errors import CorruptObjectError, StoreError
from bookbuild.store.objects import Store
from bookbuild.store.remote import RemoteCorruptError, RemoteError, S3Remote

__all__ = ["Notice", "Notify", "RemoteCache", "TransferCounts"]

Notice = Literal["warning", "corrupt", "progress"]
Notify = Callable[[Notice, str], None]


def _quiet(kind: Notice, message: str) -> None:
    return None


@dataclass
class TransferCounts:
    fetched: int = 0  # keys brought in from the remote
    missing: int = 0  # keys the remote does not have
    corrupt: list[str] = field(default_factory=list)  # digests refused
    pushed: int = 0  # objects uploaded
    records: int = 0  # action records uploaded
    present: int = 0  # keys the remote already had whole
    bytes_down: int = 0
    bytes_up: int = 0


class RemoteCache:
    def __init__(
        self,
        store: Store,
        remote: S3Remote,
        notify: Notify = _quiet,
        *,
        required: bool = False,
        push: bool = True,
        jobs: int = 8,
    ) -> None:
        self.store = store
        self.remote = remote
        self.notify = notify
        self.required = required
        self.push = push
        self.counts = TransferCounts()
        self.down: RemoteError | None = None
        self._misses: set[str] = set()
        self._lock = threading.Lock()
        self._uploads: list[Future[None]] = []
        self._pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="remote")

    @property
    def url(self) -> str:
        return self.remote.url

    # -- down -------------------------------------------------------------------------------
    def _went_down(self, exc: RemoteError, fatal: bool | None = None) -> None:
        if self.required if fatal is None else fatal:
            raise exc
        with self._lock:
            first = self.down is None
            self.down = self.down or exc
        if first:
            self.notify(
                "warning",
                f"{exc}. Building locally without the remote for the rest of this run "
                "(nothing is lost: `bookbuild push` uploads the results later)",
            )

    # -- fetch ------------------------------------------------------------------------------
    def fetch(self, key: str, digest: str | None = None) -> bool:
        """Bring the result of step `key` (the one with `digest`, if given) into the local
        store; False if the remote has none, refused it as corrupt, or is down."""
        if self.down is not None or key in self._misses:
            return False
        try:
            found = self._fetch(key, digest)
        except RemoteCorruptError as exc:
            with self._lock:
                self.counts.corrupt.append(exc.digest)
            self.notify("corrupt", str(exc))
            found = False
        except RemoteError as exc:
            self._went_down(exc)
            return False
        with self._lock:
            if found:
                self.counts.fetched += 1
            else:
                self._misses.add(key)
                self.counts.missing += 1
        return found

    def _fetch(self, key: str, digest: str | None) -> bool:
        record = self.remote.find_action(key, digest)
        if record is None and digest is not None and self.store.action_digest(key) == digest:
            record = self.store.record_of(key)  # our own record; only the object is gone
        if record is None:
            return False
        if not self._have(record.digest):
            data = self.remote.get_object(record.digest)
            if data is None:
                return False
            self.store.put(data)
            with self._lock:
                self.counts.bytes_down += len(data)
        self.store.record(record)
        return True

    def _have(self, digest: str) -> bool:
        try:
            self.store.get(digest)
        except (KeyError, CorruptObjectError):
            return False
        return True

    def fetch_many(self, wanted: Mapping[str, str | None], what: str = "step(s)") -> set[str]:
        """Fetch every key (-> the digest wanted, or None) concurrently; the keys found."""
        todo = {k: d for k, d in wanted.items() if k not in self._misses}
        if not todo or self.down is not None:
            return set()
        futures = {self._pool.submit(self.fetch, k, d): k for k, d in todo.items()}
        found: set[str] = set()
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                if future.result():
                    found.add(futures[future])
                self.notify(
                    "progress",
                    f"{self.url}: {done}/{len(todo)} {what} looked up, {len(found)} found",
                )
        finally:
            for future in futures:
                future.cancel()
        return found

    # -- publish ----------------------------------------------------------------------------
    def publish(self, key: str) -> None:
        """Upload (in the background) what the local store holds for step `key`."""
        if self.push and self.down is None:
            with self._lock:
                self._uploads.append(self._pool.submit(self._publish_quietly, key))

    def publish_all(self, keys: Iterable[str], what: str = "step(s)") -> None:
        """Upload every key now, concurrently, with progress; RemoteError if `required`."""
        futures = [self._pool.submit(self._publish, key) for key in keys]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            self.notify("progress", f"{self.url}: {done}/{len(futures)} {what} pushed")

    def _publish_quietly(self, key: str) -> None:
        try:
            self._publish(key)
        except RemoteError as exc:
            self._went_down(exc, fatal=False)  # a result made here is kept here: never fatal
        except (StoreError, OSError) as exc:
            self.notify("warning", f"not pushed: step key {key}: {exc}")

    def _publish(self, key: str) -> None:
        if self.down is not None:
            return
        record = self.store.lookup(key)
        if record is None:
            raise StoreError(f"the local store has no result for step key {key}")
        data = self.store.get(record.digest)
        uploaded = self.remote.put_object(
            record.digest, data, replace=record.digest in self._corrupt_digests()
        )
        recorded = self.remote.put_action(record)
        with self._lock:
            self.counts.pushed += int(uploaded)
            self.counts.records += int(recorded)
            self.counts.present += int(not uploaded and not recorded)
            self.counts.bytes_up += len(data) if uploaded else 0

    def _corrupt_digests(self) -> set[str]:
        with self._lock:
            return set(self.counts.corrupt)

    def close(self) -> TransferCounts:
        """Wait for the background uploads; the counts of this run."""
        with self._lock:
            uploads = list(self._uploads)
        for future in uploads:
            future.result()
        self._pool.shutdown(wait=True)
        return self.counts
