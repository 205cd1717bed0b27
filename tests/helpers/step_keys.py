"""Every step key of a book, with fixed stand-in digests for the upstream outputs, so that keys
can be compared without building anything."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import step_key
from bookbuild.project import load_spec


def stand_in(step_id: str) -> str:
    """The digest a test pretends step `step_id` produced."""
    return "sha256:" + hashlib.sha256(step_id.encode()).hexdigest()


def keys_of(book: Path, draft: bool = False) -> dict[str, str]:
    graph = plan_book(load_spec(book), draft=draft)
    return {
        sid: step_key(step, {dep: stand_in(dep) for _, dep in step.deps})
        for sid, step in graph.steps.items()
    }
