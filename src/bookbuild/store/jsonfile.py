"""JSON files of the store (action records, job journals, build dates): plain JSON only,
written sorted and indented, read back as None when absent or unreadable."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def check_json(value: Any, where: str) -> None:
    """Raise TypeError unless `value` is plain JSON: dict (str keys), list or tuple (read back
    as a list), str, int, finite float, bool or None. Sets, bytes, NaN and objects are refused."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{where}: {value!r} is not a JSON number")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"{where}: key {name!r} is not a string")
            check_json(item, f"{where}.{name}")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not JSON-serialisable")


def dump_json(value: dict[str, Any]) -> bytes:
    text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def read_json(path: str | Path) -> Any:
    """The parsed JSON of `path`, or None if it is absent or unreadable."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None
