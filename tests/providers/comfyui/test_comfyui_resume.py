"""A build killed (SIGKILL) while its ComfyUI job is queued: the next build polls the same
prompt_id instead of queuing the workflow again."""

from __future__ import annotations

import os
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.build.test_engine import kill_make_when
from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT

SPEC = f"""\
title: Queued
language: en
models:
  painter: {{provider: comfyui, checkpoint: {CHECKPOINT}, width: 64, height: 64,
            poll_interval: 0.05}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - {{id: a, prompt: "a fox", seed: 1}}
"""


def test_a_killed_build_resumes_polling_its_queued_job(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    jobs = tmp_path / ".bookbuild" / "store" / "jobs"
    with FakeComfyUI() as fake:
        fake.hold()  # the job stays queued until released
        env = {**os.environ, "COMFYUI_BASE_URL": fake.base_url}
        kill_make_when(tmp_path, env, lambda: bool(list(jobs.glob("*.json"))))
        assert list(jobs.glob("*.json")), "the queued job was not journaled"
        assert fake.count("prompt") == 1
        fake.release()

        summary = make(Project.open(tmp_path, env=env), MakeOptions(formats=("html",)))

        assert summary.called == ["one/a/image"]
        assert fake.count("prompt") == 1  # the same job was polled, not queued again
        assert not list(jobs.glob("*.json"))  # finished jobs are forgotten
