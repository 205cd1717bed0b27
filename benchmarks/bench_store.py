"""How long does a no-op build spend asking the store "is every step done?"

Stores 500 step results (400 texts of 4 KB, 100 noisy images of 1 MB, like diffusion PNGs) with
their action records, then times, best of several rounds:

  - has:          one stat per pinned digest (what a build with a matching book.lock needs)
  - lookup + has: read the action record of each key, then stat its object
  - re-hash:      read every object and recompute its SHA-256 (what trusting nothing costs)

Run: python benchmarks/bench_store.py
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bookbuild.hashing import digest_of, key_of
from bookbuild.store.objects import ActionRecord, Store

TEXTS = 400
IMAGES = 100
ROUNDS = 9


def fill(store: Store) -> list[str]:
    """Store 500 results with their records; return the step keys."""
    keys: list[str] = []
    for index in range(TEXTS + IMAGES):
        is_image = index >= TEXTS
        data = os.urandom(1024 * 1024 if is_image else 4096)
        manifest = {"op": "txt2img" if is_image else "write", "step": index, "seed": 42}
        key = key_of(manifest)
        digest = store.put(data)
        media_type = "image/png" if is_image else "text/markdown"
        store.record(ActionRecord(key, digest, media_type, manifest, {"provider": "offline"}))
        keys.append(key)
    return keys


def best_of(rounds: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def check_lookups(store: Store, keys: list[str]) -> None:
    for key in keys:
        record = store.lookup(key)
        assert record is not None and store.has(record.digest)


def check_has(store: Store, digests: list[str]) -> None:
    for digest in digests:
        assert store.has(digest)


def rehash(store: Store, digests: list[str]) -> None:
    for digest in digests:
        assert digest_of(store.path(digest).read_bytes()) == digest


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "store")
        keys = fill(store)
        digests = list(store.objects())
        size = sum(store.path(d).stat().st_size for d in digests)
        has_s = best_of(ROUNDS, lambda: check_has(store, digests))
        lookup_s = best_of(ROUNDS, lambda: check_lookups(store, keys))
        rehash_s = best_of(ROUNDS, lambda: rehash(store, digests))
    print(f"{len(keys)} steps, {size / 1e6:.0f} MB of objects (warm page cache), best of {ROUNDS}")
    print(f"  has only:      {has_s * 1e3:8.2f} ms")
    print(f"  lookup + has:  {lookup_s * 1e3:8.2f} ms")
    print(f"  re-hash all:   {rehash_s * 1e3:8.2f} ms")
    print(f"  re-hash / (lookup + has): {rehash_s / lookup_s:.0f}x")
    print(f"  re-hash / has:            {rehash_s / has_s:.0f}x")


if __name__ == "__main__":
    main()
