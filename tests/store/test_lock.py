"""book.lock reading and writing, on real files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from bookbuild.errors import StoreError
from bookbuild.hashing import digest_of, key_of
from bookbuild.store.lock import Lock, LockEntry, LockWriter


def entry(name: str, media_type: str = "text/markdown") -> LockEntry:
    return LockEntry(key_of({"step": name}), digest_of(name.encode()), media_type)


STEPS = ["race/text", "race/challenge/prompt", "race/challenge/image", "nap/text", "nap/image-1"]


def test_absent_file_is_an_empty_lock(tmp_path: Path) -> None:
    lock = Lock.load(tmp_path / "book.lock")
    assert lock.entries == {} and lock.source_date_epoch is None


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    Lock({s: entry(s) for s in STEPS}, source_date_epoch=1_700_000_000).save(path)
    first = path.read_bytes()
    loaded = Lock.load(path)
    assert loaded.entries == {s: entry(s) for s in STEPS}
    assert loaded.source_date_epoch == 1_700_000_000
    loaded.save(tmp_path / "again.lock")
    assert (tmp_path / "again.lock").read_bytes() == first


def test_insertion_order_does_not_change_the_bytes(tmp_path: Path) -> None:
    Lock({s: entry(s) for s in STEPS}).save(tmp_path / "a.lock")
    Lock({s: entry(s) for s in reversed(STEPS)}).save(tmp_path / "b.lock")
    assert (tmp_path / "a.lock").read_bytes() == (tmp_path / "b.lock").read_bytes()


def test_file_is_diff_friendly_and_says_who_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    Lock({s: entry(s) for s in STEPS}).save(path)
    text = path.read_text("utf-8")
    document = json.loads(text)
    assert text.endswith("}\n")
    assert document["version"] == 1
    assert "bookbuild" in document["comment"]
    assert list(document["steps"]) == sorted(STEPS)
    assert len(text.splitlines()) <= 10 + 5 * len(STEPS)


def test_save_does_not_touch_an_unchanged_file(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    lock = Lock({s: entry(s) for s in STEPS})
    lock.save(path)
    before = path.stat()
    lock.save(path)
    assert path.stat().st_ino == before.st_ino and path.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"version": 1, "steps": []}',
        '{"version": 7, "steps": {}}',
        '{"steps": {}}',
        '{"version": 1, "steps": {"a/text": {"key": "k", "digest": "d", "media_type": "x"}}}',
        '{"version": 1, "steps": {}, "source_date_epoch": "yesterday"}',
        "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> other\n",
        "\udcff",
    ],
)
def test_malformed_lock_names_the_file_and_the_fix(tmp_path: Path, content: str) -> None:
    path = tmp_path / "book.lock"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(StoreError) as caught:
        Lock.load(path)
    message = str(caught.value)
    assert str(path) in message
    assert "git checkout" in message and "delete it" in message


def test_conflict_markers_are_named(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    path.write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n")
    with pytest.raises(StoreError, match="merge conflict"):
        Lock.load(path)


def test_pin_saves_at_once_and_skips_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    writer = LockWriter(path, Lock({}))
    writer.pin("race/text", entry("race/text"))
    assert Lock.load(path).entries == {"race/text": entry("race/text")}
    inode = path.stat().st_ino
    writer.pin("race/text", entry("race/text"))
    assert path.stat().st_ino == inode
    writer.pin("race/text", entry("race/text v2"))
    assert Lock.load(path).entries == {"race/text": entry("race/text v2")}


def test_pin_refuses_a_bad_entry(tmp_path: Path) -> None:
    writer = LockWriter(tmp_path / "book.lock", Lock({}))
    with pytest.raises(StoreError):
        writer.pin("a/text", LockEntry("k", "sha256:zz", "text/markdown"))
    assert not (tmp_path / "book.lock").exists()


def test_prune_drops_steps_no_longer_planned(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    writer = LockWriter(path, Lock({s: entry(s) for s in STEPS}))
    writer.prune(STEPS)
    assert not path.exists()
    writer.prune(["race/text", "nap/text", "new/step"])
    assert sorted(Lock.load(path).entries) == ["nap/text", "race/text"]
    assert sorted(writer.lock.entries) == ["nap/text", "race/text"]


def test_lock_writer_from_many_threads_keeps_a_parsable_file(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    writer = LockWriter(path, Lock({}, source_date_epoch=0))
    names = [[f"ch{t}/ill{i}/image" for i in range(25)] for t in range(6)]
    done = threading.Event()
    failures: list[BaseException] = []

    def pin_all(steps: list[str]) -> None:
        for step in steps:
            writer.pin(step, entry(step, "image/png"))

    def read_while_writing() -> None:
        while not done.is_set():
            try:
                Lock.load(path)
            except BaseException as exc:
                failures.append(exc)

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    workers = [threading.Thread(target=pin_all, args=(steps,)) for steps in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    reader.join()

    expected = {s: entry(s, "image/png") for steps in names for s in steps}
    assert failures == []
    assert Lock.load(path).entries == expected
    assert writer.lock.entries == expected
    assert not [p for p in tmp_path.iterdir() if p.name != "book.lock"]


def test_source_date_epoch_is_set_once_and_saved(tmp_path: Path) -> None:
    path = tmp_path / "book.lock"
    writer = LockWriter(path, Lock({}))
    writer.set_source_date_epoch(1_700_000_000)
    writer.set_source_date_epoch(1_800_000_000)
    assert writer.lock.source_date_epoch == 1_700_000_000
    assert Lock.load(path).source_date_epoch == 1_700_000_000


def _lock_text(step_ids: list[str]) -> str:
    entries = []
    for step_id in step_ids:
        entry = {"digest": digest_of(step_id.encode()), "key": "a" * 64, "media_type": "text/plain"}
        entries.append(f"    {json.dumps(step_id)}: {json.dumps(entry, indent=6)[:-1]}    }}")
    return '{\n  "version": 1,\n  "steps": {\n' + ",\n".join(entries) + "\n  }\n}\n"


@pytest.mark.parametrize("order", ["as written", "shuffled"])
def test_every_entry_of_a_large_lock_is_named_by_its_line(tmp_path: Path, order: str) -> None:
    step_ids = [f"ch{n:03d}/{kind}" for n in range(300) for kind in ("text", "ill/image")]
    if order == "shuffled":
        step_ids = step_ids[1::2] + step_ids[::2]
    path = tmp_path / "book.lock"
    path.write_text(_lock_text(step_ids), "utf-8")
    lock = Lock.load(path)
    lines = path.read_text("utf-8").splitlines()
    for step_id in step_ids:
        number = lock.lines[step_id]
        assert lines[number - 1].strip().startswith(json.dumps(step_id) + ":")
