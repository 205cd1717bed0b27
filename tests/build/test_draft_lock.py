"""A draft's lock (.bookbuild/draft.lock) is saved without waiting for the disk: its results
are free to make again; a paid book's lock is saved durably."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.build.make import Build, MakeOptions, make
from bookbuild.project import Project
from bookbuild.store.lock import Lock
from tests.conftest import copy_sample
from tests.store.test_lock_bytes import entry, spy_durability


def test_a_draft_make_saves_its_lock_without_fsync_and_a_paid_book_durably(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    seen = spy_durability(monkeypatch)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    assert len(seen) > 5 and not any(seen)  # one save per step, none waits for the disk
    assert Lock.load(folder / ".bookbuild" / "draft.lock").entries
    seen.clear()
    paid = Build(Project.open(folder), MakeOptions(formats=("html",)), lambda event: None)
    paid.writer.pin("x/text", entry("x"))
    assert seen == [True]
