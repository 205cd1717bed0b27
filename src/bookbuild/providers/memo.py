"""What the providers of one build share: a service's listings read once per build, however
many presets (and so provider instances) talk to it. The build's pool hands one `BuildMemo` to
every provider it makes; a provider made on its own has its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class BuildMemo:
    """`once(key, make)`: the value `make()` gave for `key` earlier in this build, or makes it
    now (one thread makes it; the others wait for it). A `make` that raises stores nothing."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def once(self, key: str, make: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = make()
            return cast(T, self._values[key])
