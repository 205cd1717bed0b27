"""One `make` at a time per book: an exclusive lock on `.bookbuild/make.lock`.

A second build waits for the first (and then finds its results in the store) instead of paying
for the same steps. flock is released by the kernel when a process dies, so a killed build never
leaves a stale lock, even inside containers where every build may be pid 1."""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_build(folder: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the book's build lock; call `on_wait(owner)` once if another build holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "make.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            on_wait(handle.read().strip() or "another process")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
