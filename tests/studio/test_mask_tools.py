"""The region editor's mask tools in headless Chromium: regions added and cut out, brush and
eraser, undo/redo, the brush cursor's real size, zoom, keyboard drawing, mask padding."""

from __future__ import annotations

from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect

from tests.studio.conftest import RunningStudio
from tests.studio.helpers import change_and_build, tower, wait_builds
from tests.studio.test_fixes import brush_png

WAIT_MS = 120_000


def open_editor(running: RunningStudio, browser: Any) -> Page:
    wait_builds(running, 1)
    page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/edit/keeper/tower")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    return page


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=6)
    page.mouse.up()


def apply(page: Page, running: RunningStudio, prompt: str) -> dict[str, Any]:
    page.fill("#prompt", prompt)
    expect(page.locator("#forecast")).to_contain_text("free", timeout=WAIT_MS)
    page.click("#apply")
    page.wait_for_url("**/board#ill-keeper-tower", timeout=WAIT_MS)
    return tower(running)["edits"][-1]["inpaint"]  # type: ignore[no-any-return]


def test_regions_added_cut_brushed_erased_and_undone_make_one_painted_mask(
    running: RunningStudio, browser: Any
) -> None:
    page = open_editor(running, browser)
    drag(page, (0.1, 0.1), (0.5, 0.9))  # a rectangle, added
    page.check('input[name="mode"][value="subtract"]')
    drag(page, (0.2, 0.3), (0.3, 0.5))  # cut out of it
    page.check('input[name="mode"][value="add"]')
    page.check('input[name="tool"][value="brush"]')
    drag(page, (0.7, 0.5), (0.9, 0.5))  # a stroke
    page.check('input[name="tool"][value="eraser"]')
    drag(page, (0.8, 0.3), (0.8, 0.7))  # erased across the stroke
    page.check('input[name="tool"][value="rect"]')
    drag(page, (0.6, 0.8), (0.65, 0.9))
    expect(page.locator("#region-count")).to_have_text("5 region(s)")
    page.click("#undo")
    page.click("#redo")
    page.keyboard.press("Control+z")  # the small rectangle goes again
    expect(page.locator("#region-count")).to_have_text("4 region(s)")
    expect(page.locator("#redo")).to_be_enabled()

    edit = apply(page, running, "a flock of gulls")
    assert isinstance(edit["mask"], str) and edit["mask"].startswith("masks/")
    with Image.open(running.root / edit["mask"]) as mask:
        w, h = mask.size

        def at(x: float, y: float) -> int:
            return int(mask.getpixel((int(x * w), int(y * h))))  # type: ignore[arg-type]

        assert at(0.15, 0.5) == 255  # in the rectangle
        assert at(0.25, 0.4) == 0  # cut out of it
        assert at(0.75, 0.5) == 255  # on the stroke
        assert at(0.8, 0.5) == 0  # erased
        assert at(0.62, 0.85) == 0  # undone
        assert at(0.95, 0.1) == 0


def test_the_brush_cursor_has_the_brush_size_on_screen(
    running: RunningStudio, browser: Any
) -> None:
    page = open_editor(running, browser)
    page.check('input[name="tool"][value="brush"]')
    page.locator("#brush-size").fill("80")
    expect(page.locator('output[for="brush-size"]')).to_have_text("80 px")
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    cursor = page.locator("#cursor").bounding_box()
    assert cursor is not None
    scale = box["width"] / 1024  # the picture is 1024 px wide
    assert abs(cursor["width"] - 80 * scale) <= 2.5  # its border included
    assert abs(cursor["x"] + cursor["width"] / 2 - (box["x"] + box["width"] / 2)) <= 1.5


def test_a_rectangle_drawn_zoomed_in_is_written_as_the_same_fractions(
    running: RunningStudio, browser: Any
) -> None:
    page = open_editor(running, browser)
    before = page.locator("#draw").bounding_box()
    page.click("#zoom-in")
    page.click("#zoom-in")
    expect(page.locator("#zoom-value")).to_have_text("156%")
    after = page.locator("#draw").bounding_box()
    assert before is not None and after is not None
    assert abs(after["width"] / before["width"] - 1.5625) < 0.02
    page.locator(".stage-box").evaluate("box => box.scrollTo(0, 0)")
    drag(page, (0.1, 0.2), (0.3, 0.4))
    x0, y0, x1, y1 = apply(page, running, "a bell")["mask"]["rect"]
    assert max(abs(x0 - 0.1), abs(y0 - 0.2), abs(x1 - 0.3), abs(y1 - 0.4)) < 0.01


def test_a_region_can_be_drawn_with_the_keyboard(running: RunningStudio, browser: Any) -> None:
    page = open_editor(running, browser)
    page.focus("#stage")
    page.keyboard.press("Enter")  # a selection in the middle: 40%..60%
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    for _ in range(5):
        page.keyboard.press("Shift+ArrowDown")
    expect(page.locator("#region-status")).to_contain_text("50, 40, 70, 65")
    page.keyboard.press("Enter")
    expect(page.locator("#region-count")).to_have_text("1 region(s)")
    assert page.evaluate("() => document.activeElement.id") == "stage"
    rect = apply(page, running, "a window")["mask"]["rect"]
    assert max(abs(a - b) for a, b in zip(rect, (0.5, 0.4, 0.7, 0.65), strict=True)) < 0.002


def test_mask_padding_grows_the_painted_mask(running: RunningStudio) -> None:
    wait_builds(running, 1)
    edit = {"op": "inpaint", "brush": brush_png((1024, 512)), "grow": 12, "prompt": "a boat"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    with Image.open(running.root / tower(running)["edits"][-1]["inpaint"]["mask"]) as mask:
        assert mask.getpixel((95, 150)) == 255  # painted from x=100: grown by 12 px
        assert mask.getpixel((85, 150)) == 0
        assert mask.getpixel((305, 150)) == 255


def test_ctrl_wheel_zooms_at_the_pointer_and_space_drag_pans(
    running: RunningStudio, browser: Any
) -> None:
    page = open_editor(running, browser)
    box = page.locator("#draw").bounding_box()
    assert box is not None
    at = (box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6)
    page.mouse.move(*at)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -100)
    page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    expect(page.locator("#zoom-value")).to_have_text("156%")
    zoomed = page.locator("#draw").bounding_box()
    assert zoomed is not None
    assert abs(zoomed["width"] / box["width"] - 1.5625) < 0.02
    # the point of the picture under the pointer is still under it
    assert abs(zoomed["x"] + 0.7 * zoomed["width"] - at[0]) <= 2
    assert abs(zoomed["y"] + 0.6 * zoomed["height"] - at[1]) <= 2

    page.focus("#stage")
    page.keyboard.down(" ")
    page.mouse.down()
    page.mouse.move(at[0] + 120, at[1] + 80, steps=4)
    page.mouse.up()
    page.keyboard.up(" ")
    panned = page.locator("#draw").bounding_box()
    assert panned is not None
    assert abs(panned["x"] - zoomed["x"] - 120) <= 2 and abs(panned["y"] - zoomed["y"] - 80) <= 2
    expect(page.locator("#region-count")).to_have_text("0 region(s)")  # panning drew nothing

    page.mouse.move(at[0], at[1])
    page.mouse.down(button="middle")
    page.mouse.move(at[0] - 60, at[1], steps=3)
    page.mouse.up(button="middle")
    again = page.locator("#draw").bounding_box()
    assert again is not None and abs(again["x"] - panned["x"] + 60) <= 2

    page.keyboard.press("]")
    expect(page.locator('output[for="brush-size"]')).to_have_text("44 px")
    drag(page, (0.5, 0.5), (0.6, 0.6))  # drawing zoomed and panned: the same fractions
    x0, y0, x1, y1 = apply(page, running, "a bell")["mask"]["rect"]
    assert max(abs(x0 - 0.5), abs(y0 - 0.5), abs(x1 - 0.6), abs(y1 - 0.6)) < 0.01


def test_an_outpaint_can_be_drawn_with_the_keyboard(running: RunningStudio, browser: Any) -> None:
    page = open_editor(running, browser)
    page.check('input[name="op"][value="outpaint"]')
    page.focus("#stage")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#region-status")).to_have_text(
        "new canvas: +0px left, +64px right, +64px up, +0px down"
    )
    assert page.evaluate("() => document.activeElement.id") == "stage"
    page.fill("#prompt", "more sky")
    expect(page.locator("#forecast")).to_contain_text("free", timeout=WAIT_MS)
    page.click("#apply")
    page.wait_for_url("**/board#ill-keeper-tower", timeout=WAIT_MS)
    assert tower(running)["edits"][-1] == {
        "outpaint": {"right": 64, "up": 64, "prompt": "more sky"}
    }
