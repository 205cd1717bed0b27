"""Issue 8, item 5: Ctrl-C (SIGINT to a real child `bookbuild make`). The first stops starting
steps and says so, lets a download in flight finish and keeps it, leaves a queued job recorded;
the second quits at once. Exit 130, no traceback, never a wait for a job's deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from bookbuild.store.lock import Lock
from tests.fakes.sdapi_server import FakeSDAPI, processing, trickled

SPEC = """\
title: Stop
language: en
models:
  painter: {provider: sdapi, model: sdxl, width: 64, height: 64}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    file: chapters/one.md
    illustrations:
      - id: hill
        prompt: "a green hill"
        seed: 5
        edits:
          - upscale: {scale: 2}
"""
JOBS = Path(".bookbuild") / "store" / "jobs"


def book(tmp_path: Path) -> Path:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "one.md").write_text("One.\n", encoding="utf-8")
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


class Child:
    """`bookbuild make` in a child process, its stderr collected line by line."""

    def __init__(self, folder: Path, fake: FakeSDAPI) -> None:
        command = [sys.executable, "-m", "bookbuild.cli.commands", "make", str(folder), "--plain"]
        self.proc = subprocess.Popen(
            command,
            env={**os.environ, **fake.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def when(self, ready: Callable[[], bool]) -> None:
        """Wait (up to 60 s) until `ready()`."""
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready(), "the child never got there"

    def interrupt(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def finish(self) -> str:
        """Its exit status (within 60 s, else the test fails: a hang) and its stderr."""
        code = self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        assert code == 130, "".join(self.lines)
        return "".join(self.lines)


def test_the_first_ctrl_c_stops_waiting_for_a_queued_job_and_keeps_it_recorded(
    tmp_path: Path,
) -> None:
    folder = book(tmp_path)
    with FakeSDAPI() as fake:
        fake.script("txt2img", processing(fetches=10**6, eta=0.2))
        child = Child(folder, fake)
        child.when(lambda: fake.count("fetch") >= 1)
        child.interrupt()
        stderr = child.finish()
        assert "Traceback" not in stderr and "Ctrl-C" in stderr
        assert "stopped by Ctrl-C" in stderr and "not started" in stderr
        assert len(list((folder / JOBS).glob("*.json"))) == 1  # recorded for the next make
        fake.finish_jobs()
        make(Project.open(folder, env=fake.env), MakeOptions(formats=("html",)))
        assert fake.count("txt2img") == 1 and fake.count("upscale") == 1  # resumed, not repaid


def test_a_download_in_flight_finishes_and_is_kept(tmp_path: Path) -> None:
    folder = book(tmp_path)
    with FakeSDAPI() as fake:
        fake.script("file", trickled(0.05))  # the picture takes ~8 s: Ctrl-C lands during it
        child = Child(folder, fake)
        child.when(lambda: fake.count("file") >= 1)
        child.interrupt()
        stderr = child.finish()
        assert "Traceback" not in stderr
        pinned = Lock.load(folder / "book.lock").entries
        assert "one/hill/image" in pinned  # the download finished and was stored
        assert "one/hill/edit-1" not in pinned and fake.count("upscale") == 0  # never started
        make(Project.open(folder, env=fake.env), MakeOptions(formats=("html",)))
        assert fake.count("txt2img") == 1 and fake.count("upscale") == 1


def test_a_second_ctrl_c_quits_at_once(tmp_path: Path) -> None:
    folder = book(tmp_path)
    with FakeSDAPI() as fake:
        fake.script("file", trickled(0.5))  # a download that would take minutes
        child = Child(folder, fake)
        child.when(lambda: fake.count("file") >= 1)
        child.interrupt()
        child.when(lambda: any("Ctrl-C again quits" in line for line in child.lines))
        child.interrupt()
        stderr = child.finish()
        assert "Traceback" not in stderr and "quitting now" in stderr
        assert (
            not (folder / "book.lock").exists()
            or "one/hill/image" not in Lock.load(folder / "book.lock").entries
        )  # abandoned mid-download...
        make(Project.open(folder, env=fake.env), MakeOptions(formats=("html",)))
        assert fake.count("txt2img") == 1  # ...but its job was recorded: downloaded, not repaid
