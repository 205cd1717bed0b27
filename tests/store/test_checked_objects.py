"""The up-to-date decision checks each stored object once: afterwards, while the object's file
keeps its size, mtime, ctime and inode, it is only stat-ed (store/checked.py); any change to
the file makes it read and hashed again, and a damaged object is still found."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookbuild.errors import CorruptObjectError
from bookbuild.store import checked
from bookbuild.store.objects import Store


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the memos held in memory, as a new `make` process starts without them."""
    monkeypatch.setattr(checked, "_SHARED", {})


def unread(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = Store.get

    def counted(self: Store, digest: str) -> bytes:
        reads.append(digest)
        return original(self, digest)

    monkeypatch.setattr(Store, "get", counted)
    return reads


def test_an_object_checked_once_is_only_stated_by_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = Store(tmp_path).put(b"a picture" * 1000)
    reads = unread(monkeypatch)
    assert Store(tmp_path).usable(digest) and reads == [digest]
    Store(tmp_path).save_checked()
    assert (tmp_path / checked.CHECKED_FILE).is_file()
    new_process(monkeypatch)
    reads.clear()
    assert Store(tmp_path).usable(digest) and reads == []


def damage(path: Path, keep_mtime: bool) -> None:
    before = path.stat()
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 0xFF
    path.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_an_object_damaged_since_it_was_checked_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_mtime: bool
) -> None:
    store = Store(tmp_path)
    digest = store.put(b"a paid result" * 100)
    assert store.usable(digest)
    store.save_checked()
    damage(store.path(digest), keep_mtime)  # even with its mtime put back: the ctime moved
    new_process(monkeypatch)
    with pytest.raises(CorruptObjectError):
        Store(tmp_path).usable(digest)
    assert not store.path(digest).exists()  # moved to quarantine, made again by the engine
    assert not Store(tmp_path).usable(digest)


def test_a_deleted_object_is_not_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    digest = store.put(b"text")
    assert store.usable(digest)
    store.save_checked()
    store.path(digest).unlink()
    new_process(monkeypatch)
    assert not Store(tmp_path).usable(digest)


def test_a_damaged_memo_only_means_reading_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    digest = store.put(b"text")
    assert store.usable(digest)
    store.save_checked()
    (tmp_path / checked.CHECKED_FILE).write_text("{not json", "utf-8")
    new_process(monkeypatch)
    reads = unread(monkeypatch)
    assert Store(tmp_path).usable(digest) and reads == [digest]
