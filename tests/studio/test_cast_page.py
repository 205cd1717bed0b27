"""The studio's cast page in headless Chromium, on a --draft copy of the Hare and Tortoise:
the lineup, approving a character sheet, a new take of it, what a change would re-run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from tests.studio.conftest import SAMPLES, RunningStudio, start_studio
from tests.studio.helpers import snapshot, wait_builds, wait_until

WAIT_MS = 120_000


@pytest.fixture
def hare(tmp_path: Path) -> Iterator[RunningStudio]:
    root = tmp_path / "hare-and-tortoise"
    shutil.copytree(SAMPLES / "hare-and-tortoise", root)
    running, server = start_studio(root)
    try:
        yield running
    finally:
        server.stop()


def reference(running: RunningStudio, cid: str) -> dict[str, Any]:
    spec = yaml.safe_load(running.spec.read_text(encoding="utf-8"))
    return spec["characters"][cid]["reference"]  # type: ignore[no-any-return]


def test_the_cast_page_lines_up_approves_retakes_and_forecasts(
    hare: RunningStudio, browser: Any
) -> None:
    wait_builds(hare, 1)
    assert snapshot(hare)["state"] == "ok", snapshot(hare)["message"]
    comments = [line for line in hare.spec.read_text("utf-8").splitlines() if "#" in line]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(hare.url + "/cast")
    tortoise = page.locator("#cast-tortoise")
    expect(tortoise.locator("figure.reference img")).to_be_visible()
    expect(tortoise.locator('figure.appearance[data-key="race/challenge"]')).to_be_visible()
    expect(tortoise.locator('figure.appearance[data-key="finish/ribbon"] img')).to_be_visible()
    link = tortoise.locator('figure.appearance[data-key="finish/ribbon"] a')
    expect(link).to_have_attribute("href", "/board#ill-finish-ribbon")

    page.click("#cast-hare-freeze")
    wait_until(lambda: reference(hare, "hare").get("freeze") is True, "freeze on the hare")
    expect(page.locator("#cast-hare .approved")).to_be_visible(timeout=WAIT_MS)

    calls = snapshot(hare)["calls"]
    page.click("#cast-tortoise-new-take")
    wait_until(lambda: reference(hare, "tortoise").get("take") == 2, "take 2 of the tortoise")
    wait_until(lambda: snapshot(hare)["calls"] > calls, "the new sheet's model calls")
    expect(page.locator("#cast-tortoise figure.reference")).to_contain_text(
        "take 2", timeout=WAIT_MS
    )

    page.click("#cast-tortoise-forecast")
    answer = page.locator("#cast-tortoise .forecast-answer")
    expect(answer).to_contain_text("model call(s)", timeout=WAIT_MS)
    expect(answer).to_contain_text("cast/tortoise/image")
    expect(answer).to_contain_text("finish/ribbon/image")
    after = [line for line in hare.spec.read_text("utf-8").splitlines() if "#" in line]
    assert len(after) == len(comments)  # every comment kept (the reference lines change)
