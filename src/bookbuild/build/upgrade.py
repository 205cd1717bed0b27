"""What raising `defaults_version` (or writing one of its fields) would re-run and cost: the
book planned both ways against the same lock and store; no provider is called. `bookbuild
upgrade-defaults` prints it, and the print preflight quotes it for a cropped cover."""

from __future__ import annotations

from dataclasses import dataclass

from bookbuild.build.forecast import Forecast, forecast
from bookbuild.build.pool import ProviderPool
from bookbuild.graph.model import Graph
from bookbuild.graph.plan import plan_book
from bookbuild.graph.status import StepStatus, step_statuses
from bookbuild.project import Project
from bookbuild.render.preflight import MIN_SHOWN
from bookbuild.spec.upgrade import Changes, describe_changes, spec_changes, with_changes
from bookbuild.spec.versions import LATEST
from bookbuild.store.lock import Lock
from bookbuild.style import cover_picture_size

__all__ = ["Rerun", "cover_crop", "cover_crop_hint", "cover_fix", "rerun_forecast", "spend_text"]


@dataclass(frozen=True)
class Rerun:
    """The steps a change makes run that would not run without it, and their forecast."""

    changes: Changes
    steps: tuple[StepStatus, ...]
    forecast: Forecast
    cover: Forecast  # of the cover's own steps among them


Statuses = dict[str, StepStatus]


def rerun_forecast(
    project: Project,
    changes: Changes,
    version: int | None = None,
    lock: Lock | None = None,
    before: Statuses | None = None,
) -> Rerun:
    """What `make` would run with `changes` written into the book that it would not run now
    (against `lock`, by default the book's; `before`: the book's statuses against it)."""
    lock = project.load_lock() if lock is None else lock
    store = project.store
    if before is None:
        before = step_statuses(plan_book(project.spec, draft=project.draft), lock, store)
    graph = plan_book(with_changes(project.spec, changes, version), draft=project.draft)
    after = step_statuses(graph, lock, store)
    new = {
        sid: status
        for sid, status in after.items()
        if status.needs_call and not (sid in before and before[sid].needs_call)
    }
    ill = graph.cover
    chain = {ill.prompt_step, ill.image_step, *ill.edit_steps} if ill is not None else set()
    pool = ProviderPool(graph.presets, project.env, 1, lambda event: None)
    try:
        cover = forecast({sid: s for sid, s in new.items() if sid in chain}, pool)
        return Rerun(changes, tuple(new.values()), forecast(new, pool), cover)
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


def cover_fix(project: Project, lock: Lock | None = None, before: Statuses | None = None) -> str:
    """What the print preflight says to do about a cover cropped to the front, for a book of
    an earlier `defaults_version` whose cover the newest version would shape ("" otherwise)."""
    book = project.spec.book
    if book.defaults_version >= LATEST or book.cover is None:
        return ""
    changes = spec_changes(project.spec, LATEST)
    if "cover" not in changes:
        return ""
    # the cover's own steps re-run the same with its shape alone or with every change
    rerun = rerun_forecast(project, changes, LATEST, lock, before)
    cover, whole = rerun.cover, rerun.forecast
    others = {part: change for part, change in changes.items() if part != "cover"}
    if whole.total_calls == 0:
        made = "nothing it changes is made yet: no extra call"
    else:
        made = f"repaints the cover: {spend_text(cover)}"
        if whole.total_calls > cover.total_calls:
            fields = ", ".join(f"`{field}`" for field in describe_changes(others))
            made += f"; up to {spend_text(whole)} in all with its {fields}"
        made += "; `bookbuild upgrade-defaults --dry-run` lists them"
    return (
        f"set `defaults_version: {LATEST}` ({made}), or give the cover `shape: front` "
        "(or `shape: wrap`) alone"
    )


def cover_crop(project: Project, graph: Graph) -> tuple[int, int, float] | None:
    """(width, height, share shown) of cover art generated at a shape its front cover crops to
    under MIN_SHOWN of it, in a book of an earlier `defaults_version` whose cover the newest
    version would shape; None otherwise (an edited cover's size is only known once made)."""
    ill, book = graph.cover, project.spec.book
    if ill is None or ill.edit_steps or book.defaults_version >= LATEST:
        return None
    params = graph.steps[ill.image_step].params
    width, height = int(params.get("width") or 0), int(params.get("height") or 0)
    if width <= 0 or height <= 0 or "cover" not in spec_changes(project.spec, LATEST):
        return None
    style = book.style
    front = cover_picture_size(
        "front", style.theme, style.page, style.bleed, (1024, 1024), style.print is not None
    )
    ratio = (width / height) / (front[0] / front[1])
    shown = min(ratio, 1 / ratio)
    return (width, height, shown) if shown < MIN_SHOWN else None


def cover_crop_hint(
    project: Project, graph: Graph, lock: Lock | None = None, before: Statuses | None = None
) -> str:
    """`plan`'s word before anything is made: the cover art will be cropped by its front
    cover, and what the newest defaults cost ("" when it is not so)."""
    found = cover_crop(project, graph)
    if found is None:
        return ""
    width, height, shown = found
    return (
        f"the cover art is generated at {width}x{height} px and cropped to the front cover "
        f"(about {round(shown * 100)}% of it shows); {cover_fix(project, lock, before)}"
    )
