"""`plan` counts the web UI's calls, prices them at nothing, and asks the server nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main
from bookbuild.project import Project
from bookbuild.reports.inspect_plan import plan_report
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
        assert report["local_providers"] == ["a1111"]
        build(book, fake.env)
        after = plan_report(Project.open(book, env=fake.env)).to_json()
    assert after["total_calls"] == 0


def test_plan_says_free_runs_locally_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = write_book(tmp_path, ILLUSTRATIONS)
    monkeypatch.setenv("A1111_BASE_URL", "http://127.0.0.1:9")  # nothing listens: plan asks nothing
    outcome = CliRunner().invoke(main, ["plan", str(book)])
    assert outcome.exit_code == 0, outcome.output
    assert "a1111: 6 call(s), free (runs locally)" in outcome.output
