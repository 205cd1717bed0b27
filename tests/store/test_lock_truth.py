"""Issue 8, item 8: book.lock is checked against the store's own record of every step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import LockConflictError
from bookbuild.project import Project
from tests.conftest import copy_sample

DRAFT_LOCK = Path(".bookbuild") / "draft.lock"


def built_draft(tmp_path: Path) -> Path:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    return folder


def edit_lock(folder: Path, change: dict[str, str]) -> dict[str, dict[str, str]]:
    """Set step -> digest in the draft lock, as a hand edit would; return the old steps."""
    path = folder / DRAFT_LOCK
    document = json.loads(path.read_text(encoding="utf-8"))
    before = {sid: dict(entry) for sid, entry in document["steps"].items()}
    for step_id, digest in change.items():
        document["steps"][step_id]["digest"] = digest
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return before


def line_of(folder: Path, step_id: str) -> int:
    lines = (folder / DRAFT_LOCK).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith(f'"{step_id}"'))


def image_steps(steps: dict[str, dict[str, str]]) -> list[str]:
    return sorted(s for s, e in steps.items() if e["media_type"] == "image/png")


def test_swapped_image_digests_are_an_error_naming_step_and_line(tmp_path: Path) -> None:
    folder = built_draft(tmp_path)
    steps = json.loads((folder / DRAFT_LOCK).read_text(encoding="utf-8"))["steps"]
    first, second = image_steps(steps)[:2]
    edit_lock(folder, {first: steps[second]["digest"], second: steps[first]["digest"]})
    with pytest.raises(LockConflictError) as caught:
        make(Project.open(folder, draft=True), MakeOptions(formats=("html",), locked=True))
    message = str(caught.value)
    assert f".bookbuild/draft.lock:{line_of(folder, first)}: step {first}:" in message
    assert f".bookbuild/draft.lock:{line_of(folder, second)}: step {second}:" in message
    assert "bookbuild make" in message and caught.value.exit_code == 2


def test_text_step_pinned_to_an_image_is_a_clear_error_not_a_decode_error(
    tmp_path: Path,
) -> None:
    folder = built_draft(tmp_path)
    steps = json.loads((folder / DRAFT_LOCK).read_text(encoding="utf-8"))["steps"]
    text_step = next(s for s, e in steps.items() if e["media_type"] == "text/markdown")
    edit_lock(folder, {text_step: steps[image_steps(steps)[0]]["digest"]})
    for action in ("wipe-record", "keep-record"):
        if action == "wipe-record":  # no record to compare: the content is checked instead
            store = folder / ".bookbuild" / "store" / "actions"
            key = steps[text_step]["key"]
            (store / key[:2] / f"{key}.json").unlink()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "bookbuild.cli.commands",
                "make",
                str(folder),
                "--draft",
                "--plain",
            ],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr and "UnicodeDecodeError" not in run.stderr
        assert f"draft.lock:{line_of(folder, text_step)}: step {text_step}" in run.stderr
        assert "which is an image" in run.stderr or "the store recorded" in run.stderr


def test_an_honest_lock_still_builds_from_cache(tmp_path: Path) -> None:
    folder = built_draft(tmp_path)
    summary = make(Project.open(folder, draft=True), MakeOptions(formats=("html",), locked=True))
    assert summary.called == []
