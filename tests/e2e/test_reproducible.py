"""Rebuilding from the same spec, lock and store gives byte-identical HTML, PDF and EPUB."""

from __future__ import annotations

import shutil
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.conftest import copy_sample

FORMATS = ("html", "pdf", "epub")


def outputs(build: Path) -> dict[str, bytes]:
    return {
        p.relative_to(build).as_posix(): p.read_bytes()
        for p in sorted(build.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_rebuild_from_lock_and_store_is_byte_identical(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=FORMATS))
    first = outputs(folder / "build")
    assert {"index.html", "lighthouse-fox.pdf", "lighthouse-fox.epub"} <= set(first)
    shutil.rmtree(folder / "build")
    summary = make(Project.open(folder, draft=True), MakeOptions(formats=FORMATS))
    assert summary.called == [] and summary.rendered
    assert outputs(folder / "build") == first


def test_a_copy_of_the_book_rebuilds_to_the_same_bytes(tmp_path: Path) -> None:
    """A colleague's clone (spec + lock + store, no build folder) gets the same book."""
    folder = copy_sample("lighthouse-fox", tmp_path / "a")
    make(Project.open(folder, draft=True), MakeOptions(formats=FORMATS))
    clone = tmp_path / "b" / "lighthouse-fox"
    shutil.copytree(folder, clone, ignore=shutil.ignore_patterns("build"))
    make(Project.open(clone, draft=True), MakeOptions(formats=FORMATS))
    assert outputs(clone / "build") == outputs(folder / "build")
