"""EPUB package metadata beyond title and authors: the front matter's publishing data (ISBN,
publisher, rights, the blurb as description), the EPUB Accessibility 1.1 conformance claim and
the accessibility summary, in the book's language and saying fixed layout where it is."""

from __future__ import annotations

from typing import Any

from .epub_content import xml_text
from .matter import words
from .view import BookView

CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"

SUMMARY: dict[str, dict[str, str]] = {
    "en": {
        "reflowable": "Reflowable text with a table of contents and landmarks, in reading order.",
        "fixed": (
            "Fixed-layout picture book: one page per scene, its text is real text; contents, "
            "landmarks and colophon are reflowable, in reading order."
        ),
        "images": "Every illustration has a text alternative.",
        "no_images": "No illustrations.",
    },
    "ko": {
        "reflowable": (
            "본문이 화면에 맞게 흐르는 책으로, 목차와 랜드마크가 있고 "
            "읽는 순서대로 구성되어 있습니다."
        ),
        "fixed": (
            "고정 레이아웃 그림책입니다. 장면마다 한 쪽이며 글은 실제 텍스트입니다. "
            "목차, 랜드마크, 판권 정보는 화면에 맞게 흐르며 읽는 순서대로 구성되어 있습니다."
        ),
        "images": "모든 그림에 대체 텍스트가 있습니다.",
        "no_images": "그림이 없습니다.",
    },
}


def has_images(view: BookView) -> bool:
    return view.cover is not None or any(ch.illustrations for ch in view.chapters)


def accessibility_summary(view: BookView, fixed: bool) -> str:
    said = SUMMARY.get(view.language.split("-")[0].lower(), SUMMARY["en"])
    layout = said["fixed"] if fixed else said["reflowable"]
    return f"{layout} {said['images'] if has_images(view) else said['no_images']}"


def isbn_digits(isbn: str) -> str:
    """The ISBN without spaces or hyphens (urn:isbn: form)."""
    return "".join(ch for ch in isbn if ch.isdigit() or ch in "Xx").upper()


def publishing_metadata(view: BookView, fixed: bool) -> dict[str, Any]:
    """What content.opf adds to its <metadata> (XML-safe text; "" = left out)."""
    data = view.matter
    rights = data.rights or words(view.language)["rights"]
    holder = ", ".join(view.authors) or data.publisher
    if holder and "©" not in rights:
        year = _year(view.source_date_epoch)
        rights = f"© {year} {holder}. {rights}" if year else f"© {holder}. {rights}"
    return {
        "isbn": isbn_digits(data.isbn),
        "publisher": xml_text(data.publisher).strip(),
        "rights": xml_text(rights).strip(),
        "description": xml_text(" ".join((view.blurb or "").split())),
        "conforms_to": CONFORMS_TO,
        "certified_by": xml_text(data.publisher or holder or "bookbuild").strip(),
        "has_images": has_images(view),
        "summary": accessibility_summary(view, fixed),
    }


def _year(epoch: int) -> str:
    import time

    return time.strftime("%Y", time.gmtime(epoch)) if epoch > 0 else ""
