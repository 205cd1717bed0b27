"""The board's page, made once per state of the book and kept: a second look, or the page's
in-place refresh after an action, is served without planning the book again. The page is made
again when anything it shows may have changed: a build (the store), a watched file of the book
folder (book.yaml, chapters, masks, pictures, theme) or the lock (a `make` in a terminal). After
each build the page is made at once in the background, so the next look finds it ready."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bookbuild.errors import BookbuildError
from bookbuild.store.lock import DRAFT_LOCK
from bookbuild.studio.builder import Builder
from bookbuild.studio.watch import book_fingerprint

Key = tuple[object, ...]
Render = Callable[[int], str]  # the build generation shown -> the page's HTML


class BoardCache:
    """The board's HTML for one state of the book (None while a build is storing results)."""

    def __init__(self, root: Path, draft: bool, render: Render) -> None:
        self.root = root
        self.draft = draft
        self.render = render
        self.made = 0  # pages made (not served from the cache): what the tests count
        self._lock = threading.Lock()  # one page made at a time; a second asker waits for it
        self._key: Key | None = None
        self._html = ""

    def key(self, builder: Builder) -> tuple[int, Key | None]:
        """(the generation shown, what the page depends on); None while a build runs."""
        state = builder.snapshot()
        generation = int(state["generation"])
        if state["state"] == "building":
            return generation, None
        lock = self.root / (DRAFT_LOCK if self.draft else Path("book.lock"))
        try:
            info = lock.stat()
            pinned: object = (info.st_size, info.st_mtime_ns)
        except OSError:
            pinned = None
        return generation, (generation, state["builds"], book_fingerprint(self.root), pinned)

    def page(self, builder: Builder) -> str:
        """The board's HTML as of now (BookbuildError: the book cannot be read)."""
        generation, key = self.key(builder)
        with self._lock:
            if key is not None and key == self._key:
                return self._html
            self.made += 1
            html = self.render(generation)  # the key was read first: a change meanwhile is
            self._key, self._html = key, html  # seen by the next look
            return html

    def warm(self, builder: Builder) -> None:
        """Make the page now if the book changed (after a build; errors are the page's)."""
        with contextlib.suppress(BookbuildError):
            self.page(builder)

    async def keep_warm(self, builder: Builder, states: asyncio.Queue[dict[str, Any]]) -> None:
        """Until cancelled: after each build (the states the builder sends), make the page."""
        while True:
            state = await states.get()
            while not states.empty():  # a burst of states: only the last one matters
                state = states.get_nowait()
            if state["state"] in ("ok", "error"):
                await asyncio.to_thread(self.warm, builder)
