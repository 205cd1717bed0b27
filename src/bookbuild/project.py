"""A Project: one book folder with its spec, store, lock and build folder. Passed explicitly."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bookbuild.errors import SpecIssue
from bookbuild.providers.registry import CATALOG
from bookbuild.spec import LoadedSpec
from bookbuild.spec import load_spec as load_spec_with
from bookbuild.spec.schema import book_json_schema as book_json_schema_with
from bookbuild.store.check import check_lock
from bookbuild.store.lock import DRAFT_LOCK, Lock
from bookbuild.store.objects import Store
from bookbuild.store.remote import RemoteConfig

REAL_STORE = Path(".bookbuild") / "store"
DRAFT_STORE = Path(".bookbuild") / "drafts"


def load_spec(
    path: Path, *, checks: Sequence[Callable[[LoadedSpec], list[SpecIssue]]] = ()
) -> LoadedSpec:
    """book.yaml (or the one in folder `path`), validated against every installed back end;
    `checks` add their issues to the spec's own (every problem named at once)."""
    return load_spec_with(path, CATALOG, checks=checks)


def book_json_schema() -> dict[str, Any]:
    """The JSON Schema of book.yaml with the presets of every installed back end."""
    return book_json_schema_with(CATALOG)


@dataclass
class Project:
    spec: LoadedSpec
    draft: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def open(
        cls, path: Path, *, draft: bool = False, env: Mapping[str, str] | None = None
    ) -> Project:
        return cls(load_spec(path), draft, dict(os.environ) if env is None else env)

    @property
    def root(self) -> Path:
        return self.spec.root

    @property
    def store(self) -> Store:
        """Real results in .bookbuild/store (commit or share it); drafts' placeholders in a store
        of their own, .bookbuild/drafts (git-ignored by `init`), so they never reach git."""
        return store_at(self.root, draft=self.draft)

    @property
    def lock_path(self) -> Path:
        """book.lock pins real results; drafts pin theirs in .bookbuild/draft.lock."""
        return self.root / (DRAFT_LOCK if self.draft else Path("book.lock"))

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def theme_dirs(self) -> list[Path]:
        theme = self.root / "theme"
        return [theme] if theme.is_dir() else []

    @property
    def slug(self) -> str:
        return slugify(self.root.name) or "book"

    def remote_config(self) -> RemoteConfig | None:
        """The team's remote store (`store: {remote: s3://...}`), or None. Drafts never use it:
        they are free and local."""
        settings = self.spec.book.store
        if settings.remote is None or self.draft:
            return None
        return RemoteConfig(
            settings.remote, settings.endpoint_url, settings.region, settings.timeout, settings.push
        )

    def load_lock(self) -> Lock:
        """The lock, checked against the store's records (LockConflictError names the lines)."""
        lock = Lock.load(self.lock_path)
        check_lock(lock, self.store, str(self.lock_path.relative_to(self.root)))
        return lock


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def store_at(root: Path, *, draft: bool = False) -> Store:
    """The store of the book in folder `root` (without reading its book.yaml): the real one, or
    the drafts' own store."""
    return Store(root / (DRAFT_STORE if draft else REAL_STORE))
