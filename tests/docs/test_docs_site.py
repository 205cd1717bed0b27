"""The documentation site: the spec reference is generated from the JSON Schema, the navigation
picks up every page of docs/, and the README's links point at pages that exist."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

from bookbuild.project import book_json_schema

ROOT = Path(__file__).resolve().parents[2]
SPEC_REFERENCE = runpy.run_path(str(ROOT / "scripts" / "spec_reference.py"))
HOOKS = runpy.run_path(str(ROOT / "scripts" / "docs_hooks.py"))


def test_spec_reference_has_a_section_and_a_row_for_every_schema_field() -> None:
    schema = book_json_schema()
    page = SPEC_REFERENCE["render"](schema)
    for name, definition in {"Book": schema, **schema["$defs"]}.items():
        assert f"\n## {name}\n" in page
        for field in definition.get("properties", {}):
            assert f"| `{field}` |" in page, (name, field)


def test_spec_reference_follows_a_new_field_of_the_schema() -> None:
    schema = book_json_schema()
    schema["$defs"]["Style"]["properties"]["sparkle"] = {
        "type": "boolean",
        "default": False,
        "description": "Glitter on every page.",
    }
    page = SPEC_REFERENCE["render"](schema)
    assert "| `sparkle` | boolean | `false` | Glitter on every page. |" in page


def test_spec_reference_links_objects_to_their_sections() -> None:
    page = SPEC_REFERENCE["render"](book_json_schema())
    assert "list of [Chapter](#chapter)" in page
    for target in set(re.findall(r"\]\(#([a-z0-9]+)\)", page)):
        assert re.search(rf"^## {target}$", page, re.IGNORECASE | re.MULTILINE), target


def _pages(nav: list[Any]) -> list[str]:
    found: list[str] = []
    for entry in nav:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            found += _pages(value) if isinstance(value, list) else [value]
    return found


def test_navigation_picks_up_a_new_page_of_another_engineer(tmp_path: Path) -> None:
    (tmp_path / "howto").mkdir()
    (tmp_path / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "howto" / "choose-a-service.md").write_text("# Choose\n", encoding="utf-8")
    (tmp_path / "characters.md").write_text("# Characters\n", encoding="utf-8")
    (tmp_path / "reference").mkdir()
    nav = HOOKS["build_nav"](tmp_path)
    pages = _pages(nav)
    assert "characters.md" in pages
    assert {"Features": ["characters.md"]} in nav
    assert "reference/spec.md" in pages  # generated: listed though no file exists


def test_every_docs_page_is_in_the_navigation() -> None:
    pages = set(_pages(HOOKS["build_nav"](ROOT / "docs")))
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk <= pages


def test_readme_links_point_at_existing_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs|src)/[^)#]+)", readme)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link
