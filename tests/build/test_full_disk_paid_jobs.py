"""Issue 19, item 11: a disk that fills during a build never makes the next make pay again
unknowingly. The intent is journaled before the submit is sent, the answer is kept in memory
and its journal write tried again, and the step's error names the job.

The disk is a fault-injecting one: every store and journal write after the submit's intent
fails with ENOSPC while it is "full" (as a real full disk does: the intent, written before, is
on disk)."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BuildFailed
from bookbuild.project import Project
from bookbuild.store import jobfile, objects
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store
from tests.fakes.comfyui_server import FakeComfyUI
from tests.fakes.sdapi_server import FakeSDAPI

SPEC = """\
title: Full
authors: [Ann]
language: en
models:
  painter: {provider: sdapi, model: sdxl, width: 64, height: 64}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    text: Hello.
    illustrations:
      - id: hare
        prompt: "a hare"
        seed: 3
"""
STEP = "one/hare/image"


class Disk:
    """The first submit's intent is written, then the disk is full for `failures` writes
    (None: until `free()`)."""

    def __init__(
        self, real: Callable[[Path, bytes, bool], None], failures: int | None, only: str = ""
    ) -> None:
        self.real = real
        self.only = only  # fail only writes under this store folder (e.g. "jobs")
        self.failures = failures
        self.full = False
        self.filled = False  # the disk fills once, after the first intent
        self.refused = 0

    def write(self, path: Path, data: bytes, durable: bool = True) -> None:
        hit = not self.only or self.only in path.parts
        if hit and self.full and (self.failures is None or self.refused < self.failures):
            self.refused += 1
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        self.real(path, data, durable)
        if b'"intent"' in data and not self.filled:
            self.full = self.filled = True

    def free(self) -> None:
        self.full = False


def _disk(monkeypatch: pytest.MonkeyPatch, failures: int | None, only: str = "") -> Disk:
    disk = Disk(objects.atomic_write_bytes, failures, only)
    monkeypatch.setattr(objects, "atomic_write_bytes", disk.write)
    monkeypatch.setattr(jobfile, "atomic_write_bytes", disk.write)
    monkeypatch.setattr(jobfile, "WRITE_WAITS", (0.0, 0.0, 0.0))
    return disk


def _make(book: Path, env: dict[str, str]) -> None:
    make(Project.open(book, env=env), MakeOptions(formats=("html",), jobs=1))


def test_a_disk_full_for_a_moment_after_the_submit_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    disk = _disk(monkeypatch, failures=2, only="jobs")  # the answer's journal write fails twice
    with FakeSDAPI() as fake:
        _make(tmp_path, fake.env)
        paid = len(fake.paid)
    assert disk.refused == 2 and paid == 1
    assert STEP in (tmp_path / "book.lock").read_text(encoding="utf-8")


def test_a_disk_that_stays_full_names_the_job_and_the_next_make_does_not_pay_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    disk = _disk(monkeypatch, failures=None)
    with FakeSDAPI() as fake:
        with pytest.raises(BuildFailed) as first:
            _make(tmp_path, fake.env)
        message = first.value.failures[STEP]
        assert "could not store the result of job " in message, message
        assert "No space left on device" in message and "Errno" not in message
        assert "its journal could not be written" in message
        disk.free()
        with pytest.raises(BuildFailed) as second:  # the answer was lost with the process
            _make(tmp_path, fake.env)
        assert len(fake.paid) == 1  # not paid again unknowingly
        told = second.value.failures[STEP]
        assert told.startswith("a paid job may be running: id unknown"), told
        assert "sdapi /" in told
        _make(tmp_path, fake.env)  # told once; the author chose to run make again
        assert len(fake.paid) == 2


COMFY_SPEC = SPEC.replace(
    "painter: {provider: sdapi, model: sdxl, width: 64, height: 64}",
    "painter: {provider: comfyui, checkpoint: sd_xl_base_1.0.safetensors, width: 64, height: 64}",
)


def test_a_lost_answer_of_a_local_server_is_queued_again_without_a_paid_job_warning(
    tmp_path: Path,
) -> None:
    """ComfyUI is free: an intent left without its answer (a make killed between writing it and
    the server's answer) is not "a paid job may be running"; the next make queues it again."""
    (tmp_path / "book.yaml").write_text(COMFY_SPEC, encoding="utf-8")
    with FakeComfyUI() as fake:
        env = {"COMFYUI_BASE_URL": fake.base_url}
        _make(tmp_path, env)
        key = Lock.load(tmp_path / "book.lock").entries[STEP].key
        (tmp_path / "book.lock").unlink()  # as if the make had been killed while queueing
        shutil.rmtree(tmp_path / ".bookbuild" / "store" / "objects")
        Store(tmp_path / ".bookbuild" / "store").journal(key).intend("comfyui /prompt")
        _make(tmp_path, env)
        assert fake.count("prompt") == 2
    assert STEP in (tmp_path / "book.lock").read_text(encoding="utf-8")
