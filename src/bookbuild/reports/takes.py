"""The takes of an illustration: every stored version, found without re-planning the book
(graph/takes.py derives each take's steps from the planned ones)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from bookbuild.build.pool import ProviderPool
from bookbuild.graph.model import IllustrationPlan
from bookbuild.graph.status import StepStatus, known_digests
from bookbuild.graph.takes import chain_keys, take_steps
from bookbuild.project import Project
from bookbuild.store.objects import ActionRecord, Store


@dataclass(frozen=True)
class Take:
    number: int
    digest: str | None  # the final picture of that take, if stored
    seed: Any
    model: str
    provider: str
    cost_usd: float
    current: bool
    pictures: int = 1  # pictures of its chain stored (the picture, then each edit's)
    chain_length: int = 1

    @property
    def missing_edits(self) -> int:
        """Edits of the current chain not made for this take (0: its final picture is stored)."""
        return self.chain_length - self.pictures


_SEEN: dict[tuple[str, str], tuple[tuple[int, int], ActionRecord | None]] = {}
"""(store, key) -> (the action file's mtime and size, its record): a board request re-reads
only the records written since the last one."""


def records_by_step(project: Project) -> dict[str, list[ActionRecord]]:
    """Step id -> every result the store holds for it: one pass over the action index, so
    every stored take and variant is found, however many there are."""
    store = project.store
    found: dict[str, list[ActionRecord]] = {}
    for key in store.action_keys():
        record = _record(store, key)
        step = record.metadata.get("step") if record else None
        if record is not None and isinstance(step, str):
            found.setdefault(step, []).append(record)
    return found


def _record(store: Store, key: str) -> ActionRecord | None:
    path = os.path.join(store.root, "actions", key[:2], f"{key}.json")
    try:
        info = os.stat(path)
    except OSError:
        return None
    stamp = (info.st_mtime_ns, info.st_size)
    seen = _SEEN.get((str(store.root), key))
    if seen is not None and seen[0] == stamp:
        return seen[1]
    record = store.lookup(key)
    _SEEN[(str(store.root), key)] = (stamp, record)
    return record


def take_numbers(
    project: Project, records: dict[str, list[ActionRecord]] | None = None
) -> dict[str, set[int]]:
    """Step id -> every `take` the store holds a result for."""
    found: dict[str, set[int]] = {}
    for step, kept in (records if records is not None else records_by_step(project)).items():
        for record in kept:
            take = record.manifest.get("params", {}).get("take")
            if isinstance(take, int) and not isinstance(take, bool):
                found.setdefault(step, set()).add(take)
    return found


@dataclass(frozen=True)
class Variant:
    """A stored version of an edit that differs only by its seed."""

    seed: int
    digest: str
    current: bool


def seed_variants(status: StepStatus, records: dict[str, list[ActionRecord]]) -> list[Variant]:
    """Every stored result of the edit's step made from the same picture and settings but
    another seed (re-rolls and variants), the current one included, by seed."""
    if status.manifest is None or "seed" not in status.step.params:
        return []

    def without_seed(manifest: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in manifest.get("params", {}).items() if k != "seed"}
        return {**manifest, "params": params}

    same = without_seed(status.manifest)
    found: dict[int, Variant] = {}
    for record in records.get(status.step.id, []):
        seed = record.manifest.get("params", {}).get("seed")
        if isinstance(seed, int) and without_seed(record.manifest) == same:
            found[seed] = Variant(seed, record.digest, record.key == status.key)
    return [found[seed] for seed in sorted(found)]


def stored_seeds(project: Project, step_id: str) -> set[int]:
    """Every seed the store holds a result of the step for."""
    kept = records_by_step(project).get(step_id, [])
    seeds = (record.manifest.get("params", {}).get("seed") for record in kept)
    return {seed for seed in seeds if isinstance(seed, int)}


def next_take(plan: IllustrationPlan, numbers: dict[str, set[int]]) -> int:
    """The first take number after every stored one (and the current): a new take is new."""
    used = numbers.get(plan.image_step, set()) | {plan.illustration.take}
    return max(used) + 1


def takes(
    project: Project,
    plan: IllustrationPlan,
    statuses: dict[str, StepStatus],
    numbers: dict[str, set[int]],
    pool: ProviderPool,
) -> list[Take]:
    """Every stored take of the illustration (the current one always listed), each with the
    latest picture of its chain that is stored (a take made before an edit was added shows its
    picture without that edit)."""
    if plan.illustration.file is not None and not plan.edit_steps:
        return []
    current = plan.illustration.take
    steps = {sid: status.step for sid, status in statuses.items()}
    known = known_digests(statuses)
    cost = _chain_cost(plan, statuses, pool)
    found = []
    for number in sorted(numbers.get(plan.image_step, set()) | {current}):
        if number == current:
            ids = (plan.image_step, *plan.edit_steps)
            digests = [statuses[sid].digest for sid in ids]
            keys = [statuses[sid].key for sid in ids]
        else:
            pairs = chain_keys(take_steps(plan, steps, number), known, project.store.action_digest)
            digests, keys = [d for _, d in pairs], [k for k, _ in pairs]
            if not digests or digests[0] is None:
                continue
        made = [d for d in digests if d is not None]
        record = project.store.lookup(keys[0]) if keys and keys[0] else None
        found.append(_take(plan, record, number, current, made, cost))
    return found


def _chain_cost(
    plan: IllustrationPlan, statuses: dict[str, StepStatus], pool: ProviderPool
) -> float:
    cost = 0.0
    for step_id in (plan.image_step, *plan.edit_steps):
        step = statuses[step_id].step
        if step.is_call:
            cost += pool.get(step.preset, step.id).estimate_cost("image", step.op)
    return cost


def _take(
    plan: IllustrationPlan,
    record: ActionRecord | None,
    number: int,
    current: int,
    made: list[str],
    cost: float,
) -> Take:
    meta = record.metadata if record else {}
    params = record.manifest.get("params", {}) if record else {}
    return Take(
        number=number,
        digest=made[-1] if made else None,
        seed=meta.get("seed", params.get("seed")),
        model=str(meta.get("model", "")),
        provider=str(meta.get("provider", "")),
        cost_usd=cost,
        current=number == current,
        pictures=len(made),
        chain_length=1 + len(plan.edit_steps),
    )
