"""ControlNet on a web UI, checked so that a picture drawn without control is never kept.

The web UI runs the ControlNet extension as an "always-on script" and catches any error inside
it: it logs the error, draws WITHOUT control and answers 200. sd-webui-controlnet refuses a
unit whose weight is above 2, whose module or model it does not know; Forge's built-in
ControlNet names modules differently (`None`, `normalbae`) and has no `/controlnet/version`.
So: the weight is checked before sending, the module is matched against the server's own
`/controlnet/module_list`, and the answer must carry the unit's infotext, which the extension
writes into `extra_generation_params["ControlNet 0"]` only when it ran the unit.
"""

from __future__ import annotations

from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.client import NAME

MAX_WEIGHT = 2.0
"""sd-webui-controlnet's limit on a unit's weight (the spec's `strength` goes up to 5)."""
UNIT_KEY = "ControlNet 0"


def check_weight(weight: float) -> None:
    if weight > MAX_WEIGHT:
        raise ProviderError(
            f"ControlNet `strength: {weight:g}` is above {MAX_WEIGHT:g}, the most the web UI's "
            "ControlNet takes (it would silently draw without control): lower it to 2 or less",
            provider=NAME,
        )


def server_module(wanted: str, listed: list[str] | None, shown_url: str) -> str:
    """The server's own name for preprocessor `wanted` (`none` is `None` on Forge,
    `normal_bae` is `normalbae`); `wanted` when the server lists none."""
    if not listed:
        return wanted
    for match in (_exact, _folded, _squashed):
        found = [m for m in listed if match(m) == match(wanted)]
        if found:
            return found[0]
    shown = ", ".join(listed[:20]) + (" ..." if len(listed) > 20 else "")
    raise ProviderError(
        f"the ControlNet of the web UI at {shown_url} has no preprocessor `{wanted}` (it has: "
        f"{shown}); set `controlnet_preprocess: false` to send the reference as it is",
        provider=NAME,
    )


def _exact(name: str) -> str:
    return name


def _folded(name: str) -> str:
    return name.lower()


def _squashed(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def check_applied(info: dict[str, Any], model: str, shown_url: str) -> None:
    """Refuse an answer whose picture was drawn without the ControlNet unit."""
    extra = info.get("extra_generation_params")
    if isinstance(extra, dict) and str(extra.get(UNIT_KEY) or "").strip():
        return
    raise ProviderError(
        f"the web UI at {shown_url} drew this picture WITHOUT ControlNet (its answer records no "
        f"`{UNIT_KEY}` unit: the extension failed and the web UI went on without it). Its "
        f"console says why; check that model `{model}` and the preprocessor are installed. "
        "Nothing was kept",
        provider=NAME,
    )
