"""`freeze: true`: keep what the author approved when only something upstream changed.

A frozen illustration (or chapter) keeps its pinned results when the only inputs that changed
come from outside it (the chapter text a prompt was written from, earlier chapters' summaries).
Its own fields still count: a step is frozen only if its key, computed with the outside inputs
it was made from, is still the pinned key. The cast a picture shows (a character's description,
reference and LoRA) and the art style count as outside too, as long as the picture shows the
same characters. `make --refresh ID` lifts the freeze for ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any

from bookbuild.graph.model import ChapterPlan, FreezeScope, Graph, IllustrationPlan
from bookbuild.graph.steps import Step, manifest_changes, step_manifest
from bookbuild.hashing import key_of


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
        if role.startswith("cast:"):  # a character sheet: compared with the cast, below
            continue
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


OUTSIDE_SECTIONS = ("characters", "art")


def outside_changes(
    step: Step, digests: Mapping[str, str], old: Mapping[str, Any]
) -> list[str] | None:
    """What changed in the picture's cast and art style since its pinned result, as reasons
    (`characters.hare.description changed`); None when it now shows other characters."""
    before = old.get("characters", {})
    if set(before) != {c.id for c in step.cast} or ("art" in old) != (step.art is not None):
        return None
    changes: list[str] = []
    for member in step.cast:
        if member.sheet is not None and member.sheet not in digests:
            changes.append(f"characters.{member.id}.reference is being redrawn")
            kept = before[member.id].get("reference", [""])[:1] or [""]
            now = member.manifest({**digests, member.sheet: kept[0]})
        else:
            now = member.manifest(digests)
        changes += manifest_changes(before[member.id], now, f"characters.{member.id}")
    if step.art is not None:
        changes += manifest_changes(old["art"], step.art.manifest(), "art")
    return changes


def still_frozen(
    step: Step,
    mixed: Mapping[str, str],
    changed: list[str],
    pinned_key: str,
    old: Mapping[str, Any],
) -> bool:
    """Only outside inputs changed: with them as they were, the key is the pinned one."""
    return bool(changed) and key_of(frozen_manifest(step, mixed, old)) == pinned_key


def frozen_manifest(step: Step, mixed: Mapping[str, str], old: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with the outside inputs as they were: `mixed` for the dependencies, the
    pinned manifest's cast and art style."""
    manifest = step_manifest(replace(step, cast=(), art=None), mixed)
    for section in OUTSIDE_SECTIONS:
        if section in old:
            manifest[section] = old[section]
    return manifest


def _add(scopes: dict[str, FreezeScope], scope: FreezeScope, patterns: tuple[str, ...]) -> None:
    if refreshed(scope.name, patterns):
        return
    steps = frozenset(s for s in scope.steps if not refreshed(s, patterns))
    kept = FreezeScope(scope.name, steps)
    for step_id in steps:
        scopes[step_id] = kept


def _illustrations(graph: Graph) -> list[IllustrationPlan]:
    plans = [ill for chapter in graph.chapters for ill in chapter.illustrations]
    plans += [member.sheet for member in graph.cast if member.sheet is not None]
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
