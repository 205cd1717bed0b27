"""Canonical JSON and digests: the one way bookbuild turns data into keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_of(data: bytes) -> str:
    """Content digest as stored in the lock and the store: 'sha256:<hex>'."""
    return "sha256:" + sha256_hex(data)


def key_of(manifest: dict[str, Any]) -> str:
    """A step key: SHA-256 of the canonical JSON of its manifest (everything that can change it)."""
    return sha256_hex(canonical_json(manifest).encode("utf-8"))
