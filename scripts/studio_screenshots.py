"""Make docs/studio-board.png and docs/studio-editor.png: the studio on a --draft copy of the
Korean sample book, in Debian's headless Chromium.

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
BUILT = "() => window.studio && window.studio.state === 'ok' && window.studio.generation >= 1"


def serve(book: Path) -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(create_app(Studio(root=book, draft=True)), port=0, log_level="error")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        threading.Event().wait(0.05)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def editor(page: Page, url: str) -> None:
    page.goto(url + "/edit/race/challenge")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    page.check('input[value="ellipse"]')
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.45, steps=5)
    page.mouse.up()
    page.fill("#prompt", "a kite in the sky")
    page.wait_for_function("() => document.getElementById('forecast').textContent.includes('free')")


def main() -> None:
    book = Path(tempfile.mkdtemp()) / "hare-and-tortoise"
    shutil.copytree(ROOT / "sample_books" / "hare-and-tortoise", book)
    server, url = serve(book)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1400, "height": 980})
        page.goto(url + "/board")
        page.wait_for_function(BUILT, timeout=600_000)
        page.evaluate("() => studio.post('/api/take', {ill: 'race/challenge'})")  # take 2
        page.wait_for_function(BUILT.replace(">= 1", ">= 2"), timeout=600_000)
        page.goto(url + "/")  # a fresh load of the board, after the first build
        page.goto(url + "/board#ill-race-challenge", wait_until="load")
        page.screenshot(path=str(ROOT / "docs" / "studio-board.png"))
        editor(page, url)
        page.screenshot(path=str(ROOT / "docs" / "studio-editor.png"))
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
