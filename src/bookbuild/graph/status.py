"""Is a step up to date? The one decision, made here for `plan`, `explain` and the engine alike;
it answers with a state and the reasons (like `ninja -d explain`).

States:
  pinned   the lock pins this key and its object is in the store: nothing to do
  stored   not pinned, but the store has a result for this key (free: just pinned)
  stale    the lock pins an older key: the step is recomputed (reasons say which inputs changed)
  new      never built
  waiting  an upstream step must run first, so the key is not known yet
  frozen   `freeze: true` and only something upstream (outside it) changed: the pinned result
           is kept (reasons say what changed; `make --refresh ID` redoes it)

A picture whose cast comes from its `describe` prompt is first bound to the characters the
prompt names (`graph.cast.bind_cast`): the step in the answer is the bound one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bookbuild.graph.cast import bind_cast
from bookbuild.graph.freeze import (
    frozen_key_inputs,
    frozen_manifest,
    outside_changes,
    still_frozen,
)
from bookbuild.graph.model import FreezeScope, Graph
from bookbuild.graph.steps import Step, manifest_changes, step_key, step_manifest
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store

State = Literal["pinned", "stored", "stale", "new", "waiting", "frozen"]
FREE_STATES = ("pinned", "stored", "frozen")
KEPT_STATES = ("pinned", "frozen")  # the lock already holds the result in use


@dataclass(frozen=True)
class StepStatus:
    step: Step
    state: State
    key: str | None = None
    digest: str | None = None  # the output digest, when known
    manifest: dict[str, Any] | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def needs_call(self) -> bool:
        return self.state not in FREE_STATES and self.step.is_call


Usable = Callable[[str], bool]
"""Whether an object digest can be used: `store.has` for a forecast; the engine passes a check
that reads and verifies the object."""


def step_statuses(graph: Graph, lock: Lock, store: Store) -> dict[str, StepStatus]:
    """The status of every step, in dependency order; pure reads of lock and store."""
    statuses: dict[str, StepStatus] = {}
    digests: dict[str, str] = {}  # kept as it grows: rebuilt per step, a plan was quadratic
    for step in graph.steps.values():
        scope = graph.frozen.get(step.id)
        status = statuses[step.id] = _status(step, statuses, digests, lock, store, scope)
        if status.digest is not None:
            digests[step.id] = status.digest
    return statuses


def known_digests(statuses: dict[str, StepStatus]) -> dict[str, str]:
    return {sid: s.digest for sid, s in statuses.items() if s.digest is not None}


def _status(
    step: Step,
    done: dict[str, StepStatus],
    digests: dict[str, str],
    lock: Lock,
    store: Store,
    scope: FreezeScope | None,
) -> StepStatus:
    if scope is not None:
        frozen = frozen_status(step, digests, lock, store, store.has, scope)
        if frozen is not None:
            return frozen
    pending = [dep for _, dep in step.deps if dep not in digests]
    if pending:
        state: State = "stale" if step.id in lock.entries else "waiting"
        step = bind_cast(step, digests, store.get)
        upstream = [f"upstream {dep} is {done[dep].state}" for dep in pending]
        reasons = tuple(_cast_reasons(step, digests, lock, store) + upstream)
        return StepStatus(step, state, reasons=reasons)
    return decide(step, digests, lock, store, store.has)


def _cast_reasons(step: Step, digests: Mapping[str, str], lock: Lock, store: Store) -> list[str]:
    """What changed in the cast of a picture that waits (e.g. for its character's new sheet):
    `characters.hare.description changed`, said now rather than after the sheet is drawn."""
    pinned = lock.entries.get(step.id)
    old = store.lookup(pinned.key) if pinned is not None and step.cast else None
    if old is None:
        return []
    changes = outside_changes(step, digests, old.manifest) or []
    return [c for c in changes if not c.endswith("is being redrawn")]


def frozen_status(
    step: Step,
    digests: Mapping[str, str],
    lock: Lock,
    store: Store,
    usable: Usable,
    scope: FreezeScope,
) -> StepStatus | None:
    """`frozen` when only inputs from outside the frozen scope changed (even if they are not
    known yet): the pinned result is kept. None when the normal decision applies."""
    pinned = lock.entries.get(step.id)
    old = store.lookup(pinned.key) if pinned else None
    if pinned is None or old is None:
        return None
    step = bind_cast(step, digests, store.get)
    found = frozen_key_inputs(step, digests, old.manifest.get("inputs", {}), scope)
    outside = outside_changes(step, digests, old.manifest)
    if found is None or outside is None:
        return None
    changed = [f"upstream {dep} changed" for dep in found[1]] + outside
    if not still_frozen(step, found[0], changed, pinned.key, old.manifest):
        return None
    if not usable(pinned.digest):
        return None
    hint = f"(`make --refresh {scope.name}` redoes it)"
    reasons = tuple(f"frozen: {change} {hint}" for change in changed)
    manifest = frozen_manifest(step, found[0], old.manifest)
    return StepStatus(step, "frozen", pinned.key, pinned.digest, manifest, reasons)


def decide(
    step: Step,
    digests: Mapping[str, str],
    lock: Lock,
    store: Store,
    usable: Usable,
    scope: FreezeScope | None = None,
) -> StepStatus:
    """The status of `step` whose upstream digests are all known: frozen (see above), pinned
    (the lock's object is usable), stored (the store has a usable result for the key), else new
    or stale with the reasons."""
    if scope is not None:
        frozen = frozen_status(step, digests, lock, store, usable, scope)
        if frozen is not None:
            return frozen
    step = bind_cast(step, digests, store.get)
    manifest = step_manifest(step, digests)
    key = step_key(step, digests)
    pinned = lock.entries.get(step.id)
    if pinned and pinned.key == key and usable(pinned.digest):
        return StepStatus(step, "pinned", key, pinned.digest, manifest)
    record = store.lookup(key)
    if record is not None and usable(record.digest):
        return StepStatus(step, "stored", key, record.digest, manifest)
    if pinned is None:
        return StepStatus(step, "new", key, None, manifest, ("not pinned in the lock yet",))
    if pinned.key == key:
        return StepStatus(step, "stale", key, None, manifest, ("pinned object missing from store",))
    return StepStatus(step, "stale", key, None, manifest, _why_changed(pinned.key, manifest, store))


def _why_changed(old_key: str, manifest: dict[str, Any], store: Store) -> tuple[str, ...]:
    old = store.lookup(old_key)
    if old is None:
        return ("key changed (the old result is not in the store, so no details)",)
    changes = manifest_changes(old.manifest, manifest)
    reasons = [_explained(r) if manifest.get("op") == "write" else r for r in changes]
    return tuple(reasons) or ("key changed",)


def _explained(reason: str) -> str:
    """A reason with what it means for the author, where a plain path would not say it."""
    if reason.startswith("params.cast "):
        return (
            f"{reason}: the characters' names or traits changed, so the chapter is written "
            "again (`freeze: true` on the chapter keeps its approved text)"
        )
    return reason
