"""Providers are found through the `bookbuild.providers` entry points; a third-party provider
with its own options model is validated and exported exactly like a built-in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bookbuild.project import book_json_schema, load_spec
from tests.helpers.spec_books import only_issue, write_book

PLUGIN = '''
from typing import ClassVar

from pydantic import Field

from bookbuild.providers.base import ImageRequest, ImageResult, Provider
from bookbuild.spec.presets import ImagePreset


class KilnOptions(ImagePreset):
    """A kiln preset."""

    glaze: str = Field(default="celadon", description="Glaze of the pot.")


class Kiln(Provider[KilnOptions]):
    name: ClassVar[str] = "kiln"
    ops: ClassVar[frozenset[str]] = frozenset({"txt2img"})
    Options = KilnOptions
    local: ClassVar[bool] = True

    def run_image(self, request: ImageRequest) -> ImageResult:
        raise NotImplementedError
'''


@pytest.fixture
def kiln_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A minimal third-party package, installed through a dist-info entry point."""
    site = tmp_path / "site"
    dist = site / "bb_kiln-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bb-kiln\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[bookbuild.providers]\nkiln = bb_kiln:Kiln\n")
    (site / "bb_kiln.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "bb_kiln", raising=False)


BOOK = """\
title: Pots
models:
  pots: {provider: kiln, glaze: %s}
defaults: {image: pots}
chapters:
  - id: one
    title: One
    text: a
    illustrations:
      - prompt: a pot
"""


def test_a_plugin_preset_is_validated_by_the_plugins_options(
    tmp_path: Path, kiln_plugin: None
) -> None:
    spec = load_spec(write_book(tmp_path, BOOK % "tenmoku"))
    assert spec.book.models["pots"].glaze == "tenmoku"  # type: ignore[attr-defined]


def test_an_unknown_field_of_a_plugin_preset_is_reported_at_its_line(
    tmp_path: Path, kiln_plugin: None
) -> None:
    text = BOOK.replace("glaze: %s", "glaz: shino")
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.message) == (3, "unknown key `glaz` — did you mean `glaze`?")


def test_the_schema_discriminates_presets_by_provider(kiln_plugin: None) -> None:
    schema = book_json_schema()
    union = schema["properties"]["models"]["additionalProperties"]
    assert union["discriminator"]["mapping"]["kiln"] == "#/$defs/KilnPreset"
    kiln = schema["$defs"]["KilnPreset"]
    assert kiln["properties"]["provider"]["const"] == "kiln"
    assert "glaze" in kiln["properties"] and "temperature" not in kiln["properties"]
    sdapi = schema["$defs"]["SdapiPreset"]["properties"]
    assert "enhance_prompt" in sdapi and "glaze" not in sdapi


def test_a_book_loads_only_the_providers_it_names(tmp_path: Path) -> None:
    import subprocess

    book = write_book(tmp_path, BOOK.replace("provider: kiln, glaze: %s", "provider: offline"))
    code = (
        "import sys; from bookbuild.project import load_spec; "
        f"load_spec(__import__('pathlib').Path({str(book)!r})); "
        "print(sorted(m for m in sys.modules if m.startswith('bookbuild.providers.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "bookbuild.providers.sdapi" not in out.stdout
    assert "bookbuild.providers.openai" not in out.stdout
