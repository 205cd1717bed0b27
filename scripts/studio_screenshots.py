"""Make the studio's screenshots in docs/: the board, the full-size compare, the region editor
and the cast page, on a --draft copy of the Korean sample book, in Debian's headless Chromium.

    ./dev.sh python scripts/studio_screenshots.py
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from bookbuild.studio.app import create_app
from bookbuild.studio.state import Studio

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCARF = "a slender white hare with long ears, amber eyes and a blue knitted scarf"
ANSWER = "#cast-hare .forecast-answer"
BUILT = "g => window.studio && window.studio.state === 'ok' && window.studio.generation >= g"


def serve(book: Path) -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(create_app(Studio(root=book, draft=True)), port=0, log_level="error")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        threading.Event().wait(0.05)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=6)
    page.mouse.up()


def editor(page: Page, url: str) -> None:
    page.goto(url + "/edit/race/challenge")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    page.check('input[value="ellipse"]')
    drag(page, (0.55, 0.12), (0.88, 0.48))  # added
    page.check('input[name="mode"][value="subtract"]')
    page.check('input[value="rect"]')
    drag(page, (0.62, 0.3), (0.72, 0.42))  # cut out
    page.check('input[name="mode"][value="add"]')
    page.check('input[value="brush"]')
    drag(page, (0.1, 0.85), (0.4, 0.8))  # a stroke
    page.locator("#feather").fill("0.01")
    page.fill("#prompt", "a kite in the sky")
    page.wait_for_function("() => document.getElementById('forecast').textContent.includes('free')")
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)  # the cursor


def main() -> None:
    book = Path(tempfile.mkdtemp()) / "hare-and-tortoise"
    shutil.copytree(ROOT / "sample_books" / "hare-and-tortoise", book)
    server, url = serve(book)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1400, "height": 980})
        page.goto(url + "/board")
        page.wait_for_function(BUILT, arg=1, timeout=600_000)
        page.evaluate("() => studio.post('/api/take', {ill: 'race/challenge'})")  # take 2
        page.wait_for_function(BUILT, arg=2, timeout=600_000)
        page.evaluate("() => studio.post('/api/edit/reroll', {ill: 'race/challenge', index: 0})")
        page.wait_for_function(BUILT, arg=3, timeout=600_000)
        page.goto(url + "/")  # a fresh load of the board, after the builds
        page.goto(url + "/board#ill-race-challenge", wait_until="networkidle")
        page.screenshot(path=str(DOCS / "studio-board.png"))
        page.locator("#ill-race-challenge .compare-full").first.click()
        page.locator("#viewer .v-slider").fill("55")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#viewer img')].every(i => i.complete)"
        )
        page.screenshot(path=str(DOCS / "studio-compare.png"))
        editor(page, url)
        page.screenshot(path=str(DOCS / "studio-editor.png"))
        page.goto(url + "/cast", wait_until="networkidle")
        page.fill("#cast-hare-description", SCARF)  # what a new description would re-run
        page.click("#cast-hare-forecast")
        page.wait_for_function(
            f"() => document.querySelector('{ANSWER}').textContent.includes('call(s)')"
        )
        page.screenshot(path=str(DOCS / "studio-cast.png"))
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
