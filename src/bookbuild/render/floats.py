"""Pictures that float to the top of the next page instead of leaving a hole. A figure that
does not fit below the text moves whole to the next page (`break-inside: avoid`), leaving the
rest of its page empty. After layout, such a figure (the topmost block of its page, below a
page with more than HOLE of its height empty) is moved after the paragraph that follows it,
so that the text fills the hole, and the book is laid out again (render_pdf does at most
MAX_PASSES of these)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

HOLE = 0.2  # share of the text block's height left empty that counts as a hole
MAX_PASSES = 2
_FIGURE = r'<figure class="illustration[^"]*" id="{}"[^>]*>.*?</figure>\s*'


def _boxes(box: Any) -> Iterator[Any]:
    box = getattr(box, "_box", box)
    yield box
    for child in getattr(box, "children", ()):
        if type(child).__name__ != "MarginBox":
            yield from _boxes(child)


def _content(page: Any) -> list[tuple[float, float, Any]]:
    """(top, bottom, box) of the lines and figures of a page's text block."""
    found = []
    for box in _boxes(page._page_box):
        is_figure = _is_figure(box) and type(box).__name__ == "BlockBox"
        if type(box).__name__ == "LineBox" or is_figure:
            found.append((box.position_y, box.position_y + box.margin_height(), box))
    return found


def pushed_figures(document: Any) -> list[str]:
    """Ids of the figures that opened a page below a page with a hole."""
    found = []
    for before, page in zip(document.pages, document.pages[1:], strict=False):
        here, previous = _content(page), _content(before)
        if not here or not previous:
            continue
        top = min(item[0] for item in here)
        first = [box for y, _, box in here if abs(y - top) < 1 and _is_figure(box)]
        block = before._page_box
        area_bottom = block.content_box_y() + block.height
        empty = area_bottom - max(item[1] for item in previous)
        if first and empty > HOLE * block.height:
            figure_id = first[0].element.get("id")
            if figure_id:
                found.append(str(figure_id))
    return found


def _is_figure(box: Any) -> bool:
    element = getattr(box, "element", None)
    return element is not None and element.tag == "figure"


def defer_figures(html: str, figure_ids: list[str]) -> str:
    """The document with each figure moved after the paragraph that follows it (inside its
    chapter; a figure with no paragraph after it stays)."""
    for figure_id in figure_ids:
        match = re.search(_FIGURE.format(re.escape(figure_id)), html, re.DOTALL)
        if match is None:
            continue
        rest = html[match.end() :]
        paragraph = re.match(r"\s*<p\b.*?</p>\s*", rest, re.DOTALL)
        if paragraph is None:
            continue
        moved = rest[: paragraph.end()] + match.group(0) + rest[paragraph.end() :]
        html = html[: match.start()] + moved
    return html
