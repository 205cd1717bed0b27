"""Names of image files in rendered books, shared by the HTML, PDF and EPUB renderers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import RenderError
from .theme import contained_theme_dir
from .view import IllustrationView

_HEX = re.compile(r"^[0-9a-f]{16,}$")
NAME_LENGTH = 16


def asset_name(ill: IllustrationView, ext: str) -> str:
    """'<hex16>.<ext>': the first 16 hex digits of the image's digest (a bare file name;
    each renderer chooses the folder, e.g. 'assets/' for HTML)."""
    return f"{image_key(ill)}.{ext.lstrip('.').lower()}"


def image_key(ill: IllustrationView) -> str:
    """16 hex digits naming the image: from its store digest, or from its bytes if the digest
    is not a plain 'sha256:<hex>' (never anything that could form a path)."""
    hex_part = ill.digest.removeprefix("sha256:").lower()
    if not _HEX.match(hex_part):
        hex_part = hashlib.sha256(ill.image).hexdigest()
    return hex_part[:NAME_LENGTH]


STATIC = "static"  # a theme folder's files for the book: fonts, ornaments, background images
THEME_ASSETS = "theme"  # ...published under assets/theme/
MAX_STATIC_BYTES = 50_000_000


def theme_static_files(theme_dirs: Sequence[Path]) -> dict[str, bytes]:
    """Files under each theme folder's static/ (relative POSIX name -> bytes); the first
    folder wins. Symlinks leading outside their theme folder are refused."""
    found: dict[str, bytes] = {}
    total = 0
    for folder in theme_dirs:
        static = contained_theme_dir(Path(folder)) / STATIC
        if not static.is_dir():
            continue
        for path in sorted(p for p in static.rglob("*") if p.is_file()):
            name = path.relative_to(static).as_posix()
            if name in found:
                continue
            if not path.resolve().is_relative_to(Path(folder).resolve()):
                raise RenderError(f"{path}: links outside the theme folder {folder}")
            found[name] = path.read_bytes()
            total += len(found[name])
            if total > MAX_STATIC_BYTES:
                raise RenderError(f"{static}: theme files exceed {MAX_STATIC_BYTES} bytes")
    return found
