"""`make`, told as a short story of phases: plan, check, run, render."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from bookbuild.assemble import assemble_book
from bookbuild.buildlock import exclusive_build
from bookbuild.engine import BuildFailed, Engine, check_locked, select_steps
from bookbuild.errors import UserError
from bookbuild.events import Event, EventSink, ignore_events
from bookbuild.lock import Lock, LockWriter
from bookbuild.outputs import (
    outputs_up_to_date,
    recorded_outputs,
    render_fingerprint,
    render_outputs,
)
from bookbuild.plan import Graph, plan_book
from bookbuild.preflight import check_store_ready
from bookbuild.project import Project
from bookbuild.providers.pool import ProviderPool
from bookbuild.runner import StepRunner
from bookbuild.status import StepStatus, known_digests, step_statuses


@dataclass(frozen=True)
class MakeOptions:
    formats: tuple[str, ...] = ("html", "pdf")
    jobs: int = 4
    locked: bool = False
    only: str | None = None
    budget: float | None = None


@dataclass
class MakeSummary:
    called: list[str] = field(default_factory=list)
    cached: int = 0
    outputs: dict[str, Path] = field(default_factory=dict)
    rendered: bool = False
    forecast_cost: float = 0.0


@dataclass(frozen=True)
class Forecast:
    calls: dict[str, int]  # provider -> calls
    cost: dict[str, float]  # provider -> USD
    unpriced: dict[str, int] = field(default_factory=dict)  # provider -> calls of unknown price

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_cost(self) -> float:
        return sum(self.cost.values())


def forecast(graph: Graph, statuses: dict[str, StepStatus], pool: ProviderPool) -> Forecast:
    """Calls `make` would make per provider, and their estimated cost (cache hits are free)."""
    calls: dict[str, int] = {}
    cost: dict[str, float] = {}
    unpriced: dict[str, int] = {}
    for status in statuses.values():
        step = status.step
        if not status.needs_call:
            continue
        calls[step.provider] = calls.get(step.provider, 0) + 1
        provider = pool.get(step.preset, step.id)
        estimate = provider.estimate_cost("chat" if step.kind == "chat" else "image", step.op)
        cost[step.provider] = cost.get(step.provider, 0.0) + estimate
        if not provider.price_known():
            unpriced[step.preset] = unpriced.get(step.preset, 0) + 1
    return Forecast(calls, cost, unpriced)


def make(
    project: Project, options: MakeOptions, on_event: EventSink = ignore_events
) -> MakeSummary:
    """Build the book; one build at a time per book (a second one waits, then reuses)."""

    def waiting(owner: str) -> None:
        on_event(Event("build_waiting", message=f"another build of this book is running ({owner})"))

    with exclusive_build(project.root / ".bookbuild", waiting):
        return _make(project, options, on_event)


def _make(project: Project, options: MakeOptions, on_event: EventSink) -> MakeSummary:
    graph = plan_book(project.spec, draft=project.draft)
    lock = project.load_lock()
    statuses = step_statuses(graph, lock, project.store)
    selected = select_steps(graph, options.only)
    if options.locked:
        check_locked(statuses, selected)
    pool = ProviderPool(graph.presets, project.env, options.jobs, on_event)
    summary = MakeSummary()
    _check_budget(graph, {s: statuses[s] for s in selected}, pool, options, summary)
    pool.check_ready({statuses[s].step.preset for s in selected if statuses[s].needs_call})
    check_store_ready(project.store, *_calls_by_kind(statuses, selected))
    writer = LockWriter(project.lock_path, lock)
    digests = _resolve(project, graph, statuses, selected, writer, pool, options, on_event, summary)
    if options.only:
        return summary
    writer.prune(graph.steps)
    _render(project, graph, digests, writer, options, on_event, summary)
    return summary


def _calls_by_kind(statuses: dict[str, StepStatus], selected: list[str]) -> tuple[int, int]:
    """(image calls, chat calls) `make` would make for the selected steps."""
    calls = [statuses[s].step.kind for s in selected if statuses[s].needs_call]
    return calls.count("image"), calls.count("chat")


def _check_budget(
    graph: Graph,
    statuses: dict[str, StepStatus],
    pool: ProviderPool,
    options: MakeOptions,
    summary: MakeSummary,
) -> None:
    expected = forecast(graph, statuses, pool)
    summary.forecast_cost = expected.total_cost
    if options.budget is not None and expected.unpriced:
        presets = ", ".join(f"`{name}` ({n} call(s))" for name, n in expected.unpriced.items())
        raise UserError(
            f"--budget cannot be checked: the price of preset {presets} is unknown; "
            "give the preset a `price:` (e.g. {input_per_mtok: 0.15, output_per_mtok: 0.6})"
        )
    if options.budget is not None and summary.forecast_cost > options.budget:
        raise UserError(
            f"the forecast cost ${summary.forecast_cost:.4f} exceeds --budget "
            f"${options.budget:.4f}; see `bookbuild plan` for the calls, or raise the budget"
        )


def _resolve(
    project: Project,
    graph: Graph,
    statuses: dict[str, StepStatus],
    selected: list[str],
    writer: LockWriter,
    pool: ProviderPool,
    options: MakeOptions,
    on_event: EventSink,
    summary: MakeSummary,
) -> dict[str, str]:
    """Output digests of the selected steps; runs the engine only when something is missing."""
    if _nothing_to_read(project, graph, statuses, selected, writer, options):
        summary.cached = len(selected)
        return {s: d for s in selected if (d := statuses[s].digest) is not None}
    runner = StepRunner(project.spec, pool)
    engine = Engine(graph, project.store, writer, runner, on_event, options.jobs, options.locked)
    result = engine.run(selected)
    summary.called = result.called
    summary.cached = len(result.cached)
    if result.failures:
        raise BuildFailed(result.failures, result.skipped)
    return result.digests


def _nothing_to_read(
    project: Project,
    graph: Graph,
    statuses: dict[str, StepStatus],
    selected: list[str],
    writer: LockWriter,
    options: MakeOptions,
) -> bool:
    """Every selected step is pinned and no object will be read (--only, or the outputs are up
    to date), so the engine, which verifies each object before it is used, can be skipped."""
    if not all(statuses[s].state == "pinned" for s in selected):
        return False
    if options.only:
        return True
    epoch = _source_date_epoch(project, writer)
    digests = known_digests(statuses)
    fingerprint = render_fingerprint(project.spec, graph, digests, epoch, project.theme_dirs)
    return outputs_up_to_date(project.build_dir, options.formats, fingerprint)


def _render(
    project: Project,
    graph: Graph,
    digests: dict[str, str],
    writer: LockWriter,
    options: MakeOptions,
    on_event: EventSink,
    summary: MakeSummary,
) -> None:
    epoch = _source_date_epoch(project, writer)
    fingerprint = render_fingerprint(project.spec, graph, digests, epoch, project.theme_dirs)
    build_dir = project.build_dir
    if outputs_up_to_date(build_dir, options.formats, fingerprint):
        summary.outputs = recorded_outputs(build_dir, options.formats)
        on_event(Event("render_skipped", message="outputs are up to date"))
        return
    view = assemble_book(project.spec, graph, digests, project.store, writer.lock, epoch)
    on_event(Event("render_started", message=", ".join(options.formats)))

    def rendered(fmt: str, path: Path) -> None:
        size = path.stat().st_size
        on_event(Event("render_done", fmt, f"{path} ({size / 1024:.0f} KiB)"))

    summary.outputs = render_outputs(
        view,
        build_dir,
        options.formats,
        fingerprint,
        project.theme_dirs,
        project.slug,
        rendered,
        lambda message: on_event(Event("render_warning", message=message)),
    )
    summary.rendered = True


def _source_date_epoch(project: Project, writer: LockWriter) -> int:
    """SOURCE_DATE_EPOCH if set, else the date fixed in the lock (set on the first build, and
    kept in the store too: a deleted lock gets the same date back, so the same bytes)."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    lock: Lock = writer.lock
    name = project.lock_path.name
    if lock.source_date_epoch is None:
        writer.set_source_date_epoch(project.store.build_date(name) or int(time.time()))
    epoch = int(writer.lock.source_date_epoch or 0)
    project.store.keep_build_date(name, epoch)
    return epoch
