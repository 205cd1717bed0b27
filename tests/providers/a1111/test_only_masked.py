"""Issue 19, item 9: an "Only masked" inpaint (inpaint_full_res, the preset's default) of a large
picture paints the mask's crop at a working size, not at the whole picture's. The web UI (and
the fake, as its processing does) cuts out the mask's box plus padding, grows it to the aspect
of width x height and paints it AT width x height, then pastes it back into the whole picture."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.a1111_server import FakeA1111

from .book_helpers import build, result, write_book

LARGE = "{provider: a1111, model: dreamshaper_8, width: 1536, height: 1024, steps: 20}"
SMALL_MASK = """\
      - id: dawn
        prompt: "a lighthouse at dawn"
        seed: 11
        edits:
          - inpaint: {mask: {rect: [0.1, 0.1, 0.2, 0.2]}, prompt: "a red sun", strength: 1.0}
"""


def test_only_masked_paints_the_crop_at_a_working_size_not_the_whole_pictures(
    tmp_path: Path,
) -> None:
    book = write_book(tmp_path, SMALL_MASK, LARGE)
    with FakeA1111() as fake:
        build(book, fake.env)
        body = next(r.body for r in fake.of("/sdapi/v1/img2img") if r.body["prompt"] == "a red sun")
    assert body["inpaint_full_res"] is True
    # the crop: 154 x 103 px of mask + 32 px around = 218 x 167, its longer side brought to 512
    assert (body["width"], body["height"]) == (512, 392)
    base, _ = result(book, "shore/dawn/image")
    edited, _ = result(book, "shore/dawn/edit-1")
    assert edited.size == (1536, 1024)
    assert edited.getpixel((230, 150)) != base.getpixel((230, 150))  # inside the mask: repainted
    kept = [(10, 10), (1000, 800), (400, 150), (230, 300)]
    assert all(edited.getpixel(p) == base.getpixel(p) for p in kept)


def test_a_mask_nearly_as_large_as_a_small_picture_is_painted_at_the_pictures_size(
    tmp_path: Path,
) -> None:
    whole = SMALL_MASK.replace("[0.1, 0.1, 0.2, 0.2]", "[0.0, 0.0, 0.9, 0.9]")
    painter = "{provider: a1111, model: dreamshaper_8, width: 128, height: 96, steps: 20}"
    book = write_book(tmp_path, whole, painter)
    with FakeA1111() as fake:
        build(book, fake.env)
        body = next(r.body for r in fake.of("/sdapi/v1/img2img") if r.body["prompt"] == "a red sun")
    assert (body["width"], body["height"]) == (128, 96)  # never larger than the picture
