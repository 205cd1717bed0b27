"""The summary `plan` opens with: how many steps will run, what changed by itself and what each
change cascades into, and which results that were pinned re-run only because of something
upstream (the work `freeze: true` keeps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bookbuild.graph.status import FREE_STATES, StepStatus

UPSTREAM = "upstream "
NOT_FREEZABLE = frozenset({"source", "summarize"})  # follow their chapter; freeze cannot keep them


@dataclass(frozen=True)
class Change:
    """A step that changed by itself (its own inputs), and the steps it makes run again."""

    step: str
    reasons: tuple[str, ...]
    cascades_into: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanSummary:
    counts: dict[str, int]  # state -> steps
    will_run: int
    changes: list[Change] = field(default_factory=list)
    rerun_by_upstream: list[str] = field(default_factory=list)  # pinned, re-run by a cascade

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "will_run": self.will_run,
            "changes": [
                {"step": c.step, "reasons": list(c.reasons), "cascades_into": list(c.cascades_into)}
                for c in self.changes
            ],
            "rerun_by_upstream": self.rerun_by_upstream,
        }


def will_run(status: StepStatus) -> bool:
    """The step is redone by `make` (a call, or a source step read again)."""
    return status.state not in FREE_STATES


def summarize(statuses: dict[str, StepStatus]) -> PlanSummary:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status.state] = counts.get(status.state, 0) + 1
    running = [s for s in statuses.values() if will_run(s)]
    own = {s.step.id: s for s in running if _own_reasons(s)}
    cascades: dict[str, list[str]] = {sid: [] for sid in own}
    rerun: list[str] = []
    for status in running:
        if status.step.id in own:
            continue
        for root in _roots(status.step.id, statuses, own):
            cascades[root].append(status.step.id)
        if status.state == "stale" and status.step.op not in NOT_FREEZABLE:
            rerun.append(status.step.id)
    changes = [
        Change(sid, _own_reasons(own[sid]), tuple(cascades[sid]))
        for sid in own
        if own[sid].state == "stale" or any(statuses[d].state == "stale" for d in cascades[sid])
    ]
    return PlanSummary(counts, len(running), changes, rerun)


def _own_reasons(status: StepStatus) -> tuple[str, ...]:
    """The reasons that are not "upstream X is ...": what changed in the step itself."""
    return tuple(r for r in status.reasons if not r.startswith(UPSTREAM))


def _roots(step_id: str, statuses: dict[str, StepStatus], own: dict[str, StepStatus]) -> list[str]:
    """The self-changed steps upstream of `step_id` that make it run (through running steps)."""
    found: list[str] = []
    seen: set[str] = set()
    stack = [dep for _, dep in statuses[step_id].step.deps]
    while stack:
        dep = stack.pop()
        if dep in seen or dep not in statuses or not will_run(statuses[dep]):
            continue
        seen.add(dep)
        if dep in own:
            found.append(dep)
        else:
            stack.extend(d for _, d in statuses[dep].step.deps)
    return sorted(found)
