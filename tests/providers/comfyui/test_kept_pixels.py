"""Issue 19, item 5: ComfyUI encodes the whole picture through the VAE, so an inpaint or
outpaint changes every pixel it was not asked to (the real server changed 15,335 of them on a
test picture; the fake's VAE round trip is lossy too). bookbuild pastes the original back:
outside the inpaint mask, and under the outpaint's margins except where the node's feathering
blends, every pixel is the input's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT
from .test_comfyui_book import build, picture

SPEC = f"""\
title: Kept
authors: [Test]
language: en
models:
  painter: {{provider: comfyui, checkpoint: {CHECKPOINT}, width: 96, height: 64,
            feathering: FEATHER, grow_mask_by: 4}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - id: fox
        prompt: "a red fox on a rock"
        seed: 11
        edits:
          - inpaint: {{mask: {{rect: [0.0, 0.0, 0.5, 1.0]}}, prompt: "a sun", strength: 1.0}}
          - outpaint: {{left: 16, up: 8}}
"""


def _book(root: Path, feathering: int) -> Path:
    (root / "book.yaml").write_text(SPEC.replace("FEATHER", str(feathering)), encoding="utf-8")
    return root


def test_an_inpaint_keeps_every_pixel_outside_its_mask(
    tmp_path: Path, fake_comfyui: FakeComfyUI
) -> None:
    book = _book(tmp_path, 0)
    build(book, fake_comfyui)
    base, painted = picture(book, "one/fox/image"), picture(book, "one/fox/edit-1")
    outside = [(x, y) for x in range(48, 96) for y in range(64)]  # black in the mask
    changed = [p for p in outside if painted.getpixel(p) != base.getpixel(p)]
    assert changed == []  # even the 4 px the mask was grown by for the encoder
    inside = [(x, y) for x in range(0, 44) for y in range(64)]
    assert sum(painted.getpixel(p) != base.getpixel(p) for p in inside) > 0.9 * len(inside)


@pytest.mark.parametrize("feathering", [0, 6])
def test_an_outpaint_keeps_the_original_where_the_node_did_not_feather(
    tmp_path: Path, fake_comfyui: FakeComfyUI, feathering: int
) -> None:
    book = _book(tmp_path, feathering)
    build(book, fake_comfyui)
    before, grown = picture(book, "one/fox/edit-1"), picture(book, "one/fox/edit-2")
    assert grown.size == (96 + 16, 64 + 8)
    kept = [(x, y) for x in range(feathering, 96) for y in range(feathering, 64)]
    assert all(grown.getpixel((x + 16, y + 8)) == before.getpixel((x, y)) for x, y in kept)
    if feathering:  # the band next to the new margins is the model's blend, as ComfyUI's mask
        band = [(0, y) for y in range(feathering, 64)]
        assert any(grown.getpixel((x + 16, y + 8)) != before.getpixel((x, y)) for x, y in band)
