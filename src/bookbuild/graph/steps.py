"""Steps and their keys: the core contract (DESIGN §5).

A step is one unit of work (a model call, or `source` for hand-written text). Its key is the
SHA-256 of the canonical JSON of its manifest: everything that can change its result (op and its
version, provider, key-relevant preset fields, parameters, and the digests of its inputs) and
nothing that cannot (no secrets, URLs, timestamps or concurrency settings). Ops, their versions
and media types are in `bookbuild.graph.ops`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bookbuild.graph.ops import StepKind, op_named
from bookbuild.graph.prompts import PROMPT_VERSION
from bookbuild.hashing import key_of


@dataclass(frozen=True)
class FileInput:
    """A file of the book folder that a step reads, hashed when the plan is made."""

    path: str  # relative to the book folder, as written in the spec
    digest: str  # "sha256:<hex>" of its bytes


@dataclass(frozen=True)
class CastInput:
    """A character a picture shows, as far as its key goes: name and description, the LoRA
    and reference weight, and the reference pictures (the author's files, or the output of
    the character sheet's final step, a dependency of role `cast:<id>`)."""

    id: str
    name: str
    description: str
    files: tuple[FileInput, ...] = ()
    sheet: str | None = None  # final step id of the generated character sheet
    lora: Mapping[str, Any] | None = None
    weight: float = 0.6

    @property
    def role(self) -> str:
        return f"cast:{self.id}"

    def manifest(self, dep_digests: Mapping[str, str]) -> dict[str, Any]:
        if self.sheet is not None:
            reference = [dep_digests[self.sheet]]
        else:
            reference = [f.digest for f in self.files]
        return {
            "name": self.name,
            "description": self.description,
            "reference": reference,
            "lora": dict(self.lora) if self.lora else None,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class ArtInput:
    """`style.art`: its description (added to the prompt) and reference pictures."""

    description: str
    files: tuple[FileInput, ...] = ()

    def manifest(self) -> dict[str, Any]:
        return {"description": self.description, "reference": [f.digest for f in self.files]}


@dataclass(frozen=True)
class Step:
    id: str
    op: str  # a name in the op table (`bookbuild.graph.ops`)
    preset: str = ""  # preset name ("" for source steps)
    provider: str = ""  # provider name after --draft routing ("" for source steps)
    model: Mapping[str, Any] = field(default_factory=dict)  # key-relevant preset fields
    params: Mapping[str, Any] = field(default_factory=dict)
    deps: tuple[tuple[str, str], ...] = ()  # (role, upstream step id), ordered
    files: tuple[tuple[str, FileInput], ...] = ()  # (role, file input), ordered
    cast: tuple[CastInput, ...] = ()  # the characters the picture shows (part of the key)
    cast_pool: tuple[CastInput, ...] = ()
    """Candidates when the cast comes from the `describe` prompt (dependency `prompt`): the
    step is bound to the ones the prompt names before its key is computed (graph.cast)."""
    art: ArtInput | None = None  # `style.art` (part of the key)

    @property
    def kind(self) -> StepKind:
        return op_named(self.op).kind

    @property
    def media_type(self) -> str:
        return op_named(self.op).media_type

    @property
    def is_call(self) -> bool:
        """True when running the step calls a provider (costs time or money)."""
        return self.kind != "source"


def book_files(step: Step) -> list[FileInput]:
    """Every file of the book folder the step reads: its own, its characters' references
    (all candidates, before the cast is bound) and the art style's."""
    members = (*step.cast, *step.cast_pool)
    return [
        *(f for _, f in step.files),
        *(f for member in members for f in member.files),
        *(step.art.files if step.art is not None else ()),
    ]


def step_manifest(step: Step, dep_digests: Mapping[str, str]) -> dict[str, Any]:
    """Everything that can change the step's result. `dep_digests` maps upstream step ids to
    their output digests; every dependency must be present. The cast (`characters`, whose
    sheets are `cast:<id>` dependencies) and the art style appear only when the step has them,
    so a book without them keeps its keys."""
    manifest: dict[str, Any] = {
        "op": step.op,
        "op_version": op_named(step.op).version,
        **({"prompt_version": PROMPT_VERSION} if step.kind == "chat" else {}),
        "provider": step.provider,
        "model": dict(step.model),
        "params": dict(step.params),
        "inputs": {
            role: dep_digests[dep] for role, dep in step.deps if not role.startswith("cast:")
        },
        "files": {role: f.digest for role, f in step.files},
    }
    if step.cast:
        manifest["characters"] = {c.id: c.manifest(dep_digests) for c in step.cast}
    if step.art is not None:
        manifest["art"] = step.art.manifest()
    return manifest


def step_key(step: Step, dep_digests: Mapping[str, str]) -> str:
    return key_of(step_manifest(step, dep_digests))


def manifest_changes(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Human-readable reasons why a manifest changed: the dotted paths that differ."""
    changes: list[str] = []
    _diff(prefix, old, new, changes)
    return changes


def _diff(prefix: str, old: Any, new: Any, out: list[str]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for name in sorted(set(old) | set(new)):
            path = f"{prefix}.{name}" if prefix else str(name)
            if name not in old:
                out.append(f"{path} added")
            elif name not in new:
                out.append(f"{path} removed")
            else:
                _diff(path, old[name], new[name], out)
    elif old != new:
        out.append(f"{prefix} changed")
