"""Names of image files in rendered books, shared by the HTML, PDF and EPUB renderers."""

from __future__ import annotations

import hashlib
import re

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
