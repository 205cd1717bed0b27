"""The studio in a real headless Chromium, on a --draft copy of the Lighthouse Fox."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageChops
from playwright.sync_api import Page, expect

from bookbuild.media.images import decode_image
from bookbuild.project import Project
from bookbuild.reports.board import board
from tests.helpers.waiting import wait_until
from tests.studio.conftest import RunningStudio

WAIT_MS = 120_000


def wait_built(page: Page, generation: int = 1) -> None:
    """Wait until the studio reports a finished build of at least `generation`."""
    page.wait_for_function(
        "g => window.studio && window.studio.state === 'ok' && window.studio.generation >= g",
        arg=generation,
        timeout=WAIT_MS,
    )


def tower_pictures(root: Path) -> list[str | None]:
    views = board(Project.open(root, draft=True), with_takes=False)
    tower = next(v for v in views if v.key == "keeper/tower")
    return [link.digest for link in tower.links]


def drag(page: Page, selector: str, start: tuple[float, float], end: tuple[float, float]) -> Any:
    box = page.locator(selector).bounding_box()
    assert box is not None
    x0, y0 = box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"]
    x1, y1 = box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()
    return box


def apply_and_wait(page: Page) -> None:
    """Read the (free) forecast, press Apply, wait for the board showing the result."""
    expect(page.locator("#forecast")).to_contain_text("free", timeout=WAIT_MS)
    page.click("#apply")
    page.wait_for_url("**/board#ill-keeper-tower", timeout=WAIT_MS)


def test_drag_a_rectangle_and_apply_writes_the_inpaint_and_repaints_only_inside(
    running: RunningStudio, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    wait_built(page)  # the board reloads itself after the build
    expect(page.locator("#ill-keeper-tower a.edit-here")).to_have_count(2, timeout=WAIT_MS)
    before_text = running.spec.read_text(encoding="utf-8")
    before_pictures = tower_pictures(running.root)
    page.locator("#ill-keeper-tower a.edit-here").last.click()
    expect(page.locator("#draw")).to_be_visible()
    page.wait_for_function("document.getElementById('draw').width > 0")
    drag(page, "#draw", (0.20, 0.30), (0.45, 0.70))
    page.fill("#prompt", "a lantern glowing in the window")
    apply_and_wait(page)

    after_text = running.spec.read_text(encoding="utf-8")
    comments = [line for line in before_text.splitlines() if line.lstrip().startswith("#")]
    assert [line for line in after_text.splitlines() if line.lstrip().startswith("#")] == comments
    edits = yaml.safe_load(after_text)["chapters"][0]["illustrations"][0]["edits"]
    assert edits[0] == {"outpaint": {"left": 128, "right": 128}}
    inpaint = edits[1]["inpaint"]
    assert inpaint["prompt"] == "a lantern glowing in the window"
    x0, y0, x1, y1 = inpaint["mask"]["rect"]
    for got, want in zip((x0, y0, x1, y1), (0.20, 0.30, 0.45, 0.70), strict=True):
        assert abs(got - want) <= 0.01

    pictures = tower_pictures(running.root)
    assert pictures[:2] == before_pictures[:2]
    store = Project.open(running.root, draft=True).store
    old = decode_image(store.get(before_pictures[-1])).convert("RGB")
    new = decode_image(store.get(pictures[-1])).convert("RGB")
    changed = ImageChops.difference(old, new).getbbox()
    assert changed is not None
    w, h = old.size
    left, top, right, bottom = changed
    assert left >= x0 * w - 1 and top >= y0 * h - 1
    assert right <= x1 * w + 1 and bottom <= y1 * h + 1


def test_saving_a_chapter_reloads_the_preview(running: RunningStudio, browser: Any) -> None:
    page = browser.new_page()
    page.goto(running.url + "/")
    wait_built(page)
    frame = page.frame_locator("#preview")
    expect(frame.locator("body")).to_contain_text("The Keeper", timeout=WAIT_MS)
    chapter = running.root / "chapters" / "keeper.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8") + "\nA gull watched from the rail.\n", "utf-8"
    )
    expect(frame.locator("body")).to_contain_text("A gull watched from the rail.", timeout=WAIT_MS)


def test_a_spec_error_is_shown_in_the_page_with_its_line(
    running: RunningStudio, browser: Any
) -> None:
    page = browser.new_page()
    page.goto(running.url + "/")
    wait_built(page)
    text = running.spec.read_text(encoding="utf-8")
    running.spec.write_text(text.replace("    illustrations:", "    ilustrations:", 1), "utf-8")
    error = page.locator("#build-error")
    expect(error).to_contain_text("book.yaml:", timeout=WAIT_MS)
    expect(error).to_contain_text("illustrations")
    expect(page.frame_locator("#preview").locator("body")).to_contain_text("The Keeper")


def recorded_steps(root: Path) -> dict[str, str]:
    """Key -> step of every result in the store's action index (one per model call made)."""
    store = Project.open(root, draft=True).store
    records = {key: store.lookup(key) for key in store.action_keys()}
    return {key: str(r.metadata["step"]) for key, r in records.items() if r is not None}


def test_approve_then_a_typo_in_the_chapter_costs_no_image_call(
    running: RunningStudio, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    approve = page.locator('#ill-storm-lamp button.approve[data-freeze="true"]')
    expect(approve).to_be_visible(timeout=WAIT_MS)
    wait_until(lambda: running.studio.build.snapshot()["state"] == "ok", "the first build")
    approve.click()
    expect(page.locator("#ill-storm-lamp .approved")).to_be_visible(timeout=WAIT_MS)
    assert "freeze: true" in running.spec.read_text(encoding="utf-8")
    lock = running.root / ".bookbuild" / "draft.lock"
    text_key = json.loads(lock.read_text())["steps"]["storm/text"]["key"]
    before = recorded_steps(running.root)

    text = running.spec.read_text(encoding="utf-8")
    running.spec.write_text(text.replace("About 250 words.", "About 250 words!"), "utf-8")
    wait_until(
        lambda: (
            json.loads(lock.read_text())["steps"]["storm/text"]["key"] != text_key
            and running.studio.build.snapshot()["state"] == "ok"
        ),
        "the rebuild after the typo",
    )
    after = recorded_steps(running.root)
    made = sorted(step for key, step in after.items() if key not in before)
    assert made == ["storm/text"]  # the chapter was rewritten; no picture was made
    fresh = browser.new_page()  # the first page may be reloading itself after the build
    fresh.goto(running.url + "/board")
    lamp_prompt = fresh.locator('#ill-storm-lamp [data-step="storm/lamp/prompt"]')
    expect(lamp_prompt).to_have_attribute("data-state", "frozen", timeout=WAIT_MS)


def test_brush_strokes_are_saved_as_a_mask_png_under_masks(
    running: RunningStudio, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    wait_until(lambda: running.studio.build.snapshot()["state"] == "ok", "the first build")
    page.goto(running.url + "/edit/keeper/tower")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    page.check('input[name="tool"][value="brush"]')
    drag(page, "#draw", (0.30, 0.50), (0.60, 0.50))
    page.fill("#prompt", "a row of lit windows")
    apply_and_wait(page)
    edit = yaml.safe_load(running.spec.read_text(encoding="utf-8"))["chapters"][0]["illustrations"][
        0
    ]["edits"][-1]["inpaint"]
    assert edit["prompt"] == "a row of lit windows"
    assert re.fullmatch(r"masks/keeper-tower-edit-2-[0-9a-f]{8}\.png", edit["mask"])
    with Image.open(running.root / edit["mask"]) as mask:
        assert mask.mode == "L"
        assert mask.size == (1024, 512)  # the picture after its outpaint edit
        assert mask.getpixel((460, 256)) == 255  # on the stroke
        assert mask.getpixel((100, 100)) == 0  # far from it


def open_editor(running: RunningStudio, browser: Any) -> Page:
    page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
    wait_until(lambda: running.studio.build.snapshot()["state"] == "ok", "the first build")
    page.goto(running.url + "/edit/keeper/tower")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    return page


def last_edit(running: RunningStudio) -> dict[str, Any]:
    spec = yaml.safe_load(running.spec.read_text(encoding="utf-8"))
    return spec["chapters"][0]["illustrations"][0]["edits"][-1]  # type: ignore[no-any-return]


def test_a_polygon_with_feather_and_invert_is_written_as_fractions(
    running: RunningStudio, browser: Any
) -> None:
    page = open_editor(running, browser)
    page.check('input[name="tool"][value="polygon"]')
    box = page.locator("#draw").bounding_box()
    assert box is not None
    points = [(0.2, 0.2), (0.6, 0.25), (0.4, 0.7)]
    for x, y in [*points, points[0]]:  # clicking the first point again closes it
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    page.check("#invert")
    page.locator("#feather").fill("0.02")
    page.fill("#prompt", "a starry sky")
    apply_and_wait(page)
    mask = last_edit(running)["inpaint"]["mask"]
    assert mask["invert"] is True
    assert mask["feather"] == 0.02
    for got, want in zip(mask["polygon"], points, strict=True):
        assert abs(got[0] - want[0]) <= 0.01 and abs(got[1] - want[1]) <= 0.01


def test_dragging_the_right_edge_out_writes_an_outpaint(
    running: RunningStudio, browser: Any
) -> None:
    page = open_editor(running, browser)
    page.check('input[name="op"][value="outpaint"]')
    box = page.locator("#draw").bounding_box()
    assert box is not None
    start = (box["x"] + box["width"] * 0.98, box["y"] + box["height"] * 0.5)
    grow = box["width"] * 0.25  # a quarter of the picture's width, outwards
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + grow, start[1], steps=6)
    page.mouse.up()
    expect(page.locator("#margins")).to_contain_text("+256px right")
    page.fill("#prompt", "more cliffs")
    apply_and_wait(page)
    assert last_edit(running) == {"outpaint": {"right": 256, "prompt": "more cliffs"}}
