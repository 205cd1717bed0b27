"""docs/tutorial.md works as written: its shell blocks, in order, run in a real bash with the
`bookbuild` command on PATH — the free draft, the plan, then the real build with one OpenAI key
(against the fake OpenAI server standing in for api.openai.com), the rebuild that calls nothing,
and the `explain` / `show` of its last section."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"


def tutorial_script() -> list[str]:
    """The commands of the tutorial's ```sh blocks, in order, then the `bookbuild explain` and
    `bookbuild show` it names in its text (the studio, which waits for a browser, aside)."""
    text = TUTORIAL.read_text(encoding="utf-8")
    lines = [
        line.strip()
        for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
        for line in block.splitlines()
        if line.strip()
    ]
    named = re.findall(r"`(bookbuild (?:explain|show) [^`]+)`", text)
    return [*lines, *named]


def _bookbuild_on_path(tmp_path: Path) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "bookbuild"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bookbuild "$@"\n', encoding="utf-8")
    command.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def test_the_tutorial_script_is_what_the_page_says() -> None:
    script = tutorial_script()
    assert script[0].startswith("bookbuild init snail-book --template picture-book")
    assert "bookbuild make --draft" in script
    assert any(line.startswith("export OPENAI_API_KEY=") for line in script)
    assert any(line.startswith("bookbuild make --budget") for line in script)
    assert "bookbuild explain meadow/morning/image" in script


@pytest.mark.timeout(600)
def test_the_tutorial_runs_step_by_step_as_written(tmp_path: Path) -> None:
    script = tutorial_script()
    with FakeOpenAI() as openai:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
            "PATH": _bookbuild_on_path(tmp_path),
            "PYTHONPATH": str(ROOT / "src"),
            "OPENAI_BASE_URL": openai.base_url,  # api.openai.com, played by the fake
        }
        body = "\n".join(["set -euo pipefail", *script, "echo REBUILD", "bookbuild make --plain"])
        done = subprocess.run(
            ["bash", "-c", body], capture_output=True, text=True, env=env, cwd=tmp_path,
            timeout=540,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        calls = len(openai.requests)
    book = tmp_path / "snail-book"
    out, rebuilt = done.stdout.split("REBUILD\n")
    assert "The Snail Who Wanted to Fly" in (book / "book.yaml").read_text(encoding="utf-8")
    for name in ("html:", "pdf:", "cover pdf:"):
        assert name in out
    assert out.count("plan: 11 step(s)") >= 2  # the draft's plan and the real one open the same
    assert "openai: 9 call(s), estimated $" in out
    assert len(openai.image_requests) == 4  # three pictures and the cover, each paid once
    assert calls == 9  # and the rebuild calls nothing:
    assert "up to date" in rebuilt and "run " not in rebuilt, rebuilt
    assert "step    meadow/morning/image" in out and "status  pinned" in out  # explain
    assert (book / "build" / "steps" / "meadow--morning--image.png").exists()  # show
    assert (book / "book.lock").exists() and (book / "build" / "snail-book.pdf").exists()
