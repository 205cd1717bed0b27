"""The cast in prompts: `{id}` placeholders, their expansion, and which characters a picture
shows. Pure, except `bind_cast`, which reads the (small) `describe` output from the store.

A prompt names a character by its placeholder (`{hare}`); the image step replaces it with the
character's description verbatim, so the chat model never paraphrases how a character looks
and repainting a character never re-runs a chat step. A character the picture shows whose
placeholder is missing is put first; the art style (`style.art.description`) goes last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from bookbuild.graph.steps import ArtInput, CastInput, Step
from bookbuild.spec.base import PLACEHOLDER, placeholders

__all__ = ["PLACEHOLDER", "bind_cast", "expand", "placeholders", "shown_in"]
SHEET_PROMPT = (
    "character sheet of {{{id}}}: the whole figure, front view, standing, neutral pose, "
    "plain light background"
)


def unknown_placeholders(text: str, known: Iterable[str]) -> list[str]:
    ids = set(known)
    return [name for name in placeholders(text) if name not in ids]


def expand(prompt: str, cast: Iterable[CastInput], art: ArtInput | None) -> str:
    """The prompt a back end gets: each placeholder replaced by the description, characters
    without a placeholder put first, the art style last. No cast and no art: unchanged."""
    members = {c.id: c for c in cast}
    if not members and (art is None or not art.description):
        return prompt
    named = set(placeholders(prompt))
    missing = [c.description for cid, c in members.items() if cid not in named]

    def description(match: re.Match[str]) -> str:
        member = members.get(match.group(1))
        return member.description if member else match.group(0)

    text = PLACEHOLDER.sub(description, prompt)
    parts = [*missing, text] if text.strip() else missing
    if art is not None and art.description and art.description not in text:
        parts.append(art.description)
    return ", ".join(p.strip().strip(",") for p in parts if p.strip())


def shown_in(prompt_json: bytes) -> list[str]:
    """The characters a stored `describe` output says the picture shows."""
    try:
        data = json.loads(prompt_json.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    found = data.get("characters") if isinstance(data, dict) else None
    return [str(c) for c in found] if isinstance(found, list) else []


def bind_cast(step: Step, digests: Mapping[str, str], read: Callable[[str], bytes]) -> Step:
    """A step whose cast comes from its `describe` prompt, narrowed to the characters the
    prompt names (its key then holds exactly those); unchanged when it has no such pool or the
    prompt is not known yet. `read` gives an object's bytes by digest."""
    if not step.cast_pool:
        return step
    prompt = dict(step.deps).get("prompt")
    if prompt is None or prompt not in digests:
        return step
    try:
        ids = shown_in(read(digests[prompt]))
    except (KeyError, OSError):
        return step
    pool = {c.id: c for c in step.cast_pool}
    cast = tuple(pool[i] for i in ids if i in pool)
    roles = {c.role for c in cast}
    deps = tuple((r, d) for r, d in step.deps if not r.startswith("cast:") or r in roles)
    return replace(step, cast=cast, cast_pool=(), deps=deps)
