"""The state of one served book: its folder, --draft, the page token, the builder and the
pages listening for build events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bookbuild.project import Project
from bookbuild.studio.builder import Builder
from bookbuild.studio.security import new_token


@dataclass
class Studio:
    """One book served: its folder, --draft, the page token, the builder and event listeners."""

    root: Path
    draft: bool
    host: str = "127.0.0.1"
    token: str = field(default_factory=new_token)
    listeners: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)
    loop: asyncio.AbstractEventLoop | None = None
    builder: Builder | None = None
    watch: bool = True
    say: Callable[[str], None] = field(default=lambda line: None)  # the terminal's lines

    def project(self) -> Project:
        return Project.open(self.root, draft=self.draft)

    def notify(self, state: dict[str, Any]) -> None:
        """Called from the build thread: hand the state to every open page."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        for queue in list(self.listeners):
            loop.call_soon_threadsafe(queue.put_nowait, state)

    @property
    def build(self) -> Builder:
        assert self.builder is not None
        return self.builder
