"""The exported JSON Schema documents every field and matches what the loader accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bookbuild.project import book_json_schema
from bookbuild.spec.schema import JSON_SCHEMA_DIALECT


def properties(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) in the schema, through $defs and nested schemas."""
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            yield f"{path}/properties/{name}", prop
        for key, value in node.items():
            yield from properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from properties(value, f"{path}/{i}")


def test_schema_names_its_dialect_and_title() -> None:
    schema = book_json_schema()
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["title"] == "bookbuild book spec (book.yaml)"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"title", "chapters"}
    json.dumps(schema)


def test_every_property_has_a_description() -> None:
    found = list(properties(book_json_schema()))
    assert len(found) > 60
    undocumented = [path for path, prop in found if not prop.get("description")]
    assert undocumented == []


def test_schema_allows_the_edit_shorthands_the_loader_accepts() -> None:
    defs = book_json_schema()["$defs"]
    edit = defs["Edit"]
    assert (edit["minProperties"], edit["maxProperties"]) == (1, 1)
    assert {"const": True} in edit["properties"]["remove_background"]["anyOf"]
    assert {"const": True} in edit["properties"]["upscale"]["anyOf"]
    assert {"const": True} not in edit["properties"]["inpaint"]["anyOf"]
    items = defs["Illustration"]["properties"]["edits"]["items"]
    assert {"enum": ["upscale", "remove_background"]} in items["anyOf"]


def test_schema_is_a_valid_schema_that_accepts_a_full_spec() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = book_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    spec = {
        "title": "토끼와 거북이",
        "models": {"painter": {"provider": "sdapi", "width": 768}},
        "defaults": {"image": "painter"},
        "chapters": [
            {
                "id": "race",
                "title": "경주",
                "text": "토끼가 달린다.",
                "illustrations": [
                    {
                        "prompt": "a hare",
                        "edits": [
                            {"inpaint": {"mask": {"rect": [0, 0, 0.5, 0.5]}, "prompt": "hat"}},
                            {"remove_background": True},
                            "upscale",
                        ],
                    }
                ],
            }
        ],
    }
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(spec)) == []
    spec["chapters"][0]["ilustrations"] = []  # type: ignore[index]
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(spec)) != []
