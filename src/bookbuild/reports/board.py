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
from bookbuild.reports.iterate import changeable
from bookbuild.reports.takes import (
    Take,
    Variant,
    next_take,
    records_by_step,
    seed_variants,
    take_numbers,
    takes,
)
from bookbuild.reports.thumbs import picture_size
from bookbuild.spec.models import Illustration
from bookbuild.spec.specwrite import IllustrationRef


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
    size: tuple[int, int] | None = None  # of `digest`
    before_size: tuple[int, int] | None = None
    offset: tuple[int, int] = (0, 0)  # where `before` sits in the picture (outpaint: left, up)
    seed: Any = None  # the edit's seed as planned
    key: str | None = None  # the step's key, when its inputs are known

    @property
    def place(self) -> str:
        """`left top width height` of the picture before, in % of the one after ('' unknown)."""
        if self.size is None or self.before_size is None:
            return ""
        (w, h), (bw, bh), (x, y) = self.size, self.before_size, self.offset
        return " ".join(f"{100 * v / d:.4f}" for v, d in ((x, w), (y, h), (bw, w), (bh, h)))


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
    next_take: int = 0  # the take "New take" makes: after every stored one
    variants: dict[str, list[Variant]] = field(default_factory=dict)  # edit step -> seeds

    @property
    def final(self) -> Link:
        return self.links[-1]

    @property
    def anchor(self) -> str:
        return "ill-" + self.key.replace("/", "-")

    @property
    def chapter_anchor(self) -> str:
        return "chapter-" + self.key.split("/", 1)[0]

    @property
    def chapter_heading(self) -> str:
        """The board's heading for the group: the chapter's title ("Cast" for the sheets)."""
        return "Cast" if self.ref.character is not None else self.chapter_title

    @property
    def work(self) -> list[str]:
        """The states that mean work for the next build (stale, new), for the board's filter."""
        states = {link.state for link in self.links}
        if self.prompt_link is not None:
            states.add(self.prompt_link.state)
        return sorted(states & {"stale", "new", "waiting"})


def plan_and_statuses(project: Project) -> tuple[Graph, dict[str, StepStatus]]:
    """The book planned once, with every step's status (the board's and editor's one read)."""
    graph = plan_book(project.spec, draft=project.draft)
    return graph, step_statuses(graph, project.load_lock(), project.store)


def illustration_plans(graph: Graph) -> list[tuple[IllustrationRef, str, IllustrationPlan]]:
    """Every illustration with where it is written and its chapter's title, cover first."""
    found: list[tuple[IllustrationRef, str, IllustrationPlan]] = []
    if graph.cover is not None:
        found.append((IllustrationRef(None), "Cover", graph.cover))
    for c, chapter in enumerate(graph.chapters):
        for i, plan in enumerate(chapter.illustrations):
            found.append((IllustrationRef(c, i), chapter.chapter.title, plan))
    for member in graph.cast:  # the character sheets, like any illustration
        if member.sheet is not None:
            ref = IllustrationRef(None, character=member.id)
            found.append((ref, f"Cast: {member.character.name}", member.sheet))
    return found


def find_illustration(graph: Graph, key: str) -> tuple[IllustrationRef, IllustrationPlan]:
    for ref, _, plan in illustration_plans(graph):
        if f"{plan.chapter_id}/{plan.id}" == key:
            return ref, plan
    raise LookupError(key)


def board(project: Project, *, with_takes: bool = True) -> list[IllustrationView]:
    """Every illustration's view, from one plan of the book and one pass over the store."""
    graph, statuses = plan_and_statuses(project)
    pool = ProviderPool(graph.presets, project.env, 1, lambda event: None)
    records = records_by_step(project) if with_takes else {}
    numbers = take_numbers(project, records)
    try:
        views = []
        for ref, title, plan in illustration_plans(graph):
            view = _view(project, ref, title, plan, statuses)
            if with_takes:
                found = takes(project, plan, statuses, numbers, pool)
                view = dataclasses.replace(
                    view,
                    takes=found,
                    next_take=next_take(plan, numbers),
                    variants={s: seed_variants(statuses[s], records) for s in plan.edit_steps},
                )
            views.append(view)
        return views
    finally:
        pool.close()


def _view(
    project: Project,
    ref: IllustrationRef,
    title: str,
    plan: IllustrationPlan,
    statuses: dict[str, StepStatus],
) -> IllustrationView:
    prompt = statuses[plan.prompt_step] if plan.prompt_step else None
    return IllustrationView(
        key=f"{plan.chapter_id}/{plan.id}",
        ref=ref,
        chapter_title=title,
        illustration=plan.illustration,
        written_prompt=_written_prompt(project, plan, statuses),
        links=chain(plan, statuses, project),
        prompt_link=_link(prompt, "written prompt") if prompt else None,
    )


def chain(
    plan: IllustrationPlan, statuses: dict[str, StepStatus], project: Project | None = None
) -> list[Link]:
    """The illustration's pictures in order; with `project`, each with its size."""

    def size(digest: str | None) -> tuple[int, int] | None:
        return picture_size(project, digest) if project is not None else None

    image = statuses[plan.image_step]
    links = [_link(image, "picture" if image.step.op == "import" else "base picture")]
    links[0] = dataclasses.replace(links[0], size=size(links[0].digest))
    for index, step_id in enumerate(plan.edit_steps):
        status = statuses[step_id]
        before = links[-1]
        edit = plan.illustration.edits[index]
        prompt = str(getattr(edit.params, "prompt", None) or "")
        has_mask = getattr(edit.params, "mask", None) is not None
        link = _link(status, f"edit {index + 1}: {edit.op}", before.digest, index, prompt, has_mask)
        offset = (getattr(edit.params, "left", 0), getattr(edit.params, "up", 0))
        seed = status.step.params.get("seed")
        link = dataclasses.replace(
            link, seed=seed, size=size(link.digest), before_size=before.size, offset=offset
        )
        links.append(link)
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
        key=status.key,
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


def edit_fields(
    plan: IllustrationPlan, statuses: dict[str, StepStatus], index: int
) -> dict[str, Any]:
    """What the editor shows of edit `index` to change it: op, its fields as written, the seed
    it runs with, and its mask when drawn as a shape."""
    edit = plan.illustration.edits[index]
    fields = edit.params.model_dump(mode="json", exclude_none=True)
    step = statuses[plan.edit_steps[index]].step
    fields["op"] = edit.op
    fields["running_seed"] = step.params.get("seed")
    fields["changeable"] = list(changeable(edit.op))
    return fields


def chapter_jumps(views: list[IllustrationView]) -> list[tuple[str, str, int]]:
    """(chapter title, anchor, illustrations) in board order: the board's jump list."""
    jumps: dict[str, tuple[str, str, int]] = {}
    for view in views:
        title, _, count = jumps.get(view.chapter_anchor, (view.chapter_heading, "", 0))
        jumps[view.chapter_anchor] = (title, view.chapter_anchor, count + 1)
    return list(jumps.values())


def picture_index(project: Project) -> dict[str, dict[str, str]]:
    """The book's pictures by the name the HTML gives them (16 hex digits of the final
    picture's digest) -> the illustration's key and board anchor."""
    found: dict[str, dict[str, str]] = {}
    for view in board(project, with_takes=False):
        digest = view.final.digest
        if digest is not None and digest.startswith("sha256:"):
            found[digest[7:23]] = {"key": view.key, "anchor": view.anchor}
    return found
