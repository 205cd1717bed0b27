"""What the renderers get: the book with every step resolved to data. No I/O, no models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .lazy import LazyField


@dataclass(frozen=True)
class Provenance:
    """How an illustration was made (for the colophon)."""

    provider: str
    model: str
    seed: int | None
    prompt: str
    edits: tuple[str, ...] = ()
    prompt_by: str = ""  # "provider model" of the chat model that wrote the prompt ("" = none)

    @property
    def model_line(self) -> str:
        """'provider model' that made the picture; '' when no model made it (your own file)."""
        if self.provider in ("", "file", "source"):
            return ""
        return " ".join(part for part in (self.provider, self.model) if part)


@dataclass(frozen=True)
class IllustrationView:
    id: str
    digest: str  # store digest of the final image ("sha256:<hex>")
    if TYPE_CHECKING:
        image: bytes  # PNG bytes of the final image
    else:  # or `lazy.later(load)`: read when first used (an HTML edit writes few assets)
        image: LazyField = LazyField()
    width: int
    height: int
    caption: str | None
    alt: str
    provenance: Provenance | None = None
    step: str = ""  # id of the step that made the final image (for preflight messages)


@dataclass(frozen=True)
class ChapterView:
    id: str
    title: str
    markdown: str  # chapter text: Markdown, rendered with raw HTML disabled
    illustrations: tuple[IllustrationView, ...] = ()
    written_by: str = ""  # "provider model" of the chat model that wrote it ("" = by hand)
    short_title: str = ""  # running-head title ("" = the title, cut to fit)


@dataclass(frozen=True)
class StyleView:
    theme: str = "default"
    page: str = "A5"
    font: str | None = None
    css: str | None = None  # extra stylesheet text (already read from the book folder)
    bleed: str | None = None  # PDF bleed around each page, e.g. "3mm" (None: no bleed)
    margin: str | None = None  # page margins: "18mm", or "top outer bottom inner" (None: theme's)
    print_target: str | None = None  # "kdp" or "ingramspark": print-ready PDFs (None: screen)
    paper: str = "white"  # "white", "cream" or "color" (spine width of print targets)
    text_over: bool = True  # picture-book: short text over its picture, which fills the page
    print_bleed: str = "auto"  # print target: "auto" (when pictures fill pages), "always", "never"
    opening: str = "classic"  # chapter openings: classic, drop-cap, small-caps, ornament
    chapter_number: str = "numeral"  # numeral, roman, word, none
    scene_break: str = "asterism"  # asterism, dinkus, fleuron, rule, space
    cover_color: str | None = None  # spine and back of the cover ('#rrggbb'; None: from the art)
    pdf_x: str = "x-4"  # print target: the PDF/X variant, "x-4" or "x-1a" (no transparency)
    cover_shape: str = ""  # the cover art's shape: "front", "wrap" (across both covers) or ""
    alt: str = "auto"  # alt text of pictures: "auto", or "describe" (written by the describer)


@dataclass(frozen=True)
class MatterView:
    """Front and back matter given as data in the spec (plain text; "" = none)."""

    isbn: str = ""
    publisher: str = ""
    edition: str = ""
    rights: str = ""
    dedication: str = ""
    epigraph: str = ""
    acknowledgements: str = ""
    about_author: str = ""
    also_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class BookView:
    title: str
    language: str
    chapters: tuple[ChapterView, ...]
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    style: StyleView = field(default_factory=StyleView)
    cover: IllustrationView | None = None
    source_date_epoch: int = 0  # fixed build date (from the lock or SOURCE_DATE_EPOCH)
    identifier: str = ""  # stable book id (urn:uuid derived from the spec)
    blurb: str | None = None  # back-cover text
    draft: bool = False  # built with --draft: outputs are marked as drafts
    matter: MatterView = field(default_factory=MatterView)
    cover_fix: str = ""  # what the preflight says to do about a cropped cover ("": shape it)
