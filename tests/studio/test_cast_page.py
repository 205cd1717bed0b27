"""The studio's cast page in headless Chromium, on a --draft copy of the Hare and Tortoise:
the lineup, approving a character sheet, a new take of it, what a change would re-run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from playwright.sync_api import expect

from bookbuild.project import Project
from tests.conftest import BUILD_STATE
from tests.studio.conftest import SAMPLES, RunningStudio, start_studio
from tests.studio.helpers import post, snapshot, wait_builds, wait_until

WAIT_MS = 120_000


@pytest.fixture
def hare(tmp_path: Path) -> Iterator[RunningStudio]:
    root = tmp_path / "hare-and-tortoise"
    shutil.copytree(SAMPLES / "hare-and-tortoise", root, ignore=BUILD_STATE)
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
    ribbon = tortoise.locator('figure.appearance[data-key="finish/ribbon"] figcaption')
    expect(ribbon).to_contain_text("drawn as its draft figure")  # how its reference was used
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


SQUARE = "an old green tortoise with a mossy shell and square glasses"


def pinned(running: RunningStudio) -> dict[str, str]:
    lock = Project.open(running.root, draft=True).load_lock()
    return {step: entry.digest for step, entry in lock.entries.items()}


def test_a_new_description_is_forecast_then_written_and_redraws_only_its_pictures(
    hare: RunningStudio, browser: Any
) -> None:
    wait_builds(hare, 1)
    before = pinned(hare)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(hare.url + "/cast")
    page.fill("#cast-tortoise-description", SQUARE)
    page.click("#cast-tortoise-forecast")
    answer = page.locator("#cast-tortoise .forecast-answer")
    expect(answer).to_contain_text("This description:", timeout=WAIT_MS)
    expect(answer).to_contain_text("free (a draft)")
    text = answer.inner_text()
    assert "cast/tortoise/image" in text and "finish/ribbon/image" in text
    assert "cast/hare/image" not in text  # the hare's own sheet is not the tortoise's
    marked = "figure.would-rerun"  # the pictures the change would redraw, marked in every row
    tortoise = page.locator("#cast-tortoise .lineup figure")
    expect(page.locator(f"#cast-tortoise {marked}")).to_have_count(tortoise.count())
    hare_row = page.locator("#cast-hare")
    expect(hare_row.locator(f'{marked}[data-key="race/challenge"]')).to_have_count(1)  # shared
    expect(hare_row.locator(f'{marked}[data-key="nap/oak"]')).to_have_count(0)  # the hare's own
    expect(hare_row.locator("figure.reference.would-rerun")).to_have_count(0)
    assert reference(hare, "tortoise")  # nothing written by a forecast
    assert SQUARE not in hare.spec.read_text("utf-8")

    comments = [line for line in hare.spec.read_text("utf-8").splitlines() if "#" in line]
    builds = snapshot(hare)["builds"]
    page.click("#cast-tortoise-apply")
    wait_until(lambda: SQUARE in hare.spec.read_text("utf-8"), "the new description written")
    assert wait_builds(hare, builds + 1)["state"] == "ok"
    expect(page.locator("#cast-tortoise p.description")).to_contain_text(
        "square glasses", timeout=WAIT_MS
    )
    spec = yaml.safe_load(hare.spec.read_text("utf-8"))
    assert spec["characters"]["tortoise"]["description"] == SQUARE
    assert "round glasses" not in hare.spec.read_text("utf-8")
    after = [line for line in hare.spec.read_text("utf-8").splitlines() if "#" in line]
    assert after == comments  # the one line changed, every comment kept
    now = pinned(hare)
    redrawn = {step for step in now if now[step] != before.get(step)}
    assert "cast/tortoise/image" in redrawn and "finish/ribbon/image" in redrawn
    assert "cast/hare/image" not in redrawn
    assert not {step for step in redrawn if not step.endswith(("/image", "/edit-1", "/edit-2"))}


def test_an_empty_description_is_refused_and_nothing_is_written(
    hare: RunningStudio, browser: Any
) -> None:
    wait_builds(hare, 1)
    before = hare.spec.read_bytes()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(hare.url + "/cast")
    page.fill("#cast-hare-description", "   ")
    page.click("#cast-hare-apply")
    expect(page.locator("#build-error")).to_contain_text("cannot be empty", timeout=WAIT_MS)
    assert hare.spec.read_bytes() == before
    status, answer = post(hare, "/api/cast/owl/description", {"description": "a grey owl"})
    assert status == 400 and "no character 'owl'" in answer["error"]
    refused = requests.post(
        hare.url + "/api/cast/hare/description", json={"description": "x"}, timeout=30
    )
    assert refused.status_code == 403  # no page token: a cross-site write
    assert hare.spec.read_bytes() == before


def test_each_character_is_one_row_and_its_reference_stays_beside_the_pictures(
    hare: RunningStudio, browser: Any
) -> None:
    wait_builds(hare, 1)
    page = browser.new_page(viewport={"width": 560, "height": 900})
    page.goto(hare.url + "/cast")
    row = page.locator("#cast-tortoise .lineup")
    expect(row.locator("figure.appearance img").first).to_be_visible()
    tops = row.locator("figure").evaluate_all("fs => fs.map(f => f.offsetTop)")
    assert len(tops) >= 4 and len(set(tops)) == 1  # the reference and every picture: one row
    row.evaluate("r => { r.scrollLeft = r.scrollWidth; }")
    box, reference = row.bounding_box(), row.locator("figure.reference").bounding_box()
    assert box is not None and reference is not None
    assert box["x"] <= reference["x"] < box["x"] + 20  # still at the row's left edge
    last = row.locator("figure.appearance").last.bounding_box()
    assert last is not None and last["x"] + last["width"] <= box["x"] + box["width"] + 1


def test_without_draft_a_new_description_that_would_pay_asks_first(tmp_path: Path) -> None:
    root = tmp_path / "hare-and-tortoise"
    shutil.copytree(SAMPLES / "hare-and-tortoise", root, ignore=BUILD_STATE)
    running, server = start_studio(root, draft=False)
    try:
        before = running.spec.read_bytes()
        forecast = requests.get(
            running.url + "/api/cast/tortoise/forecast",
            params={"description": SQUARE},
            timeout=120,
        ).json()
        assert forecast["free"] == ""  # a real build: its calls are paid
        assert forecast["calls"] == 0 and forecast["pending"] > 0  # nothing built: all due anyway
        status, answer = post(running, "/api/cast/tortoise/description", {"description": SQUARE})
        assert status == 409 and answer["needs_approval"]["paid"] is True
        assert running.spec.read_bytes() == before  # nothing written before the page says yes
        assert snapshot(running)["calls"] == 0
    finally:
        server.stop()
