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
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bookbuild.errors import CorruptObjectError, StoreError
from bookbuild.fsutil import atomic_write_bytes
from bookbuild.hashing import digest_of
from bookbuild.store.checked import checked_objects
from bookbuild.store.jobfile import FileJournal
from bookbuild.store.jsonfile import check_json, dump_json, read_json

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


class Store:
    """Content-addressed objects plus an action index, rooted at `<book>/.bookbuild/store`.

    Safe to share between threads and processes: every file is published by an atomic rename
    and objects are never modified in place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Plain strings for the hot paths (has/lookup): pathlib costs more than the stat itself.
        self._objects = os.path.join(self.root, "objects", "sha256")
        self._actions = os.path.join(self.root, "actions")
        self._journals: dict[str, FileJournal] = {}
        self._journals_guard = threading.Lock()
        self._checked = checked_objects(self.root)

    # -- objects -------------------------------------------------------------------------

    def path(self, digest: str) -> Path:
        return Path(self._object_file(digest))

    def has(self, digest: str) -> bool:
        """True if an object is stored under `digest` (one stat; the bytes are not verified)."""
        return os.path.isfile(self._object_file(digest))

    def _object_file(self, digest: str) -> str:
        hex_part = check_digest(digest)
        return f"{self._objects}{os.sep}{hex_part[:2]}{os.sep}{hex_part}"

    def put(self, data: bytes, durable: bool = True) -> str:
        """Store `data` and return its digest. Idempotent; replaces a damaged copy. Not
        `durable`: not waiting for the disk, for results that cost nothing to make again
        (a crash may lose them; a damaged object fails verification and is made again)."""
        digest = digest_of(data)
        target = self.path(digest)
        existing = self._read_if_present(target)
        if existing == data:
            return digest
        if existing is not None:
            self._quarantine(target)
        atomic_write_bytes(target, data, durable)
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

    def usable(self, digest: str) -> bool:
        """True if `digest` is stored with the right bytes: read and hashed the first time,
        then only `stat`ed while its file is unchanged (checked.py). False if absent;
        CorruptObjectError (after moving it to quarantine) if its bytes do not match."""
        target = self._object_file(digest)
        if self._checked.known(digest, target):
            return True
        try:
            self.get(digest)
        except KeyError:
            return False
        self._checked.add(digest, target)
        return True

    def save_checked(self) -> None:
        """Remember the objects `usable` checked (for the next process)."""
        self._checked.save()

    def head(self, digest: str, size: int) -> bytes:
        """The first `size` bytes of `digest`, NOT verified (for a file header: a picture's
        size); KeyError if absent. `get` reads and checks the whole object."""
        target = self.path(digest)
        try:
            with target.open("rb") as stream:
                return stream.read(size)
        except FileNotFoundError:
            raise KeyError(digest) from None
        except OSError as exc:
            raise StoreError(f"cannot read store object {target}: {exc.strerror or exc}") from exc

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
        destination = folder / f"{target.name}.{time.time_ns()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(target, destination)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(
                f"store object {target} is corrupt (its bytes do not match its digest) and "
                f"cannot be moved aside: {exc.strerror or exc}. Make the store writable (or "
                "delete that file), then run make again: the step is recomputed or restored"
            ) from None
        return destination

    # -- action index --------------------------------------------------------------------

    def _action_file(self, key: str) -> str:
        check_key(key)
        return f"{self._actions}{os.sep}{key[:2]}{os.sep}{key}.json"

    def record(self, record: ActionRecord, durable: bool = True) -> None:
        """Remember that step `record.key` produced object `record.digest` (already stored);
        `durable` as for `put`."""
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
        atomic_write_bytes(target, dump_json(_record_to_json(record)), durable)

    def lookup(self, key: str) -> ActionRecord | None:
        """The record of `key`, or None if absent, unreadable, or its object is missing."""
        found = _record_from_json(read_json(self._action_file(key)), key)
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
        return _record_from_json(read_json(self._action_file(key)), key)

    def action_digest(self, key: str) -> str | None:
        """The object digest an action points at (even if the object is gone), else None."""
        found = _record_from_json(read_json(self._action_file(key)), key)
        return found.digest if found else None

    def action_media(self, key: str) -> tuple[str, str] | None:
        """(digest, media type) an action records (even if the object is gone), else None."""
        found = _record_from_json(read_json(self._action_file(key)), key)
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
        dates = read_json(self.root / "dates.json")
        value = dates.get(lock_name) if isinstance(dates, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def keep_build_date(self, lock_name: str, epoch: int) -> None:
        """Remember the build date of `lock_name` (no write if it is already the one kept)."""
        if self.build_date(lock_name) == epoch:
            return
        dates = read_json(self.root / "dates.json")
        kept = dict(dates) if isinstance(dates, dict) else {}
        kept[lock_name] = epoch
        atomic_write_bytes(self.root / "dates.json", dump_json(kept))

    # -- job journals --------------------------------------------------------------------

    def journal(self, key: str) -> JobJournal:
        """The journal of a queued job for step `key` (jobs/<key>.json): one object per key and
        Store, so what it could not write to a full disk is still known in memory."""
        with self._journals_guard:
            found = self._journals.get(key)
            if found is None:
                found = FileJournal(self.root / "jobs" / f"{check_key(key)}.json", self)
                self._journals[key] = found
            return found


def _sorted_names(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def record_to_bytes(record: ActionRecord) -> bytes:
    """The bytes of an action record as the store writes them (the remote keeps the same)."""
    return dump_json(_record_to_json(record))


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
