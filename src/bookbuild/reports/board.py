"""The illustration board: every illustration's chain and takes, read from plan, lock and store.

Nothing here writes; it is what `plan` and `explain` know, arranged per illustration.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from bookbuild.build.pool import ProviderPool
from bookbuild.errors import StoreError
from bookbuild.graph.model import Graph, IllustrationPlan
from bookbuild.graph.plan import plan_book
from bookbuild.graph.status import StepStatus, step_statuses
from bookbuild.project import Project
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.spec.models import Illustration
from bookbuild.spec.specwrite import IllustrationRef

MORE_TAKES_SHOWN = 2  # takes after the current one looked up in the store


def plan_and_statuses(project: Project) -> tuple[Graph, dict[str, StepStatus]]:
    """The book's graph and every step's status, as `plan` sees them now."""
    graph = plan_book(project.spec, draft=project.draft)
    return graph, step_statuses(graph, project.load_lock(), project.store)


@dataclass(frozen=True)
class Link:
    """One step of an illustration's chain as the board shows it."""

    step_id: str
    label: str
    op: str
    state: str
    reasons: tuple[str, ...]
    digest: str | None
    before: str | None = None  # the picture an edit starts from
    edit_index: int | None = None  # 0-based position in `edits`
    prompt: str = ""
    has_mask: bool = False


@dataclass(frozen=True)
class Take:
    number: int
    digest: str | None  # the final picture of that take, if stored
    seed: Any
    model: str
    provider: str
    cost_usd: float
    current: bool


@dataclass(frozen=True)
class IllustrationView:
    key: str  # "<chapter>/<illustration>" as in step ids
    ref: IllustrationRef
    chapter_title: str
    illustration: Illustration
    written_prompt: str
    links: list[Link]
    takes: list[Take] = field(default_factory=list)
    prompt_link: Link | None = None  # the `describe` step, when a chat model writes the prompt

    @property
    def final(self) -> Link:
        return self.links[-1]

    @property
    def anchor(self) -> str:
        return "ill-" + self.key.replace("/", "-")


def illustration_plans(graph: Graph) -> list[tuple[IllustrationRef, str, IllustrationPlan]]:
    """Every illustration with where it is written and its chapter's title, cover first."""
    found: list[tuple[IllustrationRef, str, IllustrationPlan]] = []
    if graph.cover is not None:
        found.append((IllustrationRef(None), "Cover", graph.cover))
    for c, chapter in enumerate(graph.chapters):
        for i, plan in enumerate(chapter.illustrations):
            found.append((IllustrationRef(c, i), chapter.chapter.title, plan))
    return found


def find_illustration(graph: Graph, key: str) -> tuple[IllustrationRef, IllustrationPlan]:
    for ref, _, plan in illustration_plans(graph):
        if f"{plan.chapter_id}/{plan.id}" == key:
            return ref, plan
    raise LookupError(key)


def board(project: Project, *, with_takes: bool = True) -> list[IllustrationView]:
    report = plan_report(project)
    pool = ProviderPool(report.graph.presets, project.env, 1, lambda event: None)
    views = []
    for ref, title, plan in illustration_plans(report.graph):
        view = IllustrationView(
            key=f"{plan.chapter_id}/{plan.id}",
            ref=ref,
            chapter_title=title,
            illustration=plan.illustration,
            written_prompt=_written_prompt(project, plan, report.statuses),
            links=chain(plan, report.statuses),
            prompt_link=(
                _link(report.statuses[plan.prompt_step], "written prompt")
                if plan.prompt_step
                else None
            ),
        )
        if with_takes:
            view = dataclasses.replace(view, takes=takes(project, ref, plan, pool))
        views.append(view)
    return views


def chain(plan: IllustrationPlan, statuses: dict[str, StepStatus]) -> list[Link]:
    image = statuses[plan.image_step]
    links = [_link(image, "picture" if image.step.op == "import" else "base picture")]
    for index, step_id in enumerate(plan.edit_steps):
        status = statuses[step_id]
        before = links[-1].digest
        edit = plan.illustration.edits[index]
        prompt = str(getattr(edit.params, "prompt", None) or "")
        has_mask = getattr(edit.params, "mask", None) is not None
        label = f"edit {index + 1}: {edit.op}"
        links.append(_link(status, label, before, index, prompt, has_mask))
    return links


def _link(
    status: StepStatus,
    label: str,
    before: str | None = None,
    index: int | None = None,
    prompt: str = "",
    has_mask: bool = False,
) -> Link:
    step = status.step
    return Link(
        step.id,
        label,
        step.op,
        status.state,
        status.reasons,
        status.digest,
        before,
        index,
        prompt,
        has_mask,
    )


def _written_prompt(
    project: Project, plan: IllustrationPlan, statuses: dict[str, StepStatus]
) -> str:
    ill = plan.illustration
    if ill.prompt is not None:
        return ill.prompt
    if ill.file is not None:
        return f"(your picture {ill.file})"
    digest = statuses[plan.prompt_step].digest if plan.prompt_step else None
    if digest is None:
        return "(not written yet: the chat model writes it on the next build)"
    try:
        described = json.loads(project.store.get(digest).decode("utf-8"))
    except (KeyError, StoreError, ValueError):
        return "(the written prompt is not readable from the store)"
    return str(described.get("prompt", "")) if isinstance(described, dict) else ""


def takes(
    project: Project, ref: IllustrationRef, plan: IllustrationPlan, pool: ProviderPool
) -> list[Take]:
    """Every stored take of the illustration (the current one always listed)."""
    if plan.illustration.file is not None and not plan.edit_steps:
        return []
    current = plan.illustration.take
    found = []
    lock = project.load_lock()
    for number in range(1, current + MORE_TAKES_SHOWN + 1):
        graph = plan_book(_with_take(project, ref, number), draft=project.draft)
        statuses = step_statuses(graph, lock, project.store)
        final = statuses[plan.final_step]
        if final.digest is None and number != current:
            continue
        found.append(_take(project, statuses, plan, number, current, pool))
    return found


def _take(
    project: Project,
    statuses: dict[str, StepStatus],
    plan: IllustrationPlan,
    number: int,
    current: int,
    pool: ProviderPool,
) -> Take:
    image = statuses[plan.image_step]
    record = project.store.lookup(image.key) if image.key else None
    meta = record.metadata if record else {}
    cost = 0.0
    for step_id in (plan.image_step, *plan.edit_steps):
        step = statuses[step_id].step
        if step.is_call:
            cost += pool.get(step.preset, step.id).estimate_cost("image", step.op)
    return Take(
        number,
        statuses[plan.final_step].digest,
        meta.get("seed", image.step.params.get("seed")),
        str(meta.get("model", image.step.model.get("model", ""))),
        str(meta.get("provider", image.step.provider)),
        cost,
        number == current,
    )


def _with_take(project: Project, ref: IllustrationRef, number: int) -> Any:
    """The spec with one illustration's `take` changed (copies, nothing re-validated)."""
    book = project.spec.book
    if ref.chapter is None:
        assert book.cover is not None
        book = book.model_copy(update={"cover": book.cover.model_copy(update={"take": number})})
    else:
        chapter = book.chapters[ref.chapter]
        ills = list(chapter.illustrations)
        ills[ref.index] = ills[ref.index].model_copy(update={"take": number})
        chapters = list(book.chapters)
        chapters[ref.chapter] = chapter.model_copy(update={"illustrations": ills})
        book = book.model_copy(update={"chapters": chapters})
    return dataclasses.replace(project.spec, book=book)
