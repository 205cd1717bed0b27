"""Everything a page of a PDF draws, for the read-back checks: the content streams of its form
XObjects and tiling patterns (nested, each once), every resource dictionary they use, the
shadings of its gradients and its images. A colour or a transparency hidden inside a pattern
(a CSS gradient) is found like one on the page itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["images", "is_rgb", "nested", "resources_of", "shadings"]


def nested(resources: Any, seen: set[int]) -> Iterator[tuple[Any, Any]]:
    """(content stream object, its resources) of every form XObject and tiling pattern under
    `resources`, recursively; `seen` keeps each one to its first page."""
    for category in ("/XObject", "/Pattern"):
        for ref in ((resources or {}).get(category) or {}).values():
            obj = ref.get_object()
            kind = obj.get("/Subtype") if category == "/XObject" else obj.get("/PatternType")
            if id(obj) in seen or kind not in ("/Form", 1):
                continue
            seen.add(id(obj))
            inner = obj.get("/Resources") or resources
            yield obj, inner
            yield from nested(inner, seen)


def resources_of(page: Any) -> list[tuple[Any, Any]]:
    """(owner, resources) of the page and of everything it draws: the owner is the page or
    the form/pattern whose resources they are."""
    resources = page.get("/Resources")
    return [(page, resources), *nested(resources, set())]


def images(resources: Any) -> Iterator[Any]:
    for ref in ((resources or {}).get("/XObject") or {}).values():
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            yield obj


def shadings(resources: Any) -> Iterator[Any]:
    """The shading dictionaries of `resources`: its /Shading entries and shading patterns'."""
    for ref in ((resources or {}).get("/Shading") or {}).values():
        yield ref.get_object()
    for ref in ((resources or {}).get("/Pattern") or {}).values():
        pattern = ref.get_object()
        if pattern.get("/PatternType") == 2 and "/Shading" in pattern:
            yield pattern["/Shading"].get_object()


def is_rgb(space: Any) -> bool:
    """DeviceRGB, directly or as the base of an /Indexed palette (ICC-based spaces are not)."""
    space = space.get_object() if hasattr(space, "get_object") else space
    if str(space) == "/DeviceRGB":
        return True
    if isinstance(space, list) and len(space) > 1 and str(space[0]) == "/Indexed":
        return is_rgb(space[1])
    return False
