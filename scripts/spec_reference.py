"""The spec reference page of the docs site, generated from `bookbuild schema` (never hand-copied).

    python scripts/spec_reference.py > spec.md   # what the hook writes as reference/spec.md

Every object of the JSON Schema (the book itself, then each `$defs` entry) becomes a section with
a table of its fields: name, type (objects linked to their section), default, description.
"""

from __future__ import annotations

import json
import sys
from typing import Any

INTRO = """\
# Spec reference (book.yaml)

This page is generated from the JSON Schema that `bookbuild schema` prints, on every build of
this site: it cannot drift from the code. Each section is one kind of object; a field whose type
links to another section holds that object. Fields marked **required** must be present; every
other field may be left out (its default applies). Unknown fields are errors
(`book.yaml:LINE:COL`, with a suggestion). A guided tour of the same fields is
[Writing book.yaml](../guide/spec.md); the editor wiring is in
[Editor completion](../howto/editor.md).
"""


def anchor(name: str) -> str:
    """The section anchor MkDocs gives a `## name` heading (lowercase, as toc's slugify)."""
    return name.lower()


def type_of(schema: dict[str, Any]) -> str:
    """A short, readable type: `string`, `list of Chapter`, `map of name → Preset`, ..."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{anchor(name)})"
    for union in ("anyOf", "oneOf"):
        if union in schema:
            parts = [type_of(s) for s in schema[union] if s.get("type") != "null"]
            return " or ".join(dict.fromkeys(parts)) or "null"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of name → {type_of(schema['additionalProperties'])}"
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind if k != "null")
    return str(kind or "any")


def limits(schema: dict[str, Any]) -> str:
    """Bounds worth knowing when writing the field (pattern, min/max)."""
    found = []
    for key, label in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
    ):
        if key in schema:
            found.append(f"{label} {schema[key]}")
    if "pattern" in schema:
        found.append(f"pattern `{schema['pattern']}`")
    return "; ".join(found)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def object_section(name: str, schema: dict[str, Any], level: str = "##") -> list[str]:
    """A heading, the object's description, and one table row per field."""
    lines = [f"{level} {name}", ""]
    if schema.get("description"):
        lines += [cell(schema["description"]), ""]
    properties: dict[str, Any] = schema.get("properties", {})
    if not properties:
        lines += [f"Type: {type_of(schema)}", ""]
        return lines
    required = set(schema.get("required", ()))
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    for field, prop in properties.items():
        value = prop.get("default")
        default = f"`{json.dumps(value, ensure_ascii=False)}`" if value is not None else ""
        if field in required:
            default = "**required**"
        description = prop.get("description", "")
        bound = limits(prop)
        if bound:
            description = f"{description} ({bound})" if description else bound
        lines.append(
            f"| `{field}` | {cell(type_of(prop))} | {cell(default)} | {cell(description)} |"
        )
    lines.append("")
    return lines


def render(schema: dict[str, Any]) -> str:
    """The whole reference page, in Markdown."""
    lines = [INTRO, *object_section("Book", schema)]
    for name, definition in schema.get("$defs", {}).items():
        lines += object_section(name, definition)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    from bookbuild.project import book_json_schema

    sys.stdout.write(render(book_json_schema()))


if __name__ == "__main__":
    main()
