"""Seeds of the offline provider: every random choice is drawn from a hash of the request."""

from __future__ import annotations

import hashlib
import random

from bookbuild.hashing import canonical_json

Part = str | int | float | bool | None


def seed_int(*parts: Part) -> int:
    """A 64-bit integer from the canonical JSON of `parts`: same parts, same number."""
    digest = hashlib.sha256(canonical_json(list(parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def seeded_random(*parts: Part) -> random.Random:
    """A private random generator seeded from `parts` (never the global one)."""
    return random.Random(seed_int(*parts))
