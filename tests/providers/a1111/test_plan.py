"""`plan` counts the web UI's calls, prices them at nothing, and asks the server nothing."""

from __future__ import annotations

from pathlib import Path

from bookbuild.inspect_plan import plan_report
from bookbuild.project import Project
from tests.fakes.a1111_server import FakeA1111

from .book_helpers import ILLUSTRATIONS, build, write_book


def test_plan_counts_calls_as_free_and_calls_nothing(tmp_path: Path) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    with FakeA1111() as fake:
        report = plan_report(Project.open(book, env=fake.env)).to_json()
        assert fake.requests == []
        assert report["calls"] == {"a1111": 6}
        assert report["estimated_cost_usd"] == {"a1111": 0.0}
        assert report["unknown_price_calls"] == {}
        build(book, fake.env)
        after = plan_report(Project.open(book, env=fake.env)).to_json()
    assert after["total_calls"] == 0
