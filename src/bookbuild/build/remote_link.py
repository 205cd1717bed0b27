"""How `make` uses the team's remote store: open it, pull what is missing before anything is
paid (wave by wave: a step pulled makes the keys of its dependants known), report in events."""

from __future__ import annotations

from bookbuild.build.events import Event, EventSink
from bookbuild.errors import StoreError
from bookbuild.graph.model import Graph
from bookbuild.graph.status import StepStatus, step_statuses
from bookbuild.project import Project
from bookbuild.store.lock import Lock
from bookbuild.store.remote import RemoteConfig, RemoteError, S3Remote
from bookbuild.store.remote_cache import Notice, RemoteCache

__all__ = ["close_remote", "open_remote", "pull_missing"]

_EVENTS = {"warning": "remote_warning", "corrupt": "remote_corrupt", "progress": "remote_progress"}


def open_remote(
    project: Project, on_event: EventSink, *, required: bool = False, jobs: int = 8
) -> RemoteCache | None:
    """The remote cache of this book's store, or None when book.yaml names no remote."""
    config = project.remote_config()
    if config is None:
        return None
    return remote_cache(project, config, on_event, required=required, jobs=jobs)


def remote_cache(
    project: Project,
    config: RemoteConfig,
    on_event: EventSink,
    *,
    required: bool,
    jobs: int = 8,
) -> RemoteCache:
    def notify(kind: Notice, message: str) -> None:
        on_event(Event(_EVENTS[kind], message=message))  # type: ignore[arg-type]

    return RemoteCache(
        project.store, S3Remote(config), notify, required=required, push=config.push, jobs=jobs
    )


def pull_missing(
    cache: RemoteCache,
    graph: Graph,
    selected: list[str],
    lock: Lock,
    statuses: dict[str, StepStatus],
) -> dict[str, StepStatus]:
    """Fetch every selected step the local store lacks (the lock's pin when it has one), wave
    after wave until nothing more is found; the statuses after. A `required` cache (--locked)
    that cannot reach the remote is a clear error: CI must not silently build nothing."""
    store, tried = cache.store, set[str]()
    while True:
        wanted: dict[str, str | None] = {}
        for sid in selected:
            status = statuses[sid]
            if status.digest is not None or status.key is None or status.key in tried:
                continue
            pin = lock.entries.get(sid)
            wanted[status.key] = pin.digest if pin is not None and pin.key == status.key else None
        if not wanted:
            return statuses
        tried |= wanted.keys()
        try:
            found = cache.fetch_many(wanted)
        except RemoteError as exc:
            raise StoreError(
                f"--locked needs the remote store to fetch {len(wanted)} pinned result(s) "
                f"missing here, and it failed: {exc}. Nothing was called"
            ) from None
        if not found:
            return statuses
        statuses = step_statuses(graph, lock, store)


def close_remote(cache: RemoteCache | None, on_event: EventSink) -> None:
    """Wait for the uploads and say what moved (nothing said when nothing did)."""
    if cache is None:
        return
    counts = cache.close()
    parts = []
    if counts.fetched:
        parts.append(f"fetched {counts.fetched} result(s) ({counts.bytes_down / 1024:.0f} KiB)")
    if counts.pushed or counts.records:
        parts.append(
            f"pushed {counts.pushed} object(s) ({counts.bytes_up / 1024:.0f} KiB) and "
            f"{counts.records} record(s)"
        )
    if counts.corrupt:
        parts.append(f"refused {len(counts.corrupt)} corrupt object(s)")
    if parts:
        on_event(Event("remote_done", message=f"{cache.url}: " + ", ".join(parts)))
