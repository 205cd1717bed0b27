"""Issue 19, item 10: a service that accepts no connection is found by one TCP probe before any
step (exit 2, one message naming the URL, nothing sent), and a service that goes down during a
build fails its steps in seconds: the first failure stops the provider's later steps from
being sent at all."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BuildFailed, ServiceUnreachable
from bookbuild.project import Project
from tests.fakes.sdapi_server import FakeSDAPI, Recorded

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


def _build_while_it_dies(book: Path, dies_after: Callable[[Recorded, int], bool]) -> Outage:
    """Build `book` on a fake that dies (refuses every connection, drops the kept-alive ones)
    right after writing the answer `dies_after` picks: no step is between two requests then,
    so what each step meets does not depend on thread timing."""
    events: list[Event] = []
    with FakeSDAPI() as fake:

        def after(request: Recorded, status: int) -> None:
            if dies_after(request, status):
                fake.go_down()

        fake.after_reply(after)
        with pytest.raises(BuildFailed) as failed:
            make(
                Project.open(book, env=fake.env),
                MakeOptions(formats=("html",), jobs=1),
                events.append,
            )
        return Outage(fake.base_url, failed.value.failures, events, len(fake.paid))


@dataclass
class Outage:
    url: str
    failures: dict[str, str]
    events: list[Event]
    paid: int

    def retries(self) -> list[Event]:
        return [e for e in self.events if e.kind == "step_retried"]

    def not_sent(self) -> list[str]:
        return [m for m in self.failures.values() if m.startswith("not sent")]


def test_a_service_that_goes_down_mid_build_is_not_sent_the_remaining_steps(
    tmp_path: Path,
) -> None:
    outage = _build_while_it_dies(_book(tmp_path), lambda r, status: r.route == "file")
    assert outage.paid == 1  # the first picture, downloaded whole before the server died
    assert len(outage.failures) == PICTURES - 1
    assert len(outage.not_sent()) == PICTURES - 2  # only the first step after the death tried
    assert all(outage.url in m and "stopped accepting" in m for m in outage.not_sent())
    tried = [m for m in outage.failures.values() if not m.startswith("not sent")]
    assert "cannot connect" in tried[0] and "gave up after 3 attempts" in tried[0]
    assert len(outage.retries()) == 2  # that step: 3 connects, not 8 with minutes of backoff


def test_a_download_from_a_service_that_died_is_tried_three_times_not_eight(
    tmp_path: Path,
) -> None:
    submits = iter(range(1, 10))
    second_submit = lambda r, status: r.is_submit and next(submits) == 2  # noqa: E731
    outage = _build_while_it_dies(_book(tmp_path), second_submit)
    assert outage.paid == 2  # the second job was taken; its picture cannot be fetched
    assert len(outage.failures) == PICTURES - 1 and len(outage.not_sent()) == PICTURES - 2
    downloads = [e.message for e in outage.retries()]
    assert downloads and all("download: cannot connect" in m for m in downloads)
    # each link the answer gave (output, then its proxy_links mirror) is tried 3 times, not 8
    assert {m.split(";")[1].split(" in ")[0].strip() for m in downloads} == {"retry 1", "retry 2"}
