"""The JSON Schema of book.yaml, for `bookbuild schema` and editors (YAML language servers)."""

from __future__ import annotations

from types import NoneType
from typing import Annotated, Any, Union, get_args

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from bookbuild.spec.catalog import ProviderCatalog
from bookbuild.spec.models import Book, Edit
from bookbuild.spec.presets import Preset

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_TITLE = "bookbuild book spec (book.yaml)"


def _shorthand_edits() -> tuple[str, ...]:
    """Edits that need no settings: they may be written `- upscale`,
    `- remove_background: true` or `- remove_background:` (the loader turns those into `{}`)."""
    names = []
    for name, info in Edit.model_fields.items():
        params = [c for c in get_args(info.annotation) if isinstance(c, type) and c is not NoneType]
        model = params[0] if params and issubclass(params[0], BaseModel) else None
        if model is not None and _valid_empty(model):
            names.append(name)
    return tuple(names)


def _valid_empty(model: type[BaseModel]) -> bool:
    try:
        model.model_validate({})
    except ValidationError:
        return False
    return True


def book_json_schema(catalog: ProviderCatalog) -> dict[str, Any]:
    """The JSON Schema of `Book`: pydantic's, with the dialect, a title, and the edit shorthands."""
    generated = Book.model_json_schema()
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, **generated, "title": SCHEMA_TITLE}
    _allow_edit_shorthands(schema["$defs"])
    _presets_by_provider(schema, catalog.tagged_options_models())
    return schema


def _presets_by_provider(schema: dict[str, Any], members: list[type[Preset]]) -> None:
    """`models:` as a union of every registered provider's options model, discriminated by
    `provider`, so an editor completes exactly the fields of the preset's provider."""
    if not members:
        return
    union: Any = Annotated[Union[tuple(members)], Field(discriminator="provider")]  # noqa: UP007
    presets = TypeAdapter(dict[str, union]).json_schema(ref_template="#/$defs/{model}")
    schema["$defs"].update(presets.pop("$defs", {}))
    schema["$defs"].pop("Preset", None)
    models = schema["properties"]["models"]
    models["additionalProperties"] = presets["additionalProperties"]


def _allow_edit_shorthands(defs: dict[str, Any]) -> None:
    edit = defs["Edit"]
    edit["minProperties"] = 1
    edit["maxProperties"] = 1
    shorthands = _shorthand_edits()
    for name in shorthands:
        edit["properties"][name]["anyOf"].append({"const": True})
    items = defs["Illustration"]["properties"]["edits"]["items"]
    defs["Illustration"]["properties"]["edits"]["items"] = {
        "anyOf": [items, {"enum": list(shorthands)}]
    }
