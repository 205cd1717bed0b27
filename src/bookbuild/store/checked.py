"""Objects already checked against their digest, remembered by their file's stamp.

Before using a stored result, the up-to-date decision makes sure the object is there and its
bytes match its digest; for a large book that is every picture read and hashed on every `make`
(176 MB for 120 chapters). Store objects are never modified in place (written read-only by an
atomic rename), so an object checked once and whose file still has the same size, mtime, ctime
and inode holds the same bytes: it is only `stat`ed. A renderer reading an object still checks its
bytes (a damaged one is quarantined and made again by the next build), and `Store.verify`
reads every object. The memo (`checked.json` in the store) is a cache: deleting it only makes
the next build read and hash every object once again.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from bookbuild.fsutil import atomic_write_bytes, read_json_object

__all__ = ["CHECKED_FILE", "CheckedObjects", "checked_objects"]

CHECKED_FILE = "checked.json"

Stamp = list[int]


def file_stamp(path: str) -> Stamp | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino]


class CheckedObjects:
    """The objects of one store checked already (loaded on first use, saved by `save`)."""

    def __init__(self, root: Path) -> None:
        self.path = root / CHECKED_FILE
        self._known: dict[str, Any] | None = None
        self._added: dict[str, Stamp] = {}
        self._guard = threading.Lock()

    def known(self, digest: str, path: str) -> bool:
        """`digest`'s object at `path` was checked and its file is unchanged since."""
        with self._guard:
            if self._known is None:
                self._known = read_json_object(self.path)
            recorded = self._added.get(digest) or self._known.get(digest)
        return recorded is not None and recorded == file_stamp(path)

    def add(self, digest: str, path: str) -> None:
        """`digest`'s object at `path` was just read and its bytes matched."""
        stamp = file_stamp(path)
        if stamp is not None:
            with self._guard:
                self._added[digest] = stamp

    def save(self) -> None:
        """Write the objects checked in this process beside those on file (another process
        may have added some since); nothing when none were added."""
        with self._guard:
            if not self._added:
                return
            merged = {**read_json_object(self.path), **self._added}
            self._known, self._added = merged, {}
        text = json.dumps(merged, sort_keys=True, separators=(",", ":")) + "\n"
        with contextlib.suppress(OSError):  # a read-only store: checked by reading, as before
            atomic_write_bytes(self.path, text.encode("utf-8"), False)


_SHARED: dict[str, CheckedObjects] = {}
_SHARED_GUARD = threading.Lock()


def checked_objects(root: Path) -> CheckedObjects:
    """The memo of the store at `root`, shared by every Store object of this process."""
    where = os.path.abspath(root)
    with _SHARED_GUARD:
        found = _SHARED.get(where)
        if found is None:
            found = _SHARED[where] = CheckedObjects(Path(where))
        return found
