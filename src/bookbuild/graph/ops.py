"""THE op table: every operation a step can perform, in one place.

For each op: its kind (`source` needs no call, `chat` and `image` call a provider), its version
(bump it when the meaning of its inputs or its output format changes: it is part of every key),
the media type of its output, the spec model of its `edits:` entry when it is an edit, and the
inputs it needs (`image`, `mask`, `control_image`). Plan, runner, validation, the JSON Schema and
every provider read it; a provider declares the op names it implements (`Provider.ops`).

Adding an edit op: its spec model (spec/edits.py), one entry here, and the providers that do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from bookbuild.spec import edits

StepKind = Literal["source", "chat", "image"]
InputRole = Literal["image", "mask", "control_image"]

TEXT = "text/markdown"
JSON = "application/json"
PNG = "image/png"


@dataclass(frozen=True)
class Op:
    name: str
    kind: StepKind
    version: int
    media_type: str
    summary: str
    inputs: tuple[InputRole, ...] = ()
    edit: type[BaseModel] | None = None  # the spec model when the op is an `edits:` entry
    size_from_input: bool = True  # the output takes the input picture's size

    @property
    def is_call(self) -> bool:
        """True when running the op calls a provider (costs time or money)."""
        return self.kind != "source"


def _edit_op(
    name: str, inputs: tuple[InputRole, ...], version: int = 1, size_from_input: bool = True
) -> Op:
    """An image op that is an `edits:` entry: its spec model and summary come from spec.edits."""
    model, summary = edits.EDITS[name]
    return Op(name, "image", version, PNG, summary, inputs, model, size_from_input)


_TABLE: tuple[Op, ...] = (
    Op("source", "source", 1, TEXT, "Hand-written chapter text."),
    Op("import", "source", 1, PNG, "Your own picture, used as-is."),
    Op("write", "chat", 1, TEXT, "Write a chapter from its brief."),
    Op("summarize", "chat", 1, TEXT, "Summarise a chapter for the writer of later ones."),
    Op("describe", "chat", 1, JSON, "Write an image prompt from the chapter's text."),
    Op("txt2img", "image", 1, PNG, "Draw a picture from a prompt."),
    Op("controlnet", "image", 1, PNG, "Draw guided by a reference.", ("control_image",)),
    _edit_op("inpaint", ("image", "mask")),
    _edit_op("outpaint", ("image",)),
    _edit_op("upscale", ("image",)),
    _edit_op("remove_background", ("image",)),
    _edit_op("img2img", ("image",), size_from_input=False),
    _edit_op("erase", ("image", "mask")),
    _edit_op("replace", ("image",)),
)

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
CHAT_OPS: frozenset[str] = frozenset(op.name for op in _TABLE if op.kind == "chat")
IMAGE_OPS: frozenset[str] = frozenset(op.name for op in _TABLE if op.kind == "image")
EDIT_OPS: tuple[Op, ...] = tuple(op for op in _TABLE if op.edit is not None)


def op_named(name: str) -> Op:
    """The op called `name`; an unknown name is a bug in bookbuild (KeyError), not user input."""
    return OPS[name]
