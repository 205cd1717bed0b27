"""`bookbuild gc`: drop what no lock pins (old takes, replaced results, quarantined objects).

Everything pinned by `book.lock` or `.bookbuild/draft.lock` is kept with its action record, so
`make`, `make --draft` and `make --locked` stay free; everything else in the store goes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bookbuild.errors import StoreError
from bookbuild.store.lock import DRAFT_LOCK, Lock
from bookbuild.store.objects import Store


@dataclass(frozen=True)
class GcReport:
    kept_objects: int
    removed_objects: int
    removed_actions: int
    freed_bytes: int
    dry_run: bool
    removed_temp: int = 0  # stray temp files a killed write left
    removed_jobs: int = 0  # job records of steps whose result is stored and pinned


def collect_garbage(root: Path, store: Store, *, dry_run: bool = False) -> GcReport:
    """Remove unpinned objects and actions of the store of the book in `root`, stray temp
    files, and the job records of steps already pinned. A store that cannot be written is one
    StoreError naming the file, never a traceback. Call it holding the build locks (the CLI
    does): a make in progress writes temp files and job records."""
    locks = [Lock.load(root / "book.lock"), Lock.load(root / DRAFT_LOCK)]
    keep_digests = {e.digest for lock in locks for e in lock.entries.values()}
    keep_keys = {e.key for lock in locks for e in lock.entries.values()}
    removed_actions = 0
    for key in list(store.action_keys()):
        if key in keep_keys and store.action_digest(key) in keep_digests:
            continue
        removed_actions += 1
        if not dry_run:
            with _clear_errors(Path(store.root, "actions")):
                store.remove_action(key)
    freed, removed, kept = 0, 0, 0
    for digest in list(store.objects()):
        if digest in keep_digests:
            kept += 1
            continue
        removed += 1
        path = store.path(digest)
        if dry_run:
            freed += path.stat().st_size
        else:
            with _clear_errors(path):
                freed += store.remove_object(digest)
    temps = _remove_temp_files(store.root, dry_run)
    jobs = _remove_finished_jobs(store, keep_keys, keep_digests, dry_run)
    if not dry_run:
        shutil.rmtree(store.root / "quarantine", ignore_errors=True)
    return GcReport(kept, removed, removed_actions, freed, dry_run, temps, jobs)


def _remove_temp_files(root: Path, dry_run: bool) -> int:
    """`.<name>.<random>.tmp` files of atomic writes a killed process never renamed."""
    found = [Path(folder, name) for folder, _, names in os.walk(root) for name in names]
    stray = [p for p in found if p.name.startswith(".") and p.name.endswith(".tmp")]
    for path in stray if not dry_run else ():
        with _clear_errors(path):
            path.unlink(missing_ok=True)
    return len(stray)


def _remove_finished_jobs(
    store: Store, keep_keys: set[str], keep_digests: set[str], dry_run: bool
) -> int:
    """Job records whose step's result is stored and pinned: the job is done and kept."""
    folder = store.root / "jobs"
    records = sorted(folder.glob("*.json")) if folder.is_dir() else []
    done = [
        path
        for path in records
        if path.stem in keep_keys and store.action_digest(path.stem) in keep_digests
    ]  # (a key is pinned only when it is a valid key, so action_digest never refuses it)
    for path in done if not dry_run else ():
        with _clear_errors(path):
            path.unlink(missing_ok=True)
    return len(done)


@contextmanager
def _clear_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise StoreError(
            f"gc cannot remove {path}: {exc.strerror or exc}. The store is not writable by "
            "you: make it writable (e.g. `chmod -R u+w` on the store) or run gc as its owner; "
            "nothing else was changed after this file"
        ) from None
