"""Issue 19, item 16: a damaged book.lock is wrong input whatever the damage (truncated, a
malformed digest, conflict markers, a pin the store disagrees with): `make` exits 2 with a
message naming the file, never 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main

SPEC = "title: T\nauthors: [A]\nlanguage: en\nchapters:\n  - {id: a, title: A, text: hello}\n"


def _built(tmp_path: Path) -> Path:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    made = CliRunner().invoke(main, ["make", str(tmp_path), "--format", "html", "--plain"])
    assert made.exit_code == 0, made.output
    return tmp_path / "book.lock"


def _truncated(text: str) -> str:
    return text[: len(text) // 2]


def _bad_digest(text: str) -> str:
    lock = json.loads(text)
    for entry in lock["steps"].values():
        entry["digest"] = "sha256:nothex"
    return json.dumps(lock)


def _conflicted(text: str) -> str:
    return "<<<<<<< HEAD\n" + text + "=======\n" + text + ">>>>>>> theirs\n"


def _other_pin(text: str) -> str:
    lock = json.loads(text)
    for entry in lock["steps"].values():
        entry["digest"] = "sha256:" + "0" * 64
    return json.dumps(lock)


@pytest.mark.parametrize("damage", [_truncated, _bad_digest, _conflicted, _other_pin])
def test_a_damaged_lock_exits_2_naming_the_file(tmp_path: Path, damage: object) -> None:
    lock = _built(tmp_path)
    lock.write_text(damage(lock.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    (tmp_path / ".bookbuild" / "stamp.json").unlink(missing_ok=True)
    made = CliRunner().invoke(main, ["make", str(tmp_path), "--format", "html", "--plain"])
    assert made.exit_code == 2, made.output
    assert "book.lock" in made.output and "Traceback" not in made.output
