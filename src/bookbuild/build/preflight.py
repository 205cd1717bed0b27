"""Before paying for anything: can the store keep what the build is about to buy?

A read-only store, a store path that is not a folder, or a nearly full disk would let a build
pay for a step and then fail to save it. `check_store_ready` proves the store writable (a probe
file written, fsynced and removed in each folder results go to) and that the disk has room for
the calls planned, so such a build exits before its first call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bookbuild.errors import StoreError
from bookbuild.store.objects import Store

__all__ = ["ROOM_PER_CHAT_CALL", "ROOM_PER_IMAGE_CALL", "ROOM_SPARE", "check_store_ready"]

MIB = 1024 * 1024
ROOM_PER_IMAGE_CALL = 16 * MIB  # a 2048² upscale as PNG, with its temp copy
ROOM_PER_CHAT_CALL = MIB // 4
ROOM_SPARE = 64 * MIB  # the lock, action records, job journals, the outputs' temp files

_RESULT_FOLDERS = ("objects/sha256", "actions", "jobs")


def check_store_ready(store: Store, image_calls: int, chat_calls: int) -> None:
    """StoreError (before any call) unless the store can take the results of these calls."""
    if image_calls + chat_calls == 0:
        return
    for folder in _RESULT_FOLDERS:
        _probe_writable(store.root / folder)
    need = image_calls * ROOM_PER_IMAGE_CALL + chat_calls * ROOM_PER_CHAT_CALL + ROOM_SPARE
    free = shutil.disk_usage(store.root).free
    if free < need:
        raise StoreError(
            f"the disk holding the store {store.root} has {free / MIB:.0f} MiB free; "
            f"{image_calls + chat_calls} call(s) need about {need / MIB:.0f} MiB to be kept. "
            "Nothing was called: free some space (`bookbuild gc` drops unpinned results) "
            "and run make again"
        )


def _probe_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".preflight.", suffix=".tmp")
        try:
            os.write(fd, b"bookbuild")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise StoreError(
            f"the store cannot be written at {folder}: {exc.strerror or exc}. Nothing was "
            "called (results that cannot be kept would be paid for again). Make "
            f"{folder} a writable folder, then run make again"
        ) from exc
