"""Dataclass fields computed when first read: a chapter's Markdown is parsed only if a page
that is rendered shows it (an edit re-renders one chapter's page and section, not all)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

__all__ = ["Later", "LazyField", "later"]

T = TypeVar("T")


class Later(Generic[T]):
    """A value to compute at the first read of the field it is given to."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make


def later(make: Callable[[], T]) -> T:
    """A value for a `LazyField`, made by `make()` at the first read. Typed as the value
    itself, as the field is declared to type checkers (see `LazyField`)."""
    return cast(T, Later(make))


class LazyField:
    """A (frozen) dataclass field holding a value or a `later` one, computed once when read.
    Declared as `if TYPE_CHECKING: name: T` / `else: name: LazyField = LazyField()`: type
    checkers see a plain field; at run time the dataclass has no default for it (the class
    access raises AttributeError) and its __init__ stores through `__set__`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = name  # kept in the instance's __dict__ under the field's own name (this
        # data descriptor is found first), so vars() and pickling see the field as before

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.slot)  # no default (dataclasses ask the class)
        value = obj.__dict__[self.slot]
        if isinstance(value, Later):
            value = value.make()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.slot] = value
