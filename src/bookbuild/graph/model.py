"""The graph of a book: its steps in dependency order and the book's structure around them
(chapters, illustrations, the cover, the presets used, the frozen scopes). Data only: plan.py
builds it, freeze.py, status.py and everything after read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookbuild.graph.steps import CastInput, Step
from bookbuild.spec.models import Chapter, Character, Illustration
from bookbuild.spec.presets import Preset


@dataclass(frozen=True)
class FreezeScope:
    """A frozen illustration or chapter: its name (for messages) and its steps."""

    name: str
    steps: frozenset[str]


@dataclass(frozen=True)
class IllustrationPlan:
    chapter_id: str
    illustration: Illustration
    id: str
    prompt_step: str | None  # the `describe` step, if any
    image_step: str
    edit_steps: tuple[str, ...]

    @property
    def final_step(self) -> str:
        return self.edit_steps[-1] if self.edit_steps else self.image_step


@dataclass(frozen=True)
class ChapterPlan:
    chapter: Chapter
    text_step: str
    illustrations: tuple[IllustrationPlan, ...]


@dataclass(frozen=True)
class CharacterPlan:
    """One member of the cast: what its pictures' keys hold, and its generated character
    sheet (chapter id `cast`), if it has one."""

    id: str
    character: Character
    input: CastInput
    sheet: IllustrationPlan | None = None


@dataclass
class Graph:
    """Steps in dependency order, plus the book's structure for rendering."""

    steps: dict[str, Step] = field(default_factory=dict)
    chapters: list[ChapterPlan] = field(default_factory=list)
    cover: IllustrationPlan | None = None
    cast: list[CharacterPlan] = field(default_factory=list)  # the characters, with their sheets
    presets: dict[str, Preset] = field(default_factory=dict)  # as used (after --draft)
    frozen: dict[str, FreezeScope] = field(default_factory=dict)  # step id -> `freeze: true`

    def add(self, step: Step) -> str:
        self.steps[step.id] = step
        return step.id
