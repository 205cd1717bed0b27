"""The board that scales: planned once per request, cached thumbnails loaded lazily, a jump
list by chapter, filters, and the accessibility of its status and errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

import bookbuild.reports.board
import bookbuild.studio.app
from tests.studio.conftest import RunningStudio
from tests.studio.helpers import change_and_build, wait_builds

WAIT_MS = 120_000


def test_the_board_is_planned_once_per_change_and_served_again_without_planning(
    running: RunningStudio, monkeypatch: pytest.MonkeyPatch
) -> None:
    wait_builds(running, 1)
    for take in (2, 3):
        change_and_build(running, "/api/take", {"ill": "keeper/tower", "take": take})
    requests.get(running.url + "/board", timeout=120)  # waits for a page being made
    planned: list[int] = []  # per board made: how many times it planned the book
    plans = []
    real_plan, real_board = bookbuild.reports.board.plan_book, bookbuild.studio.app.board

    def counting_plans(*args: Any, **kwargs: Any) -> Any:
        plans.append(1)
        return real_plan(*args, **kwargs)

    def counting_boards(*args: Any, **kwargs: Any) -> Any:
        plans.clear()
        views = real_board(*args, **kwargs)
        planned.append(len(plans))
        return views

    monkeypatch.setattr(bookbuild.reports.board, "plan_book", counting_plans)
    monkeypatch.setattr(bookbuild.studio.app, "board", counting_boards)
    change_and_build(running, "/api/take", {"ill": "keeper/tower", "take": 1})
    pages = [requests.get(running.url + "/board", timeout=120) for _ in range(3)]
    assert all(page.status_code == 200 for page in pages)
    assert pages[0].text.count('class="take') >= 3  # every take: derived, not re-planned
    assert 'class="take current" data-take="1"' in pages[0].text
    assert pages[1].text == pages[2].text == pages[0].text
    assert planned == [1]  # made once after the build (in the background or by a look)

    chapter = running.root / "chapters" / "keeper.md"
    builds = running.studio.build.snapshot()["builds"]
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA gull.\n", "utf-8")
    wait_builds(running, builds + 1)
    assert requests.get(running.url + "/board", timeout=120).status_code == 200
    assert planned == [1, 1]  # a saved chapter: made again


def test_board_pictures_are_thumbnails_cached_by_digest_and_lazy(running: RunningStudio) -> None:
    wait_builds(running, 1)
    html = requests.get(running.url + "/board", timeout=120).text
    images = re.findall(r"<img [^>]*>", html)
    assert images and all('loading="lazy"' in tag for tag in images)
    sources = [re.search(r'src="([^"]+)"', tag).group(1) for tag in images]  # type: ignore[union-attr]
    assert all(s.startswith(("/thumb/", "/overlay/")) and "w=" in s for s in sources)
    thumb = next(s for s in sources if s.startswith("/thumb/"))
    answer = requests.get(running.url + thumb.replace("&amp;", "&"), timeout=120)
    assert answer.headers["content-type"] == "image/webp"
    assert "immutable" in answer.headers["cache-control"]
    digest = thumb.split("/")[2].split("?")[0]
    cached = list((running.root / ".bookbuild" / "thumbs").rglob(f"{digest[7:]}-320.webp"))
    assert len(cached) == 1
    with Image.open(cached[0]) as picture:
        assert picture.width <= 320
    assert requests.get(running.url + "/thumb/sha256:" + "0" * 64, timeout=60).status_code == 404


def test_the_jump_list_and_the_filters(running: RunningStudio, browser: Any) -> None:
    wait_builds(running, 1)
    change_and_build(running, "/api/approve", {"ill": "storm/lamp", "freeze": True})
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(running.url + "/board")
    jump = page.locator("nav.jump a")
    expect(jump).to_have_count(2)
    page.click("nav.jump a[href='#chapter-storm']")
    page.wait_for_url("**/board#chapter-storm")
    page.check('input[name="filter"][value="unapproved"]')
    expect(page.locator("#ill-storm-lamp")).to_be_hidden()
    expect(page.locator("#ill-keeper-tower")).to_be_visible()
    expect(page.locator("#shown")).to_have_text("1 of 2 shown")
    page.check('input[name="filter"][value="stale"]')  # nothing is stale after the build
    expect(page.locator("#shown")).to_have_text("0 of 2 shown")


def test_status_is_live_and_errors_are_alerts(running: RunningStudio, browser: Any) -> None:
    wait_builds(running, 1)
    page = browser.new_page()
    page.goto(running.url + "/")
    expect(page.locator("#build-status")).to_have_attribute("aria-live", "polite")
    good = running.spec.read_text(encoding="utf-8")
    running.spec.write_text(good.replace("chapters:\n", "chapters: 3\n", 1), "utf-8")
    expect(page.get_by_role("alert")).to_contain_text("book.yaml:", timeout=WAIT_MS)


def test_a_picture_opens_full_size_and_two_takes_compare(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    change_and_build(running, "/api/take", {"ill": "keeper/tower", "take": 2})
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(running.url + "/board")
    base = page.locator('#ill-keeper-tower [data-step="keeper/tower/image"] img.zoomable')
    full = base.get_attribute("data-full")
    assert full is not None and full.startswith("/object/sha256:")
    base.click()
    viewer = page.locator("#viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".v-first")).to_have_attribute("src", full)
    page.wait_for_function("() => document.querySelector('#viewer .v-first').naturalWidth > 0")
    assert page.evaluate("() => document.querySelector('#viewer .v-first').naturalWidth") == 768
    viewer.locator(".v-in").click()
    expect(viewer.locator(".v-zoom")).to_have_text("125%")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(base).to_be_focused()  # the focus goes back to the picture that opened it

    compare = page.locator("#ill-keeper-tower .compare-takes")
    expect(compare).to_be_disabled()
    for box in page.locator("#ill-keeper-tower .pick-compare").all():
        box.check()
    expect(compare).to_be_enabled()
    compare.click()
    expect(viewer.locator(".v-second")).to_be_visible()
    expect(viewer.locator(".v-labels")).to_have_text("take 1 ⟷ take 2")
    viewer.locator(".v-slider").fill("30")
    expect(viewer.locator(".v-value")).to_have_text("30%")
