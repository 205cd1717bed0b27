"""Chapter Markdown as XHTML for EPUB content documents.

The Markdown itself goes through `bookbuild.render.markdown` and the HTML book's page model
(`context.make_chapter`: the same safety rules, raw HTML escaped, images as alt text, only web and
mail links, and the same figure placement). Each HTML block is then
re-serialized as XHTML from a parse, so the result is well-formed whatever the HTML looked like:
void elements closed, text and attributes escaped for XML, only a known set of elements and
attributes kept, and in-page `#fragment` links (which point nowhere inside an EPUB page)
reduced to their text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markupsafe import escape

from bookbuild.render.epub_content import xml_text
from bookbuild.render.markdown import HEADING_SHIFT

_VOID = frozenset({"br", "hr", "wbr"})
_DROP_CONTENT = frozenset({"script", "style", "template", "title"})
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "id", "class"}),
    "code": frozenset({"class"}),
    "ol": frozenset({"start", "class"}),
    "li": frozenset({"id", "class"}),
    "sup": frozenset({"class"}),
    "section": frozenset({"class"}),
    "hr": frozenset({"class"}),
    "td": frozenset({"style"}),
    "th": frozenset({"style"}),
}
_ELEMENTS = frozenset(
    {"p", "blockquote", "pre", "code", "em", "strong", "s", "del", "sub", "sup", "span", "div"}
    | {"ul", "ol", "li", "dl", "dt", "dd", "h2", "h3", "h4", "h5", "h6", "a"}
    | {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "section"}
    | _VOID
)
_LINK_SCHEMES = ("http://", "https://", "mailto:")
# footnote references (#fn-<chapter>-1) and back links (#fnref-…), inside one chapter page
_NOTE_LINK = re.compile(r"^#fn(ref)?(-[\w:.-]+|\d+(:\d+)?)$")


def html_to_xhtml(html: str) -> str:
    """Re-serialize an HTML fragment as well-formed XHTML (see the module docstring)."""
    writer = _XhtmlWriter()
    writer.feed(html)
    writer.close()
    return writer.result()


def _epub_tag(tag: str) -> str:
    """Chapter headings sit under the page's <h1> chapter title, not under a book title."""
    if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
        return f"h{min(6, max(2, int(tag[1]) - HEADING_SHIFT + 1))}"
    return tag


def _kept_link(attrs: list[tuple[str, str | None]]) -> bool:
    href = (dict(attrs).get("href") or "").strip().lower()
    return href.startswith(_LINK_SCHEMES) or _NOTE_LINK.match(href) is not None


def _epub_type(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    """EPUB structural semantics of footnotes: noteref, footnote, backlink, footnotes."""
    values = dict(attrs)
    href, classes = values.get("href") or "", (values.get("class") or "").split()
    if tag == "a" and _NOTE_LINK.match(href):
        return "backlink" if href.startswith("#fnref") else "noteref"
    if tag == "li" and "footnote-item" in classes:
        return "footnote"
    if tag == "section" and "footnotes" in classes:
        return "footnotes"
    return ""


class _XhtmlWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, written?) for every start tag seen
        self._skipping = 0  # depth inside elements whose content is dropped

    def result(self) -> str:
        while self._open:
            self._close_top()
        return "".join(self._out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = _epub_tag(tag)
        if tag in _DROP_CONTENT:
            self._skipping += 1
            self._open.append((tag, False))
            return
        written = tag in _ELEMENTS and (tag != "a" or _kept_link(attrs))
        if written and not self._skipping:
            kind = _epub_type(tag, attrs)
            semantics = f' epub:type="{kind}"' if kind else ""
            end = " /" if tag in _VOID else ""
            self._out.append(f"<{tag}{_attributes(tag, attrs)}{semantics}{end}>")
        if tag not in _VOID:
            self._open.append((tag, written))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if _epub_tag(tag) not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = _epub_tag(tag)
        if tag in _VOID or all(name != tag for name, _ in self._open):
            return
        while self._open[-1][0] != tag:
            self._close_top()
        self._close_top()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._out.append(str(escape(xml_text(data))))

    def _close_top(self) -> None:
        tag, written = self._open.pop()
        if tag in _DROP_CONTENT:
            self._skipping -= 1
        elif written and not self._skipping:
            self._out.append(f"</{tag}>")


def _attributes(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    allowed = _ATTRIBUTES.get(tag, frozenset())
    kept: dict[str, str] = {}
    for name, value in attrs:
        if name in allowed:
            kept.setdefault(name, value or "")
    return "".join(f' {name}="{escape(xml_text(kept[name]))}"' for name in sorted(kept))
