"""A pool of two ComfyUI servers: the journal of a queued job records which server holds it,
so the build after a kill polls that server (and queues nothing anywhere)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.build.test_engine import kill_make_when
from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT


def spec(*servers: str) -> str:
    return f"""\
title: Queued
language: en
models:
  painter: {{provider: comfyui, checkpoint: {CHECKPOINT}, width: 64, height: 64,
            poll_interval: 0.05, base_url: [{", ".join(servers)}]}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - {{id: a, prompt: "a fox", seed: 1}}
"""


def test_a_resumed_build_polls_the_server_that_holds_the_queued_job(tmp_path: Path) -> None:
    jobs = tmp_path / ".bookbuild" / "store" / "jobs"
    with FakeComfyUI() as one, FakeComfyUI() as two:
        (tmp_path / "book.yaml").write_text(spec(one.base_url, two.base_url), encoding="utf-8")
        one.hold()
        two.hold()
        kill_make_when(tmp_path, dict(os.environ), lambda: queued(jobs) is not None)
        journal = queued(jobs)
        assert journal is not None
        holder, other = (one, two) if journal["server"] == one.base_url else (two, one)
        assert journal["server"] == holder.base_url and holder.count("prompt") == 1
        holder.release()
        other.release()
        first_listed = spec(other.base_url, holder.base_url)  # the pool's first pick: `other`
        (tmp_path / "book.yaml").write_text(first_listed, encoding="utf-8")
        summary = make(Project.open(tmp_path, env={}), MakeOptions(formats=("html",)))
        assert summary.called == ["one/a/image"]
        assert holder.count("prompt") == 1 and other.count("prompt") == 0  # polled, not requeued
        assert not list(jobs.glob("*.json"))


def queued(jobs: Path) -> dict[str, object] | None:
    """The journal of the queued job (after the intent written before the submit)."""
    for path in jobs.glob("*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # being replaced
            continue
        if "prompt_id" in record:
            return dict(record)
    return None
