"""The names a preset gives a web UI, checked against what it has before a picture is asked
for: the web UI drops an unknown LoRA (logged), replaces an unknown sampler by its first one
and an unknown scheduler by the model's default (1.9+), and versions before 1.9 ignore
`scheduler` altogether, each time with HTTP 200 and a picture made otherwise than asked.

Listings: GET /sdapi/v1/samplers (name, aliases), /sdapi/v1/schedulers (name, label; 404
before 1.9), /sdapi/v1/loras (name, alias). Each is read once per build (`ServerFacts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.client import NAME

_SHOWN = 12


def check_names(
    samplers: list[dict[str, Any]],
    schedulers: list[dict[str, Any]] | None,
    loras: list[dict[str, Any]] | None,
    *,
    sampler: str,
    scheduler: str | None,
    lora_names: Iterable[str],
    shown_url: str,
) -> None:
    """ProviderError naming the first name the web UI would not use as given; `schedulers`
    None: the web UI has no /schedulers (before 1.9); `loras` None: not checked."""
    schedule_names = _names(schedulers or [], ("name", "label"))
    if scheduler:
        if schedulers is None:
            _refuse(
                f"this web UI ({shown_url}) is older than 1.9: it ignores `scheduler: "
                f"{scheduler}`; remove it, or name the schedule in the sampler "
                "(e.g. `sampler: DPM++ 2M Karras`)"
            )
        if scheduler not in schedule_names:
            _refuse(
                f"the web UI at {shown_url} has no scheduler `{scheduler}`; it has: "
                f"{_listed(_names(schedulers or [], ('name',)))}"
            )
    base = _without_schedule(sampler, schedule_names)
    if base not in _names(samplers, ("name", "aliases")):
        _refuse(
            f"the web UI at {shown_url} has no sampler `{sampler}` (it would draw with its "
            f"first one instead); it has: {_listed(_names(samplers, ('name',)))}"
        )
    if loras is None:  # not asked (no LoRA), or the web UI does not list them
        return
    installed = _names(loras, ("name", "alias"))
    for lora in lora_names:
        if lora not in installed:
            _refuse(
                f"the web UI at {shown_url} has no LoRA `{lora}` (it would draw without it); "
                f"it has: {_listed(_names(loras, ('name',)))}; put the file in models/Lora "
                "and refresh, or fix the name"
            )


def _without_schedule(sampler: str, schedules: set[str]) -> str:
    """ "DPM++ 2M Karras" is sampler "DPM++ 2M" with schedule Karras, as the web UI reads it."""
    for schedule in schedules:
        if sampler.endswith(" " + schedule):
            return sampler[: -len(schedule) - 1]
    return sampler


def _names(listing: list[dict[str, Any]], fields: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for item in listing:
        for field in fields:
            value = item.get(field)
            values = value if isinstance(value, list) else [value]
            found |= {str(v) for v in values if v}
    return found


def _listed(names: set[str]) -> str:
    shown = sorted(names)
    text = ", ".join(shown[:_SHOWN]) or "none"
    return text + (f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else "")


def _refuse(message: str) -> None:
    raise ProviderError(message, provider=NAME)
