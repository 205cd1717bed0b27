"""Presets are validated by their provider's own options model (`Provider.Options`), found
through the provider registry; every problem is a SpecIssue at its book.yaml:LINE:COL.

A preset that fails is replaced by an inert stand-in (an offline preset, which can do
everything), so the semantic checks still run without reporting the same problem twice.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from bookbuild.errors import ConfigError, SpecIssue
from bookbuild.spec.catalog import ProviderCatalog
from bookbuild.spec.positions import Loc
from bookbuild.spec.presets import CHAT_FIELDS, IMAGE_FIELDS, ChatAndImagePreset, Preset

IssueAt = Callable[[Loc, str], SpecIssue]
ErrorsAt = Callable[[ValidationError, Loc, type[BaseModel]], list[SpecIssue]]


def stand_in_preset() -> Preset:
    return ChatAndImagePreset.model_construct(provider="offline")


def load_presets(
    raw_models: Any, catalog: ProviderCatalog, issue_at: IssueAt, errors_at: ErrorsAt
) -> tuple[Any, list[SpecIssue]]:
    """`models:` with each preset validated by its provider's options model, and the issues.
    Anything that is not a mapping of mappings is returned as it is, for the Book schema to
    report."""
    if not isinstance(raw_models, Mapping):
        return raw_models, []
    presets: dict[Any, Any] = {}
    issues: list[SpecIssue] = []
    for name, raw in raw_models.items():
        if not isinstance(raw, Mapping):
            presets[name] = raw
            continue
        preset, found = _load_one(str(name), raw, catalog, issue_at, errors_at)
        presets[name] = preset
        issues += found
    return presets, issues


def _load_one(
    name: str,
    raw: Mapping[str, Any],
    catalog: ProviderCatalog,
    issue_at: IssueAt,
    errors_at: ErrorsAt,
) -> tuple[Preset, list[SpecIssue]]:
    at: Loc = ("models", name)
    known = catalog.provider_names()
    provider = raw.get("provider")
    if not isinstance(provider, str) or not provider:
        message = "missing `provider`: the provider name (" + ", ".join(known) + " or a plugin)"
        return stand_in_preset(), [issue_at(at, message)]
    if provider not in known:
        return stand_in_preset(), [issue_at((*at, "provider"), _unknown(provider, known))]
    try:
        model = catalog.options_model(provider)
    except ConfigError as exc:
        return stand_in_preset(), [issue_at((*at, "provider"), str(exc))]
    ignored = _fields_of_other_kind(raw, model)
    issues = [issue_at(at, f"preset `{name}`: {_no_effect(ignored, provider, model)}")]
    issues = issues if ignored else []
    try:
        preset = model.model_validate({k: v for k, v in raw.items() if k not in ignored})
    except ValidationError as exc:
        return stand_in_preset(), issues + errors_at(exc, at, model)
    return (stand_in_preset() if issues else preset), issues


def _unknown(provider: str, known: list[str]) -> str:
    close = difflib.get_close_matches(provider, known, n=1, cutoff=0.6)
    if close:
        return f"unknown provider `{provider}` — did you mean `{close[0]}`?"
    return f"unknown provider `{provider}`; known providers: {', '.join(known)}"


_IMAGE_WORDS = IMAGE_FIELDS | {"embeddings", "enhance_prompt", "safety_checker", "upscale_model"}


def _fields_of_other_kind(raw: Mapping[str, Any], model: type[Preset]) -> list[str]:
    """Chat fields on a preset of a provider that only draws, and the other way round."""
    kind_words = CHAT_FIELDS | _IMAGE_WORDS
    return sorted(k for k in raw if k in kind_words and k not in model.model_fields)


def _no_effect(fields: list[str], provider: str, model: type[Preset]) -> str:
    draws = bool(set(IMAGE_FIELDS) & set(model.model_fields))
    chats = bool(set(CHAT_FIELDS) & set(model.model_fields))
    kind = "" if draws and chats else "image " if draws else "chat "
    names = ", ".join(f"`{f}`" for f in fields)
    return (
        f"{names} has no effect on the {kind}provider `{provider}`; remove it "
        "(or use a preset of another provider)"
    )
