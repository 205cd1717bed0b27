"""The studio's bugs of issue 20, each seen failing in the browser (or over HTTP) first."""

from __future__ import annotations

import base64
import io
from typing import Any

import requests
from PIL import Image
from playwright.sync_api import expect

from tests.studio.conftest import RunningStudio
from tests.studio.helpers import (
    change_and_build,
    post,
    snapshot,
    tower,
    wait_builds,
    wait_until,
)

WAIT_MS = 120_000


def test_the_problem_page_reloads_when_the_fix_restores_the_last_good_text(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    good = running.spec.read_text(encoding="utf-8")
    running.spec.write_text(good.replace("chapters:\n", "chapters: 3\n", 1), "utf-8")
    wait_until(lambda: snapshot(running)["state"] == "error", "the build to fail")
    page = browser.new_page()
    page.goto(running.url + "/board")
    expect(page.locator("h1")).to_contain_text("cannot be read")
    running.spec.write_text(good, "utf-8")  # exactly the last good text: no new content
    expect(page.locator("#ill-keeper-tower")).to_be_visible(timeout=WAIT_MS)


def stored_takes_1_to_3_with_take_1_chosen(running: RunningStudio) -> None:
    wait_builds(running, 1)
    for take in (2, 3, 1):
        change_and_build(running, "/api/take", {"ill": "keeper/tower", "take": take})


def test_new_take_makes_the_next_unused_take(running: RunningStudio, browser: Any) -> None:
    stored_takes_1_to_3_with_take_1_chosen(running)
    calls = snapshot(running)["calls"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    button = page.locator("#ill-keeper-tower button.new-take")
    expect(button).to_contain_text("take 4")
    button.click()
    wait_until(lambda: tower(running).get("take") == 4, "take: 4 in book.yaml")
    wait_until(lambda: snapshot(running)["calls"] > calls, "the new take's model calls")
    taken = page.locator("#ill-keeper-tower figure.take")
    expect(taken).to_have_count(4, timeout=WAIT_MS)
    expect(page.locator('#ill-keeper-tower figure.take.current[data-take="4"] img')).to_be_visible()


def test_every_stored_take_stays_listed_after_an_edit_is_added(
    running: RunningStudio, browser: Any
) -> None:
    stored_takes_1_to_3_with_take_1_chosen(running)
    edit = {"op": "inpaint", "shape": {"rect": [0.1, 0.1, 0.3, 0.3]}, "prompt": "a gull"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    takes = page.locator("#ill-keeper-tower figure.take")
    expect(takes).to_have_count(3)
    for number in (2, 3):
        other = page.locator(f'#ill-keeper-tower figure.take[data-take="{number}"]')
        expect(other.locator("img")).to_be_visible()
        expect(other).to_contain_text("1 edit(s) not made for this take yet")


def test_outpaint_before_sits_inside_the_after_where_it_was(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    box = page.locator('#ill-keeper-tower [data-step="keeper/tower/edit-1"] [data-compare]')
    expect(box.locator("img.after")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-compare] img')].every(i => i.complete)"
    )
    after = box.locator("img.after").bounding_box()
    before = box.locator("img.under").bounding_box()
    assert after is not None and before is not None
    # 768x512 grown by 128 px left and right: the old picture is the middle 3/4, full height
    assert abs((before["x"] - after["x"]) - after["width"] * 128 / 1024) <= 1.5
    assert abs(before["width"] - after["width"] * 768 / 1024) <= 1.5
    assert abs(before["height"] - after["height"]) <= 1.5
    assert abs(before["y"] - after["y"]) <= 1.5


def test_a_double_click_closes_the_polygon_without_repeating_its_last_point(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/edit/keeper/tower")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    page.check('input[name="tool"][value="polygon"]')
    box = page.locator("#draw").bounding_box()
    assert box is not None
    points = [(0.2, 0.2), (0.6, 0.25), (0.4, 0.7)]
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.click(*at[0])
    page.mouse.click(*at[1])
    page.mouse.dblclick(*at[2])
    page.fill("#prompt", "a kite")
    expect(page.locator("#forecast")).to_contain_text("free", timeout=WAIT_MS)
    page.click("#apply")
    wait_until(lambda: "inpaint" in tower(running)["edits"][-1], "the edit in book.yaml")
    assert len(tower(running)["edits"][-1]["inpaint"]["mask"]["polygon"]) == 3


def test_a_rebuild_keeps_the_preview_page_and_its_scroll_position(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    page = browser.new_page(viewport={"width": 900, "height": 500})
    page.goto(running.url + "/")
    page.wait_for_function(
        "() => Number(document.body.dataset.previewLoaded || 0) >= 1", timeout=WAIT_MS
    )
    frame = page.frame_locator("#preview")
    page.evaluate("() => document.getElementById('preview').contentWindow.scrollTo(0, 400)")
    page.wait_for_function(
        "() => JSON.parse(sessionStorage.getItem('bookbuild-preview-place') || '{}').y === 400"
    )
    chapter = running.root / "chapters" / "keeper.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA gull on the rail.\n", "utf-8")
    expect(frame.locator("body")).to_contain_text("A gull on the rail.", timeout=WAIT_MS)
    page.wait_for_function(
        "() => Number(document.body.dataset.previewLoaded) >= 2", timeout=WAIT_MS
    )
    y = page.evaluate("() => document.getElementById('preview').contentWindow.scrollY")
    assert y == 400

    links = page.frame_locator("#preview").locator("a[href^='/board#ill-']")
    expect(links.first).to_be_visible()
    editors = page.frame_locator("#preview").locator("a[href^='/edit/']")
    expect(editors.first).to_be_visible()
    assert editors.first.get_attribute("href") == "/edit/keeper/tower"
    page.evaluate(
        "() => document.getElementById('preview')"
        ".contentWindow.location.assign('/book/ch-storm.html')"
    )
    page.wait_for_function(
        "() => Number(document.body.dataset.previewLoaded) >= 3", timeout=WAIT_MS
    )
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAnd a tern.\n", "utf-8")
    page.wait_for_function(
        "() => Number(document.body.dataset.previewLoaded) >= 4", timeout=WAIT_MS
    )
    path = page.evaluate("() => document.getElementById('preview').contentWindow.location.pathname")
    assert path == "/book/ch-storm.html"


def brush_png(size: tuple[int, int]) -> str:
    mask = Image.new("L", size, 0)
    mask.paste(255, (100, 100, 300, 200))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_remove_deletes_the_brush_mask_the_studio_painted(running: RunningStudio) -> None:
    wait_builds(running, 1)
    edit = {"op": "inpaint", "brush": brush_png((1024, 512)), "prompt": "a boat"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    mask = tower(running)["edits"][-1]["inpaint"]["mask"]
    assert (running.root / mask).is_file()
    change_and_build(running, "/api/edit/remove", {"ill": "keeper/tower", "index": 1})
    assert not (running.root / mask).exists()


def test_unfreeze_removes_the_freeze_line(running: RunningStudio) -> None:
    wait_builds(running, 1)
    before = running.spec.read_text(encoding="utf-8")
    change_and_build(running, "/api/approve", {"ill": "keeper/tower", "freeze": True})
    assert tower(running)["freeze"] is True
    change_and_build(running, "/api/approve", {"ill": "keeper/tower", "freeze": False})
    assert running.spec.read_text(encoding="utf-8") == before


def test_an_unknown_illustration_in_the_editor_is_404(running: RunningStudio) -> None:
    answer = requests.get(running.url + "/edit/keeper/nope", timeout=60)
    assert answer.status_code == 404
    assert "no illustration keeper/nope" in answer.text


def test_the_built_book_is_served_with_the_csp_and_nosniff(running: RunningStudio) -> None:
    wait_builds(running, 1)
    answer = requests.get(running.url + "/book/index.html", timeout=60)
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_studio_change_runs_one_build_not_two(running: RunningStudio) -> None:
    wait_builds(running, 1)
    change_and_build(running, "/api/approve", {"ill": "keeper/tower", "freeze": True})
    # the watcher sees the studio's own write of book.yaml: it must not build again
    wait_until(
        lambda: snapshot(running)["skipped"] >= 1 or snapshot(running)["builds"] > 2, "the watcher"
    )
    assert (snapshot(running)["builds"], snapshot(running)["skipped"]) == (2, 1)


def test_the_studio_has_a_favicon(running: RunningStudio) -> None:
    answer = requests.get(running.url + "/favicon.ico", timeout=60)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in requests.get(running.url + "/board", timeout=60).text


def test_post_helper_refuses_nothing_by_itself(running: RunningStudio) -> None:
    status, answer = post(running, "/api/take", {"ill": "keeper/nope"})
    assert status == 400 and "no illustration" in answer["error"]


def test_unfreeze_and_remove_clicked_on_the_board_leave_no_trace(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    before = running.spec.read_text(encoding="utf-8")
    edit = {"op": "inpaint", "brush": brush_png((1024, 512)), "prompt": "a boat"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    mask = running.root / tower(running)["edits"][-1]["inpaint"]["mask"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove this edit from book.yaml?"
    page.click("#ill-keeper-tower-freeze")
    expect(page.locator("#ill-keeper-tower-freeze")).to_have_text("Unfreeze", timeout=WAIT_MS)
    assert tower(running)["freeze"] is True
    page.click("#ill-keeper-tower-freeze")
    expect(page.locator("#ill-keeper-tower-freeze")).to_have_text("Approve", timeout=WAIT_MS)
    page.click("#ill-keeper-tower-remove-1")
    expect(page.locator("#ill-keeper-tower-remove-1")).to_have_count(0, timeout=WAIT_MS)
    assert not mask.exists()  # the painted mask went with its edit
    assert running.spec.read_text(encoding="utf-8") == before  # no `freeze: false` left
