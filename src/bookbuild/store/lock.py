"""`book.lock`: for every step, its key and the digest of its pinned result.

The file is committed and reviewed, so it is written to diff well: JSON, indent 2, keys sorted
(steps by id), a trailing newline, and the same bytes for the same content. It is written only by
bookbuild, atomically, after every finished step (a crash keeps the work already done). The
bytes are those of `json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)`, put together
from a cached text per entry: saving after each of n steps stays linear, not n² of JSON encoding.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bookbuild.errors import LockConflictError, MalformedLockError, StoreError
from bookbuild.fsutil import atomic_write_bytes
from bookbuild.store.objects import check_digest, check_key

DRAFT_LOCK = Path(".bookbuild") / "draft.lock"
"""Where `--draft` builds pin their results (relative to the book folder), apart from book.lock."""

__all__ = ["Lock", "LockEntry", "LockWriter"]

LOCK_VERSION = 1
LOCK_COMMENT = (
    "Written by bookbuild: step id -> cache key and pinned result digest. "
    "Do not edit by hand; commit it with book.yaml."
)


@dataclass(frozen=True)
class LockEntry:
    """The pinned result of one step."""

    key: str
    digest: str
    media_type: str


class _Malformed(ValueError):
    """Why a lock file's content cannot be used (turned into a StoreError naming the file)."""


class _Conflicted(ValueError):
    """The lock holds git conflict markers, on these lines."""

    def __init__(self, lines: list[int]) -> None:
        super().__init__(lines)
        self.lines = lines


@dataclass
class Lock:
    """Every pinned step, by step id, and the fixed date used for reproducible outputs."""

    entries: dict[str, LockEntry] = field(default_factory=dict)
    source_date_epoch: int | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # step id -> file line

    def where(self, step_id: str, name: str = "book.lock") -> str:
        """`name:LINE` of a step's entry in the file it was read from (`name` if unknown)."""
        line = self.lines.get(step_id)
        return f"{name}:{line}" if line else name

    @classmethod
    def load(cls, path: Path) -> Lock:
        """Read `path`; an absent file is an empty lock, a malformed one a StoreError."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls({})
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            return _parse(raw)
        except _Malformed as exc:
            raise MalformedLockError(_malformed_message(path, str(exc))) from None
        except _Conflicted as exc:
            raise LockConflictError(_conflict_message(path, exc.lines)) from None

    def save(self, path: Path, durable: bool = True) -> None:
        """Write the lock atomically; leave the file untouched if its bytes would not change.
        `durable=False` does not wait for the disk (a draft's lock: its results are free)."""
        data = self.to_bytes()
        try:
            if path.read_bytes() == data:
                return
        except OSError:
            pass
        atomic_write_bytes(path, data, durable)

    def to_bytes(self) -> bytes:
        """The exact bytes `save` writes: stable for the same content (those of the document
        through `json.dumps` with sorted keys and indent 2)."""
        entries = self.entries
        steps = ",\n".join(_entry_text(sid, entries[sid]) for sid in sorted(entries))
        epoch = "null" if self.source_date_epoch is None else str(int(self.source_date_epoch))
        body = f"{{\n{steps}\n  }}" if steps else "{}"
        text = (
            f'{{\n  "comment": {_COMMENT_JSON},\n  "source_date_epoch": {epoch},\n'
            f'  "steps": {body},\n  "version": {LOCK_VERSION}\n}}\n'
        )
        return text.encode("utf-8")


class LockWriter:
    """Pins results into a lock file as steps finish, from any number of threads.

    The writer owns the `Lock` it is given: read it back through `writer.lock`, a snapshot."""

    def __init__(self, path: Path, lock: Lock, durable: bool = True) -> None:
        self._path = path
        self._lock = lock
        self._durable = durable  # False: a draft's lock, saved without waiting for the disk
        self._mutex = threading.Lock()

    def pin(self, step_id: str, entry: LockEntry) -> None:
        """Pin `entry` for `step_id` and save at once; no write if it is already pinned."""
        _check_entry(entry)
        with self._mutex:
            entries = self._lock.entries
            previous = entries.get(step_id)
            if previous == entry:
                return
            entries[step_id] = entry
            try:
                self._lock.save(self._path, self._durable)
            except BaseException:
                _restore(entries, step_id, previous)
                raise

    def prune(self, keep: Iterable[str]) -> None:
        """Drop the steps not in `keep` (no longer in the plan); save if any was dropped."""
        wanted = set(keep)
        with self._mutex:
            entries = self._lock.entries
            dropped = {s: e for s, e in entries.items() if s not in wanted}
            if not dropped:
                return
            for step_id in dropped:
                del entries[step_id]
            try:
                self._lock.save(self._path, self._durable)
            except BaseException:
                entries.update(dropped)
                raise

    def set_source_date_epoch(self, epoch: int) -> None:
        """Fix the date used for reproducible outputs, and save; no-op once a date is fixed."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise StoreError(f"source_date_epoch must be a non-negative integer, not {epoch!r}")
        with self._mutex:
            if self._lock.source_date_epoch is not None:
                return
            self._lock.source_date_epoch = epoch
            try:
                self._lock.save(self._path, self._durable)
            except BaseException:
                self._lock.source_date_epoch = None
                raise

    @property
    def lock(self) -> Lock:
        """A consistent copy of the lock as pinned so far."""
        with self._mutex:
            return Lock(dict(self._lock.entries), self._lock.source_date_epoch)


def _restore(entries: dict[str, LockEntry], step_id: str, previous: LockEntry | None) -> None:
    if previous is None:
        entries.pop(step_id, None)
    else:
        entries[step_id] = previous


def _check_entry(entry: LockEntry) -> None:
    check_key(entry.key)
    check_digest(entry.digest)
    if not isinstance(entry.media_type, str) or not entry.media_type:
        raise StoreError(f"lock entry for key {entry.key}: media_type must be a non-empty string")


_COMMENT_JSON = json.dumps(LOCK_COMMENT, ensure_ascii=False)


@lru_cache(maxsize=1 << 16)
def _entry_text(step_id: str, entry: LockEntry) -> str:
    """One step's lines in the file, as json.dumps(indent=2, sort_keys=True) writes them."""

    def quoted(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    return (
        f"    {quoted(step_id)}: {{\n"
        f'      "digest": {quoted(entry.digest)},\n'
        f'      "key": {quoted(entry.key)},\n'
        f'      "media_type": {quoted(entry.media_type)}\n'
        "    }"
    )


def _malformed_message(path: Path, detail: str) -> str:
    return (
        f"{path} is not a valid bookbuild lock file: {detail}. "
        f"Restore it with `git checkout -- {path.name}`, or delete it: the next "
        "`bookbuild make` writes a new one (results still in the store are reused)."
    )


def _conflict_message(path: Path, lines: list[int]) -> str:
    shown = ", ".join(f"{path.name}:{n}" for n in lines[:6]) + (" …" if len(lines) > 6 else "")
    return (
        f"{path} has git merge conflict markers ({shown}). To finish the merge, take one side "
        f"and let bookbuild re-pin the rest from the store: `git checkout --ours -- {path.name}` "
        f"(or --theirs), or delete it, then `bookbuild make`, then `git add {path.name}`. "
        "To merge locks "
        "without conflicts from now on, set up the merge driver (README, `bookbuild lock merge`): "
        'git config merge.bookbuild-lock.driver "bookbuild lock merge %O %A %B"'
    )


def _parse(raw: bytes) -> Lock:
    """A Lock from the bytes of a lock file; _Malformed says what is wrong."""
    text = _decode(raw)
    markers = conflict_marker_lines(text)
    if markers:
        raise _Conflicted(markers)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise _Malformed(f"invalid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise _Malformed("the top level is not a JSON object")
    _check_version(document.get("version"))
    steps = document.get("steps", {})
    if not isinstance(steps, dict):
        raise _Malformed('"steps" is not a JSON object')
    entries = {step_id: _parse_entry(step_id, value) for step_id, value in steps.items()}
    return Lock(entries, _parse_epoch(document.get("source_date_epoch")), _entry_lines(text, steps))


def _entry_lines(text: str, steps: dict[str, Any]) -> dict[str, int]:
    """The 1-based line where each step's entry starts (as bookbuild writes it: one per line)."""
    start = max(text.find('"steps"'), 0)
    lines: dict[str, int] = {}
    where, line = start, text.count("\n", 0, start) + 1  # counted on from entry to entry
    for step_id in steps:  # in the file's order
        needle = json.dumps(step_id, ensure_ascii=False) + ":"
        at = text.find(needle, where)
        if at >= 0:
            line += text.count("\n", where, at)
            where = at
            lines[step_id] = line
        elif (at := text.find(needle, start)) >= 0:  # out of order (not as bookbuild writes)
            lines[step_id] = text.count("\n", 0, at) + 1
        # else written with escapes bookbuild never uses: no line to name
    return lines


def conflict_marker_lines(text: str) -> list[int]:
    """1-based lines that hold git conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`, `|||||||`)."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if _CONFLICT_MARKER.match(line)
    ]


_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(\s|$)")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Malformed(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _check_version(version: Any) -> None:
    if version == LOCK_VERSION:
        return
    if isinstance(version, int) and not isinstance(version, bool) and version > LOCK_VERSION:
        raise _Malformed(f"version {version} was written by a newer bookbuild (upgrade it)")
    raise _Malformed(f"unsupported version {version!r} (expected {LOCK_VERSION})")


def _parse_epoch(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise _Malformed(f'"source_date_epoch" must be a non-negative integer or null, not {value!r}')


def _parse_entry(step_id: str, value: Any) -> LockEntry:
    if not isinstance(value, dict):
        raise _Malformed(f"step {step_id!r} is not a JSON object")
    key, digest, media_type = (_field(step_id, value, name) for name in _ENTRY_FIELDS)
    entry = LockEntry(key, digest, media_type)
    try:
        _check_entry(entry)
    except StoreError as exc:
        raise _Malformed(f"step {step_id!r}: {exc}") from None
    return entry


_ENTRY_FIELDS = ("key", "digest", "media_type")


def _field(step_id: str, value: dict[str, Any], name: str) -> str:
    item = value.get(name)
    if not isinstance(item, str) or not item:
        raise _Malformed(f"step {step_id!r} has no valid {name!r}")
    return item
