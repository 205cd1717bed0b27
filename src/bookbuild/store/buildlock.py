"""One `make` at a time per book and per store: an exclusive lock on `.bookbuild/make.lock`,
and one on the store's own `make.lock` (two books sharing one store through a symlink would
otherwise both pay for the steps they have in common).

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
def exclusive_store(store_root: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the store's build lock (its real folder, whatever symlink leads there). A store
    that cannot be written (read-only, a CI cache) takes no lock: nothing can be paid into it
    (the preflight refuses calls), and a build that only reads it must still run."""
    folder = store_root.resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        open(folder / LOCK_NAME, "a+", encoding="utf-8").close()
    except OSError:
        yield
        return
    with exclusive_build(folder, on_wait):
        yield


LOCK_NAME = "make.lock"


@contextmanager
def exclusive_build(folder: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the build lock of `folder`; call `on_wait(owner)` once if another build holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
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
