"""Engine behaviour: crash safety, corrupt objects, --only, parallel jobs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store
from tests.conftest import copy_sample
from tests.fakes.openai_server import FakeOpenAI, slow

SPEC = """\
title: Crash
language: en
models:
  writer: {provider: openai, model: gpt-4o-mini}
  painter: {provider: offline}
defaults: {text: writer, prompt: writer, image: painter}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - {id: a, prompt: "a fox", seed: 1}
      - {id: b, prompt: "a hen", seed: 2}
  - id: two
    title: Two
    write: "The fox meets the hen."
"""


def kill_make_when(folder: Path, env: dict[str, str], ready: Callable[[], bool]) -> None:
    """Run `bookbuild make` in a child process; SIGKILL it as soon as `ready()` (or after 60 s)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookbuild.cli.commands", "make", str(folder), "--plain"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def pinned(lock_path: Path, wanted: set[str]) -> Callable[[], bool]:
    def check() -> bool:
        if not lock_path.exists():
            return False
        return wanted <= set(json.loads(lock_path.read_text(encoding="utf-8")).get("steps", {}))

    return check


def test_killed_build_keeps_finished_steps_and_resumes(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    with FakeOpenAI() as chat:
        chat.script(slow(120))  # the first chat call hangs until the build is killed
        env = {**os.environ, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": chat.base_url}
        images_pinned = pinned(tmp_path / "book.lock", {"one/a/image", "one/b/image"})
        kill_make_when(tmp_path, env, lambda: bool(chat.requests) and images_pinned())
        lock = Lock.load(tmp_path / "book.lock")
        assert {"one/a/image", "one/b/image"} <= set(lock.entries)
        assert Store(tmp_path / ".bookbuild" / "store").verify() == []
        summary = make(Project.open(tmp_path, env=env), MakeOptions(formats=("html",)))
        assert "one/a/image" not in summary.called
        assert sorted(summary.called) == ["one/summary", "two/text"]


def test_corrupt_object_is_reported_and_recomputed(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    options = MakeOptions(formats=("html",))
    make(Project.open(folder, draft=True), options)
    lock = Lock.load(folder / ".bookbuild" / "draft.lock")
    store = Store(folder / ".bookbuild" / "drafts")
    digest = lock.entries["keeper/tower/image"].digest
    path = store.path(digest)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    (folder / "book.yaml").write_text(  # force a rebuild that needs the image again
        (folder / "book.yaml").read_text().replace("left: 128", "left: 64"), encoding="utf-8"
    )
    events: list[Event] = []
    summary = make(Project.open(folder, draft=True), options, events.append)
    assert any(e.kind == "object_corrupt" for e in events)
    assert "keeper/tower/image" in summary.called
    assert store.get(digest)  # recomputed, verified, identical (the draft is deterministic)


def test_only_runs_matching_steps_and_their_inputs(tmp_path: Path) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path)
    summary = make(
        Project.open(folder, draft=True), MakeOptions(formats=("html",), only="race/challenge/*")
    )
    assert sorted(summary.called) == [
        "cast/hare/image",  # the character sheets of the cast the picture may show
        "cast/tortoise/image",
        "meadow/summary",
        "race/challenge/edit-1",
        "race/challenge/edit-2",
        "race/challenge/image",
        "race/challenge/prompt",
        "race/text",
    ]
    assert not (folder / "build").exists()  # --only does not render


def test_parallel_and_serial_builds_give_identical_results(tmp_path: Path) -> None:
    serial = copy_sample("hare-and-tortoise", tmp_path / "serial")
    parallel = copy_sample("hare-and-tortoise", tmp_path / "parallel")
    make(Project.open(serial, draft=True), MakeOptions(formats=("html",), jobs=1))
    make(Project.open(parallel, draft=True), MakeOptions(formats=("html",), jobs=8))
    a = Lock.load(serial / ".bookbuild" / "draft.lock").entries
    b = Lock.load(parallel / ".bookbuild" / "draft.lock").entries
    assert a == b


QUEUED_SPEC = """\
title: Queue
language: en
models:
  painter: {provider: sdapi, model: sdxl, width: 512, height: 512}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - {id: a, prompt: "a fox", seed: 1}
"""


def test_build_killed_while_a_job_is_queued_resumes_it_without_a_second_submit(
    tmp_path: Path,
) -> None:
    from tests.fakes.sdapi_server import FakeSDAPI, processing

    (tmp_path / "book.yaml").write_text(QUEUED_SPEC, encoding="utf-8")
    jobs = tmp_path / ".bookbuild" / "store" / "jobs"
    with FakeSDAPI() as images:
        images.script("txt2img", processing(fetches=10**6, eta=0.01))  # queued until told
        env = {**os.environ, **images.env}
        kill_make_when(tmp_path, env, lambda: _answered(jobs, '"id"'))  # not the intent alone
        assert list(jobs.glob("*.json")), "the queued job was not journaled"
        assert images.count("txt2img") == 1
        images.finish_jobs()
        summary = make(Project.open(tmp_path, env=env), MakeOptions(formats=("html",)))
        assert summary.called == ["one/a/image"]
        assert images.count("txt2img") == 1  # the same job was polled, not submitted again
        assert not list(jobs.glob("*.json"))  # finished jobs are forgotten


def _answered(jobs: Path, field: str) -> bool:
    """The journal holds the service's answer (`field`), not only the intent to submit."""
    try:
        return any(field in f.read_text(encoding="utf-8") for f in jobs.glob("*.json"))
    except OSError:
        return False
