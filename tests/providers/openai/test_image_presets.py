"""What `validate` says about `provider: openai` image presets, before any call."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.spec_books import issues_of, only_issue, write_book

BOOK = """\
title: T
language: en
models:
  writer: {{provider: openai, model: gpt-4o-mini}}
  painter: {{provider: openai, {fields}}}
defaults: {{text: writer, image: painter}}
chapters:
  - id: one
    title: One
    text: "Hello."
    illustrations:
      - id: pic
        prompt: "a fox"
"""


def issue_for(tmp_path: Path, fields: str) -> str:
    return only_issue(write_book(tmp_path, BOOK.format(fields=fields))).message


def test_retired_dalle_models_are_refused_with_the_replacement(tmp_path: Path) -> None:
    message = issue_for(tmp_path / "a", "model: dall-e-3")
    assert "`dall-e-3` was retired on 2026-05-12; use gpt-image-1.5" in message
    message = issue_for(tmp_path / "b", "model: gpt-image-1")
    assert "shut down" in message and "gpt-image-2.5-sunburst" in message


def test_sizes_and_qualities_come_from_the_models_lists(tmp_path: Path) -> None:
    message = issue_for(tmp_path / "a", "model: gpt-image-1.5, size: 1536x864")
    assert "1024x1024, 1536x1024, 1024x1536 or auto" in message
    message = issue_for(tmp_path / "b", "model: gpt-image-1.5, quality: xhigh")
    assert "quality `xhigh`" in message
    spec = write_book(tmp_path / "c", BOOK.format(fields="model: gpt-image-2, size: 1536x864"))
    assert issues_of_or_none(spec) == []


def test_chat_fields_on_an_image_model_and_image_fields_on_a_chat_model(tmp_path: Path) -> None:
    message = issue_for(tmp_path / "a", "model: gpt-image-1.5, temperature: 0.5")
    assert "temperature: chat fields have no effect" in message
    text = BOOK.format(fields="model: gpt-image-1.5").replace(
        "model: gpt-4o-mini}", "model: gpt-4o-mini, quality: high}"
    )
    assert (
        "image fields have no effect on the chat model"
        in only_issue(write_book(tmp_path / "b", text)).message
    )


def test_a_chat_model_cannot_draw(tmp_path: Path) -> None:
    text = BOOK.format(fields="model: gpt-image-1.5").replace("image: painter", "image: writer")
    message = only_issue(write_book(tmp_path, text)).message
    assert "cannot do the image op `txt2img`; presets that can: painter" in message


def issues_of_or_none(spec: Path) -> list[str]:
    from bookbuild.errors import SpecError
    from bookbuild.project import load_spec

    try:
        load_spec(spec)
    except SpecError as exc:
        return [i.message for i in exc.issues]
    return []


__all__ = ["issues_of"]
