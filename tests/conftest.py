"""Shared fixtures: sample books copied into temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_books"


BUILD_STATE = shutil.ignore_patterns(".bookbuild", "build", "book.lock")
"""What a sample folder holds once built in place (README's quick start does): never copied into
a test, which starts from the book as committed."""


def copy_sample(name: str, target: Path, *, defaults_version: int | None = None) -> Path:
    """Copy a sample book (without any build state) to `target`/name and return its folder.
    `defaults_version=1`: without the samples' `defaults_version: 2` line (the first defaults:
    the preset's cover size, alt text without the describer)."""
    dest = target / name
    shutil.copytree(SAMPLES / name, dest, ignore=BUILD_STATE)
    if defaults_version == 1:
        spec = dest / "book.yaml"
        text = spec.read_text(encoding="utf-8")
        assert "\ndefaults_version: 2\n" in text, "the sample no longer writes the version"
        spec.write_text(text.replace("\ndefaults_version: 2\n", "\n", 1), encoding="utf-8")
    return dest


@pytest.fixture
def korean_book(tmp_path: Path) -> Path:
    return copy_sample("hare-and-tortoise", tmp_path)


@pytest.fixture
def english_book(tmp_path: Path) -> Path:
    return copy_sample("lighthouse-fox", tmp_path)
