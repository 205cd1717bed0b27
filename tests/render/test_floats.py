"""A picture that does not fit below the text floats to the next page's top and the text
after it fills the page, instead of leaving a hole."""

from __future__ import annotations

import weasyprint  # type: ignore[import-untyped]

from bookbuild.render.floats import defer_figures, pushed_figures

PAGE = "<style>@page { size: 300pt 400pt; margin: 30pt } p { margin: 0 0 6pt }</style>"
PARAGRAPH = "<p>" + "word " * 40 + "</p>"


def figure(height: int = 220) -> str:
    return (
        '<figure class="illustration portrait" id="fig-1" style="break-inside: avoid; margin: 0">'
        f'<div style="height: {height}pt; background: #888"></div>'
        "<figcaption>A tall one</figcaption></figure>"
    )


def html(body: str) -> str:
    return f"<html><head>{PAGE}</head><body>{body}</body></html>"


def fill_of_first_page(document: object) -> float:
    page = document.pages[0]._page_box  # type: ignore[attr-defined]
    bottoms = [
        box.position_y + box.margin_height()
        for box in page.descendants()
        if type(box).__name__ == "LineBox"
    ]
    return (max(bottoms) - page.content_box_y()) / page.height


def test_a_pushed_figure_is_found_and_moved_after_the_next_paragraph() -> None:
    source = html(PARAGRAPH * 2 + figure() + PARAGRAPH * 3)  # the paragraphs: 35% of a page
    before = weasyprint.HTML(string=source).render()
    assert pushed_figures(before) == ["fig-1"]  # it left a hole on page 1
    moved = defer_figures(source, ["fig-1"])
    assert moved.index("fig-1") > source.index("fig-1")
    after = weasyprint.HTML(string=moved).render()
    assert pushed_figures(after) == []
    assert fill_of_first_page(before) < 0.75 < 0.9 < fill_of_first_page(after)


def test_a_figure_that_fits_or_ends_its_chapter_stays() -> None:
    fits = html(PARAGRAPH + figure(100) + PARAGRAPH)
    assert pushed_figures(weasyprint.HTML(string=fits).render()) == []
    last = html(PARAGRAPH * 2 + figure())
    assert defer_figures(last, ["fig-1"]) == last  # no paragraph after it: nothing to move
