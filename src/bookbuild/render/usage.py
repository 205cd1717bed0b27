"""What a page's templates use of their context (read from the templates' syntax trees).

A chapter page is rendered again when something it shows changes; which parts of the book it
can show depends on its templates (a book's `theme/` folder may replace any of them). So the
site asks: does a template use the AI disclosure, or the list of every chapter?
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, TemplateNotFound, meta, nodes

__all__ = ["TemplateUse", "template_use", "use_from_json", "use_to_json"]


@dataclass(frozen=True)
class TemplateUse:
    """What a template (with every template it includes or extends) reads of its context."""

    names: frozenset[str]  # the context variables it reads
    lists_chapters: bool  # it reads `chapters` or `book.chapters` (or hands `book` on whole)

    def uses(self, name: str) -> bool:
        return name in self.names


EVERYTHING = TemplateUse(names=frozenset(), lists_chapters=True)


def template_use(env: Environment, name: str) -> TemplateUse | None:
    """What template `name` and the templates it includes or extends use of the context; None
    when one of them is chosen at render time (then it may use anything)."""
    names: set[str] = set()
    lists = False
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source = env.loader.get_source(env, current)[0] if env.loader else ""
        except TemplateNotFound:
            continue
        tree = env.parse(source)
        names |= meta.find_undeclared_variables(tree)
        lists = lists or _lists_chapters(tree)
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:
                return None
            todo.append(referenced)
    return TemplateUse(names=frozenset(names), lists_chapters=lists)


def _lists_chapters(tree: nodes.Template) -> bool:
    """`chapters` read, or `book` read other than as `book.<attribute>` (an attribute other than
    `chapters`): `{% set b = book %}{{ b.chapters }}` counts as listing them."""
    plain: set[int] = set()
    for found in tree.find_all(nodes.Getattr):
        if isinstance(found.node, nodes.Name) and found.attr != "chapters":
            plain.add(id(found.node))
    for name in tree.find_all(nodes.Name):
        if name.ctx != "load":
            continue
        if name.name == "chapters" or (name.name == "book" and id(name) not in plain):
            return True
    return False


def use_to_json(use: TemplateUse | None) -> list[object] | None:
    return None if use is None else [sorted(use.names), use.lists_chapters]


def use_from_json(data: object) -> TemplateUse | None:
    if isinstance(data, list) and len(data) == 2 and isinstance(data[0], list):
        return TemplateUse(frozenset(str(n) for n in data[0]), bool(data[1]))
    return None
