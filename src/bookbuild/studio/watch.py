"""Rebuild on save: watch the book folder (spec, chapters, masks, pictures, theme) with
watchfiles and ask the builder for a build; the build folder and the store are not watched."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Protocol

from watchfiles import Change, awatch

from bookbuild.hashing import digest_of


class Builder(Protocol):
    """What the watcher asks of the studio's builder (builder.py)."""

    def request(self, reason: str, approved_cost: float | None = None, *, saved: bool) -> None:
        """Build soon."""


IGNORED_FOLDERS = frozenset({"build", ".bookbuild", ".git", "__pycache__", "node_modules"})


def book_file_filter(root: Path) -> object:
    base = root.resolve()

    def wanted(change: Change, path: str) -> bool:
        try:
            parts = Path(path).resolve().relative_to(base).parts
        except ValueError:
            return False
        if not parts or parts[0] in IGNORED_FOLDERS:
            return False
        name = parts[-1]
        return not (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp")))

    return wanted


def book_fingerprint(root: Path) -> str:
    """What the watcher would see: the watched files' names, sizes and modification times."""
    wanted = book_file_filter(root)
    seen = []
    for folder, names, files in os.walk(root):
        names[:] = sorted(n for n in names if n not in IGNORED_FOLDERS)
        for name in sorted(files):
            path = os.path.join(folder, name)
            if wanted(Change.modified, path):  # type: ignore[operator]
                with contextlib.suppress(OSError):
                    info = os.stat(path)
                    seen.append(f"{path}\0{info.st_size}\0{info.st_mtime_ns}")
    return digest_of("\n".join(seen).encode("utf-8"))


async def watch_book(root: Path, builder: Builder, stop: asyncio.Event) -> None:
    """Until `stop` is set: every batch of saved files asks for one build."""
    wanted = book_file_filter(root)
    async for changes in awatch(root, watch_filter=wanted, stop_event=stop):  # type: ignore[arg-type]
        names = sorted({Path(path).name for _, path in changes})
        builder.request("saved: " + ", ".join(names), saved=True)
