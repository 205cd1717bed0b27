"""`freeze: true`: keep what the author approved when only something upstream changed.

A frozen illustration (or chapter) keeps its pinned results when the only inputs that changed
come from outside it (the chapter text a prompt was written from, earlier chapters' summaries).
Its own fields still count: a step is frozen only if its key, computed with the outside inputs
it was made from, is still the pinned key. `make --refresh ID` lifts the freeze for ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from bookbuild.graph.model import ChapterPlan, FreezeScope, Graph, IllustrationPlan
from bookbuild.graph.steps import Step, step_key, step_manifest


def freeze_scopes(graph: Graph, refresh: Iterable[str] = ()) -> dict[str, FreezeScope]:
    """Step id -> the frozen scope it belongs to; `refresh` ids and globs are left out."""
    patterns = tuple(refresh)
    scopes: dict[str, FreezeScope] = {}
    illustrations = [(plan, plan.illustration.freeze) for plan in _illustrations(graph)]
    for plan, frozen in illustrations:
        if frozen:
            _add(scopes, FreezeScope(f"{plan.chapter_id}/{plan.id}", _steps_of(plan)), patterns)
    for chapter in graph.chapters:
        if chapter.chapter.freeze:
            _add(scopes, FreezeScope(chapter.chapter.id, _chapter_steps(graph, chapter)), patterns)
    return scopes


def refreshed(step_id: str, patterns: tuple[str, ...]) -> bool:
    """True when `--refresh` names the step, its illustration or its chapter (or a glob does)."""
    return any(
        fnmatchcase(step_id, pattern) or step_id.startswith(pattern.rstrip("/") + "/")
        for pattern in patterns
    )


def frozen_key_inputs(
    step: Step,
    digests: Mapping[str, str],
    old_inputs: Mapping[str, str],
    scope: FreezeScope,
) -> tuple[dict[str, str], list[str]] | None:
    """The upstream digests the step was made from, with outside inputs taken from its pinned
    manifest, and the outside steps that changed since; None when an inside input is unknown
    or was not recorded."""
    mixed: dict[str, str] = {}
    changed: list[str] = []
    for role, dep in step.deps:
        if dep in scope.steps:
            if dep not in digests:
                return None
            mixed[dep] = digests[dep]
            continue
        if role not in old_inputs:
            return None
        mixed[dep] = old_inputs[role]
        if digests.get(dep) != old_inputs[role]:
            changed.append(dep)
    return mixed, changed


def still_frozen(step: Step, mixed: Mapping[str, str], changed: list[str], pinned_key: str) -> bool:
    """Only outside inputs changed: with them as they were, the key is the pinned one."""
    return bool(changed) and step_key(step, mixed) == pinned_key


def frozen_manifest(step: Step, mixed: Mapping[str, str]) -> dict[str, object]:
    return step_manifest(step, mixed)


def _add(scopes: dict[str, FreezeScope], scope: FreezeScope, patterns: tuple[str, ...]) -> None:
    if refreshed(scope.name, patterns):
        return
    steps = frozenset(s for s in scope.steps if not refreshed(s, patterns))
    kept = FreezeScope(scope.name, steps)
    for step_id in steps:
        scopes[step_id] = kept


def _illustrations(graph: Graph) -> list[IllustrationPlan]:
    plans = [ill for chapter in graph.chapters for ill in chapter.illustrations]
    return [graph.cover, *plans] if graph.cover is not None else plans


def _steps_of(plan: IllustrationPlan) -> frozenset[str]:
    ids = [plan.prompt_step, plan.image_step, *plan.edit_steps]
    return frozenset(s for s in ids if s is not None)


def _chapter_steps(graph: Graph, chapter: ChapterPlan) -> frozenset[str]:
    ids = {chapter.text_step}
    summary = f"{chapter.chapter.id}/summary"
    if summary in graph.steps:
        ids.add(summary)
    for plan in chapter.illustrations:
        ids |= _steps_of(plan)
    return frozenset(ids)
