"""Takes without re-planning: the steps of an illustration as they would be with `take: N`.

A take changes two things in the plan (plan.py): the `take` parameter of the picture and of its
edits, and every seed derived from it (take 1 uses the illustration's seed, take N that seed
+ N - 1). A seed written on an edit stays as written. Re-planning the whole book per take made
the studio's board slow; this derives the same steps from the planned ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from bookbuild.graph.model import IllustrationPlan
from bookbuild.graph.plan import MAX_SEED_PLUS_ONE
from bookbuild.graph.steps import Step, step_key


def step_for_take(step: Step, current: int, number: int, *, seed_written: bool = False) -> Step:
    """`step` (planned with `take: current`) as planned with `take: number`."""
    if "take" not in step.params or number == current:
        return step
    params = dict(step.params)
    params["take"] = number
    seed = params.get("seed")
    if isinstance(seed, int) and not seed_written:
        params["seed"] = (seed + number - current) % MAX_SEED_PLUS_ONE
    return dataclasses.replace(step, params=params)


def take_steps(plan: IllustrationPlan, steps: Mapping[str, Step], number: int) -> list[Step]:
    """The picture's step and its edits' steps, in chain order, for take `number`."""
    current = plan.illustration.take
    chain = [step_for_take(steps[plan.image_step], current, number)]
    for edit, step_id in zip(plan.illustration.edits, plan.edit_steps, strict=True):
        written = getattr(edit.params, "seed", None) is not None
        chain.append(step_for_take(steps[step_id], current, number, seed_written=written))
    return chain


def chain_keys(
    chain: list[Step], known: Mapping[str, str], lookup: Callable[[str], str | None]
) -> list[tuple[str, str | None]]:
    """(key, stored digest) of each step of a take's chain while the digests are known: a
    step whose input picture is not stored ends the list. `known` holds the digests of steps
    outside the chain (a written prompt); `lookup` gives a key's stored digest (or None)."""
    digests = dict(known)
    found: list[tuple[str, str | None]] = []
    for step in chain:
        if any(dep not in digests for _, dep in step.deps):
            break
        key = step_key(step, digests)
        digest = lookup(key)
        found.append((key, digest))
        if digest is None:
            break
        digests[step.id] = digest
    return found
