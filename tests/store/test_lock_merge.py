"""Issue 8, item 9: book.lock merges step by step; conflicts are reported with lines and advice
that works mid-merge; a deleted lock keeps the build date."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import LockConflictError
from bookbuild.hashing import digest_of, key_of
from bookbuild.project import Project
from bookbuild.scaffold import GITATTRIBUTES, GITIGNORE
from bookbuild.store.lock import Lock, LockEntry
from bookbuild.store.merge import merge_locks

BOOK = """\
title: Merge
language: en
models:
  painter: {provider: offline}
defaults: {image: painter}
chapters:
  - id: one-b
    title: One B
    file: chapters/b.md
    illustrations:
      - {id: hill, prompt: "a hill at dawn"}
# ---------------------------------------------------------------------------
# (a few lines between the chapters, so git merges book.yaml itself cleanly)
# ---------------------------------------------------------------------------
  - id: one
    title: One
    file: chapters/one.md
    illustrations:
      - {id: tree, prompt: "a tree at dusk"}
"""
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
ENV.pop("SOURCE_DATE_EPOCH", None)
DRIVER = f"{sys.executable} -m bookbuild.cli.commands lock merge %O %A %B"


def entry(name: str, key: str = "") -> LockEntry:
    return LockEntry(key or key_of({"s": name}), digest_of(name.encode()), "image/png")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=ENV, capture_output=True, text=True, check=check
    )


def bookbuild(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bookbuild.cli.commands", *args]
    return subprocess.run(command, cwd=repo, env=ENV, capture_output=True, text=True)


def add_picture(repo: Path, after: str, line: str) -> None:
    spec = repo / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace(after, after + line), encoding="utf-8")


def two_branches(tmp_path: Path, driver: bool) -> Path:
    """A repo whose branches `a` and `b` each added a picture (built and committed)."""
    repo = tmp_path / "book"
    (repo / "chapters").mkdir(parents=True)
    (repo / "book.yaml").write_text(BOOK, encoding="utf-8")
    (repo / "chapters" / "b.md").write_text("B.\n", encoding="utf-8")
    (repo / "chapters" / "one.md").write_text("One.\n", encoding="utf-8")
    (repo / ".gitattributes").write_text(GITATTRIBUTES, encoding="utf-8")
    (repo / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    if driver:
        git(repo, "config", "merge.bookbuild-lock.driver", DRIVER)
    assert bookbuild(repo, "make", "--plain", "--format", "html").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for branch, after, line in (
        ("a", '{id: tree, prompt: "a tree at dusk"}\n', '      - {id: fox, prompt: "a fox"}\n'),
        ("b", '{id: hill, prompt: "a hill at dawn"}\n', '      - {id: zebra, prompt: "a zebra"}\n'),
    ):
        git(repo, "checkout", "-q", "-b", branch, "main")
        add_picture(repo, after, line)
        assert bookbuild(repo, "make", "--plain", "--format", "html").returncode == 0
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", branch)
    git(repo, "checkout", "-q", "a")
    return repo


def test_branches_that_each_added_pictures_merge_without_a_conflict(tmp_path: Path) -> None:
    repo = two_branches(tmp_path, driver=True)
    merged = git(repo, "merge", "-q", "--no-edit", "b", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    steps = Lock.load(repo / "book.lock").entries
    assert {"one/fox/image", "one-b/zebra/image"} <= set(steps)
    locked = bookbuild(repo, "make", "--plain", "--locked", "--format", "html")
    assert locked.returncode == 0, locked.stderr
    assert "0 model call(s)" in locked.stdout


def test_conflict_markers_name_lines_and_the_advice_works_mid_merge(tmp_path: Path) -> None:
    repo = two_branches(tmp_path, driver=False)
    assert git(repo, "merge", "--no-edit", "b", check=False).returncode != 0
    assert "<<<<<<<" in (repo / "book.lock").read_text(encoding="utf-8")
    failed = bookbuild(repo, "make", "--plain", "--format", "html")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    lines = (repo / "book.lock").read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines, 1) if line.startswith("<<<<<<<"))
    assert f"book.lock:{first}" in failed.stderr
    advice = "git checkout --ours -- book.lock"
    assert advice in failed.stderr
    git(repo, *advice.split()[1:])  # the advice, run while the merge is still unfinished
    rebuilt = bookbuild(repo, "make", "--plain", "--format", "html")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 model call(s)" in rebuilt.stdout  # theirs' picture re-pinned from the store
    git(repo, "add", "book.lock")
    assert git(repo, "commit", "-q", "--no-edit", check=False).returncode == 0


def test_three_way_merge_takes_each_side_s_changes() -> None:
    base = Lock({"kept": entry("k"), "changed": entry("c0"), "dropped": entry("d")}, 100)
    ours = Lock({"kept": entry("k"), "changed": entry("c1"), "dropped": entry("d")}, 100)
    ours.entries["ours-new"] = entry("o")
    theirs = Lock({"kept": entry("k"), "changed": entry("c0"), "theirs-new": entry("t")}, 100)
    merged = merge_locks(base, ours, theirs)
    assert merged.lock.entries == {
        "kept": entry("k"),
        "changed": entry("c1"),
        "ours-new": entry("o"),
        "theirs-new": entry("t"),
    }
    assert merged.lock.source_date_epoch == 100 and merged.conflicts == []


def test_the_same_inputs_pinned_to_two_pictures_is_a_conflict() -> None:
    key = key_of({"s": "same"})
    merged = merge_locks(
        Lock(), Lock({"x": entry("mine", key)}, 5), Lock({"x": entry("yours", key)}, 7)
    )
    assert merged.lock.entries == {"x": entry("mine", key)}
    assert merged.lock.source_date_epoch == 5
    assert len(merged.conflicts) == 1 and "x:" in merged.conflicts[0]


def test_init_writes_the_gitattributes_line(tmp_path: Path) -> None:
    run = bookbuild(tmp_path, "init", str(tmp_path / "new"))
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "new" / ".gitattributes").read_text(encoding="utf-8")
    assert text == "book.lock merge=bookbuild-lock\n"


def test_deleting_the_lock_keeps_the_build_date(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "book.yaml").write_text(BOOK, encoding="utf-8")
    (book / "chapters" / "b.md").write_text("B.\n", encoding="utf-8")
    (book / "chapters" / "one.md").write_text("One.\n", encoding="utf-8")
    options = MakeOptions(formats=("epub",))
    saved = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        first = make(Project.open(book), options).outputs["epub"].read_bytes()
        epoch = Lock.load(book / "book.lock").source_date_epoch
        (book / "book.lock").unlink()
        shutil.rmtree(book / "build")
        time.sleep(1.1)  # a new date would differ from the first by at least a second
        again = make(Project.open(book), options)
    finally:
        if saved is not None:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    assert Lock.load(book / "book.lock").source_date_epoch == epoch
    assert again.outputs["epub"].read_bytes() == first


def test_conflict_error_is_a_lock_conflict(tmp_path: Path) -> None:
    (tmp_path / "book.lock").write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> b\n")
    with pytest.raises(LockConflictError, match=r"book\.lock:1, book\.lock:3, book\.lock:5"):
        Lock.load(tmp_path / "book.lock")
    assert json.loads("{}") == {}
