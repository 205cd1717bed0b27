"""Chapter text: Markdown to safe HTML blocks.

Chapter text may come from a model, so it is data: raw HTML is escaped (never passed through),
links are kept only for http(s), mailto and in-page fragments, and Markdown images are rendered as
their alt text, so chapter text can neither run script nor pull a local file into the book.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
KEEP_WORD_MAX = 24  # longer runs may break anywhere rather than overflow the line
_WORDS = re.compile(r"(\s+)")
WORD_JOINER = "\u2060"
HEADING_SHIFT = 2  # the book title is <h1>, a chapter title <h2>; chapter headings start at <h3>


def is_safe_link(url: str) -> bool:
    """Only absolute http(s), mailto and '#fragment' links survive."""
    target = url.strip()
    if target.startswith("#"):
        return True
    lowered = target.lower()
    return lowered.startswith(ALLOWED_SCHEMES) and not any(ord(c) < 0x20 for c in target)


def _image_as_text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or ()) or token.content
    return str(escape(alt))


def has_hangul(text: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" for c in text)


def keep_words(text: str) -> Markup:
    """Escape `text`, joining the characters of each Korean word with U+2060 WORD JOINER so
    that the PDF renderer (which lacks `word-break: keep-all`) breaks Korean lines between
    words only. Joiners draw nothing and are not part of the PDF's text; words longer than
    KEEP_WORD_MAX may still break inside rather than overflow the line."""
    parts = [_join_word(part) for part in _WORDS.split(text)]
    return Markup("".join(str(escape(part)) for part in parts))


def _join_word(word: str) -> str:
    if len(word) < 2 or len(word) > KEEP_WORD_MAX or not has_hangul(word):
        return word
    return WORD_JOINER.join(word)


def _text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    content = tokens[idx].content
    return str(keep_words(content) if env.get("keep_all") else escape(content))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("text", _text)
    return md


def render_blocks(text: str, keep_all: bool = False) -> list[Markup]:
    """Markdown -> one safe HTML fragment per top-level block (paragraph, list, table...).
    `keep_all` wraps Korean words so that lines break only between them (see keep_words)."""
    md = _parser()
    env: dict[str, Any] = {"keep_all": keep_all}
    tokens = md.parse(text, env)
    _shift_headings(tokens)
    return [
        Markup(md.renderer.render(group, md.options, env)) for group in _top_level_groups(tokens)
    ]


def render_markdown(text: str, keep_all: bool = False) -> Markup:
    """Markdown -> one safe HTML fragment."""
    return Markup("").join(render_blocks(text, keep_all))


def _shift_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1:]) + HEADING_SHIFT)
            token.tag = f"h{level}"


def _top_level_groups(tokens: list[Token]) -> list[list[Token]]:
    groups: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        current.append(token)
        depth += token.nesting
        if depth == 0 and token.block:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups
