"""`bookbuild gc`: drop what no lock pins (old takes, replaced results, quarantined objects).

Everything pinned by `book.lock` or `.bookbuild/draft.lock` is kept with its action record, so
`make`, `make --draft` and `make --locked` stay free; everything else in the store goes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bookbuild.store.lock import DRAFT_LOCK, Lock
from bookbuild.store.objects import Store


@dataclass(frozen=True)
class GcReport:
    kept_objects: int
    removed_objects: int
    removed_actions: int
    freed_bytes: int
    dry_run: bool


def collect_garbage(root: Path, store: Store, *, dry_run: bool = False) -> GcReport:
    """Remove unpinned objects and actions of the store of the book in `root`."""
    locks = [Lock.load(root / "book.lock"), Lock.load(root / DRAFT_LOCK)]
    keep_digests = {e.digest for lock in locks for e in lock.entries.values()}
    keep_keys = {e.key for lock in locks for e in lock.entries.values()}
    removed_actions = 0
    for key in list(store.action_keys()):
        if key in keep_keys and store.action_digest(key) in keep_digests:
            continue
        removed_actions += 1
        if not dry_run:
            store.remove_action(key)
    freed, removed, kept = 0, 0, 0
    for digest in list(store.objects()):
        if digest in keep_digests:
            kept += 1
            continue
        removed += 1
        freed += store.path(digest).stat().st_size if dry_run else store.remove_object(digest)
    if not dry_run:
        shutil.rmtree(store.root / "quarantine", ignore_errors=True)
    return GcReport(kept, removed, removed_actions, freed, dry_run)
