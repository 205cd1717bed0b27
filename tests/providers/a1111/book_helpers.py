"""A small book built against the fake AUTOMATIC1111 server: spec, build, and the results read
back from the lock and the store."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, MakeSummary, make
from bookbuild.project import Project
from bookbuild.store.lock import Lock
from tests.fakes.sdapi_drawing import png

PAINTER = "{provider: a1111, model: dreamshaper_8, width: 128, height: 96, steps: 20}"


ILLUSTRATIONS = """\
      - id: dawn
        prompt: "a lighthouse at dawn"
        seed: 11
        edits:
          - inpaint: {mask: {rect: [0.5, 0.0, 1.0, 1.0]}, prompt: "a red sun", strength: 1.0}
          - outpaint: {left: 32}
          - upscale: {scale: 2}
      - id: sketch
        prompt: "a fox, watercolor"
        seed: 5
        init_image: {path: art/sketch.png, strength: 0.5}
      - id: lines
        prompt: "a fox on a cliff"
        seed: 7
        controlnet: {type: canny, image: art/lines.png, strength: 0.8}
"""


def write_book(root: Path, illustrations: str, painter: str = PAINTER) -> Path:
    """A one-chapter book whose chapter holds `illustrations` (YAML list items, indented 6)."""
    (root / "art").mkdir(parents=True, exist_ok=True)
    (root / "art" / "sketch.png").write_bytes(png((128, 96), (30, 90, 200)))
    (root / "art" / "lines.png").write_bytes(_lines())
    spec = (
        "title: The Lighthouse Fox\n"
        "authors: [Ann]\n"
        "language: en\n"
        "models:\n"
        f"  painter: {painter}\n"
        "defaults: {image: painter}\n"
        "chapters:\n"
        "  - id: shore\n"
        "    title: The Shore\n"
        "    text: A fox lived by the lighthouse.\n"
        "    illustrations:\n"
        f"{illustrations}"
    )
    (root / "book.yaml").write_text(spec, encoding="utf-8")
    return root


def build(book: Path, env: dict[str, str]) -> MakeSummary:
    events: list[Event] = []
    return make(Project.open(book, env=env), MakeOptions(formats=("html",), jobs=2), events.append)


def result(book: Path, step_id: str) -> tuple[Image.Image, dict[str, Any]]:
    """The pinned picture of `step_id` and the metadata the store keeps with it."""
    project = Project.open(book, env={})
    entry = Lock.load(project.lock_path).entries[step_id]
    record = project.store.lookup(entry.key)
    assert record is not None
    picture = Image.open(BytesIO(project.store.get(entry.digest)))
    picture.load()
    return picture, record.metadata


def _lines() -> bytes:
    """A white reference with one black vertical bar (the "edges" ControlNet follows)."""
    image = Image.new("RGB", (128, 96), (255, 255, 255))
    image.paste((0, 0, 0), (60, 0, 68, 96))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
