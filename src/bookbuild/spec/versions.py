"""`defaults_version:` — which generation of bookbuild's defaults a book is built with.

A default that changes what a step asks for changes that step's key, and so would make every
existing book pay again. Such defaults therefore come in versions, like Rust's editions: a book
without the field is version 1 (its keys never move); a book that writes `defaults_version: 2`
gets the newer defaults. A field the book writes itself always wins over either.

Version 2 (the `bookbuild init` templates and the sample books write it):
- `cover.shape: front` — the cover art is generated at the front cover's aspect (on a print
  target: trim + bleed on the outside edge; on screen: the page), unless the cover is your own
  `file:`, has its own `width`/`height`, or names a `shape:` (`shape: preset` keeps the image
  preset's own size, version 1's cover);
- `style.alt: describe` — each `describe:` picture's chat step also writes its alt text in the
  book's language, unless `style.alt:` is written.

A later version adds its fields to `version_changes`. What the book writes itself is what the
YAML holds (`spec.upgrade.spec_changes` reads the loader's positions), never what an earlier
version filled in, so an upgrade from any version names exactly the fields it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LATEST", "VERSIONS", "apply_defaults_version", "check_version", "version_changes"]

VERSIONS: dict[int, str] = {
    1: "bookbuild's first defaults (a book without the field)",
    2: "cover art at the front cover's shape (`cover.shape: front`), alt text written by the "
    "describer (`style.alt: describe`)",
}
LATEST = max(VERSIONS)

_OWN_SIZE = ("file", "width", "height", "shape")  # a cover that names any keeps its size


def check_version(value: Any) -> Any:
    """The value if it names a known version; ValueError (a plain message) otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value in VERSIONS:
        return value
    if isinstance(value, bool):
        shown = "`true`" if value else "`false`"
    elif isinstance(value, str):
        shown = f'the text "{value}"; write the number without quotes'
    else:
        shown = f"`{value}`"
    known = ", ".join(f"{n} = {what}" for n, what in VERSIONS.items())
    numbers = " or ".join(map(str, VERSIONS))
    raise ValueError(f"`defaults_version` should be {numbers} (got {shown}): {known}")


def version_changes(data: Mapping[str, Any], version: int) -> dict[str, tuple[str, Any]]:
    """What `version` sets in the raw spec `data` that the book does not write itself:
    `{"style": ("alt", "describe"), "cover": ("shape", "front")}` (a part of each)."""
    if version < 2:
        return {}
    found: dict[str, tuple[str, Any]] = {}
    style = data.get("style")
    if style is None or (isinstance(style, Mapping) and "alt" not in style):
        found["style"] = ("alt", "describe")
    cover = data.get("cover")
    if isinstance(cover, Mapping) and not any(key in cover for key in _OWN_SIZE):
        found["cover"] = ("shape", "front")
    return found


def apply_defaults_version(data: Any) -> Any:
    """The raw spec with the defaults of its `defaults_version` filled in where it writes
    nothing itself (a new mapping; `data` is not changed). Unknown versions are left to the
    field's own check."""
    if not isinstance(data, Mapping):
        return data
    version = data.get("defaults_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version not in VERSIONS:
        return data  # (a list or a mapping is not hashable: the field's check names it)
    changes = version_changes(data, version)
    if not changes:
        return data
    out = dict(data)
    for part, (key, value) in changes.items():
        out[part] = {**(out.get(part) or {}), key: value}
    return out
