"""Issue 20's board figures, before and after, side by side: a 120-illustration draft book.

    ./dev.sh python benchmarks/bench_board.py                  # baseline: main
    ./dev.sh python benchmarks/bench_board.py --baseline HEAD~5 --chapters 60 --repeat 3

The book (benchmarks/bookgen.py: 60 chapters, two pictures each, some edits, and a cover) is
built once with `make --draft`, then copied for each tree. The baseline is checked out in a
temporary `git worktree` (bench_scale.baseline_tree) and served from its own src/; each tree's
`bookbuild serve --draft` runs in turn on the same machine. Printed: /board server time (median
of the HTTP GETs), in headless Chromium the time to first contentful paint and to the first
picture shown, the bytes the page transferred on its first load (thumbnails not yet cached) and
on a second one, the <img> elements loaded, the page's height in screens, and the time from a
click on Approve until the page shows the illustration approved. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import baseline_tree
from bookgen import generate

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 1000}
FIRST_PICTURE = """() => { const i = document.querySelector('section img');
  return Boolean(i && i.complete && i.naturalWidth); }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_book(chapters: int, folder: Path) -> Path:
    book = generate(chapters, folder)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "bookbuild.cli.commands", "make", str(book), "--draft"]
    subprocess.run([*command, "--format", "html"], check=True, env=env, capture_output=True)
    return book


@contextmanager
def studio(book: Path, pythonpath: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "bookbuild.cli.commands", "serve", str(book), "--draft"]
    child = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": pythonpath},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert time.monotonic() < deadline, "the studio never finished its first build"
            try:
                state = requests.get(url + "/api/status", timeout=60).json()
                if state["state"] == "ok" and state["generation"] >= 1:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=60)


def server_times(url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = requests.get(url + "/board", timeout=600)
        answer.raise_for_status()
        times.append(time.perf_counter() - start)
    return times


def page_load(browser: Any, url: str) -> dict[str, float]:
    """One fresh load of /board: first contentful paint, bytes and pictures, height."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sizes: list[int] = []
    page.on("requestfinished", lambda request: sizes.append(_size(request)))
    page.goto(url + "/board", wait_until="commit", timeout=600_000)
    page.wait_for_function(FIRST_PICTURE, timeout=600_000, polling=10)
    shown = page.evaluate("() => performance.now()")
    page.wait_for_load_state("load", timeout=600_000)
    page.wait_for_load_state("networkidle", timeout=600_000)
    paint = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
    )
    images = page.evaluate(
        "() => [...document.images].filter(i => i.complete && i.naturalWidth).length"
    )
    height = page.evaluate("() => document.documentElement.scrollHeight / window.innerHeight")
    context.close()
    return {
        "fcp": (paint or 0) / 1000,
        "picture": shown / 1000,
        "bytes": sum(sizes),
        "images": images,
        "screens": height,
    }


APPROVED = """() => { const b = document.querySelector('section.ill button.approve');
  return Boolean(b && b.textContent.trim() === 'Unfreeze'); }"""


def approve_round_trip(browser: Any, url: str) -> float:
    """Seconds from a click on the first Approve until the page shows it approved (the build,
    then the page's update: in place, or a reload in the trees before issue 20)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url + "/board", wait_until="load", timeout=600_000)
    start = time.perf_counter()
    page.locator("section.ill button.approve").first.click()
    deadline = start + 600
    while time.perf_counter() < deadline:
        try:
            if page.evaluate(APPROVED):
                break
        except Exception:  # the old page reloads: its context goes away meanwhile
            pass
        time.sleep(0.02)
    took = time.perf_counter() - start
    context.close()
    return took


def _size(request: Any) -> int:
    sizes = request.sizes()
    return int(sizes.get("responseBodySize", 0)) + int(sizes.get("responseHeadersSize", 0))


def measure(book: Path, pythonpath: str, repeat: int, browser: Any) -> dict[str, float]:
    with studio(book, pythonpath) as url:
        times = server_times(url, repeat)
        cold = page_load(browser, url)
        warm = page_load(browser, url)
        approve = approve_round_trip(browser, url)
    return {
        "approve": approve,
        "server": statistics.median(times),
        "fcp": cold["fcp"],
        "fcp_warm": warm["fcp"],
        "picture": cold["picture"],
        "picture_warm": warm["picture"],
        "bytes": cold["bytes"],
        "bytes_warm": warm["bytes"],
        "images": cold["images"],
        "screens": cold["screens"],
    }


ROWS = (
    ("/board server time (s)", "server", "{:.3f}"),
    ("first contentful paint, first load (s)", "fcp", "{:.3f}"),
    ("first contentful paint, second load (s)", "fcp_warm", "{:.3f}"),
    ("first picture shown, first load (s)", "picture", "{:.3f}"),
    ("first picture shown, second load (s)", "picture_warm", "{:.3f}"),
    ("bytes transferred, first load (MiB)", "bytes", "{:.2f}"),
    ("bytes transferred, second load (MiB)", "bytes_warm", "{:.2f}"),
    ("pictures loaded on the first screen(s)", "images", "{:.0f}"),
    ("page height (screens of 1000 px)", "screens", "{:.1f}"),
    ("Approve clicked to shown approved (s)", "approve", "{:.3f}"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--chapters", type=int, default=60, help="two illustrations each")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bookbuild-board-"))
    try:
        book = build_book(args.chapters, work / "book")
        copies = {name: work / name for name in ("before", "after")}
        for copy in copies.values():
            shutil.copytree(book, copy)
        with baseline_tree(args.baseline) as before, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            results = {
                "before": measure(copies["before"], before, args.repeat, browser),
                "after": measure(copies["after"], str(REPO / "src"), args.repeat, browser),
            }
            browser.close()
        print(f"{2 * args.chapters + 1} illustrations; before = {args.baseline}, after = this tree")
        print(f"{'':<42} {'before':>10} {'after':>10} {'after/before':>13}")
        for label, key, shown in ROWS:
            old, new = results["before"][key], results["after"][key]
            if key.startswith("bytes"):
                old, new = old / 2**20, new / 2**20
            ratio = f"{new / old:.3f}" if old else "-"
            print(f"{label:<42} {shown.format(old):>10} {shown.format(new):>10} {ratio:>13}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
