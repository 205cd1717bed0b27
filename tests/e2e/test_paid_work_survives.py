"""Issue 8, item 1: a paid result is never lost between download and store, so the next make
never pays for it again (a real child `bookbuild` SIGKILLed, and a full disk)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BuildFailed
from bookbuild.project import Project
from bookbuild.store.objects import Store
from tests.fakes.sdapi_handler import Recorded
from tests.fakes.sdapi_server import FakeSDAPI, processing

SPEC = """\
title: Paid
language: en
models:
  painter: {provider: sdapi, model: sdxl, width: 512, height: 512}
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


def book(tmp_path: Path) -> Path:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "one.md").write_text("One.\n", encoding="utf-8")
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def make_killed_after_file(folder: Path, fake: FakeSDAPI, nth: int) -> int:
    """Run `bookbuild make` in a child; SIGKILL it the moment the fake has sent its `nth`
    result file. Returns the child's exit status."""
    env = {**os.environ, **fake.env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookbuild.cli.commands", "make", str(folder), "--plain", "-j", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    served = []
    lock = threading.Lock()

    def kill_on_nth_file(request: Recorded, status: int) -> None:
        if request.route != "file" or status != 200:
            return
        with lock:
            served.append(request.path)
            if len(served) == nth:
                proc.send_signal(signal.SIGKILL)

    fake.after_reply(kill_on_nth_file)
    try:
        return proc.wait(timeout=120)
    finally:
        fake.after_reply(None)


@pytest.mark.parametrize("queued", [False, True], ids=["instant", "queued"])
def test_a_kill_right_after_the_upscale_download_does_not_pay_again(
    tmp_path: Path, queued: bool
) -> None:
    folder = book(tmp_path)
    with FakeSDAPI() as fake:
        if queued:
            fake.script("upscale", processing(fetches=1, eta=0.2))
        assert make_killed_after_file(folder, fake, nth=2) == -signal.SIGKILL
        assert fake.count("upscale") == 1
        summary = make(Project.open(folder, env=fake.env), MakeOptions(formats=("html",)))
        assert fake.count("txt2img") == 1 and fake.count("upscale") == 1  # paid once each
    assert "one/hill/edit-1" in summary.called
    assert list((folder / ".bookbuild" / "store" / "jobs").glob("*.json")) == []


def test_a_full_disk_after_the_download_keeps_the_paid_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = book(tmp_path)
    real_record = Store.record

    def disk_full(self: Store, record: object, durable: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with FakeSDAPI() as fake:
        monkeypatch.setattr(Store, "record", disk_full)
        with pytest.raises(BuildFailed, match="No space left on device"):
            make(Project.open(folder, env=fake.env), MakeOptions(formats=("html",)))
        monkeypatch.setattr(Store, "record", real_record)
        make(Project.open(folder, env=fake.env), MakeOptions(formats=("html",)))
        assert fake.count("txt2img") == 1  # the paid picture came back from the journal
        first_file = fake.of("file")[0].path
        assert [r.path for r in fake.of("file")].count(first_file) == 1  # kept, not refetched
