"""What one web UI has installed, asked once per build and only when a step runs: the
checkpoint a preset names (its exact title), the upscaler and the ControlNet model a step
needs. A name the server does not know is one clear error listing the names it does know,
before any picture is asked for (the web UI itself would silently ignore an unknown checkpoint
and draw with whatever model is loaded)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.client import NAME, A1111Client
from bookbuild.providers.a1111.options import A1111Options
from bookbuild.providers.a1111.references import INSTALL, IPAdapter, pick, unit_count

T = TypeVar("T")
_SHOWN = 12


@dataclass(frozen=True)
class Checkpoint:
    title: str  # what `override_settings.sd_model_checkpoint` gets
    aliases: frozenset[str]  # every name and hash it goes by

    def drew(self, info_name: Any, info_hash: Any) -> bool:
        """Whether `info`'s `sd_model_name` / `sd_model_hash` are this checkpoint's."""
        return bool({str(info_name or ""), str(info_hash or "")} & self.aliases)

    @property
    def name(self) -> str:
        return self.title.split(" [")[0].rsplit(".", 1)[0]


class ServerFacts:
    def __init__(self, client: A1111Client) -> None:
        self.client = client
        self._cache: dict[str, Any] = {}
        self._guard = threading.Lock()

    def _once(self, key: str, ask: Callable[[], T]) -> T:
        with self._guard:
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
        value = ask()
        with self._guard:
            self._cache[key] = value
        return value

    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, name: str) -> Checkpoint:
        """The installed checkpoint called `name` (by title, file name, name or hash)."""
        listing = self._once("sd-models", lambda: _list(self.client.get("/sdapi/v1/sd-models")))
        for item in listing:
            aliases = _aliases(item)
            if name in aliases:
                return Checkpoint(str(item["title"]), frozenset(aliases))
        titles = [str(item.get("title")) for item in listing]
        raise ProviderError(
            f"the web UI at {self.client.shown_url} has no checkpoint `{name}`; it has: "
            f"{_names(titles)}; set the preset's `model` to one of them "
            "(or put the file in models/Stable-diffusion and refresh)",
            provider=NAME,
        )

    # -- upscalers -------------------------------------------------------------------------

    def upscaler(self, name: str) -> str:
        listing = self._once("upscalers", lambda: _list(self.client.get("/sdapi/v1/upscalers")))
        names = [str(item.get("name")) for item in listing]
        for known in names:
            if known.lower() == name.lower():
                return known
        raise ProviderError(
            f"the web UI at {self.client.shown_url} has no upscaler `{name}`; it has: "
            f"{_names(names)}; set the preset's `upscaler` to one of them",
            provider=NAME,
        )

    # -- ControlNet ------------------------------------------------------------------------

    def controlnet_model(self, kind: str, chosen: str | None) -> str:
        """The ControlNet model for `kind` (the preset's choice, checked when the extension
        lists its models, or the installed model whose name contains the type); a clear error
        when the extension is missing."""
        models = self._once("controlnet", self._controlnet_models)
        if models is None:  # the extension runs but has no routes to list its models
            if chosen is None:
                raise ProviderError(
                    f"the web UI at {self.client.shown_url} does not list its ControlNet "
                    f"models: name one in the preset: `controlnet_models: {{{kind}: ...}}`",
                    provider=NAME,
                )
            return chosen
        if chosen is not None:
            if chosen in models or any(m.split(" [")[0] == chosen for m in models):
                return chosen
            raise ProviderError(
                f"the ControlNet extension has no model `{chosen}`; it has: {_names(models)}",
                provider=NAME,
            )
        found = [m for m in models if kind.lower() in m.lower()]
        if not found:
            raise ProviderError(
                f"no ControlNet model for type `{kind}` on the web UI at "
                f"{self.client.shown_url} (it has: {_names(models)}); install one in "
                f"models/ControlNet or name it in the preset: `controlnet_models: {{{kind}: ...}}`",
                provider=NAME,
            )
        return found[0]

    def _controlnet_models(self) -> list[str] | None:
        """The extension's models; None when it runs without its routes (the web UI's script
        list names it); an error naming the extension when it is not installed."""
        try:
            self.client.get("/controlnet/version")
        except ProviderError as err:
            if err.status != 404:
                raise
            if self._has_script("controlnet"):
                return None
            raise ProviderError(
                f"the web UI at {self.client.shown_url} has no ControlNet extension "
                "(no /controlnet/version, no `controlnet` in /sdapi/v1/scripts): install "
                "sd-webui-controlnet from the Extensions tab and restart it (Forge has it "
                "built in), or draw this picture with another preset",
                provider=NAME,
            ) from None
        answer = self.client.get("/controlnet/model_list")
        models = answer.get("model_list") if isinstance(answer, dict) else None
        return [str(m) for m in models or [] if str(m) != "None"]

    def ip_adapter(self, options: A1111Options) -> tuple[IPAdapter, int]:
        """The IP-Adapter module and model for character references, and how many ControlNet
        units the server runs; a clear error naming what to install when it has none."""
        models = self._once("controlnet", self._controlnet_models)
        if models is None:  # the extension runs without its routes: the preset must name both
            if options.ip_adapter_model and options.ip_adapter_module:
                return IPAdapter(options.ip_adapter_module, options.ip_adapter_model), 3
            raise ProviderError(
                f"the web UI at {self.client.shown_url} does not list its ControlNet models: "
                "name them in the preset: `ip_adapter_model` and `ip_adapter_module`",
                provider=NAME,
            )
        if not any("ip-adapter" in m.lower() for m in models):
            raise ProviderError(
                f"the web UI at {self.client.shown_url} has no IP-Adapter model for character "
                f"references: {INSTALL}",
                provider=NAME,
            )
        modules = self._once("controlnet-modules", self._controlnet_modules)
        count = self._once("controlnet-units", lambda: unit_count(self.client))
        return pick(options, modules, models), count

    def _controlnet_modules(self) -> list[str]:
        answer = self.client.get("/controlnet/module_list")
        modules = answer.get("module_list") if isinstance(answer, dict) else None
        return [str(m) for m in modules or []]

    def _has_script(self, name: str) -> bool:
        answer = self.client.get("/sdapi/v1/scripts")
        listed = answer.get("txt2img") if isinstance(answer, dict) else None
        return name in [str(s).lower() for s in listed or []]


def _list(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, list):
        raise ProviderError("the web UI answered a listing with something else", provider=NAME)
    return [item for item in answer if isinstance(item, dict)]


def _aliases(item: dict[str, Any]) -> set[str]:
    """The names the web UI accepts for a checkpoint: title, file name, name, hashes."""
    title = str(item.get("title") or "")
    filename = str(item.get("filename") or "").replace("\\", "/").rsplit("/", 1)[-1]
    names = {title, title.split(" [")[0], filename, str(item.get("model_name") or "")}
    names |= {
        filename.rsplit(".", 1)[0],
        str(item.get("hash") or ""),
        str(item.get("sha256") or ""),
    }
    return {n for n in names if n}


def _names(names: list[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
