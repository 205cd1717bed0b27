"""Seeded, order-independent fault injection for the fake services.

A request's fate is drawn from a hash of (seed, the request's content without its key, how
many times that same request was seen before), so a build meets the same faults whatever the
order its threads send requests in, and a retried request gets a fresh draw. The ids the SD API
fake gives jobs and uploads (which later requests carry: file links, fetch bodies) are drawn
from content the same way (ContentIds), so they too are the same on every run."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from typing import Any

_PORT = re.compile(r"(127\.0\.0\.1:)\d+")
"""The port the fake was given (in links to its own files): not content, so replaced."""


def _content(method: str, path: str, body: Any) -> str:
    """What was sent, without the API key or the fake's port: the same on every run."""
    plain = {k: v for k, v in body.items() if k != "key"} if isinstance(body, dict) else body
    return _PORT.sub(r"\1N", json.dumps([method, path, plain], sort_keys=True, default=str))


class _Occurrences:
    """How many times each content was seen before (thread-safe)."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def nth(self, content: str) -> int:
        with self._lock:
            nth = self._seen[content]
            self._seen[content] += 1
        return nth


class ContentIds:
    """Job and upload ids (opaque integers, as ModelsLab's are) drawn from what was sent and how
    many times the same was sent before: a build gets the same ids, so the same file names and
    fetch bodies, whatever order its threads send requests in."""

    def __init__(self) -> None:
        self._occurrences = _Occurrences()
        self._issued: set[int] = set()
        self._lock = threading.Lock()

    def next(self, path: str, body: Any) -> int:
        content = _content("POST", path, body)
        nth = self._occurrences.nth(content)
        digest = hashlib.sha256(f"{nth}|{content}".encode()).digest()
        candidate = 10**8 + int.from_bytes(digest[:8], "big") % (9 * 10**8)  # nine digits
        with self._lock:
            while candidate in self._issued:  # a clash (about 1 in 10^9 per pair): the next
                candidate += 1
            self._issued.add(candidate)
        return candidate


class Dice:
    """Uniform draws in [0, 1), one per (request, attempt), reproducible from `seed`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._occurrences = _Occurrences()

    def roll(self, method: str, path: str, body: Any) -> float:
        content = _content(method, path, body)
        nth = self._occurrences.nth(content)
        digest = hashlib.sha256(f"{self.seed}|{nth}|{content}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64
