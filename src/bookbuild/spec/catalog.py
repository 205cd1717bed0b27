"""What the spec needs to know of the back ends, passed in by the caller (the provider registry
implements it): spec/ sits below providers/ and never imports them.

`ProviderInfo` is satisfied by a `Provider` class itself (its classmethods); `ProviderCatalog`
by `bookbuild.providers.registry.CATALOG`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bookbuild.spec.presets import Preset


@dataclass(frozen=True)
class CastNeeds:
    """What one picture's cast asks of a back end, known from the spec alone (`validate`)."""

    characters: tuple[str, ...] = ()
    """The ids of the characters the picture shows."""
    references: tuple[str, ...] = ()
    """Of those, the ids that have reference pictures (files or a character sheet)."""
    loras: tuple[str, ...] = ()
    """Of those, the ids that have a `lora:`."""
    style_reference: bool = False
    """The book has `style.art.reference` pictures."""


CastProblem = tuple[Literal["error", "warning"], str]
"""(severity, message): a warning is an error under `validate --strict`."""


class ProviderInfo(Protocol):
    """A provider class as validation sees it: what it can do and what it refuses, statically."""

    name: str

    def image_ops(self) -> frozenset[str]: ...

    def ops_for(self, preset: Any) -> frozenset[str]: ...

    def preset_problems(self, preset: Any) -> list[str]: ...

    def request_problems(
        self, preset: Any, *, size: tuple[int, int] | None, texts: tuple[str, ...]
    ) -> list[str]: ...

    def preset_op_problem(self, preset: Any, op: str) -> str | None: ...

    def book_file_problems(
        self, preset: Any, role: str, data: bytes
    ) -> list[tuple[tuple[str, ...], str]]: ...

    def cast_problems(self, preset: Any, op: str, needs: CastNeeds) -> list[CastProblem]: ...


class ProviderCatalog(Protocol):
    """The registered back ends: names, classes (as ProviderInfo) and their presets' models."""

    def provider_names(self) -> list[str]: ...

    def provider_info(self, name: str) -> ProviderInfo:
        """The provider registered as `name`; ConfigError if unknown or broken."""
        ...

    def options_model(self, name: str) -> type[Preset]:
        """The options model of provider `name`'s presets; ConfigError if unknown or broken."""
        ...

    def tagged_options_models(self) -> list[type[Preset]]:
        """One options model per loadable provider, `provider` fixed to its name (the JSON
        Schema's discriminated union of presets)."""
        ...

    def draft_preset(self) -> Preset:
        """The preset every step uses under `--draft` (the offline provider)."""
        ...
