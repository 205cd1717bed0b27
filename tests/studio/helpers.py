"""Waiting on the studio's own state, and its write API as the page uses it."""

from __future__ import annotations

import re
from typing import Any

import requests
import yaml

from tests.helpers.waiting import wait_until
from tests.studio.conftest import RunningStudio

WAIT_S = 120.0


def snapshot(running: RunningStudio) -> dict[str, Any]:
    return running.studio.build.snapshot()  # type: ignore[no-any-return]


def wait_builds(running: RunningStudio, count: int) -> dict[str, Any]:
    """Wait until `count` builds have finished (ok, error or waiting for approval)."""

    def done() -> bool:
        state = snapshot(running)
        return bool(state["builds"] >= count and state["state"] in ("ok", "error", "approval"))

    wait_until(done, f"build number {count}")
    return snapshot(running)


def token(running: RunningStudio) -> str:
    html = requests.get(running.url + "/", timeout=30).text
    found = re.search(r'name="studio-token" content="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def post(running: RunningStudio, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {"X-Studio-Token": token(running), "Origin": running.url}
    answer = requests.post(running.url + path, json=body, headers=headers, timeout=120)
    return answer.status_code, answer.json()


def change_and_build(running: RunningStudio, path: str, body: dict[str, Any]) -> Any:
    """A studio write, then its build (one build: the watcher's echo is skipped)."""
    builds = snapshot(running)["builds"]
    status, answer = post(running, path, body)
    assert status == 200, answer
    state = wait_builds(running, builds + 1)
    assert state["state"] == "ok", state["message"]
    return answer


def tower(running: RunningStudio) -> dict[str, Any]:
    spec = yaml.safe_load(running.spec.read_text(encoding="utf-8"))
    return spec["chapters"][0]["illustrations"][0]  # type: ignore[no-any-return]
