"""The content-addressed store: step results as immutable objects, and an action index.

Layout under `<book>/.bookbuild/store/` (created on the first write):

    objects/sha256/ab/<hex>      the bytes whose SHA-256 is `ab<...>` (read-only files)
    actions/ab/<key>.json        step key -> result digest, media type, manifest, metadata
    jobs/<key>.json              a paid provider job (its fetch URL, its answer, the object of
                                 its downloaded result) until the step's result is stored
    dates.json                   each lock's build date, so a deleted lock keeps its date
    quarantine/<hex>.<ns>        objects that failed verification, kept for inspection

Every write is a temp file in the same folder, fsync, rename: a build killed mid-write leaves at
most a stray temp file, never a truncated file at its final name. Objects are verified against
their digest whenever they are read for use; a corrupt one is moved aside and reported as a miss.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bookbuild.errors import CorruptObjectError, StoreError
from bookbuild.fsutil import atomic_write_bytes
from bookbuild.hashing import digest_of

if TYPE_CHECKING:
    from bookbuild.store.journal import JobJournal

__all__ = [
    "ActionRecord",
    "CorruptObjectError",
    "Store",
    "check_digest",
    "check_json",
    "check_key",
    "record_from_bytes",
    "record_to_bytes",
]

_HEX_RE = re.compile(r"[0-9a-f]{64}")
_DIGEST_PREFIX = "sha256:"
_RECORD_VERSION = 1


@dataclass(frozen=True)
class ActionRecord:
    """What the action index remembers about one step key."""

    key: str
    digest: str
    media_type: str
    manifest: dict[str, Any]
    metadata: dict[str, Any]


def check_digest(digest: str) -> str:
    """Return the hex part of a 'sha256:<64 hex>' digest; StoreError if it is not one."""
    if not isinstance(digest, str) or not digest.startswith(_DIGEST_PREFIX):
        raise StoreError(f"not a store digest: {digest!r} (expected 'sha256:<64 hex digits>')")
    hex_part = digest[len(_DIGEST_PREFIX) :]
    if not _HEX_RE.fullmatch(hex_part):
        raise StoreError(f"not a store digest: {digest!r} (expected 'sha256:<64 hex digits>')")
    return hex_part


def check_key(key: str) -> str:
    """Return `key` if it is a step key (64 lowercase hex digits); StoreError otherwise."""
    if not isinstance(key, str) or not _HEX_RE.fullmatch(key):
        raise StoreError(f"not a step key: {key!r} (expected 64 lowercase hex digits)")
    return key


def check_json(value: Any, where: str) -> None:
    """Raise TypeError unless `value` is plain JSON: dict (str keys), list or tuple (read back
    as a list), str, int, finite float, bool or None. Sets, bytes, NaN and objects are refused."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{where}: {value!r} is not a JSON number")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"{where}: key {name!r} is not a string")
            check_json(item, f"{where}.{name}")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not JSON-serialisable")


def _dump_json(value: dict[str, Any]) -> bytes:
    text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _read_json(path: str | Path) -> Any:
    """The parsed JSON of `path`, or None if it is absent or unreadable."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


class _FileJournal:
    """A JobJournal kept in one JSON file (see bookbuild.store.journal.JobJournal); a kept
    result is a store object named in the file, so it survives anything the file survives."""

    def __init__(self, path: Path, store: Store) -> None:
        self.path = path
        self._store = store

    def pending(self) -> dict[str, Any] | None:
        job = _read_json(self.path)
        return job if isinstance(job, dict) else None

    def remember(self, job: dict[str, Any]) -> None:
        check_json(job, "job")
        kept = (self.pending() or {}).get(_KEPT)
        record = {**job, _KEPT: kept} if kept and _KEPT not in job else job
        atomic_write_bytes(self.path, _dump_json(record))

    def keep(self, data: bytes) -> None:
        digest = self._store.put(data)
        self.remember({**(self.pending() or {}), _KEPT: digest})

    def kept(self) -> bytes | None:
        digest = (self.pending() or {}).get(_KEPT)
        if not isinstance(digest, str):
            return None
        try:
            return self._store.get(digest)
        except (KeyError, StoreError):
            return None

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


_KEPT = "kept_result"


class Store:
    """Content-addressed objects plus an action index, rooted at `<book>/.bookbuild/store`.

    Safe to share between threads and processes: every file is published by an atomic rename
    and objects are never modified in place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Plain strings for the hot paths (has/lookup): pathlib costs more than the stat itself.
        self._objects = os.path.join(self.root, "objects", "sha256")
        self._actions = os.path.join(self.root, "actions")

    # -- objects -------------------------------------------------------------------------

    def path(self, digest: str) -> Path:
        return Path(self._object_file(digest))

    def has(self, digest: str) -> bool:
        """True if an object is stored under `digest` (one stat; the bytes are not verified)."""
        return os.path.isfile(self._object_file(digest))

    def _object_file(self, digest: str) -> str:
        hex_part = check_digest(digest)
        return f"{self._objects}{os.sep}{hex_part[:2]}{os.sep}{hex_part}"

    def put(self, data: bytes) -> str:
        """Store `data` and return its digest. Idempotent; replaces a damaged copy."""
        digest = digest_of(data)
        target = self.path(digest)
        existing = self._read_if_present(target)
        if existing == data:
            return digest
        if existing is not None:
            self._quarantine(target)
        atomic_write_bytes(target, data)
        target.chmod(0o444)
        return digest

    def get(self, digest: str) -> bytes:
        """The verified bytes of `digest`. KeyError if absent; CorruptObjectError (after moving
        the object to quarantine) if its bytes do not match."""
        target = self.path(digest)
        data = self._read_if_present(target)
        if data is None:
            raise KeyError(digest)
        if digest_of(data) != digest:
            raise CorruptObjectError(digest, target, self._quarantine(target))
        return data

    def objects(self) -> Iterator[str]:
        """Every stored digest, in sorted order (temp files of unfinished writes are skipped)."""
        base = self.root / "objects" / "sha256"
        for fan in _sorted_names(base):
            for name in _sorted_names(base / fan):
                if _HEX_RE.fullmatch(name) and name[:2] == fan:
                    yield _DIGEST_PREFIX + name

    def verify(self) -> list[str]:
        """Read and check every object; return the digests of the corrupt ones (quarantined)."""
        corrupt: list[str] = []
        for digest in list(self.objects()):
            try:
                self.get(digest)
            except CorruptObjectError:
                corrupt.append(digest)
            except KeyError:
                continue
        return corrupt

    def _read_if_present(self, target: Path) -> bytes | None:
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read store object {target}: {exc.strerror or exc}") from exc

    def _quarantine(self, target: Path) -> Path | None:
        """Move a bad object aside; None if another thread or process moved it first."""
        folder = self.root / "quarantine"
        folder.mkdir(parents=True, exist_ok=True)
        destination = folder / f"{target.name}.{time.time_ns()}"
        try:
            os.replace(target, destination)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot quarantine corrupt object {target}: {exc}") from exc
        return destination

    # -- action index --------------------------------------------------------------------

    def _action_file(self, key: str) -> str:
        check_key(key)
        return f"{self._actions}{os.sep}{key[:2]}{os.sep}{key}.json"

    def record(self, record: ActionRecord) -> None:
        """Remember that step `record.key` produced object `record.digest` (already stored)."""
        target = Path(self._action_file(record.key))
        if not self.has(record.digest):
            raise StoreError(
                f"cannot record step key {record.key}: object {record.digest} is not in the store "
                "(put the result before recording it)"
            )
        if not isinstance(record.media_type, str) or not record.media_type:
            raise StoreError(f"step key {record.key}: media_type must be a non-empty string")
        check_json(record.manifest, "manifest")
        check_json(record.metadata, "metadata")
        atomic_write_bytes(target, _dump_json(_record_to_json(record)))

    def lookup(self, key: str) -> ActionRecord | None:
        """The record of `key`, or None if absent, unreadable, or its object is missing."""
        found = _record_from_json(_read_json(self._action_file(key)), key)
        if found is None or not self.has(found.digest):
            return None
        return found

    def action_keys(self) -> Iterator[str]:
        """Every key of the action index, in sorted order."""
        base = self.root / "actions"
        for fan in _sorted_names(base):
            for name in _sorted_names(base / fan):
                key = name.removesuffix(".json")
                if name.endswith(".json") and _HEX_RE.fullmatch(key) and key[:2] == fan:
                    yield key

    def record_of(self, key: str) -> ActionRecord | None:
        """The record of `key` even if its object is gone (None if absent or unreadable)."""
        return _record_from_json(_read_json(self._action_file(key)), key)

    def action_digest(self, key: str) -> str | None:
        """The object digest an action points at (even if the object is gone), else None."""
        found = _record_from_json(_read_json(self._action_file(key)), key)
        return found.digest if found else None

    def action_media(self, key: str) -> tuple[str, str] | None:
        """(digest, media type) an action records (even if the object is gone), else None."""
        found = _record_from_json(_read_json(self._action_file(key)), key)
        return (found.digest, found.media_type) if found else None

    def remove_object(self, digest: str) -> int:
        """Delete an object; return the bytes freed (0 if it was absent)."""
        target = self.path(digest)
        try:
            size = target.stat().st_size
            target.unlink()
        except FileNotFoundError:
            return 0
        return size

    def remove_action(self, key: str) -> None:
        Path(self._action_file(key)).unlink(missing_ok=True)

    # -- the book's build date -------------------------------------------------------------

    def build_date(self, lock_name: str) -> int | None:
        """The build date (SOURCE_DATE_EPOCH) last fixed in the lock `lock_name`, kept here too
        so that deleting the lock does not change the outputs' bytes."""
        dates = _read_json(self.root / "dates.json")
        value = dates.get(lock_name) if isinstance(dates, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def keep_build_date(self, lock_name: str, epoch: int) -> None:
        """Remember the build date of `lock_name` (no write if it is already the one kept)."""
        if self.build_date(lock_name) == epoch:
            return
        dates = _read_json(self.root / "dates.json")
        kept = dict(dates) if isinstance(dates, dict) else {}
        kept[lock_name] = epoch
        atomic_write_bytes(self.root / "dates.json", _dump_json(kept))

    # -- job journals --------------------------------------------------------------------

    def journal(self, key: str) -> JobJournal:
        """The journal of a queued job for step `key` (jobs/<key>.json)."""
        return _FileJournal(self.root / "jobs" / f"{check_key(key)}.json", self)


def _sorted_names(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def record_to_bytes(record: ActionRecord) -> bytes:
    """The bytes of an action record as the store writes them (the remote keeps the same)."""
    return _dump_json(_record_to_json(record))


def record_from_bytes(data: bytes, key: str) -> ActionRecord | None:
    """The action record for `key` in `data`, or None if `data` is not a valid one."""
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    return _record_from_json(raw, key)


def _record_to_json(record: ActionRecord) -> dict[str, Any]:
    return {
        "version": _RECORD_VERSION,
        "key": record.key,
        "digest": record.digest,
        "media_type": record.media_type,
        "manifest": record.manifest,
        "metadata": record.metadata,
    }


def _record_from_json(raw: Any, key: str) -> ActionRecord | None:
    """An ActionRecord from a parsed action file, or None if it is not a valid one for `key`."""
    if not isinstance(raw, dict) or raw.get("version") != _RECORD_VERSION or raw.get("key") != key:
        return None
    digest, media_type = raw.get("digest"), raw.get("media_type")
    manifest, metadata = raw.get("manifest"), raw.get("metadata")
    if not isinstance(digest, str) or not isinstance(media_type, str):
        return None
    if not isinstance(manifest, dict) or not isinstance(metadata, dict):
        return None
    try:
        check_digest(digest)
    except StoreError:
        return None
    return ActionRecord(key, digest, media_type, manifest, metadata)
