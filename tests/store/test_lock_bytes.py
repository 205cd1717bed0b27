"""The lock's bytes are those of json.dumps (sorted keys, indent 2), however many steps; a
draft's lock is saved without waiting for the disk, a paid one durably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bookbuild.hashing import digest_of, key_of
from bookbuild.store import lock as lock_module
from bookbuild.store.lock import LOCK_COMMENT, LOCK_VERSION, Lock, LockEntry, LockWriter


def entry(name: str, media_type: str = "image/png") -> LockEntry:
    return LockEntry(key_of({"step": name}), digest_of(name.encode()), media_type)


def reference_bytes(lock: Lock) -> bytes:
    """What bookbuild always wrote: the whole document through json.dumps."""
    document = {
        "comment": LOCK_COMMENT,
        "version": LOCK_VERSION,
        "source_date_epoch": lock.source_date_epoch,
        "steps": {
            sid: {"key": e.key, "digest": e.digest, "media_type": e.media_type}
            for sid, e in lock.entries.items()
        },
    }
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


ODD_IDS = ["제1장/text", 'quote"d/step', "back\\slash/x", "tab\tid", "émoji🐢/image", "Z/a", "a/Z"]


@pytest.mark.parametrize("epoch", [None, 0, 1_700_000_000])
@pytest.mark.parametrize("count", [0, 1, 7, 300])
def test_lock_bytes_are_json_dumps_bytes(tmp_path: Path, epoch: int | None, count: int) -> None:
    ids = (ODD_IDS + [f"ch{n:03d}/scene/image" for n in range(count)])[:count]
    lock = Lock({sid: entry(sid) for sid in reversed(ids)}, source_date_epoch=epoch)
    assert lock.to_bytes() == reference_bytes(lock)
    lock.save(tmp_path / "book.lock")
    again = Lock.load(tmp_path / "book.lock")
    assert again == lock and again.to_bytes() == lock.to_bytes()


def test_an_entry_changed_in_place_changes_the_bytes() -> None:
    lock = Lock({"a/text": entry("a"), "b/text": entry("b")})
    before = lock.to_bytes()
    lock.entries["a/text"] = entry("a2", "text/markdown")
    assert lock.to_bytes() != before
    assert lock.to_bytes() == reference_bytes(lock)


def spy_durability(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    seen: list[bool] = []
    real = lock_module.atomic_write_bytes

    def spy(path: Path, data: bytes, durable: bool = True) -> None:
        seen.append(durable)
        real(path, data, durable)

    monkeypatch.setattr(lock_module, "atomic_write_bytes", spy)
    return seen


def test_a_lock_writer_is_durable_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = spy_durability(monkeypatch)
    LockWriter(tmp_path / "book.lock", Lock({})).pin("a/text", entry("a"))
    draft = LockWriter(tmp_path / "draft.lock", Lock({}), durable=False)
    draft.pin("a/text", entry("a"))
    draft.set_source_date_epoch(5)
    draft.prune([])
    assert seen == [True, False, False, False]
    assert Lock.load(tmp_path / "draft.lock").entries == {}
    assert Lock.load(tmp_path / "draft.lock").source_date_epoch == 5
