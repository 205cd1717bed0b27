"""A loaded book spec: the validated Book and where each of its values is written in the file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bookbuild.errors import SpecIssue
from bookbuild.spec.catalog import ProviderCatalog
from bookbuild.spec.models import Book
from bookbuild.spec.positions import Loc, Position

SPEC_NAME = "book.yaml"


@dataclass(frozen=True)
class LoadedSpec:
    """A validated book spec and where each of its values is written in the file."""

    book: Book
    path: Path
    root: Path
    text: str
    positions: dict[Loc, Position]
    key_positions: dict[Loc, Position] = field(default_factory=dict)
    display_name: str = ""
    catalog: ProviderCatalog | None = field(default=None, compare=False, repr=False)
    """The back ends the spec was validated against (the draft preset comes from it)."""

    @property
    def file(self) -> str:
        """The spec file's name for messages: as the user gave it, or relative to the cwd."""
        return self.display_name or display_name(self.path, self.path)

    def position(self, *loc: str | int) -> Position:
        """(line, col) of the value at `loc`, or of its nearest parent that has one; 1-based."""
        return position_of(self.positions, loc)

    def where(self, *loc: str | int) -> str:
        """`book.yaml:LINE:COL` of the value at `loc` (or its nearest known parent)."""
        line, col = self.position(*loc)
        return f"{self.file}:{line}:{col}"

    def issue(self, loc: Loc, message: str, *, at_key: bool = False) -> SpecIssue:
        """A SpecIssue at `loc`: at the value, or (`at_key`) at the mapping key naming it."""
        key_position = self.key_positions.get(loc) if at_key else None
        line, col = key_position or self.position(*loc)
        return SpecIssue(self.file, line, col, message)


def position_of(positions: dict[Loc, Position], loc: Loc) -> Position:
    for end in range(len(loc), -1, -1):
        found = positions.get(loc[:end])
        if found is not None:
            return found
    return (1, 1)


def display_name(given: Path, spec_path: Path) -> str:
    if not given.is_absolute():
        shown = given / SPEC_NAME if spec_path.name == SPEC_NAME and given.is_dir() else given
        return os.path.normpath(shown)
    try:
        return str(spec_path.relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return spec_path.name
