"""Finding providers: the entry-point group `bookbuild.providers`. The built-ins register there
exactly like a third-party package does (`[project.entry-points."bookbuild.providers"]`).

Only the providers a book names are imported (a provider module may still defer its HTTP client
or SDK until a step runs); `bookbuild schema` loads them all.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from pydantic import Field, create_model

from bookbuild.errors import ConfigError
from bookbuild.graph.ops import CHAT_OPS, IMAGE_OPS
from bookbuild.providers.base import Provider
from bookbuild.spec.catalog import ProviderInfo
from bookbuild.spec.presets import ChatAndImagePreset, ChatPreset, ImagePreset, Preset

GROUP = "bookbuild.providers"
AnyProvider = type[Provider[Any]]


def _entry_points() -> dict[str, EntryPoint]:
    return _entry_points_on(tuple(sys.path))


@lru_cache(maxsize=8)
def _entry_points_on(path: tuple[str, ...]) -> dict[str, EntryPoint]:
    """Scanning every installed distribution takes tens of ms; a plan asks once per step, so
    the answer is kept for as long as `sys.path` (where plugins are found) stays the same."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def provider_names() -> list[str]:
    """Every registered provider name, without importing any provider."""
    return sorted(_entry_points())


def provider_class(name: str) -> AnyProvider:
    """The provider class registered as `name` (only its module is imported)."""
    found = _entry_points().get(name)
    if found is None:
        known = ", ".join(provider_names()) or "none"
        raise ConfigError(f"unknown provider {name!r} (known: {known})")
    return _load(found)


def provider_classes() -> dict[str, AnyProvider | None]:
    """Every registered provider class by name; None for one that cannot be loaded."""
    loaded: dict[str, AnyProvider | None] = {}
    for name, ep in sorted(_entry_points().items()):
        try:
            loaded[name] = _load(ep)
        except ConfigError:
            loaded[name] = None
    return loaded


def _load(ep: EntryPoint) -> AnyProvider:
    try:
        cls = ep.load()
    except Exception as exc:  # a plugin that fails to import is a broken installation
        raise ConfigError(
            f"provider `{ep.name}` cannot be loaded from {ep.value} "
            f"({type(exc).__name__}: {exc}); reinstall it or remove the package"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigError(f"provider `{ep.name}` ({ep.value}) is not a bookbuild Provider class")
    return cls


def options_model(cls: AnyProvider) -> type[Preset]:
    """The options model of a provider's presets: its own `Options`, or, for a provider that
    declares none, the shared chat and/or image fields its ops need."""
    if cls.Options is not Preset:
        return cls.Options
    chat, image = bool(cls.ops & CHAT_OPS), bool(cls.ops & IMAGE_OPS)
    if chat and image:
        return ChatAndImagePreset
    return ChatPreset if chat else ImagePreset if image else Preset


_TAGGED: dict[tuple[str, AnyProvider], type[Preset]] = {}


def tagged_options_model(name: str, cls: AnyProvider) -> type[Preset]:
    """The options model with `provider` fixed to `name`: one member of the discriminated
    union of presets in the JSON Schema."""
    if (name, cls) not in _TAGGED:
        _TAGGED[(name, cls)] = _tagged(name, options_model(cls))
    return _TAGGED[(name, cls)]


def _tagged(name: str, base: type[Preset]) -> type[Preset]:
    described = f"Provider name: always `{name}` for this kind of preset."
    fields: dict[str, Any] = {"provider": (Literal[name], Field(description=described))}
    model_name = "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
    doc = (base.__doc__ or "").strip() or f"A `{name}` preset."
    return create_model(
        f"{model_name}Preset", __base__=base, __module__=__name__, __doc__=doc, **fields
    )


def make_preset(**fields: Any) -> Preset:
    """A preset validated by its provider's options model (for scripts and tests)."""
    return options_model(provider_class(str(fields["provider"]))).model_validate(fields)


DRAFT_PROVIDER = "offline"


class RegistryCatalog:
    """The registry as spec/ sees it (`bookbuild.spec.catalog.ProviderCatalog`)."""

    def provider_names(self) -> list[str]:
        return provider_names()

    def provider_info(self, name: str) -> ProviderInfo:
        return provider_class(name)

    def options_model(self, name: str) -> type[Preset]:
        return options_model(provider_class(name))

    def tagged_options_models(self) -> list[type[Preset]]:
        classes = provider_classes().items()
        return [tagged_options_model(name, cls) for name, cls in classes if cls]

    def draft_preset(self) -> Preset:
        return make_preset(provider=DRAFT_PROVIDER, model="offline-draft")


CATALOG = RegistryCatalog()
"""The catalog of every installed provider: what callers pass to `load_spec`."""
