"""Issue 19, items 13 and 14: `gc` removes the stray temp files a killed write leaves and the
job records of steps already pinned; a read-only store makes `gc` and a corrupt pinned object
one clear error naming the file and what to do, never a PermissionError traceback.

A read-only store is a real one: the book is built on a small tmpfs that is then remounted
read-only (root ignores permission bits), or made read-only with chmod when not root."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.project import Project
from bookbuild.store.objects import Store
from tests.conftest import copy_sample

KEY = "0" * 64


def _built(folder: Path) -> Path:
    book = copy_sample("lighthouse-fox", folder)
    make(Project.open(book, draft=True), MakeOptions(formats=("html",)))
    return book


def _pinned_key(book: Path) -> str:
    lock = json.loads((book / ".bookbuild" / "draft.lock").read_text(encoding="utf-8"))
    return str(next(iter(lock["steps"].values()))["key"])


def test_gc_removes_stray_temp_files_and_job_records_of_pinned_steps(tmp_path: Path) -> None:
    book = _built(tmp_path / "b")
    store = Store(book / ".bookbuild" / "drafts")  # the drafts' own store
    digest = next(iter(store.objects()))
    stray = store.path(digest).parent / f".{store.path(digest).name}.x1y2.tmp"
    stray.write_bytes(b"half a picture")
    jobs = store.root / "jobs"
    jobs.mkdir(exist_ok=True)
    (jobs / ".abc.json.q.tmp").write_bytes(b"{")
    done = jobs / f"{_pinned_key(book)}.json"
    done.write_text('{"id": "1"}', encoding="utf-8")
    queued = jobs / f"{KEY}.json"  # a job of no pinned step: maybe still running, kept
    queued.write_text('{"id": "2"}', encoding="utf-8")
    shown = CliRunner().invoke(main, ["gc", str(book)])
    assert shown.exit_code == 0, shown.output
    assert "2 stray temp file(s) and 1 finished job record(s)" in shown.output
    assert not stray.exists() and not done.exists() and queued.exists()


@pytest.fixture
def read_only_book(tmp_path: Path) -> Iterator[Path]:
    """A built book whose store will be made read-only by `_freeze`."""
    book = _built(tmp_path / "b")
    store = book / ".bookbuild" / "drafts"  # a draft build: the drafts' own store
    yield book
    if os.geteuid() == 0:
        _run("umount", "-l", store)
    for folder, _, _ in os.walk(store):
        os.chmod(folder, 0o755)


def _run(*command: object) -> bool:
    return subprocess.run([str(c) for c in command], capture_output=True).returncode == 0


def _freeze(book: Path) -> None:
    """The store read-only: a read-only bind mount of itself (root ignores permission bits),
    or folders without write permission."""
    store = book / ".bookbuild" / "drafts"  # a draft build: the drafts' own store
    if os.geteuid() == 0:
        if not (
            _run("mount", "--bind", store, store) and _run("mount", "-o", "remount,ro,bind", store)
        ):
            pytest.skip("root, and the store cannot be bind-mounted read-only here")
        return
    for folder, _, _ in os.walk(store):
        os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)


def test_gc_on_a_read_only_store_is_one_clear_error(read_only_book: Path) -> None:
    book = read_only_book
    spec = book / "book.yaml"
    spec.write_text(spec.read_text().replace("seed: 3", "seed: 3\n        take: 2"), "utf-8")
    make(Project.open(book, draft=True), MakeOptions(formats=("html",)))  # take 1 unpinned
    _freeze(book)
    shown = CliRunner().invoke(main, ["gc", str(book)])
    assert shown.exit_code == 1, shown.output
    assert "gc cannot remove" in shown.output and "writable" in shown.output
    assert ("Traceback" not in shown.output and shown.exception is None) or isinstance(
        shown.exception, SystemExit
    )


def test_a_corrupt_pinned_object_in_a_read_only_store_is_one_clear_error(
    read_only_book: Path,
) -> None:
    book = read_only_book
    store = Store(book / ".bookbuild" / "drafts")  # the drafts' own store
    target = store.path(next(iter(store.objects())))
    target.chmod(0o644)
    target.write_bytes(b"damaged")
    shutil.rmtree(book / "build", ignore_errors=True)  # the render reads every picture
    _freeze(book)
    shown = CliRunner().invoke(main, ["make", str(book), "--draft", "--format", "html"])
    assert shown.exit_code != 0
    assert str(target) in shown.output and "is corrupt" in shown.output, shown.output
    assert "Make the store writable" in shown.output
    assert not isinstance(shown.exception, PermissionError)
