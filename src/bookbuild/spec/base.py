"""The base of every spec model, and the small types they share."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=64,
        description="A stable id: lowercase letters, digits, '-' and '_' (used in step ids).",
    ),
]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

PLACEHOLDER = re.compile(r"\{([a-z0-9][a-z0-9_-]{0,63})\}")
"""A character in a prompt: `{id}`, replaced by its description when the picture is drawn."""


def placeholders(text: str) -> list[str]:
    """The ids named as `{id}` in `text`, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
