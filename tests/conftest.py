"""Shared fixtures: sample books copied into temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_books"


def copy_sample(name: str, target: Path) -> Path:
    """Copy a sample book (without any build state) to `target`/name and return its folder."""
    dest = target / name
    shutil.copytree(
        SAMPLES / name, dest, ignore=shutil.ignore_patterns(".bookbuild", "build", "book.lock")
    )
    return dest


@pytest.fixture
def korean_book(tmp_path: Path) -> Path:
    return copy_sample("hare-and-tortoise", tmp_path)


@pytest.fixture
def english_book(tmp_path: Path) -> Path:
    return copy_sample("lighthouse-fox", tmp_path)
