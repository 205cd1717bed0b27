"""Bounded YAML reading that remembers where every value came from.

PyYAML's safe loader composes a node tree (each node knows its line and column); this module turns
that tree into plain Python data plus two position maps keyed by the loc path (mapping keys as
strings, list indexes as ints): where each value starts and where each mapping key is written.

Bounds protect against hostile or accidental input: at most `MAX_ALIASES` aliases, `MAX_NODES`
nodes (counted while composing *and* while expanding aliases, so a "billion laughs" document fails
after a few hundred thousand steps instead of exhausting memory) and `MAX_DEPTH` levels of nesting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from bookbuild.errors import SpecError, SpecIssue

MAX_ALIASES = 200
MAX_NODES = 200_000
MAX_DEPTH = 64

Loc = tuple[str | int, ...]
Position = tuple[int, int]

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class ParsedYaml:
    """Plain data of a YAML document, where its parts are, and the problems that did not stop it."""

    data: Any
    positions: dict[Loc, Position] = field(default_factory=dict)
    key_positions: dict[Loc, Position] = field(default_factory=dict)
    issues: list[SpecIssue] = field(default_factory=list)


class _Limit(Exception):
    """A bound was exceeded; carries the mark of the node where it happened."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Bounds:
    """Counts nodes, aliases and depth while a loader composes; mixed into the loaders below."""

    node_count = 0
    alias_count = 0
    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _Limit(_too_many("aliases (*name)", MAX_ALIASES), event.start_mark)
        else:
            self.node_count += 1
            if self.node_count > MAX_NODES:
                raise _Limit(_too_many("values", MAX_NODES), event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Limit(f"values nested more than {MAX_DEPTH} levels deep", event.start_mark)
        try:
            return super().compose_node(parent, index)  # type: ignore[misc, no-any-return]
        finally:
            self.depth -= 1


class _PyLoader(_Bounds, yaml.SafeLoader):
    """The pure-Python safe loader, bounded."""


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CLoader(_Bounds, Composer, CParser, SafeConstructor, Resolver):
        """libyaml's parser (fast scanning) under PyYAML's composer (so it can be bounded)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader: type[_PyLoader] | type[_CLoader] = _CLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _Loader = _PyLoader


def _too_many(what: str, limit: int) -> str:
    if what == "values":
        return f"too many YAML values: more than {limit:,}; a book spec is far smaller than this"
    return f"too many YAML {what}: more than {limit:,} (an alias bomb?); write the values out"


def _position(mark: Any) -> Position:
    if mark is None:
        return (1, 1)
    return (mark.line + 1, mark.column + 1)


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document into data and positions; raise SpecError if it cannot be read."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return ParsedYaml(data=None)
        builder = _Builder(loader, file)
        data = builder.convert(root, (), 0)
        return ParsedYaml(data, builder.positions, builder.key_positions, builder.issues)
    except _Limit as exc:
        raise SpecError([_issue(file, exc.mark, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_issue(file, exc.problem_mark, _yaml_message(exc, text))]) from None
    except yaml.reader.ReaderError as exc:
        line, col = _offset_position(text, exc.position)
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        message = f"character {char!r} is not allowed in YAML; remove it"
        raise SpecError([SpecIssue(file, line, col, message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(file, 1, 1, f"cannot read the YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _issue(file: str, mark: Any, message: str) -> SpecIssue:
    line, col = _position(mark)
    return SpecIssue(file, line, col, message)


def _yaml_message(exc: yaml.MarkedYAMLError, text: str = "") -> str:
    problem = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    line_no = exc.problem_mark.line if exc.problem_mark is not None else 0
    tab = _tab_in_indent(text, line_no)
    if tab is not None or "'\\t'" in problem or "tab" in problem:
        where = f" (line {tab + 1})" if tab is not None and tab != line_no else ""
        return (
            f"a tab character in the indentation{where}: YAML allows no tabs there "
            "— indent with spaces, not tabs"
        )
    hint = ""
    if problem.startswith(_INDENT_PROBLEMS) or "expected <block end>" in problem:
        hint = _indent_hint(text, line_no)
    elif "mapping values are not allowed" in problem:
        hint = _indent_hint(text, line_no, only_deeper=True) or (
            "; put text that contains ': ' in quotes"
        )
    return f"YAML syntax error: {problem}{context}{hint}"


_INDENT_PROBLEMS = ("did not find expected", "expected <block end>", "found a tab")


def _tab_in_indent(text: str, line_no: int) -> int | None:
    """The 0-based line, at or just before `line_no`, whose leading whitespace holds a tab."""
    lines = text.splitlines()
    for index in (line_no, line_no - 1):
        if 0 <= index < len(lines):
            line = lines[index]
            if "\t" in line[: len(line) - len(line.lstrip())]:
                return index
    return None


def _key_column(line: str) -> int:
    """Where a line's key starts: its spaces plus any `- ` list markers before the key."""
    match = re.match(r"^(?:[ ]*-[ ]+)*[ ]*", line)
    return len(match.group(0)) if match else 0


def _indent_hint(text: str, line_no: int, *, only_deeper: bool = False) -> str:
    """Name the bad indentation: this line's spaces against the line above it (`only_deeper`:
    only when this line is indented deeper than a line that opens no block)."""
    lines = text.splitlines()
    if not 0 <= line_no < len(lines):
        return ""
    spaces = _key_column(lines[line_no])
    above = [ln for ln in lines[:line_no] if ln.strip() and not ln.lstrip().startswith("#")]
    if not above:
        return ""
    before = _key_column(above[-1])
    opens_block = above[-1].rstrip().endswith((":", "|", ">", "|-", ">-"))
    if only_deeper and (spaces <= before or opens_block):
        return ""
    return (
        f"; bad indentation: line {line_no + 1} starts at column {spaces + 1} and the line "
        f"above it at column {before + 1}: keys of the same mapping must line up exactly"
    )


def _offset_position(text: str, offset: int) -> Position:
    before = text[:offset]
    line = before.count("\n") + 1
    return (line, offset - (before.rfind("\n") + 1) + 1)


class _Builder:
    """Turns composed nodes into plain data, recording positions and counting expanded nodes."""

    def __init__(self, loader: SafeConstructor, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[Loc, Position] = {}
        self.key_positions: dict[Loc, Position] = {}
        self.issues: list[SpecIssue] = []
        self.expanded = 0
        self.active: set[int] = set()

    def convert(self, node: Node, loc: Loc, depth: int) -> Any:
        self.expanded += 1
        if self.expanded > MAX_NODES:
            raise _Limit(_too_many("values after expanding aliases", MAX_NODES), node.start_mark)
        if depth > MAX_DEPTH or id(node) in self.active:
            raise _Limit("an alias refers to a value that contains it", node.start_mark)
        self.positions[loc] = _position(node.start_mark)
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._expect_tag(node, _SEQ_TAG, "list")
                return [
                    self.convert(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)
                ]
            assert isinstance(node, MappingNode)
            self._expect_tag(node, _MAP_TAG, "mapping")
            return self.mapping(node, loc, depth)
        finally:
            self.active.discard(id(node))

    def _expect_tag(self, node: Node, tag: str, kind: str) -> None:
        if node.tag != tag:
            message = f"YAML tag {node.tag!r} is not supported here; write a plain {kind}"
            self.issues.append(_issue(self.file, node.start_mark, message))

    def mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise _Limit("an alias refers to a value that contains it", node.start_mark)
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for source in self._merge_sources(value_node):
                    for key, value in self.mapping(source, loc, depth + 1).items():
                        merged.setdefault(key, value)
        own: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            name = self._key(key_node, own, loc)
            if name is not None:
                self.key_positions[(*loc, name)] = _position(key_node.start_mark)
                own[name] = self.convert(value_node, (*loc, name), depth + 1)
        return {**merged, **own}

    def _key(self, key_node: Node, seen: dict[str, Any], loc: Loc) -> str | None:
        if not isinstance(key_node, ScalarNode):
            message = "a key must be a plain word, not a list or mapping"
            self.issues.append(_issue(self.file, key_node.start_mark, message))
            return None
        key = str(key_node.value)
        if key in seen:
            first = self.key_positions[(*loc, key)]
            message = (
                f"duplicate key `{key}` (first at line {first[0]}); "
                "keep one of them — YAML would silently use the last"
            )
            self.issues.append(_issue(self.file, key_node.start_mark, message))
        return key

    def _merge_sources(self, node: Node) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            return [n for n in node.value if isinstance(n, MappingNode)]
        message = "`<<` merges a mapping or a list of mappings (e.g. `<<: *base`)"
        self.issues.append(_issue(self.file, node.start_mark, message))
        return []
