"""Turns engine events into a rich progress display on a terminal, plain lines otherwise.

The CLI creates the console and hands it in; the engine only emits events."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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

    def __call__(self, event: Event) -> None:
        if event.kind == "step_cached" and not self.verbose:
            return
        label = _PLAIN_LABELS.get(event.kind)
        if label is None:
            return
        parts = [label, event.step_id, event.message]
        with self._lock:
            self.console.print(escape(" ".join(p for p in parts if p)), highlight=False)

    def __enter__(self) -> PlainReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class RichReporter(PlainReporter):
    """A progress bar over the steps, with failures, retries and outputs printed above it."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        super().__init__(console, verbose)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("steps", total=None, current="")

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

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()
