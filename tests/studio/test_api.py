"""The studio's write endpoints change book.yaml as the page asks, through the real server."""

from __future__ import annotations

import re
from typing import Any

import requests
import yaml

from tests.studio.conftest import RunningStudio
from tests.studio.test_security import wait_for_pictures


def client(running: RunningStudio) -> Any:
    html = requests.get(running.url + "/", timeout=30).text
    found = re.search(r'name="studio-token" content="([^"]+)"', html)
    assert found is not None
    headers = {"X-Studio-Token": found.group(1), "Origin": running.url}

    def post(path: str, body: dict[str, Any]) -> Any:
        answer = requests.post(running.url + path, json=body, headers=headers, timeout=120)
        return answer.status_code, answer.json()

    return post


def tower(running: RunningStudio) -> dict[str, Any]:
    spec = yaml.safe_load(running.spec.read_text(encoding="utf-8"))
    return spec["chapters"][0]["illustrations"][0]  # type: ignore[no-any-return]


def test_outpaint_margins_dragged_in_the_editor_are_written_as_pixels(
    running: RunningStudio,
) -> None:
    wait_for_pictures(running)
    post = client(running)
    edit = {"op": "outpaint", "left": 0, "right": 64, "up": 0, "down": 32, "prompt": "more sea"}
    status, answer = post("/api/edit", {"ill": "keeper/tower", "edit": edit})
    assert status == 200, answer
    assert tower(running)["edits"][-1] == {
        "outpaint": {"right": 64, "down": 32, "prompt": "more sea"}
    }


def test_an_edit_inserted_after_the_base_picture_goes_first(running: RunningStudio) -> None:
    wait_for_pictures(running)
    post = client(running)
    edit = {"op": "inpaint", "shape": {"ellipse": [0.1, 0.1, 0.4, 0.3]}, "prompt": "a moon"}
    status, answer = post("/api/edit", {"ill": "keeper/tower", "at": 0, "edit": edit})
    assert status == 200, answer
    edits = tower(running)["edits"]
    assert edits[0] == {"inpaint": {"mask": {"ellipse": [0.1, 0.1, 0.4, 0.3]}, "prompt": "a moon"}}
    assert edits[1] == {"outpaint": {"left": 128, "right": 128}}


def test_remove_and_move_edits(running: RunningStudio) -> None:
    wait_for_pictures(running)
    post = client(running)
    edit = {"op": "inpaint", "shape": {"rect": [0.5, 0.5, 0.9, 0.9]}, "prompt": "a boat"}
    assert post("/api/edit", {"ill": "keeper/tower", "edit": edit})[0] == 200
    assert post("/api/edit/move", {"ill": "keeper/tower", "index": 1, "to": 0})[0] == 200
    assert [next(iter(e)) for e in tower(running)["edits"]] == ["inpaint", "outpaint"]
    assert post("/api/edit/remove", {"ill": "keeper/tower", "index": 0})[0] == 200
    assert tower(running)["edits"] == [{"outpaint": {"left": 128, "right": 128}}]
    status, answer = post("/api/edit/remove", {"ill": "keeper/tower", "index": 5})
    assert status == 400
    assert "edit index" in answer["error"]


def test_new_take_and_choosing_an_earlier_one(running: RunningStudio) -> None:
    wait_for_pictures(running)
    post = client(running)
    assert post("/api/take", {"ill": "keeper/tower"})[0] == 200
    assert tower(running)["take"] == 2
    assert post("/api/take", {"ill": "keeper/tower", "take": 1})[0] == 200
    assert tower(running)["take"] == 1


def test_an_edit_that_makes_the_spec_invalid_is_refused_with_its_line(
    running: RunningStudio,
) -> None:
    wait_for_pictures(running)
    post = client(running)
    before = running.spec.read_bytes()
    edit = {"op": "inpaint", "shape": {"rect": [0.0, 0.0, 1.0, 1.0]}, "prompt": "everything"}
    status, answer = post("/api/edit", {"ill": "keeper/tower", "edit": edit})
    assert status == 400
    assert re.search(r"book\.yaml:\d+:\d+: the mask is all white", answer["error"])
    assert running.spec.read_bytes() == before


def test_an_empty_prompt_or_region_is_explained(running: RunningStudio) -> None:
    wait_for_pictures(running)
    post = client(running)
    no_prompt = {"op": "inpaint", "shape": {"rect": [0.1, 0.1, 0.2, 0.2]}, "prompt": " "}
    status, answer = post("/api/edit", {"ill": "keeper/tower", "edit": no_prompt})
    assert (status, "prompt is empty" in answer["error"]) == (400, True)
    no_region = {"op": "inpaint", "prompt": "a gull"}
    status, answer = post("/api/edit", {"ill": "keeper/tower", "edit": no_region})
    assert (status, "draw a region" in answer["error"]) == (400, True)
    status, answer = post("/api/edit", {"ill": "keeper/nope", "edit": no_region})
    assert (status, "no illustration" in answer["error"]) == (400, True)


def test_the_board_lists_every_stored_take_with_its_seed(running: RunningStudio) -> None:
    import time

    from bookbuild.project import Project
    from bookbuild.reports.board import board

    wait_for_pictures(running)
    post = client(running)
    assert post("/api/take", {"ill": "keeper/tower"})[0] == 200

    def takes() -> list[Any]:
        views = board(Project.open(running.root, draft=True))
        return next(v for v in views if v.key == "keeper/tower").takes

    deadline = time.monotonic() + 120  # guards against a hang only
    while not (len(takes()) == 2 and all(t.digest for t in takes())):
        assert time.monotonic() < deadline, "the new take was never built"
        time.sleep(0.1)
    first, second = takes()
    assert (first.number, first.seed, first.current) == (1, 3, False)
    assert (second.number, second.seed, second.current) == (2, 4, True)
    assert first.digest != second.digest
