"""Waiting for another thread or process without timing it: poll a condition; the deadline
only guards against a hang (a slow, loaded CI machine must never fail a test by its clock)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], bool], what: str, deadline_s: float = 120.0) -> None:
    """Return once `predicate()` holds; fail the test naming `what` after `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)
