"""Only the studio's own page may change the book, and only inside the book folder."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.studio.conftest import RunningStudio

INPAINT = {
    "ill": "keeper/tower",
    "edit": {"op": "inpaint", "shape": {"rect": [0.1, 0.1, 0.3, 0.3]}, "prompt": "a gull"},
}


def page_token(running: RunningStudio) -> str:
    html = requests.get(running.url + "/", timeout=30).text
    found = re.search(r'<meta name="studio-token" content="([^"]+)">', html)
    assert found is not None
    return found.group(1)


def wait_for_pictures(running: RunningStudio) -> None:
    """The first build (started with the studio) has pinned the tower's pictures."""
    while True:
        state = requests.get(running.url + "/api/status", timeout=30).json()
        if state["generation"] >= 1:
            return
        assert state["state"] != "error", state["message"]
        requests.get(running.url + "/events", timeout=30, stream=True).close()


def post(running: RunningStudio, headers: dict[str, str], body: Any = INPAINT) -> Any:
    return requests.post(running.url + "/api/edit", json=body, headers=headers, timeout=120)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Studio-Token": "guessed"},
    ],
    ids=["no-token", "wrong-token"],
)
def test_a_write_without_the_page_token_is_refused(
    running: RunningStudio, headers: dict[str, str]
) -> None:
    before = running.spec.read_bytes()
    answer = post(running, headers)
    assert answer.status_code == 403
    assert "token" in answer.json()["error"]
    assert running.spec.read_bytes() == before


@pytest.mark.parametrize(
    "extra",
    [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["foreign-origin", "cross-site-fetch"],
)
def test_a_cross_site_write_is_refused_even_with_the_token(
    running: RunningStudio, extra: dict[str, str]
) -> None:
    before = running.spec.read_bytes()
    answer = post(running, {"X-Studio-Token": page_token(running), **extra})
    assert answer.status_code == 403
    assert "cross-site" in answer.json()["error"]
    assert running.spec.read_bytes() == before


def test_a_form_post_is_refused(running: RunningStudio) -> None:
    answer = requests.post(
        running.url + "/api/edit",
        data={"ill": "keeper/tower"},
        headers={"X-Studio-Token": page_token(running)},
        timeout=30,
    )
    assert answer.status_code == 403


def test_a_foreign_host_header_is_refused_for_reads_too(running: RunningStudio) -> None:
    answer = requests.get(running.url + "/board", headers={"Host": "rebound.example"}, timeout=30)
    assert answer.status_code == 400


def test_the_page_token_and_same_origin_write_the_edit(running: RunningStudio) -> None:
    wait_for_pictures(running)
    headers = {"X-Studio-Token": page_token(running), "Origin": running.url}
    answer = post(running, headers)
    assert answer.status_code == 200, answer.text
    assert "rect: [0.1, 0.1, 0.3, 0.3]" in running.spec.read_text(encoding="utf-8")


def test_a_masks_folder_leading_outside_the_book_is_refused(
    running: RunningStudio, tmp_path: Path
) -> None:
    wait_for_pictures(running)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (running.root / "masks").symlink_to(outside, target_is_directory=True)
    import base64
    import io

    from PIL import Image

    size = (1024, 512)  # the tower after its outpaint edit
    painted = Image.new("L", size, 0)
    painted.paste(255, (100, 100, 300, 300))
    buffer = io.BytesIO()
    painted.save(buffer, format="PNG")
    brush = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    body = {"ill": "keeper/tower", "edit": {"op": "inpaint", "brush": brush, "prompt": "a gull"}}
    before = running.spec.read_bytes()
    answer = post(running, {"X-Studio-Token": page_token(running)}, body)
    assert answer.status_code == 400
    assert "leaves the book folder" in answer.json()["error"]
    assert list(outside.iterdir()) == []
    assert running.spec.read_bytes() == before


def test_prompts_are_shown_escaped_on_the_board(running: RunningStudio) -> None:
    text = running.spec.read_text(encoding="utf-8")
    marked = text.replace(
        'prompt: "an old lighthouse', 'prompt: "<script>alert(1)</script> an old lighthouse'
    )
    running.spec.write_text(marked, encoding="utf-8")
    html = requests.get(running.url + "/board", timeout=60).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_the_studio_waits_for_a_make_holding_the_build_lock(book: Path) -> None:
    """The studio's builds are the library's make: one build lock per book for both."""
    from bookbuild.store.buildlock import exclusive_build
    from tests.studio.conftest import start_studio

    def log() -> str:
        return " ".join(running.studio.build.snapshot()["log"])

    with exclusive_build(book / ".bookbuild", lambda owner: None):  # as a CLI make would
        running, server = start_studio(book)
        while "build_waiting" not in log():
            time.sleep(0.05)
        assert running.studio.build.snapshot()["state"] == "building"
        assert not (book / "build" / "index.html").exists()
    try:
        while running.studio.build.snapshot()["state"] != "ok":
            time.sleep(0.05)
        assert (book / "build" / "index.html").is_file()
    finally:
        server.stop()
