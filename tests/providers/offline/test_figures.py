"""Draft pictures show the cast: each character the same labelled figure (shape and colour
from its id) in every picture it is in, and in no other; checked on the pixels."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from bookbuild.providers.base import CharacterRef, ImageRequest
from bookbuild.providers.offline.figures import SHAPES, figure_boxes, figure_of
from bookbuild.providers.offline.provider import OfflineOptions, OfflineProvider
from tests.helpers.cast_books import write_cast_book

HARE = CharacterRef("hare", "Hazel", "a white hare")
TORTOISE = CharacterRef("tortoise", "Tom", "a green tortoise")


def draw(*cast: CharacterRef, prompt: str = "a meadow", seed: int = 1) -> Image.Image:
    provider = OfflineProvider(OfflineOptions(provider="offline"), {})
    request = ImageRequest(
        "p", "txt2img", prompt, width=320, height=256, seed=seed, characters=cast
    )
    result = provider.run_image(request)
    return Image.open(BytesIO(result.png)).convert("RGB")


def pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    raw = image.convert("RGB").tobytes()
    return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def share(image: Image.Image, color: tuple[int, int, int]) -> float:
    """How much of the picture is exactly `color`."""
    found = sum(1 for pixel in pixels(image) if pixel == color)
    return found / (image.width * image.height)


def test_a_figure_is_derived_from_the_id_alone() -> None:
    assert figure_of("hare", "Hazel") == figure_of("hare", "Hazel")
    assert figure_of("hare", "Hazel").shape in SHAPES
    assert figure_of("hare", "x").color == figure_of("hare", "Hazel").color
    assert figure_of("hare", "Hazel").color != figure_of("tortoise", "Tom").color


def test_each_character_appears_in_its_colour_and_no_other_does() -> None:
    hare, tortoise = figure_of("hare", ""), figure_of("tortoise", "")
    both = draw(HARE, TORTOISE)
    assert share(both, hare.color) > 0.01 and share(both, tortoise.color) > 0.01
    only_hare = draw(HARE, seed=9, prompt="a forest at night")
    assert share(only_hare, hare.color) > 0.01
    assert share(only_hare, tortoise.color) == 0
    assert share(draw(), hare.color) == 0


def test_the_figure_stands_in_its_slot_filled_with_its_colour() -> None:
    picture = draw(HARE, TORTOISE)
    for box, member in zip(figure_boxes(picture.size, 2), ("hare", "tortoise"), strict=True):
        centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
        assert picture.getpixel(centre) == figure_of(member, "").color


def test_the_name_label_is_drawn_under_the_figure() -> None:
    with_label = draw(HARE)
    box = figure_boxes(with_label.size, 1)[0]
    strip = with_label.crop((box[0], box[3] + 2, box[2], min(with_label.height, box[3] + 40)))
    dark = sum(1 for pixel in pixels(strip) if max(pixel) < 70)
    assert dark > 20  # the name's letters, in ink, on the pale plate


def test_a_draft_book_shows_each_character_consistently_on_every_page(tmp_path: Path) -> None:
    book = write_cast_book(tmp_path / "book")
    project = Project.open(book, draft=True)
    make(project, MakeOptions(formats=("html",), jobs=1))
    lock = project.load_lock()

    def picture(step: str) -> Image.Image:
        data = project.store.get(lock.entries[step].digest)
        return Image.open(BytesIO(data)).convert("RGB")

    hare, tortoise = figure_of("hare", "").color, figure_of("tortoise", "").color
    shows = {
        "start/line/image": (True, True),
        "start/alone/image": (True, False),
        "nap/oak/image": (False, False),
        "nap/passing/image": (False, True),
        "cast/tortoise/image": (False, True),
    }
    for step, (with_hare, with_tortoise) in shows.items():
        image = picture(step)
        assert (share(image, hare) > 0.005) == with_hare, step
        assert (share(image, tortoise) > 0.005) == with_tortoise, step
