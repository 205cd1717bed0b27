"""MkDocs hooks of the documentation site (mkdocs.yml: `hooks:`).

- The spec reference (reference/spec.md) is generated from `bookbuild schema` on every build, and
  the theme reference (reference/themes.md) is the package's own templates/README.md: neither is
  ever copied by hand.
- The navigation is built from the files: the sections below in this order, and every other page
  under docs/ (another engineer's feature page, a new how-to) picked up by itself, so a page is
  never left out of the site.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.append(str(ROOT / "src"))  # a checkout without `pip install -e .`

# (section title, folder or page); pages of a folder follow FIRST, then alphabetical order.
SECTIONS: list[tuple[str, str]] = [
    ("Home", "index.md"),
    ("Install", "install.md"),
    ("Tutorial: your first book", "tutorial.md"),
    ("How-to guides", "howto"),
    ("User guide", "guide"),
    ("Back ends", "backends"),
    ("Features", ""),  # every other top-level page of docs/
    ("Reference", "reference"),
    ("Troubleshooting", "troubleshooting.md"),
    ("Internals (contributors)", "internals"),
]
FIRST = {"backends": ["index.md", "choosing.md", "offline.md"], "howto": ["choose-a-service.md"]}
GENERATED = {"reference/spec.md", "reference/themes.md"}


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip().replace("`", "")
    return path.stem.replace("-", " ").capitalize()


def _folder(docs: Path, folder: str) -> list[Any]:
    names = sorted(p.name for p in (docs / folder).glob("*.md"))
    names += [Path(g).name for g in GENERATED if g.startswith(folder + "/")]
    first = [n for n in FIRST.get(folder, []) if n in names]
    ordered = first + sorted(set(names) - set(first))
    return [f"{folder}/{name}" for name in ordered]


def build_nav(docs: Path) -> list[Any]:
    """The site's navigation from the files of docs/ (see SECTIONS)."""
    named = {page for _, page in SECTIONS if page.endswith(".md")}
    nav: list[Any] = []
    for title, where in SECTIONS:
        if where.endswith(".md"):
            if (docs / where).exists():
                nav.append({title: where})
        elif where:
            pages = _folder(docs, where)
            if pages:
                nav.append({title: pages})
        else:
            others = sorted(p.name for p in docs.glob("*.md") if p.name not in named)
            if others:
                nav.append({title: others})
    return nav


def on_config(config: Any) -> Any:
    config["nav"] = build_nav(Path(config["docs_dir"]))
    return config


def on_files(files: Any, config: Any) -> Any:
    import runpy

    from mkdocs.structure.files import File

    from bookbuild.project import book_json_schema

    render = runpy.run_path(str(ROOT / "scripts" / "spec_reference.py"))["render"]

    themes = (ROOT / "src/bookbuild/templates/README.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "reference/spec.md", content=render(book_json_schema())))
    files.append(File.generated(config, "reference/themes.md", content=themes))
    return files
