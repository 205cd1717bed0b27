"""Without --draft, nothing that costs money happens before the page approves its forecast."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import BUILD_STATE
from tests.studio.conftest import SAMPLES, RunningStudio, start_studio


@pytest.fixture
def paid_studio(tmp_path: Path) -> Iterator[RunningStudio]:
    root = tmp_path / "lighthouse-fox"
    shutil.copytree(SAMPLES / "lighthouse-fox", root, ignore=BUILD_STATE)
    running, server = start_studio(root, draft=False)
    try:
        yield running
    finally:
        server.stop()


def wait_state(running: RunningStudio, wanted: str) -> dict[str, object]:
    with requests.get(running.url + "/events", stream=True, timeout=120) as events:
        for line in events.iter_lines(decode_unicode=True):
            if line.startswith("data: ") and f'"state": "{wanted}"' in line:
                return requests.get(running.url + "/api/status", timeout=30).json()  # type: ignore[no-any-return]
    raise AssertionError(f"the studio never reached {wanted}")


def test_a_build_that_would_pay_waits_for_approval_and_calls_nothing(
    paid_studio: RunningStudio,
) -> None:
    state = wait_state(paid_studio, "approval")
    forecast = state["forecast"]
    assert isinstance(forecast, dict)
    assert forecast["paid"] is True
    assert forecast["calls"] > 0
    assert state["calls"] == 0
    assert not (paid_studio.root / "book.lock").exists()


def test_a_paid_change_answers_with_its_forecast_and_writes_nothing(
    paid_studio: RunningStudio,
) -> None:
    html = requests.get(paid_studio.url + "/", timeout=30).text
    token = re.search(r'name="studio-token" content="([^"]+)"', html)
    assert token is not None
    before = paid_studio.spec.read_bytes()
    answer = requests.post(
        paid_studio.url + "/api/take",
        json={"ill": "keeper/tower", "take": 2},
        headers={"X-Studio-Token": token.group(1)},
        timeout=120,
    )
    assert answer.status_code == 409
    assert answer.json()["needs_approval"]["calls"] > 0
    assert paid_studio.spec.read_bytes() == before
