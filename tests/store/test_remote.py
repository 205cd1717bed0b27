"""The remote store against a real S3-compatible server (moto's, on 127.0.0.1) with faults
injected: 500s and dropped connections are retried, a corrupt or truncated object is refused
and reported (never stored), a down remote is said once, concurrent pushes corrupt nothing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bookbuild.hashing import digest_of
from bookbuild.store.objects import ActionRecord, Store
from bookbuild.store.remote import RemoteConfig, RemoteCorruptError, RemoteError, S3Remote
from bookbuild.store.remote_cache import Notice, RemoteCache
from tests.fakes.s3_server import FakeS3

KEY = "ab" * 32


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeS3]:
    with FakeS3() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


def remote(s3: FakeS3, timeout: float = 30) -> S3Remote:
    config = RemoteConfig(f"s3://{s3.bucket}/team", s3.endpoint_url, timeout=timeout)
    return S3Remote(config)


def stored(tmp_path: Path, name: str, data: bytes, key: str = KEY) -> Store:
    store = Store(tmp_path / name)
    digest = store.put(data)
    store.record(ActionRecord(key, digest, "image/png", {"op": "draw"}, {"seed": 1}))
    return store


class Notes:
    def __init__(self) -> None:
        self.seen: list[tuple[Notice, str]] = []

    def __call__(self, kind: Notice, message: str) -> None:
        self.seen.append((kind, message))

    def of(self, kind: Notice) -> list[str]:
        return [m for k, m in self.seen if k == kind]


def test_a_pushed_result_is_fetched_into_another_store(tmp_path: Path, s3: FakeS3) -> None:
    data = b"picture bytes" * 1000
    mine = stored(tmp_path, "mine", data)
    cache = RemoteCache(mine, remote(s3))
    cache.publish(KEY)
    assert cache.close().pushed == 1
    theirs = Store(tmp_path / "theirs")
    assert RemoteCache(theirs, remote(s3)).fetch(KEY)
    found = theirs.lookup(KEY)
    assert found is not None and theirs.get(found.digest) == data


def test_500s_and_dropped_connections_are_retried(tmp_path: Path, s3: FakeS3) -> None:
    data = b"x" * 5000
    mine = stored(tmp_path, "mine", data)
    s3.inject("500", method="PUT", times=2)
    s3.inject("drop", method="HEAD", times=1)
    cache = RemoteCache(mine, remote(s3), required=True)
    cache.publish_all([KEY])
    s3.inject("500", method="GET", times=1)
    s3.inject("drop", method="GET", times=1)
    s3.inject("cut", method="GET", path_part="/objects/", times=1)
    theirs = Store(tmp_path / "theirs")
    assert RemoteCache(theirs, remote(s3), required=True).fetch(KEY)
    assert theirs.get(digest_of(data)) == data
    assert {s.fault for s in s3.requests()} >= {"500", "drop", "cut"}


def test_a_corrupt_object_is_refused_reported_and_never_stored(tmp_path: Path, s3: FakeS3) -> None:
    data = b"y" * 4000
    mine = stored(tmp_path, "mine", data)
    cache = RemoteCache(mine, remote(s3))
    cache.publish(KEY)
    cache.close()
    name = remote(s3).object_name(digest_of(data))
    s3.write(name, data[:1000])  # truncated on the server (a broken upload by another tool)
    theirs, notes = Store(tmp_path / "theirs"), Notes()
    assert not RemoteCache(theirs, remote(s3), notes).fetch(KEY)
    assert not theirs.has(digest_of(data)) and theirs.lookup(KEY) is None
    assert "corrupt or truncated" in notes.of("corrupt")[0]
    with pytest.raises(RemoteCorruptError):
        remote(s3).get_object(digest_of(data))


def test_bytes_flipped_in_transit_are_refused(tmp_path: Path, s3: FakeS3) -> None:
    mine = stored(tmp_path, "mine", b"z" * 3000)
    RemoteCache(mine, remote(s3), required=True).publish_all([KEY])
    s3.inject("corrupt", method="GET", path_part="/objects/")
    theirs, notes = Store(tmp_path / "theirs"), Notes()
    assert not RemoteCache(theirs, remote(s3), notes).fetch(KEY)
    assert list(theirs.objects()) == [] and len(notes.of("corrupt")) == 1


def test_a_push_replaces_an_object_found_corrupt(tmp_path: Path, s3: FakeS3) -> None:
    data = b"w" * 3000
    mine = stored(tmp_path, "mine", data)
    RemoteCache(mine, remote(s3), required=True).publish_all([KEY])
    name = remote(s3).object_name(digest_of(data))
    s3.write(name, b"w" * 2999 + b"!")  # same size, wrong bytes
    cache = RemoteCache(Store(tmp_path / "other"), remote(s3))
    assert not cache.fetch(KEY)  # refused: remembered as corrupt
    cache.store.put(data)  # made again locally
    cache.store.record(ActionRecord(KEY, digest_of(data), "image/png", {}, {}))
    cache.publish(KEY)
    cache.close()
    assert s3.read(name) == data


def test_a_remote_that_is_down_is_said_once_then_left_alone(tmp_path: Path, s3: FakeS3) -> None:
    s3.down()
    notes = Notes()
    cache = RemoteCache(Store(tmp_path / "s"), remote(s3, timeout=0.5), notes)
    assert cache.fetch_many({KEY: None, "cd" * 32: None}) == set()
    assert not cache.fetch("ef" * 32)
    assert len(notes.of("warning")) == 1
    assert "AKIA" not in notes.of("warning")[0] and "secret" not in notes.of("warning")[0]
    required = RemoteCache(Store(tmp_path / "s"), remote(s3, timeout=0.5), required=True)
    with pytest.raises(RemoteError):
        required.fetch(KEY)


def test_a_server_error_that_persists_is_an_error_not_a_miss(tmp_path: Path, s3: FakeS3) -> None:
    s3.inject("500")
    with pytest.raises(RemoteError, match="InternalError"):
        remote(s3).find_action(KEY)


def test_two_machines_pushing_at_once_corrupt_nothing(tmp_path: Path, s3: FakeS3) -> None:
    keys = [f"{n:02x}" * 32 for n in range(12)]
    stores = [Store(tmp_path / name) for name in ("a", "b")]
    for index, store in enumerate(stores):
        for n, key in enumerate(keys):
            data = f"result {n}".encode() * 500 if n % 2 else f"take {index} {n}".encode() * 500
            store.record(ActionRecord(key, store.put(data), "image/png", {}, {"n": n}))
    with ThreadPoolExecutor(max_workers=2) as pool:  # .result() raises what a push raised
        pushes = [
            pool.submit(RemoteCache(s, remote(s3), required=True).publish_all, keys) for s in stores
        ]
        for push in pushes:
            push.result()
    for name in s3.names("/objects/"):
        assert digest_of(s3.read(name)).removeprefix("sha256:") == name.rsplit("/", 1)[1]
    fresh = Store(tmp_path / "fresh")
    cache = RemoteCache(fresh, remote(s3), required=True)
    assert cache.fetch_many(dict.fromkeys(keys)) == set(keys)
    assert fresh.verify() == []
    both = [k for n, k in enumerate(keys) if n % 2 == 0]  # two different takes of one key
    assert all(len(s3.names(f"/actions/{k[:2]}/{k}/")) == 2 for k in both)
    chosen = {k: fresh.action_digest(k) for k in both}
    assert chosen == {k: min(stores[0].action_digest(k), stores[1].action_digest(k)) for k in both}
