"""Issue 8, item 4: the Korean sample, built for real against a flaky chat server (25% 429,
15% 503) and a flaky SD API (15% 429, 10% 500, 5% error inside HTTP 200, 5% dropped
connections, result links that expire), completes on the FIRST make, paying each job once.
The faults are seeded (tests/fakes/flaky.py), so each run meets the same ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.conftest import copy_sample
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sdapi_server import FakeSDAPI

CHAT_STEPS = ("/text", "/prompt", "/summary")


@pytest.mark.parametrize("seed", [1, 2])
def test_the_korean_sample_completes_on_the_first_make(tmp_path: Path, seed: int) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path)
    with FakeOpenAI() as chat, FakeSDAPI() as images:
        chat.flaky(seed)
        images.flaky(seed)
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": chat.base_url, **images.env}
        summary = make(Project.open(folder, env=env), MakeOptions(formats=("html",)))
        paid, sent = images.paid, images.submits
        chat_answers = [r for r in chat.requests if r.path.endswith("/chat/completions")]
    assert summary.outputs["html"].exists()
    image_steps = [s for s in summary.called if not s.endswith(CHAT_STEPS)]
    chat_steps = [s for s in summary.called if s.endswith(CHAT_STEPS)]
    assert len(image_steps) >= 6 and len(paid) == len(image_steps)  # each job paid once
    assert len(sent) > len(paid)  # submits the service refused (429, busy) were sent again
    assert len(chat_answers) > len(chat_steps)  # and so were rate-limited chat calls
    assert list((folder / ".bookbuild" / "store" / "jobs").glob("*.json")) == []
