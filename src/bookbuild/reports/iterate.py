"""Iterating on one illustration, as book.yaml texts: re-roll an edit with a new seed, make N
variants of a picture (takes) or of an edit (seeds), change an edit in place. Each function
returns new texts (the round-trip writer keeps every other byte); nothing is written here."""

from __future__ import annotations

from typing import Any

from bookbuild.errors import StudioInputError
from bookbuild.graph.model import IllustrationPlan
from bookbuild.graph.status import StepStatus
from bookbuild.spec import specwrite
from bookbuild.spec.edits import EDITS
from bookbuild.spec.specwrite import IllustrationRef, edit_at

MAX_VARIANTS = 8
SEEDED = ("inpaint", "outpaint", "img2img", "erase")
CHANGEABLE = ("prompt", "negative_prompt", "strength", "seed", "model")
MARGINS = ("left", "right", "up", "down")  # an outpaint's: 0 is the default (the line goes)


def changeable(op: str) -> tuple[str, ...]:
    """The fields of an `op` edit the studio can change in place (its mask aside)."""
    model = EDITS[op][0] if op in EDITS else None
    names = model.model_fields if model is not None else {}
    return tuple(name for name in (*CHANGEABLE, *MARGINS) if name in names)


def edit_seed(statuses: dict[str, StepStatus], plan: IllustrationPlan, index: int) -> int:
    """The seed edit `index` runs with now (written, or derived from the take)."""
    seed = statuses[plan.edit_steps[index]].step.params.get("seed")
    if not isinstance(seed, int):
        raise StudioInputError(f"edit {index + 1} takes no seed: there is nothing to re-roll")
    return seed


def next_seeds(used: set[int], current: int, count: int) -> list[int]:
    """`count` seeds after the current one that no stored variant of the edit used."""
    found: list[int] = []
    seed = current
    while len(found) < count:
        seed += 1
        if seed not in used:
            found.append(seed)
    return found


def with_edit_seed(text: str, ref: IllustrationRef, index: int, seed: int) -> str:
    op, params = edit_at(text, ref, index)
    if op not in SEEDED:
        raise StudioInputError(f"{_an(op)} edit takes no seed")
    return specwrite.replace_edit(text, ref, index, {op: {**params, "seed": seed}})


def changed_edit(
    text: str, ref: IllustrationRef, index: int, fields: dict[str, Any], mask: Any | None
) -> str:
    """Edit `index` with `fields` changed (None, "" or a margin of 0 removes the field) and
    a new mask; a field the edit's op does not take is refused."""
    op, params = edit_at(text, ref, index)
    unknown = sorted(set(fields) - set(changeable(op)))
    if unknown:
        raise StudioInputError(f"{_an(op)} edit has no {', '.join(unknown)} to change")
    new = dict(params)
    for name, value in fields.items():
        if value is None or value == "" or (name in MARGINS and value == 0):
            new.pop(name, None)
        else:
            new[name] = value
    if mask is not None:
        if "mask" not in params:
            raise StudioInputError(f"{_an(op)} edit has no mask to change")
        new["mask"] = mask
    return specwrite.replace_edit(text, ref, index, {op: new})


def take_variants(text: str, ref: IllustrationRef, first: int, count: int) -> list[str]:
    """Texts with `take: first`, `first + 1`, …: `count` new pictures (the first is kept)."""
    _check_count(count)
    return [specwrite.set_field(text, ref, "take", first + n) for n in range(count)]


def seed_variants(text: str, ref: IllustrationRef, index: int, seeds: list[int]) -> list[str]:
    _check_count(len(seeds))
    return [with_edit_seed(text, ref, index, seed) for seed in seeds]


def _check_count(count: int) -> None:
    if not 2 <= count <= MAX_VARIANTS:
        raise StudioInputError(f"make 2 to {MAX_VARIANTS} variants at once")


def _an(op: str) -> str:
    return f"{'an' if op[:1] in 'aeiou' else 'a'} {op}"
