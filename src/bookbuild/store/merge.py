"""`bookbuild lock merge BASE OURS THEIRS`: git's merge driver for book.lock.

A lock is a map step id -> pin, so it merges step by step (three-way, against the common base)
instead of line by line: two branches that each added pictures merge cleanly. Set it up once per
clone (`init` writes the `.gitattributes` line):

    git config merge.bookbuild-lock.driver "bookbuild lock merge %O %A %B"

A step changed on both sides with different keys keeps ours: the next `make` pins whichever
result matches the merged book.yaml (free when the store holds it). The same key pinned to two
different results is a real choice between two pictures: ours is kept and it is reported as a
conflict, so git stops and the user decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bookbuild.store.lock import Lock, LockEntry

__all__ = ["LockMerge", "merge_lock_files", "merge_locks"]


@dataclass
class LockMerge:
    lock: Lock
    conflicts: list[str] = field(default_factory=list)  # same key, two different results
    notes: list[str] = field(default_factory=list)  # changed on both sides, resolved


def merge_lock_files(base: Path, ours: Path, theirs: Path) -> LockMerge:
    """Merge `theirs` into `ours` against `base` and write the result to `ours` (git's %A)."""
    merged = merge_locks(_load(base), _load(ours), _load(theirs))
    merged.lock.save(ours)
    return merged


def merge_locks(base: Lock, ours: Lock, theirs: Lock) -> LockMerge:
    """The three-way merge of three locks, step by step."""
    entries: dict[str, LockEntry] = {}
    merge = LockMerge(Lock(entries))
    for step_id in sorted(set(base.entries) | set(ours.entries) | set(theirs.entries)):
        chosen = _merge_entry(
            step_id,
            base.entries.get(step_id),
            ours.entries.get(step_id),
            theirs.entries.get(step_id),
            merge,
        )
        if chosen is not None:
            entries[step_id] = chosen
    merge.lock.source_date_epoch = _merge_epoch(
        base.source_date_epoch, ours.source_date_epoch, theirs.source_date_epoch
    )
    return merge


def _merge_entry(
    step_id: str,
    base: LockEntry | None,
    ours: LockEntry | None,
    theirs: LockEntry | None,
    merge: LockMerge,
) -> LockEntry | None:
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    if ours is None or theirs is None:  # changed on one side, removed on the other: keep it
        return ours or theirs  # (`make` drops it if the merged book.yaml has no such step)
    if ours.key == theirs.key:
        merge.conflicts.append(
            f"{step_id}: the same inputs were pinned to two results, ours {ours.digest} and "
            f"theirs {theirs.digest}; kept ours (to take theirs, edit the digest in book.lock)"
        )
    else:
        merge.notes.append(
            f"{step_id}: changed on both branches; kept ours. `bookbuild make` pins the result "
            "that matches the merged book.yaml (free when the store has it)"
        )
    return ours


def _merge_epoch(base: int | None, ours: int | None, theirs: int | None) -> int | None:
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    known = [epoch for epoch in (ours, theirs) if epoch is not None]
    return min(known) if known else None


def _load(path: Path) -> Lock:
    """A lock file; git passes an empty file for a side where book.lock did not exist."""
    if path.exists() and path.stat().st_size == 0:
        return Lock()
    return Lock.load(path)
