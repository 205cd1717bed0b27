"""Issue 8, item 3: a store that cannot keep results stops the build before any paid call."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import StoreError
from bookbuild.project import Project
from tests.fakes.openai_server import FakeOpenAI

SPEC = """\
title: Preflight
language: en
models:
  writer: {provider: openai, model: gpt-4o-mini}
  painter: {provider: offline}
defaults: {text: writer, prompt: writer, image: painter}
chapters:
  - id: one
    title: One
    write: "The fox meets the hen."
    illustrations:
      - {id: a, describe: "watercolor"}
"""


def test_unwritable_store_exits_before_any_call(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / ".bookbuild").mkdir()
    (tmp_path / ".bookbuild" / "store").write_text("not a folder\n", encoding="utf-8")
    with FakeOpenAI() as chat:
        env = {**os.environ, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": chat.base_url}
        run = subprocess.run(
            [sys.executable, "-m", "bookbuild.cli.commands", "make", str(tmp_path), "--plain"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert chat.requests == []
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "the store cannot be written" in run.stderr and "Nothing was called" in run.stderr


def test_a_full_disk_exits_before_any_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 5 << 20, 5 << 20))
    with FakeOpenAI() as chat:
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": chat.base_url}
        with pytest.raises(StoreError, match=r"5 MiB free; 3 call\(s\) need about"):
            make(Project.open(tmp_path, env=env), MakeOptions(formats=("html",)))
        assert chat.requests == []


def test_a_build_with_nothing_to_call_needs_no_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    with FakeOpenAI() as chat:
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": chat.base_url}
        make(Project.open(tmp_path, env=env), MakeOptions(formats=("html",)))
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1, 1, 0))
        summary = make(Project.open(tmp_path, env=env), MakeOptions(formats=("html",)))
    assert summary.called == []
