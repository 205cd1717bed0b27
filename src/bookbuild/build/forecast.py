"""What `make` would spend: calls per provider and their estimated cost (cache hits are free).
Read by `plan` and by `make --budget`; no provider is called."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookbuild.build.pool import ProviderPool
from bookbuild.graph.status import StepStatus


@dataclass(frozen=True)
class Forecast:
    calls: dict[str, int]  # provider -> calls
    cost: dict[str, float]  # provider -> USD
    unpriced: dict[str, int] = field(default_factory=dict)  # preset -> calls of unknown price
    local: frozenset[str] = frozenset()  # providers that run on this machine (free)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_cost(self) -> float:
        return sum(self.cost.values())


def forecast(statuses: dict[str, StepStatus], pool: ProviderPool) -> Forecast:
    """Calls `make` would make per provider, and their estimated cost."""
    calls: dict[str, int] = {}
    cost: dict[str, float] = {}
    unpriced: dict[str, int] = {}
    local: set[str] = set()
    for status in statuses.values():
        step = status.step
        if not status.needs_call:
            continue
        calls[step.provider] = calls.get(step.provider, 0) + 1
        provider = pool.get(step.preset, step.id)
        estimate = provider.estimate_cost("chat" if step.kind == "chat" else "image", step.op)
        cost[step.provider] = cost.get(step.provider, 0.0) + estimate
        if provider.local:
            local.add(step.provider)
        if not provider.price_known():
            unpriced[step.preset] = unpriced.get(step.preset, 0) + 1
    return Forecast(calls, cost, unpriced, frozenset(local))
