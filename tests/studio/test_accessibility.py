"""Every control of the studio's pages has a name a screen reader can say, every picture a
text alternative, and the viewer is a labelled dialog — checked in headless Chromium."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.studio.conftest import RunningStudio
from tests.studio.helpers import change_and_build, wait_builds

UNNAMED = """() => {
  const named = (el) => {
    if (el.getAttribute("aria-label")?.trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    const text = (id) => document.getElementById(id)?.textContent.trim();
    if (by && by.split(" ").some(text)) return true;
    if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
    if (el.matches("button, a, summary") && el.textContent.trim()) return true;
    return Boolean(el.getAttribute("title")?.trim());
  };
  const controls = document.querySelectorAll(
    "button, a[href], input:not([type=hidden]), select, textarea, [role=button], [tabindex]");
  return [...controls].filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 160));
}"""
NO_ALT = "() => [...document.images].filter((i) => !i.hasAttribute('alt')).map((i) => i.outerHTML)"


def check(page: Page) -> None:
    assert page.evaluate(UNNAMED) == []
    assert page.evaluate(NO_ALT) == []


def test_every_control_of_the_board_editor_and_preview_has_a_name(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    edit = {"op": "inpaint", "shape": {"rect": [0.2, 0.2, 0.5, 0.6]}, "prompt": "a lantern"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    change_and_build(running, "/api/variants", {"ill": "keeper/tower", "index": 1, "count": 2})
    change_and_build(running, "/api/take", {"ill": "keeper/tower", "take": 2})
    page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
    pages = {"/": "#preview", "/board": "#ill-keeper-tower", "/edit/keeper/tower": "#stage"}
    pages["/edit/keeper/tower?change=1"] = "#change-fields"
    for path, shown in pages.items():
        answer = page.goto(running.url + path)
        assert answer is not None and answer.status == 200
        expect(page.locator(shown)).to_be_attached()
        page.wait_for_load_state("load")
        check(page)

    page.goto(running.url + "/board")
    page.locator('[data-step="keeper/tower/image"] img.zoomable').click()
    viewer = page.get_by_role("dialog")
    expect(viewer).to_be_visible()
    assert viewer.get_attribute("aria-label") or viewer.get_attribute("aria-labelledby")
    check(page)

    # the check itself sees a control without a name
    page.evaluate("() => document.querySelector('main').append(document.createElement('button'))")
    assert page.evaluate(UNNAMED) == ["<button></button>"]
