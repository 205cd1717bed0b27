"""Whole books built with `provider: diffusers` on the tiny random pipeline: every op through
diffusers' real code path, results pinned so a rebuild loads no model, the same seed giving the
same PNG bytes, LoRA changing the picture, and plan showing the calls as free."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.media.images import decode_image
from bookbuild.project import Project
from bookbuild.providers.diffusers import pipelines
from bookbuild.reports.inspect_plan import plan_report
from tests.helpers.tiny_diffusers import IMAGE_SIZE

IMAGE_STEPS = [
    "one/fox/edit-1",
    "one/fox/edit-2",
    "one/fox/edit-3",
    "one/fox/edit-4",
    "one/fox/image",
    "one/sketch/image",
]


def write_book(folder: Path, model: Path, upscaler: Path, extra_preset: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "art").mkdir(exist_ok=True)
    sketch = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), (200, 120, 40))
    sketch.save(folder / "art" / "sketch.png")
    size = f"width: {IMAGE_SIZE}, height: {IMAGE_SIZE}, upscale_model: {upscaler}"
    (folder / "book.yaml").write_text(
        f"""\
title: The Fox
language: en
models:
  painter: {{provider: diffusers, model: "{model}", {size}, steps: 2, guidance: 5.0{extra_preset}}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox walks by the sea."
    illustrations:
      - id: fox
        prompt: "a red fox on a beach"
        seed: 5
        edits:
          - inpaint: {{mask: {{rect: [0, 0, 0.5, 1]}}, prompt: "a full moon", strength: 0.9}}
          - outpaint: {{right: 16, up: 8}}
          - img2img: {{prompt: "a red fox on a beach at night", strength: 0.5}}
          - upscale: {{scale: 2}}
      - id: sketch
        prompt: "a fox, from a sketch"
        seed: 6
        init_image: {{path: art/sketch.png, strength: 0.6}}
""",
        encoding="utf-8",
    )
    return folder


def build(book: Path, env: dict[str, str] | None = None) -> list[str]:
    summary = make(Project.open(book, env=env or {}), MakeOptions(formats=("html",), jobs=1))
    return sorted(summary.called)


def pinned(book: Path) -> dict[str, str]:
    steps = json.loads((book / "book.lock").read_text())["steps"]
    return {step: entry["digest"] for step, entry in steps.items()}


def stored_png(book: Path, step: str) -> bytes:
    digest = pinned(book)[step].removeprefix("sha256:")
    return (book / ".bookbuild" / "store" / "objects" / "sha256" / digest[:2] / digest).read_bytes()


def spy_on_pipelines(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[int]]:
    """The models each build loads, and how many pipelines were still held after close()."""
    loads: list[str] = []
    left: list[int] = []
    load, close = pipelines.Pipelines._load, pipelines.Pipelines.close

    def counting_load(self: pipelines.Pipelines, kind: Any, ref: Any, **kw: Any) -> Any:
        loads.append(ref.where)
        return load(self, kind, ref, **kw)

    def recording_close(self: pipelines.Pipelines) -> None:
        close(self)
        left.append(len(self._loaded))

    monkeypatch.setattr(pipelines.Pipelines, "_load", counting_load)
    monkeypatch.setattr(pipelines.Pipelines, "close", recording_close)
    return loads, left


def test_every_op_runs_in_a_whole_book_and_a_rebuild_loads_no_model(
    tiny_model: Path, tiny_upscaler: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = write_book(tmp_path / "book", tiny_model, tiny_upscaler)
    loads, left_loaded = spy_on_pipelines(monkeypatch)
    assert build(book) == IMAGE_STEPS
    assert loads == [str(tiny_model), str(tiny_upscaler)]  # each model once, for six steps
    assert left_loaded == [0]  # freed when the build ended
    fox = decode_image(stored_png(book, "one/fox/image"))
    assert fox.size == (IMAGE_SIZE, IMAGE_SIZE)
    inpainted = decode_image(stored_png(book, "one/fox/edit-1")).convert("RGB")
    half = IMAGE_SIZE // 2
    kept = (half, 0, IMAGE_SIZE, IMAGE_SIZE)  # black in the mask: the original's exact pixels
    assert inpainted.crop(kept).tobytes() == fox.convert("RGB").crop(kept).tobytes()
    assert inpainted.crop((0, 0, half, IMAGE_SIZE)) != fox.convert("RGB").crop((0, 0, half, 64))
    grown = decode_image(stored_png(book, "one/fox/edit-2"))
    assert grown.size == (IMAGE_SIZE + 16, IMAGE_SIZE + 8)
    assert decode_image(stored_png(book, "one/fox/edit-3")).size == grown.size
    upscaled = decode_image(stored_png(book, "one/fox/edit-4"))
    assert upscaled.size == (grown.width * 2, grown.height * 2)
    assert "The Fox" in (book / "build" / "index.html").read_text(encoding="utf-8")

    def no_load(self: pipelines.Pipelines, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a rebuild with nothing changed must not load the model")

    monkeypatch.setattr(pipelines.Pipelines, "_load", no_load)
    assert build(book) == []


def test_same_seed_gives_identical_png_bytes_in_another_book(
    tiny_model: Path, tiny_upscaler: Path, tmp_path: Path
) -> None:
    first = write_book(tmp_path / "first", tiny_model, tiny_upscaler)
    second = write_book(tmp_path / "second", tiny_model, tiny_upscaler)
    build(first)
    build(second)
    for step in IMAGE_STEPS:
        assert stored_png(first, step) == stored_png(second, step), step
    assert pinned(first) == pinned(second)


def test_lora_is_applied_and_changes_the_picture(
    tiny_model: Path, tiny_lora: Path, tiny_upscaler: Path, tmp_path: Path
) -> None:
    plain = write_book(tmp_path / "plain", tiny_model, tiny_upscaler)
    styled = write_book(
        tmp_path / "styled",
        tiny_model,
        tiny_upscaler,
        f', lora: {{model: "{tiny_lora}", strength: 0.9}}',
    )
    build(plain)
    build(styled)
    assert stored_png(plain, "one/fox/image") != stored_png(styled, "one/fox/image")


def test_plan_shows_the_calls_as_free_and_loads_nothing(
    tiny_model: Path, tiny_upscaler: Path, tmp_path: Path
) -> None:
    book = write_book(tmp_path / "book", tiny_model, tiny_upscaler)
    report = plan_report(Project.open(book, env={})).to_json()
    assert report["calls"] == {"diffusers": len(IMAGE_STEPS)}
    assert report["estimated_cost_usd"]["diffusers"] == 0
    assert report["local_providers"] == ["diffusers"]
    result = CliRunner().invoke(main, ["plan", str(book)])
    assert result.exit_code == 0, result.output
    assert f"diffusers: {len(IMAGE_STEPS)} call(s), free (runs locally)" in result.output


def test_controlnet_follows_its_reference_picture(
    tiny_model: Path, tiny_controlnet: Path, tmp_path: Path
) -> None:
    def book_with_reference(name: str, colour: tuple[int, int, int]) -> Path:
        folder = tmp_path / name
        (folder / "art").mkdir(parents=True)
        Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), colour).save(folder / "art" / "edges.png")
        (folder / "book.yaml").write_text(
            f"""\
title: The Fox
language: en
models:
  painter: {{provider: diffusers, model: "{tiny_model}", width: {IMAGE_SIZE},
            height: {IMAGE_SIZE}, steps: 2, controlnet: {{canny: "{tiny_controlnet}"}}}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - id: fox
        prompt: "a red fox"
        seed: 9
        controlnet: {{type: canny, image: art/edges.png, strength: 1.0}}
""",
            encoding="utf-8",
        )
        return folder

    dark = book_with_reference("dark", (0, 0, 0))
    light = book_with_reference("light", (255, 255, 255))
    assert build(dark) == ["one/fox/image"]
    build(light)
    image = decode_image(stored_png(dark, "one/fox/image"))
    assert image.size == (IMAGE_SIZE, IMAGE_SIZE)
    assert stored_png(dark, "one/fox/image") != stored_png(light, "one/fox/image")
    assert build(dark) == []


def test_inpaint_model_paints_inpaint_and_outpaint_with_the_9_channel_unet(
    tiny_model: Path, tiny_inpainter: Path, tiny_upscaler: Path, tmp_path: Path
) -> None:
    plain = write_book(tmp_path / "plain", tiny_model, tiny_upscaler)
    dedicated = write_book(
        tmp_path / "dedicated", tiny_model, tiny_upscaler, f', inpaint_model: "{tiny_inpainter}"'
    )
    build(plain)
    assert build(dedicated) == IMAGE_STEPS
    assert stored_png(plain, "one/fox/image") == stored_png(dedicated, "one/fox/image")
    for edit in ("one/fox/edit-1", "one/fox/edit-2"):  # inpaint, outpaint
        assert stored_png(plain, edit) != stored_png(dedicated, edit)
    fox = decode_image(stored_png(dedicated, "one/fox/image")).convert("RGB")
    inpainted = decode_image(stored_png(dedicated, "one/fox/edit-1")).convert("RGB")
    kept = (IMAGE_SIZE // 2, 0, IMAGE_SIZE, IMAGE_SIZE)
    assert inpainted.crop(kept).tobytes() == fox.crop(kept).tobytes()
