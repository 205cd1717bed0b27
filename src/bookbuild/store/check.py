"""Is book.lock telling the truth? Every pin is checked against the store's own record.

The store's action index says which object a step key produced. A lock entry that pins another
digest for that key (a hand edit, a merge resolved line by line, a digest copied from another
step) would silently print another picture, so it is an error naming the step and the lock line.
A pin whose key the store has no record of is checked by content instead: a text step must pin
UTF-8 text, an image step a PNG.
"""

from __future__ import annotations

from bookbuild.errors import CorruptObjectError, LockConflictError
from bookbuild.store.lock import Lock, LockEntry
from bookbuild.store.objects import Store

__all__ = ["check_lock"]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_lock(lock: Lock, store: Store, name: str = "book.lock") -> None:
    """Raise LockConflictError listing every pin that disagrees with the store (all at once)."""
    problems = [
        f"{lock.where(step_id, name)}: step {step_id}: {problem}"
        for step_id, entry in sorted(lock.entries.items(), key=lambda i: lock.lines.get(i[0], 0))
        if (problem := _disagreement(entry, store))
    ]
    if problems:
        raise LockConflictError(
            "\n".join(problems) + f"\n{name} does not match the store's record of these steps "
            "(a hand edit, or a merge resolved line by line?). Fix: delete these steps' entries "
            f"from {name} (or the whole file) and run `bookbuild make`: it pins the stored "
            "results again at no cost."
        )


def _disagreement(entry: LockEntry, store: Store) -> str | None:
    recorded = store.action_media(entry.key)
    if recorded is not None:
        digest, media_type = recorded
        if digest != entry.digest:
            return f"pins {entry.digest}, but the store recorded {digest} for its key"
        if media_type != entry.media_type:
            return f"pins a {entry.media_type} result, but the store recorded {media_type}"
        return None
    return _content_mismatch(entry, store)


def _content_mismatch(entry: LockEntry, store: Store) -> str | None:
    """For a pin the store has no record of: does the object hold what the step makes?"""
    if not store.has(entry.digest):
        return None  # missing: the step is simply recomputed
    try:
        data = store.get(entry.digest)
    except (KeyError, CorruptObjectError):
        return None  # recomputed by the engine
    if entry.media_type == "image/png":
        return None if data.startswith(_PNG_MAGIC) else f"pins {entry.digest}, which is not a PNG"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        kind = "an image" if data.startswith(_PNG_MAGIC) else "not UTF-8 text"
        return f"is a text step but pins {entry.digest}, which is {kind}"
    return None
