"""Spec paths: relative to the book folder, and never outside it (symlinks included)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def resolve_in_book(root: Path, relative: str) -> Path:
    """The absolute, symlink-free path of `relative` inside the book folder `root`.

    Raise ValueError (with a message that says how to fix it) if the path is empty, absolute, or
    leads outside the book folder, whether through `..` or through a symlink.
    """
    if not relative.strip():
        raise ValueError("empty path; give a file relative to the book folder")
    if "\0" in relative:
        raise ValueError(f"`{relative!r}` contains a NUL character")
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute():
        raise ValueError(
            f"path leaves the book folder: `{relative}` is absolute; "
            "write it relative to book.yaml and keep the file inside the book folder"
        )
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        how = "through a symlink" if ".." not in PurePosixPath(relative).parts else "through `..`"
        raise ValueError(
            f"path leaves the book folder: `{relative}` points outside it {how}; "
            "copy the file into the book folder and refer to it from there"
        )
    return target


def is_image_file(path: Path) -> bool:
    """True if the file starts like a PNG, JPEG or WebP image."""
    with path.open("rb") as f:
        head = f.read(12)
    if head.startswith(_IMAGE_MAGIC):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def is_text_file(path: Path) -> bool:
    """True if the file is UTF-8 text (no NUL bytes)."""
    data = path.read_bytes()
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
