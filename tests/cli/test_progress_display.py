"""The terminal's progress display: steps, then the render phase by format and page."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from bookbuild.build.events import Event
from bookbuild.cli.report import PlainReporter, RichReporter, _StageColumn


def reporter() -> RichReporter:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    return RichReporter(console)


def tasks(display: RichReporter) -> dict[str, tuple[float, float | None, bool]]:
    return {t.description: (t.completed, t.total, t.finished) for t in display.progress.tasks}


def test_the_render_phase_shows_each_format_and_the_pdf_pages() -> None:
    display = reporter()
    for event in (
        Event("build_started", total=2),
        Event("step_done", "a/text"),
        Event("step_done", "a/image"),
        Event("render_started", message="html, pdf", total=2),
        Event("render_format_started", "pdf", total=20),
        Event("render_format_started", "html"),
        Event("render_progress", "pdf", "layout", total=20, done=12),
    ):
        display(event)
    shown = tasks(display)
    assert shown["steps"] == (2, 2, True)
    assert shown["render pdf"] == (12, 20, False)  # its clock and ETA still run
    assert shown["render html"] == (0, None, False)
    assert display.progress.tasks[1].fields["current"] == "page 12"


def test_a_format_written_is_finished_and_the_first_pdf_counts_pages_without_a_total() -> None:
    display = reporter()
    display(Event("render_format_started", "pdf"))
    display(Event("render_progress", "pdf", "layout", done=7))
    assert tasks(display)["render pdf"] == (7, None, False)
    display(Event("render_progress", "pdf", "writing", done=9))
    display(Event("render_done", "pdf", "build/book.pdf (10 KiB)"))
    assert tasks(display)["render pdf"] == (9, 9, True)


def test_plain_lines_name_each_format_as_it_starts() -> None:
    out = io.StringIO()
    plain = PlainReporter(Console(file=out, width=200))
    plain(Event("render_format_started", "pdf", total=313))
    plain(Event("render_progress", "pdf", "layout", total=313, done=5))
    plain(Event("render_progress", "pdf", "layout", total=313, done=6))
    assert out.getvalue() == "rendering pdf (313 pages last time)\npdf: laying out the pages\n"


def test_each_render_stage_has_its_own_running_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    display = reporter()
    display(Event("render_format_started", "pdf", total=20))
    display(Event("render_progress", "pdf", "print images 0/40", total=20))
    since = display.progress.tasks[1].fields["since"]
    display(Event("render_progress", "pdf", "print images 9/40", total=20))
    task = display.progress.tasks[1]
    assert task.fields["since"] == since  # the same stage: its clock goes on
    monkeypatch.setattr(time, "monotonic", lambda: since + 7.2)
    assert str(_StageColumn().render(task)) == "print images 9/40 7s"
    monkeypatch.setattr(time, "monotonic", lambda: since + 9.0)
    display(Event("render_progress", "pdf", "writing", total=20, done=20))
    task = display.progress.tasks[1]
    assert task.fields["since"] == since + 9.0  # a new stage: a new clock
    monkeypatch.setattr(time, "monotonic", lambda: since + 12.0)
    assert str(_StageColumn().render(task)) == "writing the PDF 3s"


def test_plain_lines_name_each_stage_of_the_pdf_once() -> None:
    out = io.StringIO()
    plain = PlainReporter(Console(file=out, width=200))
    for message in ("print images 0/3", "print images 1/3", "reading the HTML", "layout"):
        plain(Event("render_progress", "pdf", message, done=1))
    plain(Event("render_progress", "pdf", "writing", done=1))
    assert out.getvalue().splitlines() == [
        "pdf: print images 0/3",
        "pdf: reading the HTML",
        "pdf: laying out the pages",
        "pdf: writing the PDF",
    ]
