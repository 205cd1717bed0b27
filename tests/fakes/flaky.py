"""Seeded, order-independent fault injection for the fake services.

A request's fate is drawn from a hash of (seed, the request's content without its key, how
many times that same request was seen before), so a build meets the same faults whatever the
order its threads send requests in, and a retried request gets a fresh draw."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from typing import Any

_SERVER_NAMES = re.compile(r"(upload-|job-|/fetch/|\"request_id\": \"?|127\.0\.0\.1:)\d+")
"""Names the fake gives in the order requests arrive (uploaded files, job ids) and the port it
was given (links to its own files): replaced, so a request's draw depends neither on which
thread got there first nor on which port the fake listened on."""


class Dice:
    """Uniform draws in [0, 1), one per (request, attempt), reproducible from `seed`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def roll(self, method: str, path: str, body: Any) -> float:
        plain = {k: v for k, v in body.items() if k != "key"} if isinstance(body, dict) else body
        content = json.dumps([method, path, plain], sort_keys=True, default=str)
        content = _SERVER_NAMES.sub(r"\1N", content)  # numbered by arrival: not content
        with self._lock:
            nth = self._seen[content]
            self._seen[content] += 1
        digest = hashlib.sha256(f"{self.seed}|{nth}|{content}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64
