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

from bookbuild.errors import StoreError


@contextmanager
def exclusive_store(store_root: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the store's build lock: flock on the store's real folder itself (whatever symlink
    leads there), so no file is added to a store that is committed to git. A store that does
    not exist yet is created first; one that cannot be opened takes no lock (nothing can be
    paid into it: the preflight refuses calls, and a build that only reads it must run)."""
    folder = store_root.resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"on {folder}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


LOCK_NAME = "make.lock"


@contextmanager
def exclusive_build(
    folder: Path, on_wait: Callable[[str], None], *, optional: bool = False
) -> Iterator[None]:
    """Hold the build lock of `folder`; call `on_wait(owner)` once if another build holds it.
    `optional`: a folder where the lock cannot be made (read-only) takes none (for `gc`, whose
    own errors then say what cannot be written)."""
    path = folder / LOCK_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        if not optional:
            raise StoreError(
                f"cannot take the build lock {path}: {exc.strerror or exc}; the book's "
                ".bookbuild folder must be writable for make"
            ) from None
        yield
        return
    with handle:
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
