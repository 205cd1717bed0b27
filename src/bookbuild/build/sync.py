"""`bookbuild push`, `pull` and `status --remote`: explicit transfers between the local store
and the team's remote store, for the results the lock pins (like `dvc push`/`dvc pull`)."""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bookbuild.build.events import EventSink, ignore_events
from bookbuild.build.remote_link import remote_cache
from bookbuild.errors import UserError
from bookbuild.project import Project
from bookbuild.providers.batch import journaled
from bookbuild.store.jsonfile import read_json
from bookbuild.store.lock import LockEntry
from bookbuild.store.remote import RemoteConfig, S3Remote
from bookbuild.store.remote_cache import RemoteCache, TransferCounts

__all__ = [
    "PinPlace",
    "RemoteReport",
    "batch_waits",
    "pull_book",
    "push_book",
    "remote_status",
]


@dataclass
class RemoteReport:
    url: str
    counts: TransferCounts
    absent_here: list[str] = field(default_factory=list)  # push: pinned, not in the store
    absent_there: list[str] = field(default_factory=list)  # pull: pinned, not on the remote


@dataclass(frozen=True)
class PinPlace:
    step_id: str
    digest: str
    local: bool
    remote: bool | None  # None: not asked (no --remote)


def _config(project: Project) -> RemoteConfig:
    config = project.remote_config()
    if config is None:
        raise UserError(
            f"{project.spec.file}: no remote store: add `store: {{remote: s3://bucket/prefix}}` "
            "(and `endpoint_url:` for MinIO, R2, B2) to book.yaml; see docs/teams.md"
        )
    return config


def _open(project: Project, on_event: EventSink, jobs: int) -> RemoteCache:
    return remote_cache(project, _config(project), on_event, required=True, jobs=jobs)


def push_book(
    project: Project,
    on_event: EventSink = ignore_events,
    *,
    everything: bool = False,
    jobs: int = 8,
) -> RemoteReport:
    """Upload every pinned result (with `everything`, every result in the store) and its
    action record. Idempotent: what the remote has is not sent again."""
    store, lock = project.store, project.load_lock()
    if everything:
        keys = [k for k in store.action_keys() if store.lookup(k) is not None]
        absent = []
    else:
        keys = sorted({e.key for e in lock.entries.values() if store.lookup(e.key) is not None})
        absent = sorted(s for s, e in lock.entries.items() if store.lookup(e.key) is None)
    cache = _open(project, on_event, jobs)
    try:
        cache.publish_all(keys)
    finally:
        counts = cache.close()
    return RemoteReport(cache.url, counts, absent_here=absent)


def pull_book(
    project: Project, on_event: EventSink = ignore_events, *, only: str | None = None, jobs: int = 8
) -> RemoteReport:
    """Fetch every pinned result (of the steps matching `only`) that the store lacks."""
    store, lock = project.store, project.load_lock()
    chosen = _matching(lock.entries, only)
    wanted = {e.key: e.digest for e in chosen.values() if store.lookup(e.key) is None}
    cache = _open(project, on_event, jobs)
    try:
        found = cache.fetch_many(wanted, "pinned result(s)")
    finally:
        counts = cache.close()
    absent = sorted(s for s, e in chosen.items() if e.key in wanted and e.key not in found)
    return RemoteReport(cache.url, counts, absent_there=absent)


def remote_status(project: Project, *, remote: bool, jobs: int = 8) -> list[PinPlace]:
    """Where each pinned result is: in the local store, and (with `remote`) on the remote."""
    store, lock = project.store, project.load_lock()
    entries = sorted(lock.entries.items())
    there: list[bool | None] = [None] * len(entries)
    if remote:
        s3 = S3Remote(_config(project))
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="remote") as pool:
            there = list(pool.map(lambda item: _on_remote(s3, item[1]), entries))
    return [
        PinPlace(sid, e.digest, store.lookup(e.key) is not None, found)
        for (sid, e), found in zip(entries, there, strict=True)
    ]


def batch_waits(project: Project) -> dict[str, list[str]]:
    """The steps waiting in a batch (OpenAI Batch API), by batch id, from the store's job
    journals; offline. "" holds steps whose batch was being created when a build stopped (the
    next make finds it by its tag)."""
    found: dict[str, list[str]] = {}
    for path in sorted((project.store.root / "jobs").glob("*.json")):
        record = read_json(path)
        job = journaled(record if isinstance(record, dict) else None)
        if job is not None:
            found.setdefault(str(job.get("id") or ""), []).append(str(job.get("custom_id")))
    return {batch: sorted(steps) for batch, steps in sorted(found.items())}


def _on_remote(s3: S3Remote, entry: LockEntry) -> bool:
    return s3.object_size(entry.digest) is not None and s3.has_action(entry.key, entry.digest)


def _matching(entries: dict[str, LockEntry], only: str | None) -> dict[str, LockEntry]:
    if only is None:
        return dict(entries)
    chosen = {s: e for s, e in entries.items() if fnmatch.fnmatchcase(s, only)}
    if not chosen:
        raise UserError(f"--only {only!r} matches no pinned step (see `bookbuild status`)")
    return chosen
