"""How much do concurrent transfers buy with the remote store?

Pushes 40 results (1 MB pictures) with their action records to a real S3-compatible server
(moto's server mode on 127.0.0.1, a dev dependency) from one store, then pulls them into an
empty store, with 1 transfer at a time and with 8; prints the times and the ratio. Over a real
network the round trips dominate even more, so the ratio is a floor.

Run: python benchmarks/bench_remote.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bookbuild.hashing import key_of
from bookbuild.store.objects import ActionRecord, Store
from bookbuild.store.remote import RemoteConfig, S3Remote
from bookbuild.store.remote_cache import RemoteCache
from tests.fakes.s3_server import FakeS3

RESULTS = 40


def fill(store: Store) -> list[str]:
    keys = []
    for index in range(RESULTS):
        manifest = {"op": "txt2img", "step": index}
        digest = store.put(os.urandom(1024 * 1024))
        store.record(ActionRecord(key_of(manifest), digest, "image/png", manifest, {}))
        keys.append(key_of(manifest))
    return keys


def timed(s3: FakeS3, root: Path, keys: list[str], jobs: int, prefix: str) -> tuple[float, float]:
    remote = S3Remote(RemoteConfig(f"s3://{s3.bucket}/{prefix}", s3.endpoint_url))
    start = time.perf_counter()
    RemoteCache(Store(root / "mine"), remote, required=True, jobs=jobs).publish_all(keys)
    pushed = time.perf_counter() - start
    fresh = RemoteCache(Store(root / f"theirs-{jobs}"), remote, required=True, jobs=jobs)
    start = time.perf_counter()
    assert len(fresh.fetch_many(dict.fromkeys(keys))) == len(keys)
    return pushed, time.perf_counter() - start


def main() -> None:
    for name, value in FakeS3().env.items():
        os.environ[name] = value
    with tempfile.TemporaryDirectory() as folder, FakeS3() as s3:
        root = Path(folder)
        keys = fill(Store(root / "mine"))
        one = timed(s3, root, keys, 1, "serial")
        eight = timed(s3, root, keys, 8, "parallel")
    for what, a, b in (("push", one[0], eight[0]), ("pull", one[1], eight[1])):
        print(f"{what} {RESULTS} x 1 MB: -j1 {a:.2f} s, -j8 {b:.2f} s, ratio {a / b:.1f}x")


if __name__ == "__main__":
    main()
