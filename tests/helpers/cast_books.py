"""A two-character book for the cast tests: the hare (your own reference picture) and the
tortoise (a generated character sheet), pictures by literal prompt, by `describe:` and by a
forced `characters:` list, and an art style. Built with the offline provider (free)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

CAST_BOOK = """\
title: The Race
language: en
models:
  writer: {provider: offline}
  painter: {provider: offline, width: 320, height: 256}
defaults: {text: writer, prompt: writer, image: painter}
style:
  art: {description: "soft watercolour, children's picture book", reference: art/style.png}
characters:
  hare:
    name: Hazel
    description: "a slender white hare with long ears and a red knitted scarf"
    traits: "boastful, quick, kind at heart"
    reference: {file: art/hare.png}
  tortoise:
    name: Tom
    description: "an old green tortoise with a mossy shell and round glasses"
    reference: {seed: 11}
chapters:
  - id: start
    title: The start
    text: "Hazel laughs at Tom at the start line. Tom only smiles."
    illustrations:
      - id: line
        describe: "the hare mocks the tortoise at the start line"
      - id: alone
        prompt: "{hare} running alone through the meadow"
  - id: nap
    title: The nap
    write: "Hazel the hare sleeps under an oak while the race goes on."
    illustrations:
      - id: oak
        prompt: "an oak tree on a hill at noon"
      - id: passing
        describe: "the tortoise walks past"
        characters: [tortoise]
"""


def write_cast_book(folder: Path, spec: str = CAST_BOOK) -> Path:
    (folder / "art").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), (240, 240, 235)).save(folder / "art" / "hare.png")
    Image.new("RGB", (64, 64), (120, 160, 200)).save(folder / "art" / "style.png")
    (folder / "book.yaml").write_text(spec, encoding="utf-8")
    return folder
