"""What the studio's cast page shows: the lineup (reports/cast.py), each generated sheet's
take and approval, and the take "New take" makes; and the characters' own reference files."""

from __future__ import annotations

from typing import Any

from bookbuild.project import Project
from bookbuild.reports.board import illustration_plans, plan_and_statuses
from bookbuild.reports.cast import lineup, with_sent
from bookbuild.reports.takes import next_take, take_numbers
from bookbuild.spec.paths import resolve_in_book

SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def cast_page(project: Project) -> dict[str, Any]:
    """The lineup, each sheet's illustration (take, freeze) and its next take, by character."""
    graph, statuses = plan_and_statuses(project)
    numbers = take_numbers(project)
    sheets, next_takes = {}, {}
    for ref, _, plan in illustration_plans(graph):
        if ref.character is not None:
            sheets[ref.character] = plan.illustration
            next_takes[ref.character] = next_take(plan, numbers)
    found = with_sent(project, lineup(graph, statuses))
    return {"lineup": found, "sheets": sheets, "next_takes": next_takes}


def reference_file(project: Project, cid: str, number: int) -> bytes:
    """The bytes of reference file `number` of character `cid` (a path the spec names, inside
    the book folder). LookupError for any other."""
    character = project.spec.book.characters.get(cid)
    reference = character.reference if character is not None else None
    files = reference.file if reference is not None else None
    paths = [files] if isinstance(files, str) else list(files or [])
    if not 0 <= number < len(paths):
        raise LookupError(f"{cid} has no reference file {number}")
    return resolve_in_book(project.root, paths[number]).read_bytes()


def sniff_image(data: bytes) -> str:
    for signature, media in SIGNATURES:
        if data.startswith(signature):
            return media
    return "image/webp" if data[8:12] == b"WEBP" else "application/octet-stream"
