"""The studio's builds: one worker thread running the library's `make` (HTML only), so the
studio and a CLI `make` share the one build lock. Requests that arrive while a build runs are
merged into the next one. A build that would pay waits for the page to approve its forecast."""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BookbuildError
from bookbuild.project import Project
from bookbuild.reports.changes import candidate_project, forecast_summary
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.studio.watch import book_fingerprint

LOG_LINES = 200
PRICE_SLACK = 1e-9

Notify = Callable[[dict[str, Any]], None]


@dataclass
class BuildState:
    """What the page shows: idle, building, ok, error, or approval (a paid build waiting)."""

    state: str = "idle"
    message: str = ""
    generation: int = 0  # bumped after a successful build that changed something
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    forecast: dict[str, Any] = field(default_factory=dict)
    calls: int = 0  # model calls made by the builds of this studio session
    builds: int = 0  # builds run by this studio session
    skipped: int = 0  # saves found identical to what the last build read (the studio's own)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "message": self.message,
            "generation": self.generation,
            "log": list(self.log),
            "forecast": self.forecast,
            "calls": self.calls,
            "builds": self.builds,
            "skipped": self.skipped,
        }


class Builder:
    """Runs builds of one book in a background thread; tells `notify` about every change."""

    def __init__(
        self, root: Path, draft: bool, notify: Notify, say: Callable[[str], None] | None = None
    ) -> None:
        self.root = root
        self.draft = draft
        self.notify = notify
        self.say = say or (lambda line: None)  # the terminal's line per build start/end/failure
        self.status = BuildState()
        self._lock = threading.Condition()
        self._pending: str | None = None
        self._pending_saved = True  # every pending request came from the file watcher
        self._variants: list[tuple[str, str]] = []  # (book.yaml text, step) built first
        self._read: str | None = None  # the book folder's fingerprint when the last build began
        self._approved: float | None = None
        self._stopping = False
        self._built_text: str | None = None  # book.yaml as of the last successful build
        self._thread = threading.Thread(target=self._work, name="studio-builder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._thread.join(timeout=60)

    def request(
        self,
        reason: str,
        approved_cost: float | None = None,
        *,
        saved: bool = False,
        variants: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Build soon. `approved_cost`: the most the page agreed to pay (None: nothing).
        `saved`: asked by the file watcher, so skipped when the files are as the last build
        read them (the studio's own write already built). `variants`: other versions of the
        book (text, the step to make) built before it and kept in the store (takes)."""
        with self._lock:
            self._variants.extend(variants)
            self._pending_saved = (self._pending is None or self._pending_saved) and saved
            self._pending = reason
            if approved_cost is not None:
                self._approved = max(self._approved or 0.0, approved_cost)
            self._lock.notify_all()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return self.status.to_json()

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                reason, approved = self._pending or "", self._approved
                saved = self._pending_saved and not self._variants
                variants, self._variants = self._variants, []
                self._pending, self._approved, self._pending_saved = None, None, True
            seen = book_fingerprint(self.root)
            if saved and seen == self._read:
                with self._lock:
                    self.status.skipped += 1
                self._log(f"{reason}: the files are as the last build read them, no build")
                continue
            self._read = seen
            self._build(reason, approved, variants)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self.status, name, value)
            snapshot = self.status.to_json()
        self.notify(snapshot)

    def _log(self, line: str) -> None:
        with self._lock:
            self.status.log.append(line)

    def _build(
        self, reason: str, approved: float | None, variants: Sequence[tuple[str, str]] = ()
    ) -> None:
        with self._lock:
            self.status.builds += 1
        self._set(state="building", message=reason, forecast={})
        self.say(f"rebuilding ({reason})")
        try:
            project = Project.open(self.root, draft=self.draft)
            called = self._make_variants(project, variants, approved)
            budget = self._budget(project, approved)
            if budget is False:
                return
            summary = make(project, MakeOptions(formats=("html",), budget=budget), self._event)
            summary.called[:0] = called
        except BookbuildError as exc:
            self._failed(str(exc))
            return
        except Exception as exc:  # the studio stays up and says what broke
            self._log("".join(traceback.format_exception(exc)))
            self._failed(f"internal error: {exc!r} (see the log)")
            return
        changed = bool(summary.called) or summary.rendered or project.spec.text != self._built_text
        self._built_text = project.spec.text
        with self._lock:
            self.status.calls += len(summary.called)
            generation = self.status.generation + int(changed)  # pages reload on a new one
        message = f"built: {len(summary.called)} model call(s), {summary.cached} from cache"
        self._set(state="ok", message=message, generation=generation)
        self.say(message)

    def _make_variants(
        self, project: Project, variants: Sequence[tuple[str, str]], approved: float | None
    ) -> list[str]:
        """Make each variant's step (the page approved their cost with the change)."""
        called: list[str] = []
        for text, step in variants:
            other = candidate_project(project, text)
            budget = None if project.draft or approved is None else approved + PRICE_SLACK
            options = MakeOptions(formats=("html",), only=step, budget=budget)
            called += make(other, options, self._event).called
        return called

    def _failed(self, message: str) -> None:
        # the next good build is news even when its text equals the last good one: the pages
        # that showed the problem reload on its new generation
        self._built_text = None
        self._set(state="error", message=message)
        self.say(f"build failed: {message}")

    def _budget(self, project: Project, approved: float | None) -> float | bool | None:
        """The --budget for this build; False (and the approval state) when it would pay more
        than the page approved."""
        if project.draft:
            return None
        forecast = plan_report(project).forecast
        paid = forecast.total_cost > 0 or bool(forecast.unpriced)
        if not paid:
            return None
        if approved is not None and forecast.total_cost <= approved + PRICE_SLACK:
            # make's --budget cannot check calls of unknown price: the page approved them
            return None if forecast.unpriced else approved + PRICE_SLACK
        summary = forecast_summary(forecast, paid=True)
        message = f"{forecast.total_calls} model call(s) to make, about ${forecast.total_cost:.4f}"
        self._set(state="approval", message=message, forecast=summary)
        self.say(f"waiting for approval in the page: {message}")
        return False

    def _event(self, event: Event) -> None:
        line = " ".join(part for part in (event.kind, event.step_id, event.message) if part)
        self._log(line)
        shown = ("build_waiting", "step_started", "step_done", "step_failed", "render_started")
        if event.kind in shown:
            self._set(message=line)
