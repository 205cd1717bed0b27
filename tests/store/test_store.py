"""The content-addressed store, on real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bookbuild.errors import CorruptObjectError, StoreError
from bookbuild.hashing import digest_of, key_of
from bookbuild.store.objects import ActionRecord, Store

PNG_LIKE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def make_record(store: Store, data: bytes, **metadata: Any) -> ActionRecord:
    manifest = {"op": "txt2img", "seed": 42, "prompt": "토끼"}
    return ActionRecord(
        key=key_of(manifest),
        digest=store.put(data),
        media_type="image/png",
        manifest=manifest,
        metadata={"provider": "offline", "seed": 42, "cost": 0.0, **metadata},
    )


def flip_byte(path: Path, offset: int = 10) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_root_is_created_only_on_first_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    assert not store.has(digest_of(b"x"))
    assert store.lookup(key_of({"a": 1})) is None
    assert list(store.objects()) == []
    assert not (tmp_path / "store").exists()
    store.put(b"x")
    assert (tmp_path / "store").is_dir()


def test_put_get_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path)
    digest = store.put(PNG_LIKE)
    assert digest == digest_of(PNG_LIKE)
    assert store.get(digest) == PNG_LIKE
    assert store.has(digest)
    hex_part = digest.removeprefix("sha256:")
    assert store.path(digest) == tmp_path / "objects" / "sha256" / hex_part[:2] / hex_part


def test_put_is_idempotent_and_does_not_rewrite(tmp_path: Path) -> None:
    store = Store(tmp_path)
    digest = store.put(b"chapter one")
    inode = store.path(digest).stat().st_ino
    assert store.put(b"chapter one") == digest
    assert store.path(digest).stat().st_ino == inode
    assert list(store.objects()) == [digest]


def test_objects_are_read_only_files(tmp_path: Path) -> None:
    store = Store(tmp_path)
    path = store.path(store.put(b"text"))
    assert path.stat().st_mode & 0o222 == 0


def test_get_absent_raises_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        Store(tmp_path).get(digest_of(b"never stored"))


@pytest.mark.parametrize(
    "bad", ["sha256:../../etc/passwd", "md5:abc", "sha256:" + "A" * 64, "sha256:" + "0" * 63]
)
def test_malformed_digest_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(StoreError, match="not a store digest"):
        Store(tmp_path).path(bad)


def test_flipped_byte_is_detected_quarantined_and_restored_by_put(tmp_path: Path) -> None:
    store = Store(tmp_path)
    digest = store.put(PNG_LIKE)
    flip_byte(store.path(digest))

    with pytest.raises(CorruptObjectError) as caught:
        store.get(digest)
    assert caught.value.digest == digest
    assert not store.path(digest).exists()
    quarantined = list((tmp_path / "quarantine").iterdir())
    assert len(quarantined) == 1 and quarantined[0] == caught.value.quarantined
    with pytest.raises(KeyError):
        store.get(digest)

    assert store.put(PNG_LIKE) == digest
    assert store.get(digest) == PNG_LIKE


def test_put_replaces_a_damaged_copy(tmp_path: Path) -> None:
    store = Store(tmp_path)
    digest = store.put(PNG_LIKE)
    flip_byte(store.path(digest))
    store.put(PNG_LIKE)
    assert store.get(digest) == PNG_LIKE
    assert len(list((tmp_path / "quarantine").iterdir())) == 1


def test_verify_reports_and_quarantines_only_corrupt_objects(tmp_path: Path) -> None:
    store = Store(tmp_path)
    good = store.put(b"good")
    bad = store.put(PNG_LIKE)
    flip_byte(store.path(bad))
    assert store.verify() == [bad]
    assert list(store.objects()) == [good]
    assert store.verify() == []


def test_interrupted_write_leaves_no_object_at_its_final_name(tmp_path: Path) -> None:
    store = Store(tmp_path)
    data = PNG_LIKE * 10
    digest = digest_of(data)
    kill_during_put(tmp_path, data)

    assert not store.path(digest).exists()
    assert not store.has(digest)
    assert list(store.objects()) == []
    with pytest.raises(KeyError):
        store.get(digest)
    assert store.put(data) == digest
    assert store.get(digest) == data
    assert list(store.objects()) == [digest]


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from bookbuild.store.objects import Store

    def stall(fd):
        sys.stdout.write("writing\\n")
        sys.stdout.flush()
        time.sleep(60)

    os.fsync = stall
    Store(Path(sys.argv[1])).put(sys.stdin.buffer.read())
    """
)


def kill_during_put(root: Path, data: bytes) -> None:
    """Run `Store.put` in a child process that stalls in fsync, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(data)
    child.stdin.close()
    try:
        assert child.stdout.readline() == b"writing\n"
        temp_files = [p for p in root.rglob("*") if p.is_file()]
        assert temp_files and all(p.name.endswith(".tmp") for p in temp_files)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def test_record_and_lookup_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = make_record(store, PNG_LIKE, usage={"images": 1}, created="2024-05-01T12:00:00Z")
    store.record(record)
    assert store.lookup(record.key) == record
    assert (tmp_path / "actions" / record.key[:2] / f"{record.key}.json").is_file()


def test_lookup_is_none_when_absent_or_object_missing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = make_record(store, PNG_LIKE)
    assert store.lookup(record.key) is None
    store.record(record)
    store.path(record.digest).unlink()
    assert store.lookup(record.key) is None


def test_lookup_is_none_when_record_is_unreadable(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = make_record(store, PNG_LIKE)
    store.record(record)
    (tmp_path / "actions" / record.key[:2] / f"{record.key}.json").write_text("{trunc")
    assert store.lookup(record.key) is None


def test_record_refuses_result_not_in_store(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = make_record(store, PNG_LIKE)
    store.path(record.digest).unlink()
    with pytest.raises(StoreError, match="not in the store"):
        store.record(record)


@pytest.mark.parametrize("bad", [b"bytes", {1, 2}, float("nan"), {3: "x"}, [object()]])
def test_record_refuses_metadata_that_is_not_json(tmp_path: Path, bad: object) -> None:
    store = Store(tmp_path)
    record = make_record(store, PNG_LIKE, usage=bad)
    with pytest.raises(TypeError, match=r"metadata\.usage"):
        store.record(record)
    assert store.lookup(record.key) is None


def test_record_refuses_a_key_that_is_not_hex(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = make_record(store, b"x")
    with pytest.raises(StoreError, match="not a step key"):
        store.record(ActionRecord("../evil", record.digest, "text/plain", {}, {}))


def test_journal_remember_pending_forget(tmp_path: Path) -> None:
    store = Store(tmp_path)
    key = key_of({"op": "txt2img"})
    journal = store.journal(key)
    assert journal.pending() is None
    job = {"id": 123, "fetch_result": "https://example.test/fetch/123", "eta": 9.5}
    journal.remember(job)
    assert store.journal(key).pending() == job
    assert (tmp_path / "jobs" / f"{key}.json").is_file()
    journal.forget()
    assert journal.pending() is None
    journal.forget()


def test_journal_ignores_a_damaged_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    key = key_of({"op": "txt2img"})
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / f"{key}.json").write_text("[1, 2")
    assert store.journal(key).pending() is None


def test_tuples_in_metadata_read_back_as_lists(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = make_record(store, PNG_LIKE, size=(768, 768))
    store.record(record)
    found = store.lookup(record.key)
    assert found is not None and found.metadata["size"] == [768, 768]
