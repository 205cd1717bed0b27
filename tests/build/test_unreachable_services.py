"""Issue 19, item 10: a service that accepts no connection is found by one TCP probe before any
step (exit 2, one message naming the URL, nothing sent), and a service that goes down during a
build fails its steps in seconds: the first failure stops the provider's later steps from
being sent at all."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BuildFailed, ServiceUnreachable
from bookbuild.project import Project
from tests.fakes.sdapi_server import FakeSDAPI

PICTURES = 4


def _book(root: Path) -> Path:
    pictures = "".join(
        f'      - id: p{n}\n        prompt: "picture {n}"\n        seed: {n}\n'
        for n in range(PICTURES)
    )
    (root / "book.yaml").write_text(
        "title: Down\nauthors: [Ann]\nlanguage: en\n"
        "models:\n  painter: {provider: sdapi, model: sdxl, width: 64, height: 64}\n"
        "defaults: {image: painter}\n"
        "chapters:\n  - id: one\n    title: One\n    text: Hello.\n    illustrations:\n" + pictures,
        encoding="utf-8",
    )
    return root


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_service_that_is_down_stops_the_build_before_any_step_naming_its_url(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    book = _book(tmp_path)
    env = {"SDAPI_KEY": "k", "SDAPI_BASE_URL": url}
    events: list[Event] = []
    with pytest.raises(ServiceUnreachable) as down:
        make(Project.open(book, env=env), MakeOptions(formats=("html",)), events.append)
    assert url in str(down.value) and "`painter`" in str(down.value)
    assert "nothing was sent" in str(down.value)
    assert down.value.exit_code == 2
    assert not [e for e in events if e.kind in ("step_started", "step_retried")]


def test_the_cli_exits_2_with_one_line_per_unreachable_address(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    book = _book(tmp_path)
    env = {"SDAPI_KEY": "k", "SDAPI_BASE_URL": url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "bookbuild", "make", str(book), "--format", "html"],
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count(url) == 1 and "Traceback" not in done.stderr


def test_a_service_that_goes_down_mid_build_is_not_sent_the_remaining_steps(
    tmp_path: Path,
) -> None:
    book = _book(tmp_path)
    events: list[Event] = []
    with FakeSDAPI() as fake:
        env = fake.env

        def on_event(event: Event) -> None:
            events.append(event)
            if event.kind == "step_done" and event.step_id.endswith("/image"):
                fake.stop()  # the server goes away after its first picture

        with pytest.raises(BuildFailed) as failed:
            make(Project.open(book, env=env), MakeOptions(formats=("html",), jobs=1), on_event)
    failures = failed.value.failures  # (the step queued behind the first may have finished)
    assert len(failures) >= PICTURES - 2
    not_sent = [m for m in failures.values() if m.startswith("not sent")]
    assert len(not_sent) == len(failures) - 1  # only the first step after the stop tried at all
    assert all(fake.base_url in m for m in not_sent)
    retries = [e for e in events if e.kind == "step_retried"]
    assert len(retries) <= 2  # the step that met the refusal: 3 attempts, not 8
