"""Compiled templates kept between runs: Jinja's bytecode cache in the user's cache folder.

Every `make` is a new process; compiling the theme's templates again each time costs about a
tenth of a second. Jinja stores each compiled template under a key of its name and file and
checks the template source's checksum (and its own and Python's versions) when loading, so a
changed template is compiled again. The key here also names the environment's settings, so
another program's templates of the same path never share an entry. The folder is
`$XDG_CACHE_HOME/bookbuild/templates` (default `~/.cache/...`), made private to the user;
`BOOKBUILD_TEMPLATE_CACHE=off` turns the cache off, or names another folder. Nothing in it is
needed: it may be deleted at any time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from jinja2 import BytecodeCache, FileSystemBytecodeCache

__all__ = ["template_cache"]

ENV_VAR = "BOOKBUILD_TEMPLATE_CACHE"
SETTINGS = "bookbuild-theme-1"  # bump when make_environment's lexer/parser settings change


class _Cache(FileSystemBytecodeCache):
    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{SETTINGS}|{name}", filename)


def _folder() -> Path | None:
    chosen = os.environ.get(ENV_VAR, "")
    if chosen.lower() in ("off", "0", "no", "false"):
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bookbuild" / "templates"


@lru_cache(maxsize=4)
def _cache_at(folder: Path | None) -> BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None  # a read-only home: templates are compiled each run, as without a cache
    return _Cache(str(folder))


def template_cache() -> BytecodeCache | None:
    """The bytecode cache templates are kept in (None: off, or no writable cache folder)."""
    return _cache_at(_folder())
