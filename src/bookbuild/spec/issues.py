"""Pydantic validation errors -> SpecIssues at the right line:col, in plain words.

Pydantic reports a loc path through the models, with extra entries naming the union member that
was tried (`'str'`, `'list[Lora]'`, `'function-after[..., MaskShape]'`). We walk that path over
the models and the data together: member names are dropped from the data path, and only the errors
of the member that matches the shape of the data (mapping, list or scalar) are kept, so a mask
written as a mapping does not also complain that it is not a string.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bookbuild.errors import SpecIssue
from bookbuild.spec.models import Book, Edit
from bookbuild.spec.positions import Loc, Position

_MISSING = object()


@dataclass
class _Walk:
    """Where a pydantic loc lands in the data."""

    path: Loc = ()
    model: type[BaseModel] | None = None
    unions: list[tuple[Loc, str]] = field(default_factory=list)


def _candidates(annotation: Any) -> list[Any]:
    """The types an annotation accepts, with Annotated, Optional and unions unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _candidates(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [c for a in get_args(annotation) for c in _candidates(a) if c is not type(None)]
    return [annotation]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _step(annotation: Any, value: Any, element: str | int, walk: _Walk) -> tuple[Any, Any]:
    """Follow one loc element; return the next (annotation, value)."""
    cands = _candidates(annotation)
    for cand in cands:
        if _is_model(cand) and isinstance(element, str) and element in cand.model_fields:
            walk.model = cand
            walk.path = (*walk.path, element)
            nxt = value.get(element, _MISSING) if isinstance(value, Mapping) else _MISSING
            return cand.model_fields[element].annotation, nxt
        origin = get_origin(cand)
        if origin is list and isinstance(element, int):
            walk.path = (*walk.path, element)
            ok = isinstance(value, list) and 0 <= element < len(value)
            return get_args(cand)[0], value[element] if ok else _MISSING
        if origin is dict and isinstance(element, str):
            walk.path = (*walk.path, element)
            nxt = value.get(element, _MISSING) if isinstance(value, Mapping) else _MISSING
            return get_args(cand)[1], nxt
    walk.unions.append((walk.path, str(element)))
    return _member(cands, str(element)), value


def _member(cands: list[Any], tag: str) -> Any:
    """The union member a pydantic tag names (models by class name, lists by `list[`)."""
    for cand in cands:
        if _is_model(cand) and re.search(rf"\b{cand.__name__}\b", tag):
            return cand
    for cand in cands:
        origin = get_origin(cand)
        if (origin is list and tag.startswith("list[")) or (
            origin is dict and tag.startswith("dict[")
        ):
            return cand
    return Any


def _walk(loc: tuple[str | int, ...], data: Any, models_at: Mapping[Loc, Any]) -> tuple[_Walk, Any]:
    walk = _Walk(model=Book)
    annotation: Any = Book
    value = data
    for element in loc:
        annotation, value = _step(annotation, value, element, walk)
        annotation = models_at.get(walk.path, annotation)
    models = [c for c in _candidates(annotation) if _is_model(c)]
    if models:
        walk.model = models[0]
    return walk, value


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return "scalar"


_SCALAR_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
}


def _tag_word(tag: str) -> str:
    kind = _tag_kind(tag)
    if kind == "scalar":
        return _SCALAR_WORDS.get(tag, "a single value")
    return _KIND_WORDS[kind]


def _tag_kind(tag: str) -> str:
    if tag.startswith("list["):
        return "list"
    if tag.startswith("dict[") or re.search(r"\b[A-Z][A-Za-z0-9]+\]?$", tag):
        return "mapping"
    return "scalar"


_KIND_WORDS = {"mapping": "a mapping (key: value)", "list": "a list", "scalar": "a single value"}


class IssueBuilder:
    """Collects the issues of one ValidationError."""

    def __init__(
        self,
        file: str,
        data: Any,
        positions: Mapping[Loc, Position],
        key_positions: Mapping[Loc, Position],
        models_at: Mapping[Loc, Any] | None = None,
    ) -> None:
        """`models_at` names the model validating a part of the spec where it is not the one
        `Book` declares (a preset: its provider's options model)."""
        self.file = file
        self.models_at = dict(models_at or {})
        self.data = data
        self.positions = positions
        self.key_positions = key_positions
        self.issues: list[SpecIssue] = []
        self._union_points: dict[Loc, set[str]] = {}
        self._union_kept: set[Loc] = set()

    def add_all(self, error: ValidationError, at: Loc = ()) -> list[SpecIssue]:
        """The issues of `error`, raised while validating the part of the spec at `at`."""
        for details in error.errors():
            self._add({**details, "loc": (*at, *details["loc"])})
        for path, tags in self._union_points.items():
            if path not in self._union_kept:
                self._union_mismatch(path, tags)
        return self.issues

    def _add(self, details: ErrorDetails) -> None:
        kind = details["type"]
        loc = tuple(details["loc"])
        named_last = kind in ("extra_forbidden", "missing") and loc
        walk, value = _walk(loc[:-1] if named_last else loc, self.data, self.models_at)
        if not self._matches_data(walk):
            return
        if kind == "extra_forbidden":
            self._unknown_key(walk, str(loc[-1]))
        elif kind == "missing":
            self._missing(walk, str(loc[-1]))
        elif kind in ("value_error", "assertion_error"):
            message = re.sub(r"^(Value|Assertion) error, ", "", details["msg"])
            self._emit(self.position(walk.path), message)
        else:
            message = f"{_label(walk.path)} {_plain(details, value)}"
            self._emit(self.position(walk.path), message)

    def _matches_data(self, walk: _Walk) -> bool:
        """False for errors of a union member that does not fit the data's shape."""
        for path, tag in walk.unions:
            self._union_points.setdefault(path, set()).add(tag)
            if _tag_kind(tag) != _kind(_value_at(self.data, path)):
                return False
            self._union_kept.add(path)
        return True

    def _union_mismatch(self, path: Loc, tags: set[str]) -> None:
        wanted = sorted({_tag_word(t) for t in tags}, key=lambda w: (w.startswith("a "), w))
        got = _KIND_WORDS[_kind(_value_at(self.data, path))]
        message = f"{_label(path)} should be {' or '.join(wanted)}, not {got}"
        self._emit(self.position(path), message)

    def _unknown_key(self, walk: _Walk, key: str) -> None:
        at = (*walk.path, key)
        position = self.key_positions.get(at) or self.position(at)
        allowed = list(walk.model.model_fields) if walk.model else []
        what = "edit" if walk.model is Edit else "key"
        message = f"unknown {what} `{key}`"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            message += f" — did you mean `{close[0]}`?"
        elif allowed:
            message += f"; allowed here: {', '.join(allowed)}"
        self._emit(position, message)

    def _missing(self, walk: _Walk, name: str) -> None:
        message = f"missing `{name}`"
        if walk.model is not None and name in walk.model.model_fields:
            description = walk.model.model_fields[name].description
            if description:
                message += f": {description}"
        self._emit(self.position(walk.path), message)

    def _emit(self, position: Position, message: str) -> None:
        self.issues.append(SpecIssue(self.file, position[0], position[1], message))

    def position(self, loc: Loc) -> Position:
        """Position of `loc`, or of its nearest parent that has one."""
        for end in range(len(loc), -1, -1):
            found = self.positions.get(loc[:end])
            if found is not None:
                return found
        return (1, 1)


def _value_at(data: Any, path: Loc) -> Any:
    value = data
    for element in path:
        if isinstance(value, Mapping):
            if element not in value:
                return _MISSING
            value = value[element]
        elif isinstance(value, list) and isinstance(element, int) and 0 <= element < len(value):
            value = value[element]
        else:
            return _MISSING
    return value


def _label(path: Loc) -> str:
    """`width`, or `item 2 of authors` for a list entry."""
    names = [e for e in path if isinstance(e, str)]
    name = names[-1] if names else "the spec"
    if path and isinstance(path[-1], int):
        return f"item {path[-1] + 1} of `{name}`"
    return f"`{name}`"


_PATTERN_WORDS = {
    "^[a-z0-9][a-z0-9_-]*$": "should be an id of lowercase letters, digits, '-' and '_' "
    "(like `the-race`)",
    "^[a-z]{2,3}(-[A-Za-z0-9]+)*$": "should be a language tag like `en`, `ko` or `pt-BR`",
}


def _plain(details: ErrorDetails, value: Any) -> str:
    """Pydantic's message, as a sentence about the field, with what was given."""
    kind = details["type"]
    ctx = details.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_WORDS:
        text = _PATTERN_WORDS[str(ctx["pattern"])]
    elif kind == "string_too_short" and ctx.get("min_length") == 1:
        text = "should not be empty"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        text = "should be a mapping (key: value)"
    elif kind == "list_type":
        text = "should be a list (`- item` lines or `[a, b]`)"
    elif kind == "string_type":
        text = "should be text" + _quote_hint(value)
    else:
        text = re.sub(r"^(Input|String|List|Value|Dictionary|Decimal) ", "", details["msg"])
        text = text[:1].lower() + text.replace(" after validation", "")[1:]
    if value is _MISSING or isinstance(value, Mapping | list):
        return text
    return f"{text} (got {_show(value)})"


def _quote_hint(value: Any) -> str:
    if isinstance(value, bool | datetime.date):
        return "; YAML read this as a date or true/false — put it in quotes"
    return ""


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"`{text}`"
