"""Screenshots of a draft book's pages in real headless Chromium show that it is a draft: the
banner stays at the top of the window while the reader scrolls, and every picture on the page
carries the red DRAFT badge in its corner."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from bookbuild.cli.commands import main
from bookbuild.providers.offline.draftmark import BADGE_RGB

CHROMIUM = Path("/usr/bin/chromium")
BANNER_RGB = (0xFF, 0xF3, 0xC4)  # .draft-banner's background (base.css.j2)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = tmp_path_factory.mktemp("draft") / "snail"
    runner = CliRunner()
    made = runner.invoke(main, ["init", str(book), "--template", "picture-book"])
    assert made.exit_code == 0, made.output
    built = runner.invoke(main, ["make", str(book), "--draft", "--plain", "--format", "html"])
    assert built.exit_code == 0, built.output
    return book / "build"


@pytest.fixture(scope="module")
def page(site: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser.new_page(viewport={"width": 800, "height": 700})
        browser.close()


def share_near(shot: Image.Image, colour: tuple[int, int, int], tolerance: int = 24) -> float:
    """The share of the picture's pixels within `tolerance` of `colour` on every channel."""
    data = shot.convert("RGB").tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    near = sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)) for p in pixels)
    return near / len(pixels)


def screenshot(target: Any) -> Image.Image:
    return Image.open(io.BytesIO(target.screenshot()))


def test_the_draft_banner_stays_in_view_while_the_reader_scrolls(page: Any, site: Path) -> None:
    page.goto((site / "ch-meadow.html").as_uri())
    banner = page.locator(".draft-banner")
    assert banner.is_visible() and "Draft build" in banner.inner_text()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0  # the page did scroll
    top = screenshot(page).crop((0, 0, 800, 40))
    assert share_near(top, BANNER_RGB, 4) > 0.5, "the banner is not at the top after scrolling"


def test_every_picture_of_a_draft_page_shows_the_draft_badge(page: Any, site: Path) -> None:
    for chapter in ("ch-meadow.html", "ch-hill.html", "ch-sky.html"):
        page.goto((site / chapter).as_uri())
        pictures = page.locator("img.scene-image")
        assert pictures.count() >= 1, chapter
        for i in range(pictures.count()):
            picture = pictures.nth(i)
            picture.scroll_into_view_if_needed()
            shot = screenshot(picture)
            corner = shot.crop((shot.width * 6 // 10, 0, shot.width, shot.height * 2 // 10))
            assert share_near(corner, BADGE_RGB) > 0.1, (chapter, i)


def test_the_badge_check_sees_a_picture_without_the_badge(site: Path) -> None:
    plain = Image.new("RGB", (400, 400), (120, 160, 200))
    assert share_near(plain.crop((240, 0, 400, 80)), BADGE_RGB) == 0
