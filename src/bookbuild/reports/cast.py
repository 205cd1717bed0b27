"""The cast lineup: each character's reference and every picture it appears in (the art
director's consistency check), read from plan, lock and store; and what repainting one
character would re-run and cost. Nothing here writes or calls a provider.

`lineup(graph, statuses)` is pure; `cast_lineup(project)` plans and reads the lock first.
The proofs cast page and the studio's cast page are both drawn from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from bookbuild.build.forecast import forecast
from bookbuild.build.pool import ProviderPool
from bookbuild.errors import ConfigError
from bookbuild.graph.model import CharacterPlan, Graph, IllustrationPlan
from bookbuild.graph.plan import plan_book
from bookbuild.graph.status import StepStatus, step_statuses
from bookbuild.project import Project
from bookbuild.reports.cast_sent import how_sent
from bookbuild.reports.changes import candidate_project
from bookbuild.spec import specwrite

ReferenceKind = Literal["file", "sheet", "none"]
CastSource = Literal["spec", "prompt"]


@dataclass(frozen=True)
class Appearance:
    """One picture a character appears in."""

    key: str  # "<chapter>/<illustration>", as in step ids ("cover/front", "cast/tortoise")
    title: str  # the chapter's title ("Cover", "Cast")
    image_step: str
    final_step: str  # the picture as printed (after its edits)
    state: str  # of the final step
    digest: str | None  # the final picture, when known
    image_digest: str | None
    source: CastSource  # "spec": `characters:` or `{id}`; "prompt": the describe step said
    image_key: str | None = None  # the image step's key (its stored result, when built)
    sent: str = ""  # how the character's reference reached it (reports/cast_sent.py)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CastMember:
    id: str
    name: str
    description: str
    traits: str
    reference: ReferenceKind
    files: tuple[str, ...]  # the author's reference files (paths in the book folder)
    digests: tuple[str, ...]  # reference digests: the files', or the sheet's final picture
    sheet: str | None  # "cast/<id>": the generated sheet's illustration key
    sheet_step: str | None  # its final step
    state: str  # the sheet's final state; "file" or "none" without a sheet
    appearances: tuple[Appearance, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["appearances"] = [a.to_json() for a in self.appearances]
        return data


@dataclass(frozen=True)
class Lineup:
    members: tuple[CastMember, ...]
    undecided: tuple[str, ...] = field(default=())
    """Pictures whose cast is not known yet (their `describe` prompt is not written)."""

    def member(self, cid: str) -> CastMember:
        for m in self.members:
            if m.id == cid:
                return m
        raise LookupError(cid)

    def to_json(self) -> dict[str, Any]:
        return {
            "characters": [m.to_json() for m in self.members],
            "undecided": list(self.undecided),
        }


def cast_lineup(project: Project) -> Lineup:
    graph = plan_book(project.spec, draft=project.draft)
    found = lineup(graph, step_statuses(graph, project.load_lock(), project.store))
    return with_sent(project, found)


def with_sent(project: Project, found: Lineup) -> Lineup:
    """The lineup with, under each picture, how the character's reference reached it (read
    from the picture's stored result)."""
    members = []
    for member in found.members:
        shown = []
        for a in member.appearances:
            record = project.store.lookup(a.image_key) if a.image_key else None
            said = how_sent(record.metadata, member.id) if record is not None else ""
            shown.append(dataclasses.replace(a, sent=said))
        members.append(dataclasses.replace(member, appearances=tuple(shown)))
    return dataclasses.replace(found, members=tuple(members))


def lineup(graph: Graph, statuses: dict[str, StepStatus]) -> Lineup:
    """Every character with its reference and the pictures it appears in, in book order."""
    shown: dict[str, list[Appearance]] = {member.id: [] for member in graph.cast}
    undecided: list[str] = []
    for title, plan in picture_plans(graph):
        found = _cast_of(plan, statuses)
        if found is None:
            undecided.append(f"{plan.chapter_id}/{plan.id}")
            continue
        ids, source = found
        for cid in ids:
            if cid in shown:
                shown[cid].append(_appearance(title, plan, statuses, source))
    members = tuple(_member(m, statuses, tuple(shown[m.id])) for m in graph.cast)
    return Lineup(members, tuple(undecided))


def picture_plans(graph: Graph) -> list[tuple[str, IllustrationPlan]]:
    """The book's pictures (cover first, then the chapters'), with their chapter's title."""
    found: list[tuple[str, IllustrationPlan]] = []
    if graph.cover is not None:
        found.append(("Cover", graph.cover))
    for chapter in graph.chapters:
        found += [(chapter.chapter.title, plan) for plan in chapter.illustrations]
    return found


def _cast_of(
    plan: IllustrationPlan, statuses: dict[str, StepStatus]
) -> tuple[list[str], CastSource] | None:
    """The ids the picture's chain shows; None when its describe prompt must say first."""
    ids: list[str] = []
    source: CastSource = "spec"
    for step_id in (plan.image_step, *plan.edit_steps):
        step = statuses[step_id].step
        if step.cast_pool:
            return None
        if step_id == plan.image_step and plan.prompt_step and plan.illustration.characters is None:
            source = "prompt"
        ids += [c.id for c in step.cast if c.id not in ids]
    return ids, source


def _appearance(
    title: str, plan: IllustrationPlan, statuses: dict[str, StepStatus], source: CastSource
) -> Appearance:
    final = statuses[plan.final_step]
    return Appearance(
        f"{plan.chapter_id}/{plan.id}",
        title,
        plan.image_step,
        plan.final_step,
        final.state,
        final.digest,
        statuses[plan.image_step].digest,
        source,
        statuses[plan.image_step].key,
    )


def _member(
    member: CharacterPlan, statuses: dict[str, StepStatus], shown: tuple[Appearance, ...]
) -> CastMember:
    character, sheet = member.character, member.sheet
    files = tuple(f.path for f in member.input.files)
    digests = tuple(f.digest for f in member.input.files)
    kind: ReferenceKind = "file" if files else "none"
    state: str = kind
    if sheet is not None:
        final = statuses[sheet.final_step]
        kind, state = "sheet", final.state
        digests = (final.digest,) if final.digest else ()
    return CastMember(
        member.id,
        character.name,
        character.description,
        character.traits or "",
        kind,
        files,
        digests,
        f"cast/{member.id}" if sheet else None,
        sheet.final_step if sheet else None,
        state,
        shown,
    )


@dataclass(frozen=True)
class ChangeForecast:
    """What a new description (or reference) of one character would re-run, and its cost."""

    character: str
    steps: tuple[str, ...]  # the steps that would be called, and are not called now
    chat_steps: tuple[str, ...]  # of them, the chat steps (none: the cast never re-writes)
    calls: int
    cost_usd: float
    unknown_price_calls: int = 0
    free: str = ""  # why the calls cost nothing: "draft", "local" (this machine), or ""
    pending: int = 0  # calls the book needs anyway (not built yet, or stale), not counted

    @property
    def pictures(self) -> tuple[str, ...]:
        """The pictures redrawn ("race/start", "cast/hare"), in step order."""
        chat = set(self.chat_steps)
        keys = (sid.rsplit("/", 1)[0] for sid in self.steps if sid not in chat)
        return tuple(dict.fromkeys(keys))

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "pictures": list(self.pictures)}


def described(project: Project, cid: str, description: str) -> str:
    """book.yaml's text with `description` as the character's (every other byte kept)."""
    if cid not in project.spec.book.characters:
        cast = ", ".join(project.spec.book.characters) or "none"
        raise ConfigError(f"no character {cid!r}; the cast is: {cast}")
    if not description.strip():
        raise ConfigError(f"characters.{cid}.description: a description cannot be empty")
    return specwrite.set_character_field(project.spec.text, cid, "description", description)


def change_forecast(project: Project, cid: str, description: str | None = None) -> ChangeForecast:
    """Plan the book as if the character's description were `description` (by default: any
    new one), checked like `validate`, and compare with now. Nothing is written."""
    character = project.spec.book.characters.get(cid)
    if description is None and character is not None:
        description = character.description + " (changed)"
    candidate = candidate_project(project, described(project, cid, description or ""))
    lock = project.load_lock()
    now = step_statuses(plan_book(project.spec, draft=project.draft), lock, project.store)
    graph = plan_book(candidate.spec, draft=project.draft)
    after = step_statuses(graph, lock, project.store)
    extra = {
        sid: s
        for sid, s in after.items()
        if s.needs_call and not (sid in now and now[sid].needs_call)
    }
    pool = ProviderPool(graph.presets, project.env, 1, lambda event: None)
    try:
        cost = forecast(extra, pool)
    finally:
        pool.close()
    chat = tuple(sid for sid, s in extra.items() if s.step.kind == "chat")
    unpriced = sum(cost.unpriced.values())
    free = "draft" if project.draft else "local" if cost.local and not cost.total_cost else ""
    pending = sum(1 for s in now.values() if s.needs_call)
    return ChangeForecast(
        cid,
        tuple(extra),
        chat,
        cost.total_calls,
        round(cost.total_cost, 6),
        unpriced,
        free,
        pending,
    )
