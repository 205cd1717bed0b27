"""Is a step up to date? Answers with a state and the reasons (like `ninja -d explain`).

States:
  pinned   the lock pins this key and its object is in the store: nothing to do
  stored   not pinned, but the store has a result for this key (free: just pinned)
  stale    the lock pins an older key: the step is recomputed (reasons say which inputs changed)
  new      never built
  waiting  an upstream step must run first, so the key is not known yet
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bookbuild.lock import Lock
from bookbuild.plan import Graph
from bookbuild.steps import Step, manifest_changes, step_key, step_manifest
from bookbuild.store import Store

State = Literal["pinned", "stored", "stale", "new", "waiting"]
FREE_STATES = ("pinned", "stored")


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


def step_statuses(graph: Graph, lock: Lock, store: Store) -> dict[str, StepStatus]:
    """The status of every step, in dependency order; pure reads of lock and store."""
    statuses: dict[str, StepStatus] = {}
    for step in graph.steps.values():
        statuses[step.id] = _status(step, statuses, lock, store)
    return statuses


def known_digests(statuses: dict[str, StepStatus]) -> dict[str, str]:
    return {sid: s.digest for sid, s in statuses.items() if s.digest is not None}


def _status(step: Step, done: dict[str, StepStatus], lock: Lock, store: Store) -> StepStatus:
    digests = known_digests(done)
    pending = [dep for _, dep in step.deps if dep not in digests]
    pinned = lock.entries.get(step.id)
    if pending:
        state: State = "stale" if pinned else "waiting"
        reasons = tuple(f"upstream {dep} is {done[dep].state}" for dep in pending)
        return StepStatus(step, state, reasons=reasons)
    manifest = step_manifest(step, digests)
    key = step_key(step, digests)
    if pinned and pinned.key == key and store.has(pinned.digest):
        return StepStatus(step, "pinned", key, pinned.digest, manifest)
    record = store.lookup(key)
    if record is not None:
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
    return tuple(manifest_changes(old.manifest, manifest)) or ("key changed",)
