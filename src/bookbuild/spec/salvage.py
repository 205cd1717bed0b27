"""When a spec fails the schema, keep what does validate, so the semantic checks (ids, presets,
paths) still run and every error is reported in one go, not in waves.

Parts that fail are replaced by inert stand-ins at the same index, so positions stay right:
a chapter by an empty text chapter, a preset by an `offline` one (it can do everything, so it
raises nothing of its own), defaults and style by their defaults, the cover by none."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bookbuild.spec.models import Book, Chapter, Character, Cover, Defaults, Style
from bookbuild.spec.preset_loading import stand_in_preset
from bookbuild.spec.presets import Preset

M = TypeVar("M", bound=BaseModel)


def salvage_book(data: dict[str, Any]) -> Book:
    """A Book made of the valid parts of `data` (which as a whole failed validation)."""
    chapters = data.get("chapters")
    models = data.get("models")
    cast = data.get("characters")
    return Book.model_construct(
        title=str(data.get("title") or ""),
        language=str(data.get("language") or "en"),
        models={
            str(name): raw if isinstance(raw, Preset) else stand_in_preset()
            for name, raw in (models.items() if isinstance(models, dict) else [])
        },
        defaults=_valid(Defaults, data.get("defaults", {})) or Defaults(),
        style=_valid(Style, data.get("style", {})) or Style(),
        cover=_valid(Cover, data.get("cover")),
        characters={  # kept, so pictures naming them are not also reported
            name: found
            for name, raw in (cast.items() if isinstance(cast, dict) else [])
            if (found := _valid(Character, raw)) is not None
        },
        chapters=[
            _valid(Chapter, raw) or _stand_in(i)
            for i, raw in enumerate(chapters if isinstance(chapters, list) else [])
        ],
    )


def _valid(model: type[M], raw: Any) -> M | None:
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _stand_in(index: int) -> Chapter:
    return Chapter.model_construct(id=f"-invalid-{index}", title="-", text="", illustrations=[])
