"""Iterating on one edit in headless Chromium with real mouse events: re-roll, variants of an
edit and of the picture, and an edit changed in place; book.yaml keeps its comments."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.studio.conftest import RunningStudio
from tests.studio.helpers import change_and_build, post, snapshot, tower, wait_builds, wait_until

WAIT_MS = 120_000


def comments(running: RunningStudio) -> list[str]:
    lines = running.spec.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.lstrip().startswith("#")]


def click(page: Page, selector: str) -> None:
    """A real mouse click in the middle of the element, once it is visible, stable and the
    topmost thing at that point (Playwright's actionability checks: a board refreshed in place
    between measuring the button and clicking it does not swallow the click)."""
    page.locator(selector).click(timeout=WAIT_MS)


def refreshed(page: Page, before: int) -> None:
    page.wait_for_function(
        "n => Number(document.body.dataset.refreshed || 0) > n", arg=before, timeout=WAIT_MS
    )


def count(page: Page) -> int:
    return int(page.evaluate("() => Number(document.body.dataset.refreshed || 0)"))


def test_reroll_variants_and_change_an_edit_in_place(running: RunningStudio, browser: Any) -> None:
    wait_builds(running, 1)
    kept = comments(running)
    edit = {"op": "inpaint", "shape": {"rect": [0.2, 0.2, 0.5, 0.6]}, "prompt": "a lantern"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    seed = int(
        page.locator('[data-step="keeper/tower/edit-2"] .seed').first.inner_text().split()[1]
    )

    n = count(page)
    click(page, "#ill-keeper-tower-reroll-1")
    wait_until(lambda: tower(running)["edits"][1]["inpaint"].get("seed") == seed + 1, "re-roll")
    refreshed(page, n)
    assert page.evaluate("() => window.scrollY") >= 0  # no reload: the same document
    expect(page.locator("#ill-keeper-tower-reroll-1")).to_be_focused()

    n = count(page)
    page.locator("#ill-keeper-tower .variant-count").fill("3")
    click(page, "#ill-keeper-tower-variants-1")
    wait_until(lambda: tower(running)["edits"][1]["inpaint"].get("seed") == seed + 2, "variants")
    refreshed(page, n)
    variants = page.locator('[data-step="keeper/tower/edit-2"] figure.variant')
    expect(variants).to_have_count(5, timeout=WAIT_MS)  # the first, the re-roll and 3 variants
    n = count(page)
    click(page, f"#ill-keeper-tower-seed-1-{seed + 4}")
    wait_until(lambda: tower(running)["edits"][1]["inpaint"]["seed"] == seed + 4, "choose a seed")
    refreshed(page, n)
    # the chosen variant's button is gone: the focus goes to the illustration's heading
    expect(page.locator("#ill-keeper-tower-title")).to_be_focused()
    calls = snapshot(running)["calls"]

    n = count(page)
    page.locator("#ill-keeper-tower .variant-count").fill("2")
    click(page, "#ill-keeper-tower-variants")
    wait_until(lambda: tower(running).get("take") == 2, "picture variants")
    refreshed(page, n)
    expect(page.locator("#ill-keeper-tower figure.take")).to_have_count(3, timeout=WAIT_MS)
    assert snapshot(running)["calls"] > calls

    assert comments(running) == kept


def test_an_edit_changed_in_place_keeps_its_place_seed_and_the_comments(
    running: RunningStudio,
) -> None:
    wait_builds(running, 1)
    kept = comments(running)
    edit = {"op": "inpaint", "shape": {"rect": [0.2, 0.2, 0.5, 0.6]}, "prompt": "a lantern"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    new = {
        "prompt": "a lantern, glowing",
        "negative_prompt": "smoke",
        "strength": 0.6,
        "seed": 11,
        "shape": {"rect": [0.6, 0.1, 0.9, 0.4]},
    }
    change_and_build(running, "/api/edit/change", {"ill": "keeper/tower", "index": 1, "edit": new})
    assert tower(running)["edits"][1] == {
        "inpaint": {
            "mask": {"rect": [0.6, 0.1, 0.9, 0.4]},
            "prompt": "a lantern, glowing",
            "negative_prompt": "smoke",
            "strength": 0.6,
            "seed": 11,
        }
    }
    assert len(tower(running)["edits"]) == 2
    assert comments(running) == kept


def test_the_editor_changes_an_edit_in_place_with_the_mouse(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    kept = comments(running)
    edit = {"op": "inpaint", "shape": {"rect": [0.2, 0.2, 0.5, 0.6]}, "prompt": "a lantern"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    click(page, '[data-step="keeper/tower/edit-2"] a.change-edit')
    page.wait_for_url("**/edit/keeper/tower?change=1")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    expect(page.locator("#prompt")).to_have_value("a lantern")
    page.fill("#prompt", "a lantern, glowing")
    page.fill("#negative", "smoke")
    page.fill("#seed", "21")
    options = page.locator("#presets option")
    assert [options.nth(n).get_attribute("value") for n in range(2)] == ["painter", "writer"]
    page.fill("#model", "painter")
    page.locator("#strength").fill("0.6")
    expect(page.locator('output[for="strength"]')).to_have_text("0.6")
    box = page.locator("#draw").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.4, steps=5)
    page.mouse.up()
    click(page, "#apply")
    page.wait_for_url("**/board#ill-keeper-tower", timeout=WAIT_MS)
    changed = tower(running)["edits"][1]["inpaint"]
    assert changed["prompt"] == "a lantern, glowing"
    assert (changed["negative_prompt"], changed["strength"], changed["seed"]) == ("smoke", 0.6, 21)
    assert changed["model"] == "painter"
    x0, y0, x1, y1 = changed["mask"]["rect"]
    assert (
        abs(x0 - 0.6) < 0.01
        and abs(y0 - 0.1) < 0.01
        and abs(x1 - 0.9) < 0.01
        and abs(y1 - 0.4) < 0.01
    )
    assert len(tower(running)["edits"]) == 2
    assert comments(running) == kept


def test_two_variants_of_an_edit_compare_full_size(running: RunningStudio, browser: Any) -> None:
    wait_builds(running, 1)
    edit = {"op": "inpaint", "shape": {"rect": [0.2, 0.2, 0.5, 0.6]}, "prompt": "a lantern"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    change_and_build(running, "/api/variants", {"ill": "keeper/tower", "index": 1, "count": 2})
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    variants = page.locator('[data-step="keeper/tower/edit-2"] figure.variant')
    expect(variants).to_have_count(3)  # the first and two variants
    seeds = [variants.nth(n).get_attribute("data-seed") for n in (0, 2)]
    picks = [variants.nth(n).locator(".pick-compare") for n in (0, 2)]
    fulls = [pick.get_attribute("data-full") for pick in picks]
    assert fulls[0] != fulls[1]
    compare = page.locator("#ill-keeper-tower .compare-takes")
    picks[0].check()
    expect(compare).to_be_disabled()
    picks[1].check()
    click(page, "#ill-keeper-tower .compare-takes")
    viewer = page.locator("#viewer")
    expect(viewer.locator(".v-first")).to_have_attribute("src", fulls[0] or "")
    expect(viewer.locator(".v-second")).to_have_attribute("src", fulls[1] or "")
    expect(viewer.locator(".v-labels")).to_have_text(
        f"edit 2: inpaint · seed {seeds[0]} ⟷ edit 2: inpaint · seed {seeds[1]}"
    )


def test_an_edit_changed_to_another_model_preset_and_to_an_unknown_one(
    running: RunningStudio,
) -> None:
    wait_builds(running, 1)
    edit = {"op": "inpaint", "shape": {"rect": [0.2, 0.2, 0.5, 0.6]}, "prompt": "a lantern"}
    change_and_build(running, "/api/edit", {"ill": "keeper/tower", "edit": edit})
    before = running.spec.read_text(encoding="utf-8")
    status, answer = post(
        running, "/api/edit/change", {"ill": "keeper/tower", "index": 1, "edit": {"model": "nope"}}
    )
    assert status == 400 and "book.yaml:" in answer["error"] and "nope" in answer["error"]
    assert running.spec.read_text(encoding="utf-8") == before  # nothing written
    change = {"ill": "keeper/tower", "index": 1, "edit": {"model": "painter"}}
    change_and_build(running, "/api/edit/change", change)
    assert tower(running)["edits"][1]["inpaint"]["model"] == "painter"
    assert tower(running)["edits"][1]["inpaint"]["prompt"] == "a lantern"
    change = {"ill": "keeper/tower", "index": 1, "edit": {"model": None}}
    change_and_build(running, "/api/edit/change", change)
    assert "model" not in tower(running)["edits"][1]["inpaint"]


def test_an_outpaint_is_changed_in_place_by_dragging_its_edges(
    running: RunningStudio, browser: Any
) -> None:
    wait_builds(running, 1)
    kept = comments(running)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(running.url + "/board")
    click(page, '[data-step="keeper/tower/edit-1"] a.change-edit')
    page.wait_for_url("**/edit/keeper/tower?change=0")
    page.wait_for_function("() => document.getElementById('draw').width > 0")
    expect(page.locator('input[name="op"][value="outpaint"]')).to_be_checked()
    expect(page.locator('input[name="op"][value="inpaint"]')).to_be_disabled()
    expect(page.locator("#strength")).to_have_count(0)  # an outpaint has no strength
    expect(page.locator("#margins")).to_contain_text("+128px left, +128px right")
    box = page.locator("#draw").bounding_box()
    assert box is not None
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(x, box["y"] + 5 - box["height"] / 4, steps=5)  # the top edge, a quarter up
    page.mouse.up()
    expect(page.locator("#margins")).to_contain_text("+128px up")  # 512 px tall: 128 px
    page.fill("#prompt", "a starry sky")
    page.fill("#seed", "9")
    click(page, "#apply")
    page.wait_for_url("**/board#ill-keeper-tower", timeout=WAIT_MS)
    assert tower(running)["edits"][0] == {
        "outpaint": {"left": 128, "right": 128, "up": 128, "prompt": "a starry sky", "seed": 9}
    }
    assert comments(running) == kept


def test_a_field_the_edit_does_not_take_is_refused(running: RunningStudio) -> None:
    wait_builds(running, 1)
    before = running.spec.read_text(encoding="utf-8")
    change = {"ill": "keeper/tower", "index": 0, "edit": {"strength": 0.5}}
    status, answer = post(running, "/api/edit/change", change)
    assert status == 400 and answer["error"] == "an outpaint edit has no strength to change"
    assert running.spec.read_text(encoding="utf-8") == before
