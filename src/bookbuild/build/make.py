"""`make`, told as a short story of phases: plan, check, run, render.

`Build` holds what the phases share (the project, the options, the graph, the statuses, the lock
writer, the providers); each phase is one method, and `Build.run` reads as the story.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from bookbuild.build.assemble import assemble_book
from bookbuild.build.checks import check_fonts_before_spending
from bookbuild.build.engine import Engine, RunResult, check_locked, select_steps
from bookbuild.build.events import BuildStop, Event, EventSink, ignore_events
from bookbuild.build.forecast import forecast
from bookbuild.build.outputs import (
    outputs_up_to_date,
    preload_pdf_renderer,
    recorded_outputs,
    render_fingerprint,
    render_outputs,
)
from bookbuild.build.pool import ProviderPool
from bookbuild.build.preflight import check_store_ready
from bookbuild.build.remote_link import close_remote, open_remote, pull_missing
from bookbuild.build.runner import StepRunner
from bookbuild.build.upgrade import cover_crop, cover_fix
from bookbuild.errors import BuildFailed, Interrupted, UserError
from bookbuild.graph.model import Graph
from bookbuild.graph.plan import plan_book
from bookbuild.graph.status import KEPT_STATES, known_digests, step_statuses
from bookbuild.project import Project
from bookbuild.providers.registry import DRAFT_PROVIDER
from bookbuild.store.buildlock import exclusive_build, exclusive_store
from bookbuild.store.lock import Lock, LockWriter


@dataclass(frozen=True)
class MakeOptions:
    formats: tuple[str, ...] = ("html", "pdf")
    jobs: int = 4
    locked: bool = False
    only: str | None = None
    budget: float | None = None
    refresh: tuple[str, ...] = ()  # ids or globs whose `freeze: true` is ignored this time
    strict: bool = False  # print preflight warnings fail the render
    batch: bool = False  # chat steps through the provider's batch API (half price, later)
    wait: bool = False  # wait for the batches (and their next waves) instead of returning
    batch_poll: float = 30.0  # seconds between looks at a running batch (--wait)


@dataclass
class MakeSummary:
    called: list[str] = field(default_factory=list)
    cached: int = 0
    outputs: dict[str, Path] = field(default_factory=dict)
    rendered: bool = False
    forecast_cost: float = 0.0
    pending: list[str] = field(default_factory=list)  # steps waiting in a batch
    deferred: list[str] = field(default_factory=list)  # steps waiting for those
    batches: list[str] = field(default_factory=list)  # batch ids this make submitted
    graph: Graph | None = field(default=None, repr=False, compare=False)  # the plan it built


def make(
    project: Project,
    options: MakeOptions,
    on_event: EventSink = ignore_events,
    stop: threading.Event | None = None,
) -> MakeSummary:
    """Build the book; one build at a time per book (a second one waits, then reuses).
    Setting `stop` (Ctrl-C) starts no new step, lets the ones in flight finish or stop waiting,
    and raises Interrupted (exit 130) with everything finished kept."""

    def waiting(owner: str) -> None:
        on_event(Event("build_waiting", message=f"another build of this book is running ({owner})"))

    def sharing(owner: str) -> None:
        message = f"another build using this book's store is running ({owner})"
        on_event(Event("build_waiting", message=message))

    with (
        exclusive_build(project.root / ".bookbuild", waiting),
        exclusive_store(project.store.root, sharing),
    ):
        return Build(project, options, on_event, stop).run()


class Build:
    """One `make` of one book."""

    def __init__(
        self,
        project: Project,
        options: MakeOptions,
        on_event: EventSink,
        stop: threading.Event | None = None,
    ) -> None:
        self.project = project
        self.options = options
        self.on_event = on_event
        self.stop = stop or threading.Event()
        self.summary = MakeSummary()
        self.graph = plan_book(project.spec, draft=project.draft, refresh=options.refresh)
        self.summary.graph = self.graph
        self.lock = project.load_lock()
        self.statuses = step_statuses(self.graph, self.lock, project.store)
        self.selected = select_steps(self.graph, options.only)
        self.pool = ProviderPool(
            self.graph.presets, project.env, options.jobs, on_event, self.stop, options.batch
        )
        self.pool.batches.poll_interval = options.batch_poll
        # a draft's lock (.bookbuild/draft.lock) pins free results: saved without fsync
        self.writer = LockWriter(project.lock_path, self.lock, durable=not self.graph_is_free())
        self.remote = open_remote(project, on_event, required=options.locked, jobs=options.jobs * 2)
        self.preload: threading.Thread | None = None  # the PDF renderer's import, if started

    def run(self) -> MakeSummary:
        try:
            self.pull()
            self.check()
            digests = self.resolve()
            if not self.options.only and not self.summary.pending:
                self.writer.prune(self.graph.steps)
                self.render(digests)
        finally:
            self.pool.close()
            close_remote(self.remote, self.on_event)
            self.project.store.save_checked()  # objects checked: only stat-ed next time
        return self.summary

    # -- phases ----------------------------------------------------------------------------
    def pull(self) -> None:
        """Before deciding what to pay for: fetch from the team's remote what is missing here."""
        if self.remote is None or all(self.statuses[s].digest for s in self.selected):
            return
        self.statuses = pull_missing(
            self.remote, self.graph, self.selected, self.lock, self.statuses
        )

    def check(self) -> None:
        """Before any call: --locked, the budget, the PDF's font, and every provider that will
        be called."""
        if "pdf" in self.options.formats and not self.options.only:
            check_fonts_before_spending(self.project.spec)
        if self.options.locked:
            check_locked(self.statuses, self.selected)
        self.check_budget()
        needed = {self.statuses[s].step.preset for s in self.selected if self._calls(s)}
        self.pool.check_ready(needed)
        self.pool.probe(needed)  # a service that is down: one error naming its URL, exit 2
        self.pool.prepare(needed)  # e.g. a local server that is down: one error, no step run
        self.pool.expect(self._pictures_by_preset())  # e.g. drafts drawn on every core
        check_store_ready(self.project.store, *self._calls_by_kind())

    def check_budget(self) -> None:
        selected = {s: self.statuses[s] for s in self.selected}
        expected = forecast(selected, self.pool)
        self.summary.forecast_cost = expected.total_cost
        budget = self.options.budget
        if budget is not None and expected.unpriced:
            presets = ", ".join(f"`{name}` ({n} call(s))" for name, n in expected.unpriced.items())
            raise UserError(
                f"--budget cannot be checked: the price of preset {presets} is unknown; "
                "give the preset a `price:` (e.g. {input_per_mtok: 0.15, output_per_mtok: 0.6})"
            )
        if budget is not None and self.summary.forecast_cost > budget:
            raise UserError(
                f"the forecast cost ${self.summary.forecast_cost:.4f} exceeds --budget "
                f"${budget:.4f}; see `bookbuild plan` for the calls, or raise the budget"
            )

    def resolve(self) -> dict[str, str]:
        """Output digests of the selected steps; runs the engine only when something is
        missing or an object will be read."""
        if self.nothing_to_read():
            self.summary.cached = len(self.selected)
            return {s: d for s in self.selected if (d := self.statuses[s].digest) is not None}
        if "pdf" in self.options.formats and not self.options.only:  # a render will follow
            self.preload = preload_pdf_renderer()  # WeasyPrint loads while the steps run
        runner = StepRunner(self.project.spec, self.pool)
        options = self.options
        engine = Engine(
            self.graph,
            self.project.store,
            self.writer,
            runner,
            self.on_event,
            options.jobs,
            options.locked,
            self.stop,
            self.remote,
            free=self.graph_is_free(),
        )
        result = self.run_waves(engine)
        self.pool.close()  # no step runs after this: workers and connections go before the render
        self.summary.called = result.called
        self.summary.cached = len(result.cached)
        if self.stop.is_set():
            raise _interrupted(result)
        if result.failures:
            raise BuildFailed(result.failures, result.skipped)
        return result.digests

    def graph_is_free(self) -> bool:
        """Every model of this build is the offline draft one: nothing it makes is paid for."""
        return self.project.draft and all(
            preset.provider == DRAFT_PROVIDER for preset in self.graph.presets.values()
        )

    def run_waves(self, engine: Engine) -> RunResult:
        """Run the engine; send what it queued in batches; with --wait, wait for them and run
        the next wave (the steps that needed their results) until nothing is pending."""
        result = engine.run(self.selected)
        called = list(result.called)
        while True:
            for sent in self.pool.batches.flush():
                self.summary.batches.append(sent.batch_id)
                message = f"{sent.batch_id}: {sent.requests} request(s) to {sent.endpoint}"
                self.on_event(Event("batch_submitted", message=message))
            if not (result.batched and self.options.wait) or self.stop.is_set() or result.failures:
                break
            self.pool.batches.wait(self._pause, self._polled)
            result = engine.run(self.selected)
            called += result.called
        result.called = called
        self.summary.pending, self.summary.deferred = list(result.batched), result.deferred
        return result

    def _pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Interrupted("stopped by Ctrl-C while waiting for batches; they stay recorded")

    def _polled(self, message: str) -> None:
        self.on_event(Event("batch_waiting", message=message))

    def nothing_to_read(self) -> bool:
        """Every selected step is pinned and no object will be read (--only, or the outputs are
        up to date), so the engine, which verifies each object before use, can be skipped.
        Reads only: a lock without a build date has never rendered these outputs."""
        if not all(self.statuses[s].state in KEPT_STATES for s in self.selected):
            return False
        if self.options.only:
            return True
        epoch = _source_date_epoch_set(self.writer.lock)
        if epoch is None:
            return False
        return outputs_up_to_date(
            self.project.build_dir, self.options.formats, self._fingerprint(epoch)
        )

    def render(self, digests: dict[str, str]) -> None:
        if self.stop.is_set():
            raise Interrupted("stopped by Ctrl-C before rendering; every step is kept")
        if isinstance(self.stop, BuildStop):
            self.stop.rendering = True  # a Ctrl-C from now on stops the render at once
        try:
            self._render(digests)
        finally:
            if isinstance(self.stop, BuildStop):
                self.stop.rendering = False
        if self.stop.is_set():  # a caller's event (no signal handler): stopped after the render
            raise Interrupted("stopped by Ctrl-C while rendering; every step is kept")

    def _render(self, digests: dict[str, str]) -> None:
        project = self.project
        epoch = self._source_date_epoch()
        fingerprint = self._fingerprint(epoch, digests)
        formats = self.options.formats
        if outputs_up_to_date(project.build_dir, formats, fingerprint):
            self.summary.outputs = recorded_outputs(project.build_dir, formats)
            self.on_event(Event("render_skipped", message="outputs are up to date"))
            return
        preload = self.preload or (preload_pdf_renderer() if "pdf" in formats else None)
        try:
            view = assemble_book(
                project.spec,
                self.graph,
                digests,
                project.store,
                self.writer.lock,
                epoch,
                draft=project.draft,
            )
        finally:
            if preload is not None:
                preload.join()
        if "pdf" in formats and self._cover_may_be_cropped():
            view = replace(view, cover_fix=cover_fix(project, self.writer.lock))
        self.on_event(Event("render_started", message=", ".join(formats), total=len(formats)))
        self.summary.outputs = render_outputs(
            view,
            project.build_dir,
            formats,
            fingerprint,
            project.theme_dirs,
            project.slug,
            self._rendered,
            lambda message: self.on_event(Event("render_warning", message=message)),
            strict=self.options.strict,
            cache_dir=project.root / ".bookbuild" / "cache",
            progress=self.on_event,
        )
        self.summary.rendered = True

    # -- helpers ---------------------------------------------------------------------------
    def _cover_may_be_cropped(self) -> bool:
        """The print preflight may find the cover cropped to the front: then its fix names
        what the newest defaults cost (a forecast that plans the book twice, so only then).
        A cover with edits (outpaint...) has a size only known once made."""
        cover = self.graph.cover
        if self.project.spec.book.style.print is None or cover is None:
            return False
        return bool(cover.edit_steps) or cover_crop(self.project, self.graph) is not None

    def _calls(self, step_id: str) -> bool:
        return self.statuses[step_id].needs_call

    def _pictures_by_preset(self) -> dict[str, int]:
        """Image calls this make would make, by preset."""
        steps = [self.statuses[s].step for s in self.selected if self._calls(s)]
        return dict(Counter(step.preset for step in steps if step.kind == "image"))

    def _calls_by_kind(self) -> tuple[int, int]:
        """(image calls, chat calls) this make would make."""
        kinds = [self.statuses[s].step.kind for s in self.selected if self._calls(s)]
        return kinds.count("image"), kinds.count("chat")

    def _fingerprint(self, epoch: int, digests: dict[str, str] | None = None) -> str:
        known = digests if digests is not None else known_digests(self.statuses)
        project = self.project
        return render_fingerprint(
            project.spec,
            self.graph,
            known,
            epoch,
            project.theme_dirs,
            project.draft,
            self.options.strict,
        )

    def _rendered(self, fmt: str, path: Path) -> None:
        size = path.stat().st_size
        self.on_event(Event("render_done", fmt, f"{path} ({size / 1024:.0f} KiB)"))

    def _source_date_epoch(self) -> int:
        """SOURCE_DATE_EPOCH if set, else the date fixed in the lock (set on the first
        build that renders, and kept in the store too: a deleted lock gets the same date
        back, so the outputs keep the same bytes)."""
        epoch = _source_date_epoch_set(self.writer.lock)
        store, name = self.project.store, self.project.lock_path.name
        if epoch is None:
            self.writer.set_source_date_epoch(store.build_date(name) or int(time.time()))
            epoch = int(self.writer.lock.source_date_epoch or 0)
        if self.writer.lock.source_date_epoch == epoch:
            store.keep_build_date(name, epoch)
        return epoch


def _interrupted(result: RunResult) -> Interrupted:
    kept = len(result.called)
    queued = len(result.interrupted)
    failed = f", {len(result.failures)} failed" if result.failures else ""
    return Interrupted(
        f"stopped by Ctrl-C: {kept} step(s) finished and kept{failed}; {queued} stopped while "
        f"waiting (queued jobs stay recorded) and {result.not_started} not started. "
        "`bookbuild make` goes on from here without paying again for anything kept or queued"
    )


def _source_date_epoch_set(lock: Lock) -> int | None:
    """SOURCE_DATE_EPOCH if set, else the date the lock fixes, else None."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    return lock.source_date_epoch
