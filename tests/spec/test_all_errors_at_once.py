"""Schema errors and semantic errors (ids, presets, paths) are reported together, in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.errors import SpecError
from bookbuild.project import load_spec

SPEC = """\
title: Waves
models:
  painter: {provider: offline}
  writer: {provider: offline, temperature: "hot"}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    txt: "a typo in a key"
  - id: two
    title: Two
    file: chapters/missing.md
  - id: three
    title: Three
    text: "fine"
    illustrations:
      - {prompt: "a fox", model: paintr}
  - id: three
    title: Again
    text: "a duplicate id"
"""


def test_schema_and_semantic_errors_come_together(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    messages = [str(issue) for issue in caught.value.issues]
    text = "\n".join(messages)
    assert "unknown key `txt` — did you mean `text`?" in text  # schema
    assert "book.yaml:4:" in text and "temperature" in text  # schema, in a preset
    assert "missing.md" in text  # semantic: a path
    assert "unknown preset `paintr` — did you mean `painter`?" in text  # semantic: a reference
    assert "duplicate chapter id `three`" in text  # semantic: ids
    assert not any("invalid" in m for m in messages)  # stand-ins never show
