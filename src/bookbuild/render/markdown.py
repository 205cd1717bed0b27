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
from mdit_py_plugins.footnote import footnote_plugin

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
KEEP_WORD_MAX = 24  # longer runs may break anywhere rather than overflow the line
_WORDS = re.compile(r"(\s+)")
WORD_JOINER = "\u2060"
HEADING_SHIFT = 2  # the book title is <h1>, a chapter title <h2>; chapter headings start at <h3>
NOTES_CLASS = "footnotes-sep"  # the footnote block (rendered last) starts with this <hr>

# Quotation marks by language (double open/close, single open/close) for the typographer,
# which also turns -- and --- into en and em dashes and ... into an ellipsis. Code is untouched.
QUOTES: dict[str, list[str]] = {
    "en": ["\u201c", "\u201d", "\u2018", "\u2019"],
    "ko": ["\u201c", "\u201d", "\u2018", "\u2019"],
    "de": ["\u201e", "\u201c", "\u201a", "\u2018"],
    "fr": ["\u00ab\u00a0", "\u00a0\u00bb", "\u2039\u00a0", "\u00a0\u203a"],
    "es": ["\u00ab", "\u00bb", "\u201c", "\u201d"],
    "it": ["\u00ab", "\u00bb", "\u201c", "\u201d"],
    "ru": ["\u00ab", "\u00bb", "\u201e", "\u201c"],
    "ja": ["\u300c", "\u300d", "\u300e", "\u300f"],
    "zh": ["\u201c", "\u201d", "\u2018", "\u2019"],
}


def is_safe_link(url: str) -> bool:
    """Only absolute http(s), mailto and '#fragment' links survive."""
    target = url.strip()
    if target.startswith("#"):
        return True
    lowered = target.lower()
    return lowered.startswith(ALLOWED_SCHEMES) and not any(ord(c) < 0x20 for c in target)


def _drop_unsafe_links(state: Any) -> None:
    """An unsafe link keeps its text and loses its <a> (an empty text token each end)."""
    for block in state.tokens:
        dropping = False
        for child in block.children or ():
            if child.type == "link_open" and not is_safe_link(str(child.attrGet("href") or "")):
                dropping = True
            elif child.type == "link_close" and dropping:
                dropping = False
            else:
                continue
            child.type, child.tag, child.content, child.attrs = "text", "", "", {}
            child.nesting = 0


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


def _backref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """The footnote's link back to its reference ("↩", without the emoji selector that most
    book fonts lack)."""
    ident = str(self.rules["footnote_anchor_name"](tokens, idx, options, env))
    if tokens[idx].meta["subId"] > 0:
        ident += f":{tokens[idx].meta['subId']}"
    return f' <a href="#fnref{ident}" class="footnote-backref">\u21a9</a>'


def quotes_for(language: str) -> list[str]:
    return QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])


def _pair_leftover_quotes(state: Any) -> None:
    """Korean (and Chinese, Japanese) attach words to a closing quote (`"안녕"이라고`), where the
    typographer cannot tell opening from closing: pair the straight double quotes it left in
    each paragraph, in order (never inside code, which is not a text token)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        texts = [child for child in block.children if child.type == "text"]
        if sum(child.content.count('"') for child in texts) % 2:
            continue
        opening = True
        for child in texts:
            parts = child.content.split('"')
            out = parts[0]
            for part in parts[1:]:
                out += ("\u201c" if opening else "\u201d") + part
                opening = not opening
            child.content = out


@lru_cache(maxsize=16)
def _parser(language: str = "en") -> MarkdownIt:
    options = {"html": False, "linkify": False, "typographer": True, "quotes": quotes_for(language)}
    md = MarkdownIt("commonmark", options)
    md.enable(["table", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    if language.split("-")[0].lower() in ("ko", "zh", "ja"):
        md.core.ruler.push("pair_quotes", _pair_leftover_quotes)
    # every link and image parses (an image then prints as its alt text, whatever its URL);
    # links to anything but http(s), mailto and fragments lose their <a> after parsing
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.core.ruler.push("unsafe_links", _drop_unsafe_links)
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("text", _text)
    md.add_render_rule("footnote_anchor", _backref)
    return md


def render_blocks(
    text: str, keep_all: bool = False, language: str = "en", doc_id: str = ""
) -> list[Markup]:
    """Markdown -> one safe HTML fragment per top-level block (paragraph, list, table...),
    with the language's quotation marks, dashes and ellipses; footnotes (`[^1]`) come as one
    last block, their ids prefixed with `doc_id` (unique per chapter). `keep_all` wraps Korean
    words so that lines break only between them (see keep_words)."""
    md = _parser(language)
    env: dict[str, Any] = {"keep_all": keep_all}
    if doc_id:
        env["docId"] = doc_id
    tokens = md.parse(text, env)
    _shift_headings(tokens)
    return [
        Markup(md.renderer.render(group, md.options, env)) for group in _top_level_groups(tokens)
    ]


def render_markdown(text: str, keep_all: bool = False, language: str = "en") -> Markup:
    """Markdown -> one safe HTML fragment."""
    return Markup("").join(render_blocks(text, keep_all, language))


def is_notes(block: str) -> bool:
    """True for the footnote block that render_blocks puts last."""
    return block.lstrip().startswith(f'<hr class="{NOTES_CLASS}"')


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
