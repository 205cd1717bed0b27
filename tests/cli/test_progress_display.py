"""The terminal's progress display: steps, then the render phase by format and page."""

from __future__ import annotations

import io

from rich.console import Console

from bookbuild.build.events import Event
from bookbuild.cli.report import PlainReporter, RichReporter


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
    assert out.getvalue() == "rendering pdf (313 pages last time)\n"
