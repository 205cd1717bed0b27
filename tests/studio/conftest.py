"""A studio served on 127.0.0.1 over a --draft copy of a sample book, and a headless Chromium
(Debian's, driven by Playwright) to use it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from bookbuild.studio.app import create_app
from bookbuild.studio.state import Studio
from tests.conftest import BUILD_STATE
from tests.helpers.chromium import launched_chromium

SAMPLES = Path(__file__).resolve().parents[2] / "sample_books"


@dataclass
class RunningStudio:
    studio: Studio
    url: str
    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "book.yaml"


class StudioServer(uvicorn.Server):
    """uvicorn in a thread; `stop()` ends it and waits (open event streams are cut)."""

    thread: threading.Thread

    def stop(self) -> None:
        self.should_exit = True
        self.thread.join(timeout=60)


def start_studio(root: Path, *, draft: bool = True) -> tuple[RunningStudio, StudioServer]:
    studio = Studio(root=root, draft=draft)
    config = uvicorn.Config(
        create_app(studio),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = StudioServer(config)
    server.thread = thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the studio server did not start")
        threading.Event().wait(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return RunningStudio(studio, f"http://127.0.0.1:{port}", root), server


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = tmp_path / "lighthouse-fox"
    shutil.copytree(SAMPLES / "lighthouse-fox", root, ignore=BUILD_STATE)
    return root


@pytest.fixture
def running(book: Path) -> Iterator[RunningStudio]:
    running, server = start_studio(book)
    try:
        yield running
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    yield from launched_chromium()
