"""Turns engine events into a rich progress display on a terminal, plain lines otherwise.

The CLI creates the console and hands it in; the engine only emits events."""

from __future__ import annotations

import re
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from bookbuild.build.events import Event

_PLAIN_LABELS = {
    "build_waiting": "waiting:",
    "step_started": "run",
    "step_cached": "cached",
    "step_done": "done",
    "step_failed": "FAILED",
    "step_skipped": "skipped",
    "step_stopped": "stopped",
    "build_stopping": "stopping:",
    "step_retried": "retry",
    "step_warning": "warning",
    "object_corrupt": "corrupt",
    "step_pending": "pending",
    "batch_submitted": "batch",
    "batch_waiting": "batch",
    "remote_warning": "warning",
    "remote_corrupt": "corrupt",
    "remote_done": "remote",
    "render_started": "render",
    "render_format_started": "rendering",
    "render_done": "wrote",
    "render_skipped": "render",
    "render_warning": "warning",
}


class PlainReporter:
    """One line per event, for logs and pipes. Cached steps are counted, not listed."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self._lock = threading.Lock()
        self._stage: dict[str, str] = {}  # format -> the stage of the render last printed

    def __call__(self, event: Event) -> None:
        if event.kind == "render_progress":
            self._render_stage(event)
            return
        if event.kind == "step_cached" and not self.verbose:
            return
        if event.kind == "render_done" and not self.verbose:
            return  # `make`'s closing lines list every output once, with its size
        label = _PLAIN_LABELS.get(event.kind)
        if label is None:
            return
        parts = [label, event.step_id, event.message or _pages_hint(event)]
        with self._lock:
            self.console.print(escape(" ".join(p for p in parts if p)), highlight=False)

    def __enter__(self) -> PlainReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def _render_stage(self, event: Event) -> None:
        """One line as each stage of a format's render starts (not one per page or image)."""
        stage = _COUNTS.sub("", event.message).strip()
        if self._stage.get(event.step_id) == stage:
            return
        self._stage[event.step_id] = stage
        shown = "laying out the pages" if stage == "layout" else stage_text(event)
        with self._lock:
            self.console.print(escape(f"{event.step_id}: {shown}"), highlight=False)


def _pages_hint(event: Event) -> str:
    if event.kind == "render_format_started" and event.total:
        return f"({event.total} pages last time)"
    return ""


class _StageColumn(ProgressColumn):
    """What a bar is doing now and, for a stage of the render (print images, the styles,
    writing the PDF, ...), how long it has been at it: a clock that runs between events."""

    def render(self, task: Task) -> Text:
        current = str(task.fields.get("current", ""))
        since = task.fields.get("since")
        if isinstance(since, float):
            current = f"{current} {time.monotonic() - since:.0f}s"
        return Text(current)


_COUNTS = re.compile(r"[\d/]+")  # "print images 40/163" is one stage with one clock


def stage_text(event: Event) -> str:
    """The PDF's stage as the display shows it (see bookbuild.render.progress)."""
    if event.message == "layout":
        return f"page {event.done}"
    if event.message == "writing":
        return "writing the PDF"
    return event.message


class RichReporter(PlainReporter):
    """Progress bars: one over the steps, then one per format of the render phase (the PDF's
    counts pages), each with its running clock and an estimate of the time left; failures,
    retries and outputs are printed above them."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        super().__init__(console, verbose)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            _StageColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("steps", total=None, current="", unit="steps")
        self.formats: dict[str, TaskID] = {}
        self.pages: dict[str, int] = {}
        self.stages: dict[str, str] = {}  # format -> the stage its clock times

    def __call__(self, event: Event) -> None:
        if event.kind == "build_started":
            self.progress.update(self.task, total=event.total)
        elif event.kind == "step_started":
            self.progress.update(self.task, current=f"{event.step_id} ({event.message})")
        elif event.kind == "remote_progress":
            self.progress.update(self.task, current=event.message)
        elif event.kind in (
            "step_cached",
            "step_done",
            "step_failed",
            "step_skipped",
            "step_pending",
        ):
            self.progress.advance(self.task)
        elif event.kind.startswith("render_"):
            self._render(event)
        if event.kind in (
            "build_waiting",
            "build_stopping",
            "step_stopped",
            "step_failed",
            "step_retried",
            "step_warning",
            "object_corrupt",
            "step_pending",
            "batch_submitted",
            "batch_waiting",
            "remote_warning",
            "remote_corrupt",
            "remote_done",
            "render_done",
            "render_skipped",
            "render_warning",
        ):
            super().__call__(event)

    def _render(self, event: Event) -> None:
        """The render phase: a bar per format, the PDF's over its pages (as many as the last
        build laid out; unknown on the first)."""
        if event.kind == "render_started":
            self.progress.update(self.task, current=f"render phase: {event.message}")
        elif event.kind == "render_format_started":
            unit = "pages" if event.step_id == "pdf" else ""
            self.formats[event.step_id] = self.progress.add_task(
                f"render {event.step_id}", total=event.total or None, current="", unit=unit
            )
        elif event.kind == "render_progress" and event.step_id in self.formats:
            self.pages[event.step_id] = event.done
            task = self.formats[event.step_id]
            # a stage's clock starts when the stage does (a page's is the layout's)
            stage = _COUNTS.sub("", event.message).strip()
            if self.stages.get(event.step_id) != stage:
                self.stages[event.step_id] = stage
                self.progress.update(task, since=time.monotonic())
            self.progress.update(
                task, completed=event.done, total=event.total or None, current=stage_text(event)
            )
        elif event.kind == "render_done" and event.step_id in self.formats:
            task = self.formats[event.step_id]
            done = max(self.pages.get(event.step_id, 0), 1)
            self.progress.update(task, completed=done, total=done, current="written", since=None)

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()
