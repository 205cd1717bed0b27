"""What `plan` and `explain` show: statuses with reasons, forecasts, a step's key inputs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from bookbuild.build.forecast import Forecast, forecast
from bookbuild.build.pool import ProviderPool
from bookbuild.build.upgrade import cover_crop_hint
from bookbuild.errors import BookbuildError, ConfigError, StoreError
from bookbuild.graph.model import Graph
from bookbuild.graph.plan import plan_book
from bookbuild.graph.status import StepStatus, step_statuses
from bookbuild.project import Project
from bookbuild.reports.plan_summary import PlanSummary, summarize, will_run
from bookbuild.store.lock import DRAFT_LOCK, Lock


@dataclass(frozen=True)
class PlanReport:
    graph: Graph
    statuses: dict[str, StepStatus]
    forecast: Forecast
    hints: tuple[str, ...] = ()  # advice before spending (a cover its front would crop)

    @property
    def summary(self) -> PlanSummary:
        return summarize(self.statuses)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_json(),
            "steps": [
                {
                    "id": s.step.id,
                    "op": s.step.op,
                    "provider": s.step.provider or None,
                    "preset": s.step.preset or None,
                    "status": s.state,
                    "calls": s.needs_call,
                    "key": s.key,
                    "digest": s.digest,
                    "reasons": list(s.reasons),
                    "will_run": will_run(s),
                    **({"characters": [c.id for c in s.step.cast]} if s.step.cast else {}),
                }
                for s in self.statuses.values()
            ],
            "calls": self.forecast.calls,
            "total_calls": self.forecast.total_calls,
            "estimated_cost_usd": {k: round(v, 6) for k, v in self.forecast.cost.items()},
            "total_estimated_cost_usd": round(self.forecast.total_cost, 6),
            "unknown_price_calls": self.forecast.unpriced,
            "local_providers": sorted(self.forecast.local),
            "hints": list(self.hints),
        }


def plan_report(project: Project) -> PlanReport:
    graph = plan_book(project.spec, draft=project.draft)
    lock = project.load_lock()
    statuses = step_statuses(graph, lock, project.store)
    hint = cover_crop_hint(project, graph, lock, statuses)
    pool = ProviderPool(graph.presets, project.env, 1, lambda event: None)
    try:
        return PlanReport(graph, statuses, forecast(statuses, pool), (hint,) if hint else ())
    finally:
        pool.close()


def explain_step(project: Project, step_id: str) -> dict[str, Any]:
    """A step's definition, status, key inputs (manifest) and what the store knows of it."""
    report = plan_report(project)
    if step_id not in report.statuses:
        close = difflib.get_close_matches(step_id, list(report.statuses), n=3)
        hint = f" — did you mean {', '.join(close)}?" if close else " (see `bookbuild plan`)"
        raise ConfigError(f"no step {step_id!r}{hint}")
    status = report.statuses[step_id]
    step = status.step
    record = project.store.lookup(status.key) if status.key else None
    return {
        "id": step.id,
        "op": step.op,
        "provider": step.provider or None,
        "preset": step.preset or None,
        "status": status.state,
        "reasons": list(status.reasons),
        "depends_on": {role: dep for role, dep in step.deps},
        **({"characters": [c.id for c in step.cast]} if step.cast else {}),
        "files": {role: {"path": f.path, "digest": f.digest} for role, f in step.files},
        "key": status.key,
        "key_inputs": status.manifest,
        "output": status.digest,
        "stored_metadata": record.metadata if record else None,
        "output_text": _output_text(project, status),
        "draft_result": _draft_result(project, step_id),
    }


def _draft_result(project: Project, step_id: str) -> str | None:
    """The digest a draft build pinned for this step, when explaining the real build: so
    `explain` can say a draft result exists (see it with --draft)."""
    if project.draft:
        return None
    try:
        entry = Lock.load(project.root / DRAFT_LOCK).entries.get(step_id)
    except BookbuildError:
        return None
    return entry.digest if entry is not None else None


PREVIEW_CHARS = 4000


def _output_text(project: Project, status: StepStatus) -> str | None:
    """The step's result when it is text (a chapter, a summary, an image prompt), else None."""
    if status.digest is None or status.step.media_type == "image/png":
        return None
    try:
        text = project.store.get(status.digest).decode("utf-8")
    except (KeyError, StoreError, UnicodeDecodeError):
        return None
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
