"""What `validate` and `plan` say about `provider: stability` presets, before any call."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import ConfigError
from bookbuild.project import Project
from bookbuild.reports.inspect_plan import plan_report
from tests.helpers.spec_books import issues_of, only_issue, write_book

BOOK = """\
title: T
language: en
models:
  painter: {{provider: stability, {fields}}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "Hello."
    illustrations:
      - id: pic
        prompt: "a fox"
        edits:
          - erase: {{mask: {{rect: [0.1, 0.1, 0.5, 0.5]}}}}
          - replace: {{search: "the fox", prompt: "a hare"}}
          - upscale: {{scale: 2}}
"""


def book(tmp_path: Path, fields: str) -> Path:
    return write_book(tmp_path, BOOK.format(fields=fields))


def test_a_size_far_from_every_aspect_ratio_is_explained(tmp_path: Path) -> None:
    issue = only_issue(book(tmp_path, "width: 2048, height: 256"))
    assert issue.line == 4
    assert "nearest 21:9" in issue.message and "cropped" in issue.message


def test_a_size_near_a_ratio_is_fine(tmp_path: Path) -> None:
    project = Project.open(book(tmp_path, "width: 1200, height: 800").parent, env={})
    assert plan_report(project).to_json()["calls"] == {"stability": 4}


def test_unknown_model_and_fields_are_reported_at_the_preset(tmp_path: Path) -> None:
    model = only_issue(book(tmp_path / "a", "model: sdxl"))
    assert "unknown model `sdxl`" in model.message and "ultra, core" in model.message
    steps = [i.message for i in issues_of(book(tmp_path / "b", "steps: 30"))]
    assert any("`steps`" in m for m in steps)


def test_plan_prices_each_op_in_credits(tmp_path: Path) -> None:
    folder = book(tmp_path, "model: ultra, upscaler: conservative").parent
    report = plan_report(Project.open(folder, env={})).to_json()
    # ultra 8 + erase 5 + search-and-replace 5 + conservative upscale 40 credits, $0.01 each
    assert report["estimated_cost_usd"]["stability"] == pytest.approx(0.58)


def test_a_missing_key_names_the_variable_before_any_call(tmp_path: Path) -> None:
    folder = book(tmp_path, "model: core").parent
    with pytest.raises(ConfigError, match="STABILITY_API_KEY"):
        make(Project.open(folder, env={}), MakeOptions(formats=("html",)))


def test_a_draft_does_erase_and_replace_offline(tmp_path: Path) -> None:
    folder = book(tmp_path, "model: core").parent
    summary = make(Project.open(folder, env={}, draft=True), MakeOptions(formats=("html",)))
    assert {"one/pic/edit-1", "one/pic/edit-2"} <= set(summary.called)


def test_an_illustration_size_far_from_every_ratio_is_explained_at_it(tmp_path: Path) -> None:
    text = BOOK.format(fields="model: core").replace(
        '        prompt: "a fox"\n',
        '        prompt: "a fox"\n        width: 1600\n        height: 200\n',
    )
    issue = only_issue(write_book(tmp_path, text))
    assert issue.line == 11  # the illustration
    assert "preset `painter` (stability)" in issue.message and "nearest 21:9" in issue.message


def test_a_literal_korean_prompt_is_refused_before_any_call(tmp_path: Path) -> None:
    text = BOOK.format(fields="model: core").replace(
        'replace: {search: "the fox", prompt: "a hare"}',
        'replace: {search: "여우", prompt: "토끼"}',
    )
    issue = only_issue(write_book(tmp_path, text))
    assert "English prompts only" in issue.message and "describe:" in issue.message
