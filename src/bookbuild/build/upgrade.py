"""What raising `defaults_version` (or writing one of its fields) would re-run and cost: the
book planned both ways against the same lock and store; no provider is called. `bookbuild
upgrade-defaults` prints it, and the print preflight quotes it for a cropped cover."""

from __future__ import annotations

from dataclasses import dataclass

from bookbuild.build.forecast import Forecast, forecast
from bookbuild.build.pool import ProviderPool
from bookbuild.graph.plan import plan_book
from bookbuild.graph.status import StepStatus, step_statuses
from bookbuild.project import Project
from bookbuild.spec.upgrade import Changes, describe_changes, spec_changes, with_changes
from bookbuild.spec.versions import LATEST
from bookbuild.store.lock import Lock

__all__ = ["Rerun", "cover_fix", "rerun_forecast", "spend_text"]


@dataclass(frozen=True)
class Rerun:
    """The steps a change makes run that would not run without it, and their forecast."""

    changes: Changes
    steps: tuple[StepStatus, ...]
    forecast: Forecast


def rerun_forecast(
    project: Project, changes: Changes, version: int | None = None, lock: Lock | None = None
) -> Rerun:
    """What `make` would run with `changes` written into the book that it would not run now
    (against `lock`, by default the book's)."""
    lock = project.load_lock() if lock is None else lock
    store = project.store
    before = step_statuses(plan_book(project.spec, draft=project.draft), lock, store)
    graph = plan_book(with_changes(project.spec, changes, version), draft=project.draft)
    after = step_statuses(graph, lock, store)
    new = {
        sid: status
        for sid, status in after.items()
        if status.needs_call and not (sid in before and before[sid].needs_call)
    }
    pool = ProviderPool(graph.presets, project.env, 1, lambda event: None)
    try:
        return Rerun(changes, tuple(new.values()), forecast(new, pool))
    finally:
        pool.close()


def spend_text(expected: Forecast) -> str:
    """`2 calls, about $0.0800`; `2 free local calls` when only local back ends are called."""
    calls = expected.total_calls
    plural = "s" if calls != 1 else ""
    priced = {p: c for p, c in expected.cost.items() if p not in expected.local}
    if calls == 0:
        return "no calls"
    if not priced:
        return f"{calls} free local call{plural}"
    text = f"{calls} call{plural}, about ${sum(priced.values()):.4f}"
    return text + (" and calls of unknown price" if expected.unpriced else "")


def cover_fix(project: Project, lock: Lock | None = None) -> str:
    """What the print preflight says to do about a cover cropped to the front, for a book of
    an earlier `defaults_version` whose cover the newest version would shape ("" otherwise)."""
    book = project.spec.book
    if book.defaults_version >= LATEST or book.cover is None:
        return ""
    changes = spec_changes(project.spec, LATEST)
    if "cover" not in changes:
        return ""
    cover = rerun_forecast(project, {"cover": changes["cover"]}, lock=lock)
    text = f"set `defaults_version: {LATEST}` (repaints the cover: {spend_text(cover.forecast)}"
    others = {part: change for part, change in changes.items() if part != "cover"}
    if others:
        whole = rerun_forecast(project, changes, LATEST, lock)
        fields = ", ".join(f"`{field}`" for field in describe_changes(others))
        text += f"; up to {spend_text(whole.forecast)} in all with its {fields}"
    return (
        f"{text}; `bookbuild upgrade-defaults --dry-run` lists them), or give the cover "
        "`shape: front` (or `shape: wrap`) alone"
    )
