"""Round-trip writes of book.yaml: change one thing, keep every other byte.

ruamel.yaml's own round trip keeps comments and key order but re-flows flow mappings that span
lines (`painter: {…,⏎ width: 768}` comes back on one line), so a studio edit would rewrite lines
the author never touched. Instead, PyYAML (with libyaml's parser, as the book's loader reads it)
composes the document (nodes with exact marks) and ruamel renders the new fragment; the change is
spliced into the original text, and the result is parsed again and compared with the intended
data (libyaml: milliseconds for a long book, where ruamel's pure-Python reader took a second).
A layout the splice cannot handle (a flow-style illustration, a dash on its own line) falls back
to ruamel's full round trip, which still keeps comments and order.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bookbuild.errors import SpecWriteError

Data = Any


@dataclass(frozen=True)
class IllustrationRef:
    """Where an illustration is written: `chapters[chapter].illustrations[index]`, the cover
    (chapter None), or a character's generated sheet (`characters.<character>.reference`)."""

    chapter: int | None
    index: int = 0
    character: str | None = None

    def path(self) -> tuple[str | int, ...]:
        if self.character is not None:
            return ("characters", self.character, "reference")
        if self.chapter is None:
            return ("cover",)
        return ("chapters", self.chapter, "illustrations", self.index)


class _Splice(Exception):
    """The text splice does not apply to this layout; use the full round trip."""


def add_edit(text: str, ref: IllustrationRef, edit: dict[str, Any], at: int | None = None) -> str:
    """Insert `edit` (e.g. {"inpaint": {...}}) into the illustration's edits at `at` (end)."""

    def change(ill: dict[str, Any]) -> None:
        edits = ill.setdefault("edits", [])
        edits.insert(len(edits) if at is None else at, edit)

    return _write(text, ref.path(), change, lambda lines, node: _splice_add(lines, node, edit, at))


def remove_edit(text: str, ref: IllustrationRef, index: int) -> str:
    """Remove edit number `index` (0-based) of the illustration."""

    def change(ill: dict[str, Any]) -> None:
        _edits_of(ill, index).pop(index)
        if not ill["edits"]:
            del ill["edits"]

    return _write(text, ref.path(), change, lambda lines, node: _splice_remove(lines, node, index))


def replace_edit(text: str, ref: IllustrationRef, index: int, edit: dict[str, Any]) -> str:
    """Replace edit number `index` (0-based) by `edit`, in place: the lines around it (and the
    comments before it) stay as they are."""

    def change(ill: dict[str, Any]) -> None:
        _edits_of(ill, index)[index] = edit

    return _write(
        text, ref.path(), change, lambda lines, node: _splice_replace(lines, node, index, edit)
    )


def edit_at(text: str, ref: IllustrationRef, index: int) -> tuple[str, dict[str, Any]]:
    """(op, params) of edit number `index` as written (plain data)."""
    edits = _edits_of(_dig(_load_plain(text), ref.path()), index)
    item = edits[index]
    if isinstance(item, str):
        return item, {}
    if not isinstance(item, dict) or len(item) != 1:
        raise SpecWriteError(f"edit number {index + 1} is not one `op: {{...}}` item")
    op, params = next(iter(item.items()))
    return str(op), dict(params or {})


def move_edit(text: str, ref: IllustrationRef, index: int, to: int) -> str:
    """Move edit `index` to position `to` (both 0-based)."""

    def change(ill: dict[str, Any]) -> None:
        edits = _edits_of(ill, index)
        _edits_of(ill, to)
        edits.insert(to, edits.pop(index))

    return _write(
        text, ref.path(), change, lambda lines, node: _splice_move(lines, node, index, to)
    )


def set_field(text: str, ref: IllustrationRef, key: str, value: Any) -> str:
    """Set a scalar field of the illustration (`take: 2`, `freeze: true`)."""

    def change(ill: dict[str, Any]) -> None:
        ill[key] = value

    return _write(
        text, ref.path(), change, lambda lines, node: _splice_set(lines, node, key, value)
    )


def remove_field(text: str, ref: IllustrationRef, key: str) -> str:
    """Remove a scalar field of the illustration (its line goes; absent: the text as is)."""

    def change(ill: dict[str, Any]) -> None:
        ill.pop(key, None)

    if key not in _dig(_load_plain(text), ref.path()):
        return text
    return _write(text, ref.path(), change, lambda lines, node: _splice_unset(lines, node, key))


def set_chapter_field(text: str, chapter: int, key: str, value: Any) -> str:
    """Set a scalar field of chapter number `chapter` (0-based)."""
    return _write(
        text,
        ("chapters", chapter),
        lambda data: data.__setitem__(key, value),
        lambda lines, node: _splice_set(lines, node, key, value),
    )


def set_character_field(text: str, character: str, key: str, value: Any) -> str:
    """Set a scalar field of `characters.<character>` (`description: "..."`)."""
    return _write(
        text,
        ("characters", character),
        lambda data: data.__setitem__(key, value),
        lambda lines, node: _splice_set(lines, node, key, value),
    )


def set_top_field(text: str, key: str, value: Any, *, before: str = "title") -> str:
    """Set a top-level scalar (`defaults_version: 2`): its value replaced where it is written,
    else a new line just above the key `before` (the top of the spec)."""

    def splice(lines: list[str], root: MappingNode) -> None:
        anchor = _key_node(root, before)
        if _value_node(root, key) is not None or anchor is None:
            _splice_set(lines, root, key, value)
            return
        lines.insert(int(anchor.start_mark.line), f"{key}: {_render_scalar(value)}\n")

    return _write(text, (), lambda data: data.__setitem__(key, value), splice)


# -- the write: splice, check, or fall back -------------------------------------------------


def _write(
    text: str,
    path: tuple[str | int, ...],
    change: Callable[[dict[str, Any]], None],
    splice: Callable[[list[str], MappingNode], None],
) -> str:
    expected = _load_plain(text)
    change(_dig(expected, path))
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    node = _dig_node(yaml.compose(text, Loader=_LOADER), path)
    try:
        if not isinstance(node, MappingNode) or node.flow_style:
            raise _Splice
        splice(lines, node)
        result = "".join(lines)
        if _load_plain(result) == expected:
            return result
    except _Splice:
        pass
    return _round_trip(text, path, change)


def _round_trip(
    text: str, path: tuple[str | int, ...], change: Callable[[dict[str, Any]], None]
) -> str:
    yaml = _yaml()
    data = yaml.load(text)
    change(_dig(data, path))
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


def _load_plain(text: str) -> Data:
    """The data as the book's loader reads it."""
    return copy.deepcopy(yaml.load(text, Loader=_LOADER))


def _dig(data: Data, path: tuple[str | int, ...]) -> Any:
    try:
        for part in path:
            data = data[part]
    except (KeyError, IndexError, TypeError):
        raise SpecWriteError(f"book.yaml has no {_path_text(path)}") from None
    if not isinstance(data, dict):
        raise SpecWriteError(f"{_path_text(path)} in book.yaml is not a mapping")
    return data


def _path_text(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _edits_of(ill: dict[str, Any], index: int) -> list[Any]:
    edits = ill.get("edits")
    if not isinstance(edits, list) or not 0 <= index < len(edits):
        raise SpecWriteError(f"the illustration has no edit number {index + 1}")
    return edits


def _dig_node(node: Node | None, path: tuple[str | int, ...]) -> Node | None:
    for part in path:
        if isinstance(part, int) and isinstance(node, SequenceNode):
            node = node.value[part]
        elif isinstance(part, str) and isinstance(node, MappingNode):
            node = _value_node(node, part) or node
        else:
            raise SpecWriteError(f"book.yaml has no {_path_text(path)}")
    return node


def _value_node(mapping: MappingNode, key: str) -> Node | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return value_node  # type: ignore[no-any-return]
    return None


def _key_node(mapping: MappingNode, key: str) -> Node | None:
    for key_node, _ in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node
    return None


# -- splices ----------------------------------------------------------------------------------


def _content_end_line(node: Node) -> int:
    """The last line holding the node's own text (block collections end at the next token)."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end_line(last[1] if isinstance(node, MappingNode) else last)
    end = node.end_mark
    return int(end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line)


def _dash_line(lines: list[str], item: Node) -> tuple[int, int]:
    """(line, column) of the `-` that starts a block sequence item on the item's own line."""
    line = int(item.start_mark.line)
    before = lines[line][: item.start_mark.column]
    column = before.rstrip().rfind("-")
    if column < 0 or before[:column].strip() or before[column + 1 :].strip():
        raise _Splice
    return line, column


def _edits_node(ill: MappingNode) -> SequenceNode | None:
    node = _value_node(ill, "edits")
    if node is None:
        return None
    if not isinstance(node, SequenceNode) or node.flow_style or not node.value:
        raise _Splice
    return node


def _splice_add(lines: list[str], ill: MappingNode, edit: dict[str, Any], at: int | None) -> None:
    edits = _edits_node(ill)
    fragment = _render_block_item(edit)
    if edits is None:
        indent = " " * int(ill.start_mark.column)
        new = f"{indent}edits:\n{indent}  - {fragment}"
        lines.insert(_content_end_line(ill) + 1, new)
        return
    _, dash = _dash_line(lines, edits.value[0])
    new = f"{' ' * dash}- {fragment}"
    if at is None or at >= len(edits.value):
        lines.insert(_content_end_line(edits) + 1, new)
    else:
        lines.insert(_dash_line(lines, edits.value[at])[0], new)


def _item_blocks(lines: list[str], edits: SequenceNode) -> list[tuple[int, int]]:
    """[start, end) line ranges of each item; comment lines go with the item after them."""
    starts = [_dash_line(lines, item)[0] for item in edits.value]
    ends = [*starts[1:], _content_end_line(edits) + 1]
    return list(zip(starts, ends, strict=True))


def _splice_remove(lines: list[str], ill: MappingNode, index: int) -> None:
    edits = _edits_node(ill)
    if edits is None:
        raise _Splice
    blocks = _item_blocks(lines, edits)
    if len(blocks) == 1:
        key = _key_node(ill, "edits")
        assert key is not None
        del lines[int(key.start_mark.line) : blocks[0][1]]
        return
    start, end = blocks[index]
    del lines[start:end]


def _splice_replace(lines: list[str], ill: MappingNode, index: int, edit: dict[str, Any]) -> None:
    edits = _edits_node(ill)
    if edits is None or not 0 <= index < len(edits.value):
        raise _Splice
    item = edits.value[index]
    line, dash = _dash_line(lines, item)
    lines[line : _content_end_line(item) + 1] = [f"{' ' * dash}- {_render_block_item(edit)}"]


def _splice_move(lines: list[str], ill: MappingNode, index: int, to: int) -> None:
    edits = _edits_node(ill)
    if edits is None:
        raise _Splice
    blocks = _item_blocks(lines, edits)
    chunks = [lines[start:end] for start, end in blocks]
    chunks.insert(to, chunks.pop(index))
    lines[blocks[0][0] : blocks[-1][1]] = [line for chunk in chunks for line in chunk]


def _splice_set(lines: list[str], mapping: MappingNode, key: str, value: Any) -> None:
    rendered = _render_scalar(value)
    existing = _value_node(mapping, key)
    if existing is not None:
        if not isinstance(existing, ScalarNode):
            raise _Splice
        start, end = existing.start_mark, existing.end_mark
        if start.line != end.line:
            raise _Splice
        line = lines[start.line]
        lines[start.line] = line[: start.column] + rendered + line[end.column :]
        return
    indent = " " * int(mapping.start_mark.column)
    edits_key = _key_node(mapping, "edits") or _key_node(mapping, "illustrations")
    at = int(edits_key.start_mark.line) if edits_key else _content_end_line(mapping) + 1
    lines.insert(at, f"{indent}{key}: {rendered}\n")


def _splice_unset(lines: list[str], mapping: MappingNode, key: str) -> None:
    key_node, value = _key_node(mapping, key), _value_node(mapping, key)
    if key_node is None or not isinstance(value, ScalarNode):
        raise _Splice
    line = int(key_node.start_mark.line)
    if value.end_mark.line != line or lines[line][: key_node.start_mark.column].strip():
        raise _Splice  # `- key: v` (the item's first line) or a value over several lines
    del lines[line]


# -- rendering fragments --------------------------------------------------------------------


def _flow(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap((k, _flow(v)) for k, v in value.items())
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(_flow(v) for v in value)
        seq.fa.set_flow_style()
        return seq
    return value


def _dump(value: Any) -> str:
    out = io.StringIO()
    yaml = YAML()
    yaml.width = 4096
    yaml.dump(value, out)
    return out.getvalue()


def _render_block_item(edit: dict[str, Any]) -> str:
    """`inpaint: {mask: {rect: [...]}, prompt: ...}` + newline: the op as a block key."""
    top = CommentedMap((op, _flow(params)) for op, params in edit.items())
    return _dump(top)


def _render_scalar(value: Any) -> str:
    rendered = _dump({"v": value}).strip()
    return rendered.removeprefix("v:").strip()
